"""Provides `Simulator`: the in-memory Zuora tenant behind the simulated endpoints.

It holds the jobs of all five families, tokens, rate-limit windows, the idempotency store,
the request log, injected faults and the clock. Every public method takes one re-entrant
lock, so tests may call it from another thread while the server runs.

State advances lazily: each call first brings the *active* jobs up to the clock's now,
so seeding and listing thousands of finished jobs stays cheap (checklist item 30).
"""

from __future__ import annotations

import fnmatch
import hashlib
import io
import math
import random
import secrets
import threading
import uuid
import zipfile
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ztui.sim.aqua import AQUA_ACTIVE, AquaBatch, AquaJob, AquaValidationError, validate_create
from ztui.sim.clock import SimClock
from ztui.sim.config import SimConfig, apply_changes
from ztui.sim.custom_objects import CO_STATUSES, CustomObjectJob
from ztui.sim.files import FileStore, StoredFile
from ztui.sim.uno import (
    DB_TYPES,
    TEMPLATES,
    BatchJob,
    DataBackfillJob,
    Env,
    _check_row,
    key_column,
)
from ztui.sim.util import IdMaker, SimApiError, parse_csv

SimJob = DataBackfillJob | BatchJob | CustomObjectJob | AquaJob

# 6-digit resource codes for uno error codes (SIM-CHOICE; doc §2.5A explains the layout).
RES_DATA_BACKFILL = "531003"
RES_BOOKING = "531004"
RES_PROPAGATION = "531005"
RES_GENERIC = "500000"

OUTCOMES = ("completed", "failed", "aborted", "cancelled", "deleted_notallowed", "error")
FAULT_KINDS = ("status", "drop", "latency", "malformed", "rate_limit", "expire_tokens")
FAULT_KINDS_EXTRA = ("success_false",)
API_USER = "api.user@example.com"
API_USER_ID = "2c92c0f86a8dd422016a9e7a70116b0d"
MAX_DB_FILE = 4 * 1024 * 1024
MAX_CO_FILE = 15 * 1024 * 1024


@dataclass
class Token:
    """An issued bearer token."""

    client_id: str
    expires_at: float


@dataclass
class Fault:
    """An injected fault on requests matching `METHOD /path-glob`."""

    method: str
    glob: str
    kind: str
    status: int = 503
    delay_s: float = 0.0
    times: int | None = None

    def matches(self, method: str, path: str) -> bool:
        """True when the fault applies to this request."""
        return (self.method in ("*", method)) and fnmatch.fnmatchcase(path, self.glob)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "route": f"{self.method} {self.glob}",
            "kind": self.kind,
            "status": self.status,
            "delay_s": self.delay_s,
            "times": self.times,
        }


@dataclass
class StoredResponse:
    """A response as the gateway sends it (before per-request headers and gzip)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class IdemEntry:
    """One idempotency key's record."""

    method: str
    url: str
    created_at: float
    response: StoredResponse | None = None


@dataclass
class RateState:
    """Fixed windows: window length -> (window index, count)."""

    windows: dict[int, tuple[int, int]] = field(default_factory=dict)


@dataclass
class RateVerdict:
    """Outcome of counting one request against some windows."""

    allowed: bool
    limit: int
    remaining: int
    reset: int
    policy: str
    retry_after: int


def count_hit(state: RateState, now: float, limits: list[tuple[int, int]]) -> RateVerdict:
    """Count one request in every window (rejected ones count too) and judge it."""
    best: tuple[int, int, int] | None = None  # (remaining, window, limit)
    allowed = True
    retry = 0
    resets: dict[int, int] = {}
    for window, limit in limits:
        idx = math.floor(now / window)
        old_idx, count = state.windows.get(window, (idx, 0))
        if old_idx != idx:
            count = 0
        count += 1
        state.windows[window] = (idx, count)
        reset = max(1, math.ceil((idx + 1) * window - now))
        resets[window] = reset
        remaining = max(0, limit - count)
        if count > limit:
            allowed = False
            retry = max(retry, reset)
        if best is None or remaining < best[0]:
            best = (remaining, window, limit)
    assert best is not None
    policy = ", ".join(f"{limit};w={window}" for window, limit in limits)
    return RateVerdict(
        allowed=allowed,
        limit=best[2],
        remaining=best[0],
        reset=resets[best[1]],
        policy=f"{best[2]}, {policy}",
        retry_after=retry,
    )


class Simulator:
    """The simulated tenant. See the module docstring."""

    def __init__(self, config: SimConfig | None = None) -> None:
        """Build the state and seed the scenario (`config.jobs` jobs)."""
        self.config = config or SimConfig()
        self.config.validate()
        self.lock = threading.RLock()
        self.clock = SimClock(self.config.clock, self.config.start_epoch, self.config.speed)
        self.files = FileStore()
        self.ids = IdMaker(random.Random(self.config.seed * 7919 + 17))
        self.env = Env(self.files, self.ids, self.config)
        self.data_backfill: dict[str, DataBackfillJob] = {}
        self.booking_date: dict[str, BatchJob] = {}
        self.propagation: dict[str, BatchJob] = {}
        self.custom_object: dict[str, CustomObjectJob] = {}
        self.aqua: dict[str, AquaJob] = {}
        self.co_order: list[CustomObjectJob] = []
        self._seeded_aqua: list[str] = []
        self._active: dict[str, SimJob] = {}
        self.tokens: dict[str, Token] = {}
        self.idempotency: dict[tuple[str, str], IdemEntry] = {}
        self.requests: deque[dict[str, Any]] = deque(maxlen=100_000)
        self._seq = 0
        self.faults: list[Fault] = []
        self.tenant_rate = RateState()
        self.ip_rate: dict[str, RateState] = {}
        self.inflight_v1 = 0
        if self.config.jobs:
            from ztui.sim.seed import seed_scenario

            seed_scenario(self, self.config.jobs, self.config.seed)

    # ------------------------------------------------------------------ clock and jobs
    def now(self) -> float:
        """The simulator clock's current time (epoch seconds)."""
        return self.clock.now()

    def tick(self) -> float:
        """Bring every active job up to the clock's now; return that now."""
        with self.lock:
            now = self.clock.now()
            done: list[str] = []
            for job_id, job in self._active.items():
                job.advance(now, self.env)
                if not job.active:
                    done.append(job_id)
            for job_id in done:
                del self._active[job_id]
            return now

    def advance(self, seconds: float) -> float:
        """Move the clock forward, run the jobs, return the new time."""
        with self.lock:
            self.clock.advance(seconds)
            return self.tick()

    def add_job(self, job: SimJob) -> None:
        """Register a job in its family (used by seeding and by the create calls)."""
        with self.lock:
            if isinstance(job, DataBackfillJob):
                self.data_backfill[job.id] = job
            elif isinstance(job, BatchJob):
                (self.booking_date if job.family == "booking_date" else self.propagation)[
                    job.id
                ] = job
            elif isinstance(job, CustomObjectJob):
                self.custom_object[job.id] = job
                self.co_order.append(job)
            else:
                self.aqua[job.id] = job
            if job.active:
                self._active[job.id] = job

    def find_job(self, job_id: str) -> SimJob | None:
        """Any family's job by id."""
        with self.lock:
            for family in (
                self.data_backfill,
                self.booking_date,
                self.propagation,
                self.custom_object,
                self.aqua,
            ):
                job = family.get(job_id)
                if job is not None:
                    return job
            return None

    def set_outcome(self, job_id: str, outcome: str) -> None:
        """Make a job end as `outcome` at its next transition (`/_sim/outcome`).

        Raises:
            KeyError: unknown job id.
            ValueError: unknown outcome.
        """
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        with self.lock:
            now = self.tick()
            job = self.find_job(job_id)
            if job is None:
                raise KeyError(job_id)
            job.outcome = outcome
            job.outcome_at = now
            self._active[job.id] = job

    def aqua_job_ids(self) -> list[str]:
        """Ids of the seeded AQuA jobs (AQuA has no list endpoint)."""
        with self.lock:
            return list(self._seeded_aqua)

    def recent_aqua_job_ids(self, limit: int) -> list[str]:
        """Seeded AQuA ids an operator's journal would plausibly know: every unfinished
        one, then the newest finished ones, `limit` in all (at least the unfinished)."""
        with self.lock:
            jobs = [self.aqua[i] for i in self._seeded_aqua if i in self.aqua]
        active = [j for j in jobs if j.status in ("submitted", "executing")]
        finished = sorted(
            (j for j in jobs if j.status not in ("submitted", "executing")),
            key=lambda j: j.created,
            reverse=True,
        )
        chosen = active + finished[: max(0, limit - len(active))]
        return [j.id for j in chosen]

    def job_ids(self, family: str) -> list[str]:
        """Ids of one family's jobs, oldest first."""
        with self.lock:
            store: dict[str, Any] = getattr(self, family)
            return list(store)

    def configure(self, changes: dict[str, Any]) -> SimConfig:
        """Change config flags at runtime (`/_sim/config`).

        Raises:
            ValueError: naming the refused key.
        """
        with self.lock:
            self.config = apply_changes(self.config, changes)
            self.env.config = self.config
            return self.config

    # ------------------------------------------------------------------ wire views
    def jobs_wire(self, base_url: str) -> dict[str, list[dict[str, Any]]]:
        """Every job in its wire shape, grouped by family (`/_sim/jobs`)."""
        with self.lock:
            self.tick()
            cfg = self.config
            return {
                "data_backfill": [
                    j.wire(cfg, base_url, listing=False) for j in self.data_backfill.values()
                ],
                "booking_date": [j.wire(cfg) for j in self.booking_date.values()],
                "propagation": [j.wire(cfg) for j in self.propagation.values()],
                "custom_object": [j.wire() for j in self.custom_object.values()],
                "aqua": [j.wire() for j in self.aqua.values()],
            }

    # ------------------------------------------------------------------ tokens
    def issue_token(self, client_id: str) -> tuple[str, dict[str, Any]]:
        """Issue a token for `client_id`; return it and the token response body."""
        with self.lock:
            now = self.clock.now()
            token = secrets.token_hex(16)
            self.tokens[token] = Token(client_id, now + self.config.token_ttl)
            body = {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": self.config.token_ttl,
                "scope": (
                    "user.2c92c0f86a8dd422016a9e7a70116b0d "
                    "entity.1a2b7a37-3e7d-4cb3-b0e2-883de9e766cc "
                    "entity.1a2b7a37-3e7d-4cb3-b0e2-883de9e766cc.user."
                    "2c92c0f86a8dd422016a9e7a70116b0d "
                    "entity.1a2b7a37-3e7d-4cb3-b0e2-883de9e766cc.admin service.events.read "
                    "service.events.write service.usage.delete service.usage.update "
                    "platform.write tenant.19"
                ),
                "jti": secrets.token_hex(16),
            }
            return token, body

    def tenant_of(self, token: str) -> str | None:
        """The client (tenant) a live token belongs to, or None."""
        with self.lock:
            info = self.tokens.get(token)
            if info is None:
                return None
            if self.clock.now() >= info.expires_at:
                del self.tokens[token]
                return None
            return info.client_id

    def revoke_tokens(self) -> int:
        """Revoke every token ("expire tokens now"); return how many there were."""
        with self.lock:
            n = len(self.tokens)
            self.tokens.clear()
            return n

    # ------------------------------------------------------------------ limits
    def count_tenant(self) -> RateVerdict:
        """Count one API request against the tenant's minute/hour/day quotas."""
        with self.lock:
            cfg = self.config
            limits = [
                (60, cfg.rate_limit_minute),
                (3600, cfg.rate_limit_hour),
                (86400, cfg.rate_limit_day),
            ]
            return count_hit(self.tenant_rate, self.clock.now(), limits)

    def count_token_ip(self, ip: str) -> RateVerdict | None:
        """Count one token request from `ip`; None when the per-IP cap is off."""
        with self.lock:
            cap = self.config.token_ip_limit_per_min
            if cap is None:
                return None
            state = self.ip_rate.setdefault(ip, RateState())
            return count_hit(state, self.clock.now(), [(60, cap)])

    def enter_v1(self) -> int | None:
        """Take a `/v1` concurrency slot; return slots left, or None if over the cap."""
        with self.lock:
            cap = self.config.concurrency_limit
            if cap is not None and self.inflight_v1 >= cap:
                return None
            self.inflight_v1 += 1
            return (cap - self.inflight_v1) if cap is not None else 0

    def leave_v1(self) -> None:
        """Give back a `/v1` concurrency slot."""
        with self.lock:
            self.inflight_v1 = max(0, self.inflight_v1 - 1)

    # ------------------------------------------------------------------ faults and log
    def add_fault(self, fault: Fault) -> None:
        """Inject a fault (`expire_tokens` acts at once instead)."""
        with self.lock:
            if fault.kind == "expire_tokens":
                self.revoke_tokens()
                return
            self.faults.append(fault)

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        with self.lock:
            self.faults.clear()

    def take_faults(self, method: str, path: str) -> list[Fault]:
        """The faults that apply to this request, using up one of their `times`."""
        with self.lock:
            hit: list[Fault] = []
            for fault in list(self.faults):
                if fault.matches(method, path):
                    hit.append(fault)
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self.faults.remove(fault)
            return hit

    def log_request(
        self,
        method: str,
        path: str,
        query: str,
        idempotency_key: str | None,
        track_id: str | None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """Append a request to the log; the gateway fills in `status` later."""
        with self.lock:
            self._seq += 1
            entry: dict[str, Any] = {
                "seq": self._seq,
                "method": method,
                "path": path,
                "query": query,
                "status": None,
                "idempotency_key": idempotency_key,
                "track_id": track_id,
                "request_id": request_id,
                "at": self.clock.now(),
            }
            self.requests.append(entry)
            return entry

    def request_log(self, since: int = 0) -> list[dict[str, Any]]:
        """Logged requests with `seq > since`."""
        with self.lock:
            return [dict(e) for e in self.requests if e["seq"] > since]

    # ------------------------------------------------------------------ idempotency
    def idem_begin(
        self, key: str, tenant: str, method: str, url: str
    ) -> tuple[str, StoredResponse | None]:
        """Look up a key: ("new"|"replay"|"inflight"|"mismatch", stored response)."""
        with self.lock:
            now = self.clock.now()
            entry = self.idempotency.get((key, tenant))
            if entry is not None and now - entry.created_at > self.config.idempotency_ttl:
                entry = None
            if entry is None:
                self.idempotency[(key, tenant)] = IdemEntry(method, url, now)
                return "new", None
            if entry.method != method or entry.url != url:
                return "mismatch", None
            if entry.response is None:
                return "inflight", None
            return "replay", entry.response

    def idem_finish(self, key: str, tenant: str, response: StoredResponse | None) -> None:
        """Store the first response for a key (None forgets the key, e.g. on a crash)."""
        with self.lock:
            if response is None:
                self.idempotency.pop((key, tenant), None)
                return
            entry = self.idempotency.get((key, tenant))
            if entry is not None:
                entry.response = response

    # ------------------------------------------------------------------ files
    def get_file(self, file_id: str) -> StoredFile | None:
        """A live (unexpired) file."""
        with self.lock:
            now = self.tick()
            return self.files.get(file_id, now, self.config.file_ttl)

    # ------------------------------------------------------------------ data backfill
    def _uno_get(self, store: dict[str, Any], job_id: str, res: str) -> Any:
        job = store.get(job_id)
        if job is None:
            raise SimApiError(404, res + "40", f"Job {job_id} not found.")
        return job

    def db_list(self, base_url: str) -> list[dict[str, Any]]:
        """All data-backfill jobs in list shape, newest first."""
        with self.lock:
            self.tick()
            jobs = sorted(self.data_backfill.values(), key=lambda j: j.uploaded_on, reverse=True)
            return [j.wire(self.config, base_url, listing=True) for j in jobs]

    def db_get(self, job_id: str, base_url: str) -> dict[str, Any]:
        """One data-backfill job in get shape."""
        with self.lock:
            self.tick()
            job = self._uno_get(self.data_backfill, job_id, RES_DATA_BACKFILL)
            wire: dict[str, Any] = job.wire(self.config, base_url, listing=False)
            return wire

    def db_create(
        self, import_type: str, file_name: str, data: bytes, checksum: str | None
    ) -> DataBackfillJob:
        """Create a data-backfill job from an upload (request-level checks done by caller).

        Raises:
            SimApiError: 400 for a bad file or checksum.
        """
        res = RES_DATA_BACKFILL
        if import_type not in DB_TYPES:
            raise SimApiError(
                400, res + "20", f"Invalid type {import_type!r}: use one of {', '.join(DB_TYPES)}."
            )
        if not data:
            raise SimApiError(400, res + "22", "The file is empty.")
        if len(data) > MAX_DB_FILE:
            raise SimApiError(400, res + "20", "The file is larger than 4 MB.")
        lower = file_name.lower()
        if not (lower.endswith(".csv") or lower.endswith(".zip")):
            raise SimApiError(400, res + "20", "The file must be a .csv or a zipped .csv.")
        if checksum is not None:
            if len(checksum) != 32 or any(c not in "0123456789abcdefABCDEF" for c in checksum):
                raise SimApiError(400, res + "20", "The checksum must be 32 hex characters.")
            if checksum.lower() != hashlib.md5(data).hexdigest():
                raise SimApiError(400, res + "20", "The checksum does not match the file's MD5.")
        csv_data = data
        if lower.endswith(".zip"):
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as zf:
                    names = [n for n in zf.namelist() if n.lower().endswith(".csv")]
                    if not names:
                        raise SimApiError(400, res + "20", "The zip file holds no .csv file.")
                    csv_data = zf.read(names[0])
            except zipfile.BadZipFile:
                raise SimApiError(400, res + "20", "The file is not a valid zip archive.") from None
        try:
            text = csv_data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SimApiError(400, res + "20", "The file is not valid UTF-8 text.") from None
        validation_error = ""
        try:
            header, rows = parse_csv(text)
        except ValueError as exc:
            header, rows = [], []
            validation_error = f"File validation failed: {exc}."
        if not validation_error:
            allowed = set(TEMPLATES[import_type])
            key = key_column(import_type)
            unknown = [h for h in header if not h.startswith("#") and h not in allowed]
            if key not in header:
                validation_error = f"File validation failed: the {key} column is missing."
            elif unknown:
                validation_error = (
                    f"File validation failed: column {unknown[0]!r} is not in the "
                    f"{import_type} template."
                )
        with self.lock:
            now = self.tick()
            cfg = self.config
            job = DataBackfillJob(
                id=self.ids.uno(),
                import_type=import_type,
                uploaded_file_id=self.ids.hex32(),
                uploaded_file_name=file_name.rsplit("/", 1)[-1] or "file.csv",
                input_size=len(data),
                uploaded_by=API_USER,
                uploaded_on=now,
                total=0 if validation_error else len(rows),
                rows_per_tick=cfg.db_rows_per_tick,
                validation_s=cfg.db_validation_s,
                tick_s=cfg.tick_s,
                stop_s=cfg.db_stop_s,
                header=header,
                rows=rows,
                validation_error=validation_error,
            )
            if not validation_error:
                key = key_column(import_type)
                job.row_errors = {
                    i: msg for i, row in enumerate(rows) if (msg := _check_row(header, row, key))
                }
            media = "application/zip" if lower.endswith(".zip") else "text/csv"
            self.files.add(job.uploaded_file_id, job.uploaded_file_name, media, now, lambda: data)
            self.add_job(job)
            job.advance(now, self.env)
            return job

    def uno_stop(self, family: str, job_id: str) -> None:
        """Stop a data-backfill, booking or propagation job.

        Raises:
            SimApiError: 404 unknown; 400 (category 30) when the job already ended.
        """
        with self.lock:
            now = self.tick()
            store: dict[str, Any]
            if family == "data_backfill":
                store, res = self.data_backfill, RES_DATA_BACKFILL
            elif family == "booking_date":
                store, res = self.booking_date, RES_BOOKING
            else:
                store, res = self.propagation, RES_PROPAGATION
            job = self._uno_get(store, job_id, res)
            if not job.active or job.status in ("Stopping", "STOPPING"):
                raise SimApiError(
                    400,
                    res + "30",
                    f"Job {job_id} is {job.status} and cannot be stopped.",
                )
            job.stop(now, self.env)
            if job.active:
                self._active[job.id] = job

    # ------------------------------------------------------------------ booking / propagation
    def batch_list(self, family: str) -> list[dict[str, Any]]:
        """All booking-date or propagation jobs, newest first."""
        with self.lock:
            self.tick()
            store = self.booking_date if family == "booking_date" else self.propagation
            jobs = sorted(store.values(), key=lambda j: j.created_on, reverse=True)
            return [j.wire(self.config) for j in jobs]

    def batch_get(self, family: str, job_id: str) -> dict[str, Any]:
        """One booking-date or propagation job."""
        with self.lock:
            self.tick()
            store, res = (
                (self.booking_date, RES_BOOKING)
                if family == "booking_date"
                else (self.propagation, RES_PROPAGATION)
            )
            job: BatchJob = self._uno_get(store, job_id, res)
            return job.wire(self.config)

    def booking_create(self) -> BatchJob:
        """Create a booking-date job."""
        with self.lock:
            now = self.tick()
            cfg = self.config
            job = BatchJob(
                family="booking_date",
                id=self.ids.uno(),
                type="BookingDate",
                created_on=now,
                updated_by=API_USER,
                total_batches=cfg.bd_batches,
                per_tick=cfg.bd_batches_per_tick,
                accept_s=cfg.bd_accept_s,
                tick_s=cfg.tick_s,
                stop_s=cfg.bd_stop_s,
            )
            self.add_job(job)
            return job

    def propagation_create(self, body: Any) -> BatchJob:
        """Create an auto-backfill job from `{type, batchSize?, dryRun?}`.

        Raises:
            SimApiError: 400 with a category-20/22 code for a bad body.
        """
        res = RES_PROPAGATION
        if not isinstance(body, dict):
            raise SimApiError(400, res + "90", "The body must be a JSON object.")
        kind = body.get("type")
        if kind is None:
            raise SimApiError(400, res + "22", "'type' is required.")
        if kind not in ("RatePlanCharge", "OrderLineItem"):
            raise SimApiError(400, res + "20", "'type' must be RatePlanCharge or OrderLineItem.")
        batch_size = body.get("batchSize", 1000)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int):
            raise SimApiError(400, res + "20", "'batchSize' must be an integer.")
        if not 1 <= batch_size <= 1000:
            raise SimApiError(400, res + "20", "'batchSize' must be between 1 and 1000.")
        dry_run = body.get("dryRun", False)
        if not isinstance(dry_run, bool):
            raise SimApiError(400, res + "20", "'dryRun' must be a boolean.")
        unknown = sorted(set(body) - {"type", "batchSize", "dryRun"})
        if unknown:
            raise SimApiError(400, res + "21", f"Unknown field {unknown[0]!r}.")
        with self.lock:
            now = self.tick()
            cfg = self.config
            total = max(1, math.ceil(cfg.prop_records / batch_size))
            job = BatchJob(
                family="propagation",
                id=self.ids.uno(),
                type=kind,
                created_on=now,
                updated_by=API_USER,
                total_batches=total,
                per_tick=max(cfg.bd_batches_per_tick, math.ceil(total / cfg.prop_max_ticks)),
                accept_s=cfg.bd_accept_s,
                tick_s=cfg.tick_s,
                stop_s=cfg.bd_stop_s,
                batch_size=batch_size,
                dry_run=dry_run,
            )
            self.add_job(job)
            return job

    # ------------------------------------------------------------------ custom objects
    def _co_get(self, job_id: str) -> CustomObjectJob:
        job = self.custom_object.get(job_id)
        if job is None:
            raise SimApiError(404, 71013040, "Not Found.")
        return job

    def _co_perm(self, perm: str) -> None:
        if perm in self.config.co_permissions:
            return
        if perm == "delete":
            raise SimApiError(
                403, 71012514, "User does not have permission to delete custom objects."
            )
        if perm == "edit":
            raise SimApiError(
                403, 71012515, "User does not have permission to create custom objects."
            )
        raise SimApiError(403, 71012513, "User does not have permission to view custom objects.")

    def co_list(self, page_size: int, cursor: str | None, status: str | None) -> dict[str, Any]:
        """One page of custom-object jobs, newest first (the cursor is exclusive)."""
        with self.lock:
            self.tick()
            self._co_perm("view")
            jobs = self.co_order[::-1]
            if status is not None:
                if status not in CO_STATUSES:
                    raise SimApiError(400, 71013020, "Bad Request")
                jobs = [j for j in jobs if j.status == status]
            start = 0
            if cursor is not None:
                for i, job in enumerate(jobs):
                    if job.id == cursor:
                        start = i + 1
                        break
                else:
                    raise SimApiError(400, 71013020, "Bad Request")
            page = jobs[start : start + page_size]
            body: dict[str, Any] = {"count": len(page)}
            if page:
                body["cursor"] = page[-1].id
            body["jobs"] = [j.wire() for j in page]
            return body

    def co_get(self, job_id: str) -> dict[str, Any]:
        """One custom-object job."""
        with self.lock:
            self.tick()
            self._co_perm("view")
            return self._co_get(job_id).wire()

    def co_errors(self, job_id: str) -> list[dict[str, Any]]:
        """Row errors of a custom-object job."""
        with self.lock:
            self.tick()
            self._co_perm("view")
            return self._co_get(job_id).errors()

    def co_submit(self, obj: str, namespace: str, operation: str) -> CustomObjectJob:
        """Submit a custom-object job (body already validated).

        Raises:
            SimApiError: 403 without permission; 400 71012560 past the active-job limit.
        """
        with self.lock:
            now = self.tick()
            self._co_perm("delete" if operation == "delete" else "edit")
            active = sum(1 for j in self._active.values() if isinstance(j, CustomObjectJob))
            if active >= self.config.co_max_active:
                raise SimApiError(400, 71012560, "Service limit reached, please retry later.")
            cfg = self.config
            job = CustomObjectJob(
                id=self.ids.uuid4(),
                created_by=API_USER_ID,
                created=now,
                namespace=namespace,
                object=obj,
                operation=operation,
                status="accepted" if operation == "delete" else "pending",
                tick_s=cfg.tick_s,
                rows_per_tick=cfg.co_rows_per_tick,
                accept_s=cfg.co_accept_s,
                total=cfg.co_delete_records if operation == "delete" else 0,
            )
            self.add_job(job)
            return job

    def co_upload(self, job_id: str, content_type: str, data: bytes) -> CustomObjectJob:
        """Take a job's CSV file.

        Raises:
            SimApiError: 404 unknown; 403 without edit permission; 400 71013620 otherwise.
        """
        with self.lock:
            now = self.tick()
            job = self._co_get(job_id)
            self._co_perm("edit")
            bad = SimApiError(400, 71013620, "Bad Request")
            if content_type.split(";")[0].strip().lower() != "text/csv":
                raise bad
            if len(data) > MAX_CO_FILE or job.status != "pending" or job.has_file:
                raise bad
            try:
                text = data.decode("utf-8-sig")
                header, rows = parse_csv(text)
            except (UnicodeDecodeError, ValueError):
                raise bad from None
            if job.operation == "update" and "id" not in [h.lower() for h in header]:
                raise bad
            job.upload(now, header, rows)
            self._active[job.id] = job
            job.advance(now)
            return job

    def co_cancel(self, job_id: str) -> CustomObjectJob:
        """Cancel an accepted or pending job.

        Raises:
            SimApiError: 404 unknown; 400 71013620 in any other state.
        """
        with self.lock:
            now = self.tick()
            job = self._co_get(job_id)
            self._co_perm("delete" if job.operation == "delete" else "edit")
            if job.status not in ("accepted", "pending"):
                raise SimApiError(400, 71013620, "Bad Request")
            job.cancel(now)
            self._active.pop(job.id, None)
            return job

    # ------------------------------------------------------------------ AQuA
    def aqua_create(self, body: Any) -> AquaJob:
        """Create an AQuA job.

        Raises:
            AquaValidationError: the request fails validation (answered as a job with a null id).
        """
        spec = validate_create(body)
        with self.lock:
            now = self.tick()
            cfg = self.config
            same_mode = sum(
                1
                for j in self._active.values()
                if isinstance(j, AquaJob)
                and j.status in AQUA_ACTIVE
                and j.stateful == spec["stateful"]
            )
            if same_mode >= cfg.aqua_max_active:
                raise AquaValidationError(
                    "90028", "Too many concurrent jobs; wait for some to finish and retry."
                )
            rng = self.ids.rng
            batches = [
                AquaBatch(
                    batch_id=self.ids.aqua(),
                    name=q["name"],
                    query=q["query"],
                    batch_type=q["type"],
                    api_version=q["apiVersion"],
                    planned_records=rng.randrange(0, max(1, cfg.aqua_max_records) + 1),
                    full=True,
                    deleted=q["deleted"],
                )
                for q in spec["queries"]
            ]
            job = AquaJob(
                id=self.ids.aqua(),
                name=spec["name"],
                version=spec["version"],
                format=spec["format"],
                encrypted=spec["encrypted"],
                created=now,
                submit_s=cfg.aqua_submit_s,
                batch_s=cfg.aqua_batch_s,
                batches=batches,
                partner=spec["partner"],
                project=spec["project"],
                offset=spec["offset"],
                use_last=spec["useLastCompletedJobQueries"],
                source_data=spec["sourceData"],
                notify_url=spec["notifyUrl"],
                null_replacement=spec["nullReplacement"],
                use_labels=spec["useQueryLabels"],
            )
            if job.stateful:
                # Later loads of the same partner/project are incremental.
                earlier = any(
                    j.partner == job.partner
                    and j.project == job.project
                    and j.status == "completed"
                    for j in self.aqua.values()
                )
                for batch in batches:
                    batch.full = not earlier
            self.add_job(job)
            return job

    def aqua_get(self, job_id: str) -> dict[str, Any]:
        """One AQuA job.

        Raises:
            SimApiError: 404 (`errorCode` 90002) for an unknown id.
        """
        with self.lock:
            self.tick()
            job = self.aqua.get(job_id)
            if job is None:
                raise SimApiError(404, "90002", f"Invalid job id: {job_id}")
            return job.wire()

    def aqua_cancel(self, job_id: str) -> dict[str, Any]:
        """DELETE an AQuA job.

        Raises:
            SimApiError: 404 unknown (90002); 400 (90003) when it already finished.
        """
        with self.lock:
            now = self.tick()
            job = self.aqua.get(job_id)
            if job is None:
                raise SimApiError(404, "90002", f"Invalid job id: {job_id}")
            if not job.active:
                raise SimApiError(
                    400, "90003", f"Job {job_id} is {job.status} and cannot be cancelled."
                )
            job.cancel(now)
            self._active.pop(job.id, None)
            return job.wire()

    def aqua_last_completed(self, partner: str, project: str) -> dict[str, Any]:
        """The newest completed stateful job for partner/project.

        Raises:
            SimApiError: 404 (90019) when there is none.
        """
        with self.lock:
            self.tick()
            found = [
                j
                for j in self.aqua.values()
                if j.partner == partner and j.project == project and j.status == "completed"
            ]
            if not found:
                raise SimApiError(
                    404, "90019", f"No completed job for partner {partner!r}, project {project!r}."
                )
            return max(found, key=lambda j: j.finished_at or 0.0).wire()


def new_request_id() -> str:
    """A fresh 36-char `Zuora-Request-Id`."""
    return str(uuid.uuid4())
