"""Provides AQuA batch-query jobs: create validation, the batch state machine, result files.

docs/zuora-api.md §7, checklist items 23-26. Wire types follow the SDK models: `version` a string,
`recordCount`/`offset` integers, `format` upper case, batch statuses from its enum.
"""

from __future__ import annotations

import gzip
import math
import random
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ztui.sim.files import StoredFile
from ztui.sim.quirks import segment_count
from ztui.sim.uno import Env
from ztui.sim.util import aqua_time, csv_bytes, zip_one

AQUA_ACTIVE = frozenset({"submitted", "executing"})
AQUA_TERMINAL = frozenset({"completed", "error", "aborted", "cancelled"})
_QUERY_RE = re.compile(r"^\s*select\s+(?P<cols>.+?)\s+from\s+(?P<obj>[A-Za-z_][\w]*)", re.I | re.S)
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


class AquaValidationError(Exception):
    """An AQuA create request that fails validation (answered as a job with `id: null`)."""

    def __init__(self, code: str, message: str) -> None:
        """Create the error with its AQuA `errorCode`."""
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(eq=False, slots=True)
class AquaBatch:
    """One query of an AQuA job."""

    batch_id: str
    name: str
    query: str
    batch_type: str
    api_version: str
    planned_records: int
    full: bool = True
    status: str = "pending"
    record_count: int = 0
    file_id: str | None = None
    message: str | None = None
    deleted: dict[str, Any] | None = None
    segments: tuple[str, ...] = ()
    """File ids of a result split into segments (then `fileId` is absent)."""

    def wire(self) -> dict[str, Any]:
        """The batch as the API sends it."""
        d: dict[str, Any] = {
            "batchId": self.batch_id,
            "name": self.name,
            "query": self.query,
            "batchType": self.batch_type,
            "apiVersion": self.api_version,
            "full": self.full,
            "status": self.status,
            "localizedStatus": self.status,
            "recordCount": self.record_count,
        }
        if self.segments:
            d["segments"] = list(self.segments)
        elif self.file_id is not None:
            d["fileId"] = self.file_id
        if self.message:
            d["message"] = self.message
        if self.deleted is not None:
            d["deleted"] = dict(self.deleted)
        return d


@dataclass(eq=False, slots=True)
class AquaJob:
    """One AQuA batch-query job."""

    id: str
    name: str | None
    version: str
    format: str
    encrypted: str
    created: float
    submit_s: float
    batch_s: float
    batches: list[AquaBatch]
    partner: str | None = None
    project: str | None = None
    offset: int = 0
    use_last: bool = False
    source_data: str = "LIVE"
    notify_url: str | None = None
    null_replacement: str = ""
    use_labels: bool = False
    status: str = "submitted"
    start_time: float | None = None
    finished_at: float | None = None
    error_code: str | None = None
    message: str | None = None
    outcome: str | None = None
    outcome_at: float = 0.0
    family: str = "aqua"

    @property
    def active(self) -> bool:
        """True while submitted or executing."""
        return self.status in AQUA_ACTIVE

    @property
    def stateful(self) -> bool:
        """True for stateful-mode jobs (partner and project given)."""
        return bool(self.partner and self.project)

    def advance(self, now: float, env: Env) -> None:
        """Bring the job up to `now`: batches run one after another."""
        while True:
            if self.status == "submitted":
                t = self.created + self.submit_s
                if now < t:
                    return
                if self.outcome:
                    self._finish(self.outcome, t, 0, env)
                    return
                self.status = "executing"
                self.start_time = t
                continue
            if self.status == "executing":
                start = self.start_time if self.start_time is not None else now
                n = len(self.batches)
                step = self.batch_s
                t_done = start + n * step
                t_out = math.inf
                if self.outcome:
                    k = math.floor((max(self.outcome_at, start) - start) / step + 1e-9) + 1
                    t_out = start + k * step
                if t_out < t_done and now >= t_out:
                    # The forced outcome lands when the running batch would have ended:
                    # that batch is the one that fails.
                    running = max(0, round((t_out - start) / step) - 1)
                    for i in range(running):
                        if self.batches[i].status != "completed":
                            self._complete_batch(i, start + (i + 1) * step, env)
                    self._finish(self.outcome or "completed", t_out, running, env)
                    return
                t_evt = min(t_done, t_out)
                upto = min(now, t_evt)
                k_done = min(n, max(0, math.floor((upto - start) / step + 1e-9)))
                for i in range(k_done):
                    if self.batches[i].status != "completed":
                        self._complete_batch(i, start + (i + 1) * step, env)
                if now >= t_evt:
                    if t_done <= t_out:
                        self.status = "completed"
                        self.finished_at = t_done
                    else:
                        self._finish(self.outcome or "completed", t_out, k_done, env)
                    return
                if k_done < n:
                    self.batches[k_done].status = "executing"
                return
            return

    def _complete_batch(self, i: int, t: float, env: Env) -> None:
        batch = self.batches[i]
        batch.status = "completed"
        batch.record_count = batch.planned_records
        batch.file_id = env.ids.aqua()
        parts = segment_count(batch.batch_id) if env.config.quirks else 1
        result = AquaResult(self, i, t, parts)
        if parts == 1:
            env.files.add_source(batch.file_id, result)
            return
        # Real-tenant mode: the result is split into segment files (docs/zuora-api.md §7).
        batch.segments = (batch.file_id, *(env.ids.aqua() for _ in range(parts - 1)))
        for file_id in batch.segments:
            env.files.add_source(file_id, result)

    def _finish(self, outcome: str, t: float, k: int, env: Env) -> None:
        """End the job at `t`; batch `k` is the one that was about to run or running."""
        self.outcome = None
        self.finished_at = t
        if outcome == "completed":
            for i in range(len(self.batches)):
                if self.batches[i].status != "completed":
                    self._complete_batch(i, t, env)
            self.status = "completed"
        elif outcome == "cancelled":
            self._cancel_batches()
            self.status = "cancelled"
        elif outcome == "error":
            self.status = "error"
            self.error_code = "90029"
            self.message = "The job was stuck in processing and has been marked Error."
            self._cancel_batches()
        else:
            if k < len(self.batches):
                batch = self.batches[k]
                if outcome == "deleted_notallowed":
                    batch.status = "deleted_notallowed"
                    batch.message = "This object does not support querying deleted records."
                else:
                    batch.status = "aborted"
                    batch.message = "Query execution aborted (simulated failure)."
            self.status = "aborted"
            self.error_code = "90007"
            self.message = "One or more queries failed."

    def _cancel_batches(self) -> None:
        # Unrun batches keep pending; the one that was running shows submitted (doc §7).
        for batch in self.batches:
            if batch.status == "executing":
                batch.status = "submitted"

    def cancel(self, now: float) -> None:
        """DELETE on an active job (the caller checked it is active)."""
        self._cancel_batches()
        self.status = "cancelled"
        self.finished_at = now

    def wire(self) -> dict[str, Any]:
        """The job as the API sends it."""
        d: dict[str, Any] = {"id": self.id}
        if self.name is not None:
            d["name"] = self.name
        d.update(
            {
                "version": self.version,
                "format": self.format,
                "encrypted": self.encrypted,
                "status": self.status,
                "localizedStatus": self.status,
                "offset": self.offset,
                "useLastCompletedJobQueries": self.use_last,
                "sourceData": self.source_data,
            }
        )
        if self.start_time is not None:
            d["startTime"] = aqua_time(self.start_time)
        if self.partner is not None:
            d["partner"] = self.partner
        if self.project is not None:
            d["project"] = self.project
        if self.notify_url is not None:
            d["notifyUrl"] = self.notify_url
        if self.error_code is not None:
            d["errorCode"] = self.error_code
        if self.message is not None:
            d["message"] = self.message
        d["batches"] = [b.wire() for b in self.batches]
        return d


class AquaResult:
    """The result file of one batch (or its segment files), described when downloaded."""

    __slots__ = ("at", "index", "job", "parts")

    def __init__(self, job: AquaJob, index: int, at: float, parts: int) -> None:
        self.job = job
        self.index = index
        self.at = at
        self.parts = parts

    def _name(self) -> tuple[str, str, str]:
        """The file's name and media type, and the base of the name."""
        batch = self.job.batches[self.index]
        base = re.sub(r"[^\w.-]+", "_", batch.name or batch.batch_id)
        fmt = self.job.format
        if fmt == "GZIP":
            return f"{base}.csv.gz", "application/gzip", base
        if fmt == "ZIP":
            return f"{base}.zip", "application/zip", base
        return f"{base}.csv", "text/csv", base

    def stored_file(self, file_id: str) -> StoredFile:
        """The result file `file_id` (`FileStore.add_source`)."""
        name, media, base = self._name()
        segments = self.job.batches[self.index].segments
        if self.parts == 1 or file_id not in segments:
            return StoredFile(file_id, name, media, self.at, lambda: self.produce(base))
        part = segments.index(file_id)
        stem, dot, ext = name.partition(".")
        return StoredFile(
            file_id,
            f"{stem}-{part + 1}{dot}{ext}",
            media,
            self.at,
            lambda: self.produce(base, part),
        )

    def produce(self, base: str, part: int = 0) -> bytes:
        """The file's bytes (segment `part` of a result split in `parts`)."""
        job, batch = self.job, self.job.batches[self.index]
        data = result_csv(
            batch.query, batch.record_count, f"{job.id}/{self.index}", job.null_replacement
        )
        if self.parts > 1:
            data = _segment(data, part, self.parts)
        if job.format == "GZIP":
            return gzip.compress(data, mtime=0)
        if job.format == "ZIP":
            return zip_one(f"{base}.csv", data)
        return data


def _segment(data: bytes, part: int, parts: int) -> bytes:
    """Segment `part` of `parts` of a CSV: the header plus its share of the rows."""
    lines = data.splitlines(keepends=True)
    header, rows = lines[:1], lines[1:]
    size = -(-len(rows) // parts) if rows else 0
    return b"".join(header + rows[part * size : (part + 1) * size])


def error_job(code: str, message: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """The answer to a create that fails validation: a job with a null id."""
    d: dict[str, Any] = {"id": None, "status": "error", "localizedStatus": "error"}
    if body:
        fmt = body.get("format")
        if isinstance(fmt, str) and fmt.lower() in ("csv", "zip", "gzip"):
            d["format"] = fmt.upper()
    d["errorCode"] = code
    d["message"] = message
    d["batches"] = []
    return d


def _query_columns(query: str) -> tuple[str, list[str]]:
    match = _QUERY_RE.match(query)
    if not match:
        return "Object", ["Id"]
    obj = match.group("obj")
    cols = [c.strip() for c in match.group("cols").split(",") if c.strip()]
    if cols == ["*"]:
        cols = ["Id", "Name", "CreatedDate"]
    return obj, cols


def result_csv(query: str, count: int, seed: str, null: str) -> bytes:
    """A plausible CSV answer to `query` with `count` data rows."""
    rng = random.Random(seed)
    obj, cols = _query_columns(query)
    header = [c if "." in c or "(" in c else f"{obj}.{c}" for c in cols]
    rows: list[list[str]] = []
    for i in range(count):
        row: list[str] = []
        for col in cols:
            low = col.lower().split(".")[-1]
            if rng.random() < 0.02:
                row.append(null)
            elif low.endswith("id"):
                row.append(f"8ad0{rng.getrandbits(112):028x}")
            elif "date" in low or low.endswith("time"):
                row.append(f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}")
            elif any(k in low for k in ("amount", "balance", "mrr", "price", "total")):
                row.append(f"{rng.uniform(0, 5000):.2f}")
            elif "status" in low:
                row.append(rng.choice(("Active", "Draft", "Posted", "Cancelled")))
            elif "number" in low:
                row.append(f"{obj[:1].upper()}{10000000 + i}")
            elif "name" in low:
                row.append(f"{obj} {i + 1}")
            elif low.startswith("count("):
                row.append(str(rng.randrange(1, 500)))
            else:
                row.append(f"{low}-{i + 1}")
        rows.append(row)
    return csv_bytes(header, rows)


def _opt_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise AquaValidationError("90010", f"'{key}' must be a string")
    return value


def validate_create(body: Any, *, allow_v12: bool = False) -> dict[str, Any]:
    """Check an AQuA create body and return the normalised job settings.

    Args:
        body: The decoded JSON body.
        allow_v12: Accept `version` 1.2 too (real-tenant mode).

    Raises:
        AquaValidationError: with the AQuA error code (90004, 90005, 90014, 90016, ...).
    """
    if not isinstance(body, dict):
        raise AquaValidationError("90010", "The request body must be a JSON object.")
    fmt = body.get("format", "csv")
    if not isinstance(fmt, str) or fmt.lower() not in ("csv", "zip", "gzip"):
        raise AquaValidationError("90010", "'format' must be csv, zip or gzip.")
    version = body.get("version", "1.0")
    if isinstance(version, int | float) and not isinstance(version, bool):
        version = f"{float(version):.1f}"
    if version not in ("1.0", "1.1", *(("1.2",) if allow_v12 else ())):
        raise AquaValidationError(
            "90010", f"'version' must be {'1.0, 1.1 or 1.2' if allow_v12 else '1.0 or 1.1'}."
        )
    name = _opt_str(body, "name")
    if name is not None and len(name) > 32:
        raise AquaValidationError("90010", "'name' must be at most 32 characters.")
    encrypted = body.get("encrypted", "none")
    if not isinstance(encrypted, str) or encrypted.lower() not in ("pgp", "none"):
        raise AquaValidationError("90010", "'encrypted' must be pgp or none.")
    notify = _opt_str(body, "notifyUrl")
    if notify is not None and len(notify) >= 5000:
        raise AquaValidationError("90014", "The notifyUrl must be shorter than 5000 characters.")
    partner, project = _opt_str(body, "partner"), _opt_str(body, "project")
    if bool(partner) != bool(project):
        raise AquaValidationError("90019", "'partner' and 'project' must be given together.")
    stateful = bool(partner and project)
    if stateful and version not in ("1.1", "1.2"):
        raise AquaValidationError("90010", "Stateful mode (partner/project) needs version 1.1.")
    offset = body.get("offset", 0)
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= 3600:
        raise AquaValidationError("90010", "'offset' must be an integer from 0 to 3600.")
    incremental = _opt_str(body, "incrementalTime")
    if incremental is not None:
        if not stateful:
            raise AquaValidationError("90015", "'incrementalTime' is only valid in stateful mode.")
        try:
            datetime.strptime(incremental, "%Y-%m-%d %H:%M:%S")
        except ValueError:
            raise AquaValidationError(
                "90015", f"Invalid incrementalTime {incremental!r}: use yyyy-MM-dd HH:mm:ss."
            ) from None
    source = body.get("sourceData", "LIVE")
    if source not in ("LIVE", "WAREHOUSE"):
        raise AquaValidationError("90010", "'sourceData' must be LIVE or WAREHOUSE.")
    queries = body.get("queries")
    if queries is None or (isinstance(queries, list) and not queries):
        raise AquaValidationError("90016", "There are no queries in the request.")
    if not isinstance(queries, list):
        raise AquaValidationError("90010", "'queries' must be a list.")
    if len(queries) > 50:
        raise AquaValidationError("90004", "A job may contain at most 50 queries.")
    normalised: list[dict[str, Any]] = []
    for i, q in enumerate(queries):
        where = f"queries[{i}]"
        if not isinstance(q, dict):
            raise AquaValidationError("90010", f"{where} must be an object.")
        text, qtype = q.get("query"), q.get("type")
        if not isinstance(text, str) or not text.strip():
            raise AquaValidationError("90005", f"{where}: the query is missing.")
        if qtype not in ("zoql", "zoqlexport"):
            raise AquaValidationError("90010", f"{where}: 'type' must be zoql or zoqlexport.")
        if not _QUERY_RE.match(text):
            raise AquaValidationError("90005", f"{where}: query syntax error near {text[:40]!r}.")
        low = text.lower()
        if re.search(r"\bdistinct\b", low) and "count(" not in low:
            raise AquaValidationError("90020", f"{where}: DISTINCT can only be used with COUNT.")
        qname = q.get("name")
        if qname is not None and not isinstance(qname, str):
            raise AquaValidationError("90010", f"{where}: 'name' must be a string.")
        api_version = q.get("apiVersion", "91.0")
        if isinstance(api_version, int | float) and not isinstance(api_version, bool):
            api_version = f"{float(api_version):.1f}"
        if not isinstance(api_version, str):
            raise AquaValidationError("90010", f"{where}: 'apiVersion' must be a string.")
        currencies = q.get("convertToCurrencies")
        if currencies is not None:
            codes = [c.strip() for c in str(currencies).split(",")]
            if not all(_CURRENCY_RE.match(c) for c in codes):
                raise AquaValidationError("90021", f"{where}: invalid currency in {currencies!r}.")
        deleted = q.get("deleted")
        if deleted is not None:
            if not stateful:
                raise AquaValidationError(
                    "90012", f"{where}: stateless mode cannot query deleted records."
                )
            if (
                not isinstance(deleted, dict)
                or not isinstance(deleted.get("column"), str)
                or deleted.get("format") not in ("Numeric", "Boolean")
            ):
                raise AquaValidationError(
                    "90010", f"{where}: 'deleted' needs a column and format Numeric|Boolean."
                )
        normalised.append(
            {
                "name": qname if isinstance(qname, str) else f"query{i + 1}",
                "query": text,
                "type": qtype,
                "apiVersion": api_version,
                "deleted": deleted,
            }
        )
    use_last = body.get("useLastCompletedJobQueries", False)
    return {
        "name": name,
        "version": version,
        "format": fmt.upper(),
        "encrypted": encrypted.lower(),
        "notifyUrl": notify,
        "partner": partner,
        "project": project,
        "offset": offset,
        "sourceData": source,
        "nullReplacement": body.get("nullReplacement") or "",
        "useQueryLabels": bool(body.get("useQueryLabels", False)),
        "useLastCompletedJobQueries": bool(use_last),
        "queries": normalised,
        "stateful": stateful,
    }
