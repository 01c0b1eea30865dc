"""Provides `SimCore`: what the simulated tenant shares across its five job families.

It holds the job stores, tokens, rate-limit windows, the idempotency store, the request
log, injected faults and the clock; the family operations are mixins over it
(`ztui.sim.uno_api`, `ztui.sim.custom_objects_api`, `ztui.sim.aqua_api`) that
`ztui.sim.simulator.Simulator` combines. Every public method takes one re-entrant lock,
so tests may call it from another thread while the server runs.

State advances lazily: each call first brings the *active* jobs up to the clock's now,
so seeding and listing thousands of finished jobs stays cheap (checklist item 30).
"""

from __future__ import annotations

import fnmatch
import math
import random
import secrets
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ztui.sim.aqua import AquaJob
from ztui.sim.clock import SimClock
from ztui.sim.config import SimConfig, apply_changes
from ztui.sim.custom_objects import CustomObjectJob
from ztui.sim.files import FileStore, StoredFile
from ztui.sim.uno import BatchJob, DataBackfillJob, Env
from ztui.sim.util import IdMaker

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


class SimCore:
    """The shared state of the simulated tenant. See the module docstring."""

    def __init__(self, config: SimConfig | None = None) -> None:
        """Build an empty tenant; `ztui.sim.seed.seeded_simulator` adds a scenario."""
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
            store: dict[str, SimJob] = getattr(self, job.family)
            store[job.id] = job
            if isinstance(job, CustomObjectJob):
                self.co_order.append(job)
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

    # ------------------------------------------------------------------ booking / propagation

    # ------------------------------------------------------------------ custom objects

    # ------------------------------------------------------------------ AQuA


def new_request_id() -> str:
    """A fresh 36-char `Zuora-Request-Id`."""
    return str(uuid.uuid4())
