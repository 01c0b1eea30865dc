"""Provides the normalised job model shared by every family, and the per-family parsers.

The dataclasses here are the contract between the API client, the watcher service, the
headless commands and the UI. Parsers turn the wire JSON of each family (API doc §3-§7)
into a `Job`; they raise only `MalformedResponse` on input they cannot read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from ztui.api.errors import MalformedResponse


class Family(StrEnum):
    """The five job families ztui watches."""

    DATA_BACKFILL = "data_backfill"
    BOOKING_DATE = "booking_date"
    PROPAGATION = "propagation"
    CUSTOM_OBJECT = "custom_object"
    AQUA = "aqua"

    @property
    def label(self) -> str:
        """Short human label for tables."""
        return _FAMILY_LABELS[self]


UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
"""A custom-object job id (API doc §2.9)."""
HEX32_RE = re.compile(r"^[0-9a-fA-F]{32}$")
"""A uno or AQuA job id (API doc §2.9)."""

_FAMILY_LABELS = {
    Family.DATA_BACKFILL: "Data backfill",
    Family.BOOKING_DATE: "Booking date",
    Family.PROPAGATION: "Auto-backfill",
    Family.CUSTOM_OBJECT: "Custom object",
    Family.AQUA: "AQuA",
}


class JobState(StrEnum):
    """A family-independent state derived from the raw status string."""

    QUEUED = "queued"
    RUNNING = "running"
    STOPPING = "stopping"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    STOPPED = "stopped"
    UNKNOWN = "unknown"

    @property
    def is_terminal(self) -> bool:
        """True once the job can no longer change."""
        return self in _TERMINAL

    @property
    def is_active(self) -> bool:
        """True while the job is queued, running or stopping."""
        return self in (JobState.QUEUED, JobState.RUNNING, JobState.STOPPING)


_TERMINAL = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.STOPPED})


@dataclass(frozen=True)
class Job:
    """One job of any family, normalised. `raw` keeps the wire dict as received."""

    family: Family
    id: str
    """The job id (32 hex for uno/AQuA, UUID for custom objects)."""
    kind: str
    """Backfill type, `object:operation` for custom objects, or the AQuA job name."""
    status: str
    """The raw status string exactly as the server sent it."""
    state: JobState
    """The normalised state; `UNKNOWN` for status strings ztui does not know."""
    progress: float | None = None
    """0..1 when the family reports it."""
    processed: int | None = None
    succeeded: int | None = None
    failed: int | None = None
    total: int | None = None
    created_at: datetime | None = None
    """Timezone-aware creation/upload time."""
    updated_at: datetime | None = None
    """Timezone-aware time of the last change the server reports."""
    message: str | None = None
    """`failureMessage`, `error.message` or AQuA `message`, when non-empty."""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    """The job JSON as received."""

    @property
    def key(self) -> tuple[Family, str]:
        """Identity across families: (family, id)."""
        return (self.family, self.id)


@dataclass(frozen=True)
class JobError:
    """One row-level error of a custom-object bulk job (`GET /objects/jobs/{id}/errors`)."""

    row: int | None
    """CSV row number; the header is row 1, so data starts at 2."""
    code: str
    message: str
    record: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class AquaBatch:
    """One query of an AQuA job."""

    batch_id: str | None
    name: str
    query: str
    status: str
    record_count: int | None
    file_id: str | None
    message: str | None
    segments: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------
# Parsing helpers. Every failure inside a parser becomes `MalformedResponse`; nothing else
# escapes, so callers can show "the server sent something unreadable" without a traceback.
# --------------------------------------------------------------------------------------


def _bad(what: str, detail: str) -> MalformedResponse:
    return MalformedResponse(f"Unreadable {what}: {detail}")


def _as_mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _bad(what, f"expected a JSON object, got {type(value).__name__}")
    return value


def _opt_str(d: Mapping[str, Any], key: str, what: str) -> str | None:
    value = d.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    # Ids and codes sometimes arrive as numbers (API doc §8 #13); accept plain integers.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _bad(what, f"field {key!r} should be text, got {type(value).__name__}")


def _req_id(d: Mapping[str, Any], keys: tuple[str, ...], what: str) -> str:
    for key in keys:
        value = _opt_str(d, key, what)
        if value:
            return value
    raise _bad(what, f"missing job id ({' or '.join(repr(k) for k in keys)})")


def _opt_int(d: Mapping[str, Any], key: str, what: str) -> int | None:
    value = d.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise _bad(what, f"field {key!r} should be a number, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    # AQuA `recordCount` is typed as a string by one source (API doc §8 #9).
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,18}\s*", value):
        return int(value)
    if isinstance(value, str) and not value.strip():
        return None
    raise _bad(what, f"field {key!r} should be an integer, got {value!r:.40}")


def _opt_number(d: Mapping[str, Any], key: str, what: str) -> float | None:
    value = d.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise _bad(what, f"field {key!r} should be a number, got a boolean")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise _bad(what, f"field {key!r} should be a number, got {value!r:.40}") from None
    else:
        raise _bad(what, f"field {key!r} should be a number, got {type(value).__name__}")
    if not math.isfinite(number):
        raise _bad(what, f"field {key!r} is not a finite number")
    return number


def _clamp01(value: float) -> float:
    return min(1.0, max(0.0, value))


def _ratio(part: int | None, whole: int | None) -> float | None:
    if part is None or whole is None or whole <= 0:
        return None
    return _clamp01(part / whole)


def _non_empty(text: str | None) -> str | None:
    return text if text and text.strip() else None


_ISO_OFFSET_NO_COLON = re.compile(r"([+-])(\d{2})(\d{2})$")
_EPOCH_MS = re.compile(r"-?\d{1,16}")
# Python's datetime covers years 1..9999; epoch-ms outside this range is unreadable.
_MAX_EPOCH_MS = 253_402_300_799_000


def parse_timestamp(value: object) -> datetime | None:
    """Turn any timestamp the job APIs send into a timezone-aware datetime.

    Accepted (API doc §2.9): epoch milliseconds as an integer or a digit string
    (`1699517693000`, `"1699517693000"`); ISO 8601 with or without milliseconds and zone
    (`2021-03-10T00:05:54.207Z`, `2021-03-15T06:47:18Z`), including offsets without a colon
    (`2023-12-14T16:03:26+0800`); and AQuA's `"2014-09-03 08:20:07"`. A value without a
    zone is taken as UTC (the AQuA zone is undocumented).

    Args:
        value: The JSON value: int, float, string or null.

    Returns:
        An aware datetime, or None for null or an empty string.

    Raises:
        MalformedResponse: The value is of the wrong type or cannot be read as a time.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise _bad("timestamp", "got a boolean")
    if isinstance(value, int | float):
        return _from_epoch_ms(float(value), value)
    if not isinstance(value, str):
        raise _bad("timestamp", f"expected text or a number, got {type(value).__name__}")
    text = value.strip()
    if not text:
        return None
    if _EPOCH_MS.fullmatch(text):
        return _from_epoch_ms(float(text), value)
    iso = text
    if iso.endswith(("Z", "z")):
        iso = iso[:-1] + "+00:00"
    iso = _ISO_OFFSET_NO_COLON.sub(r"\1\2:\3", iso)
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        raise _bad("timestamp", f"{value!r:.60} is not a known date-time format") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _from_epoch_ms(ms: float, original: object) -> datetime:
    if not math.isfinite(ms) or abs(ms) > _MAX_EPOCH_MS:
        raise _bad("timestamp", f"{original!r:.40} is out of range")
    try:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    except (OverflowError, ValueError):
        raise _bad("timestamp", f"{original!r:.40} is out of range") from None


def _ts(d: Mapping[str, Any], key: str, what: str) -> datetime | None:
    try:
        return parse_timestamp(d.get(key))
    except MalformedResponse as exc:
        raise _bad(what, f"field {key!r}: {exc.message}") from None


def _latest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


# Status tables, one per family (API doc §3-§7). Lookups are case-insensitive so that a
# casing change on the server doesn't turn known states into UNKNOWN; a string missing
# from the table (e.g. data-backfill "Accepted", booking "STOPPING") stays UNKNOWN.
DATA_BACKFILL_STATES: Mapping[str, JobState] = {
    "pending": JobState.QUEUED,
    "processing": JobState.RUNNING,
    "stopping": JobState.STOPPING,
    "completed": JobState.SUCCEEDED,
    "failed": JobState.FAILED,
    "canceled": JobState.CANCELLED,
    "stopped": JobState.STOPPED,
}
"""Data backfill `DataBackfillJobStatus` (title case on the wire)."""

BOOKING_DATE_STATES: Mapping[str, JobState] = {
    "accepted": JobState.QUEUED,
    "processing": JobState.RUNNING,
    "completed": JobState.SUCCEEDED,
    "failed": JobState.FAILED,
    "stopped": JobState.STOPPED,
}
"""Booking-date statuses (upper case on the wire); no STOPPING is documented."""

PROPAGATION_STATES: Mapping[str, JobState] = BOOKING_DATE_STATES
"""Auto-backfill statuses: undocumented, INFERRED to match booking-date (API doc §5)."""

CUSTOM_OBJECT_STATES: Mapping[str, JobState] = {
    "accepted": JobState.QUEUED,
    "pending": JobState.QUEUED,
    "in_progress": JobState.RUNNING,
    "completed": JobState.SUCCEEDED,
    "failed": JobState.FAILED,
    "cancelled": JobState.CANCELLED,
}
"""Custom-object bulk job statuses (`pending` waits for the file)."""

AQUA_STATES: Mapping[str, JobState] = {
    "submitted": JobState.QUEUED,
    "pending": JobState.QUEUED,
    "executing": JobState.RUNNING,
    "completed": JobState.SUCCEEDED,
    "error": JobState.FAILED,
    "aborted": JobState.FAILED,
    "cancelled": JobState.CANCELLED,
}
"""AQuA job statuses."""

STATE_TABLES: Mapping[Family, Mapping[str, JobState]] = {
    Family.DATA_BACKFILL: DATA_BACKFILL_STATES,
    Family.BOOKING_DATE: BOOKING_DATE_STATES,
    Family.PROPAGATION: PROPAGATION_STATES,
    Family.CUSTOM_OBJECT: CUSTOM_OBJECT_STATES,
    Family.AQUA: AQUA_STATES,
}
"""Status normalisation table per family."""

_AQUA_BATCH_DONE = frozenset({"completed", "aborted", "deleted_notallowed", "cancelled"})


def normalise_status(family: Family, status: str) -> JobState:
    """Map a family's raw status string to a `JobState` (`UNKNOWN` when not in the table)."""
    return STATE_TABLES[family].get(status.strip().lower(), JobState.UNKNOWN)


def _status(d: Mapping[str, Any], family: Family, what: str) -> tuple[str, JobState]:
    raw = _opt_str(d, "status", what)
    if raw is None:
        return "", JobState.UNKNOWN
    return raw, normalise_status(family, raw)


def parse_data_backfill_job(data: object) -> Job:
    """Parse a data backfill `Job` (API doc §3).

    `kind` is `importType` (get) or `type` (list). Progress is `completedPercentage / 100`,
    else `processedCount / totalCount`; counts are the row counters.

    Raises:
        MalformedResponse: Not an object, no id, or a field of the wrong type.
    """
    what = "data backfill job"
    d = _as_mapping(data, what)
    job_id = _req_id(d, ("id",), what)
    status, state = _status(d, Family.DATA_BACKFILL, what)
    kind = _opt_str(d, "importType", what) or _opt_str(d, "type", what) or "(unknown)"
    processed = _opt_int(d, "processedCount", what)
    total = _opt_int(d, "totalCount", what)
    percentage = _opt_number(d, "completedPercentage", what)
    progress = _clamp01(percentage / 100) if percentage is not None else _ratio(processed, total)
    uploaded = _ts(d, "uploadedOn", what)
    started = _ts(d, "startedProcessingOn", what)
    completed = _ts(d, "completedOn", what)
    return Job(
        family=Family.DATA_BACKFILL,
        id=job_id,
        kind=kind,
        status=status,
        state=state,
        progress=progress,
        processed=processed,
        succeeded=_opt_int(d, "successCount", what),
        failed=_opt_int(d, "failedCount", what),
        total=total,
        created_at=uploaded,
        updated_at=_latest(uploaded, started, completed),
        message=_non_empty(_opt_str(d, "failureMessage", what)),
        raw=d,
    )


def _parse_batch_job(data: object, family: Family, what: str, default_kind: str) -> Job:
    # Booking-date and propagation jobs share one shape (API doc §4, §5). Their only
    # counters are batches: processed = batchFinishedCount, total = batchSentCount,
    # failed = errorCount.
    d = _as_mapping(data, what)
    job_id = _req_id(d, ("id",), what)
    status, state = _status(d, family, what)
    kind = _opt_str(d, "type", what) or default_kind
    finished = _opt_int(d, "batchFinishedCount", what)
    sent = _opt_int(d, "batchSentCount", what)
    progress_text = _opt_str(d, "progress", what)
    progress: float | None = None
    if progress_text is not None and progress_text.strip():
        match = re.fullmatch(r"\s*(\d{1,3}(?:\.\d+)?)\s*%?\s*", progress_text)
        if match is None:
            raise _bad(
                what, f"field 'progress' should look like '12.50%', got {progress_text!r:.40}"
            )
        progress = _clamp01(float(match.group(1)) / 100)
    else:
        progress = _ratio(finished, sent)
    created = _ts(d, "createdOn", what) or _ts(d, "createdOnReadable", what)
    updated = _ts(d, "updatedOn", what) or _ts(d, "updatedOnReadable", what)
    message = _non_empty(_opt_str(d, "failureMessage", what)) or _non_empty(
        _opt_str(d, "message", what)
    )
    return Job(
        family=family,
        id=job_id,
        kind=kind,
        status=status,
        state=state,
        progress=progress,
        processed=finished,
        failed=_opt_int(d, "errorCount", what),
        total=sent,
        created_at=created,
        updated_at=updated,
        message=message,
        raw=d,
    )


def parse_booking_date_job(data: object) -> Job:
    """Parse a `BookingDateJob` (API doc §4); kind is `type` or "BookingDate".

    Progress is the `progress` percentage string, else finished / sent batches.

    Raises:
        MalformedResponse: Not an object, no id, or a field of the wrong type.
    """
    return _parse_batch_job(data, Family.BOOKING_DATE, "booking-date job", "BookingDate")


def parse_propagation_job(data: object) -> Job:
    """Parse an auto-backfill (propagation) job (API doc §5); kind is its `type`.

    Raises:
        MalformedResponse: Not an object, no id, or a field of the wrong type.
    """
    return _parse_batch_job(data, Family.PROPAGATION, "auto-backfill job", "(unknown)")


def parse_custom_object_job(data: object) -> Job:
    """Parse a custom-object bulk job (API doc §6).

    Kind is `"{object}:{operation}"` (the namespace stays in `raw`). Progress is unknown
    (None) until the job is terminal, then 1.0; `processed` is `recordsProcessed`.

    Raises:
        MalformedResponse: Not an object, no id, or a field of the wrong type.
    """
    what = "custom-object job"
    d = _as_mapping(data, what)
    job_id = _req_id(d, ("Id", "id"), what)
    status, state = _status(d, Family.CUSTOM_OBJECT, what)
    obj = _opt_str(d, "object", what) or "?"
    operation = _opt_str(d, "operation", what) or "?"
    message: str | None = None
    error = d.get("error")
    if error is not None:
        error_map = _as_mapping(error, f"{what} error")
        message = _non_empty(_opt_str(error_map, "message", what))
        code = _opt_str(error_map, "code", what)
        if message is None and code:
            message = f"error {code}"
    return Job(
        family=Family.CUSTOM_OBJECT,
        id=job_id,
        kind=f"{obj}:{operation}",
        status=status,
        state=state,
        progress=1.0 if state.is_terminal else None,
        processed=_opt_int(d, "recordsProcessed", what),
        created_at=_ts(d, "CreatedDate", what),
        updated_at=_ts(d, "UpdatedDate", what),
        message=message,
        raw=d,
    )


def parse_aqua_batches(data: object) -> list[AquaBatch]:
    """Parse the `batches` of an AQuA job JSON (API doc §7); a missing list gives [].

    Raises:
        MalformedResponse: The job or a batch is not an object, or has wrong field types.
    """
    what = "AQuA batch"
    d = _as_mapping(data, "AQuA job")
    batches = d.get("batches")
    if batches is None:
        return []
    if not isinstance(batches, list):
        raise _bad("AQuA job", "field 'batches' should be a list")
    result: list[AquaBatch] = []
    for item in batches:
        b = _as_mapping(item, what)
        segments_raw = b.get("segments")
        segments: tuple[str, ...] = ()
        if segments_raw is not None:
            if not isinstance(segments_raw, list) or not all(
                isinstance(s, str) for s in segments_raw
            ):
                raise _bad(what, "field 'segments' should be a list of file ids")
            segments = tuple(segments_raw)
        result.append(
            AquaBatch(
                batch_id=_opt_str(b, "batchId", what),
                name=_opt_str(b, "name", what) or "",
                query=_opt_str(b, "query", what) or "",
                status=_opt_str(b, "status", what) or "",
                record_count=_opt_int(b, "recordCount", what),
                file_id=_non_empty(_opt_str(b, "fileId", what)),
                message=_non_empty(_opt_str(b, "message", what)),
                segments=segments,
            )
        )
    return result


def parse_aqua_job(data: object) -> Job:
    """Parse an AQuA batch-query job (API doc §7).

    Kind is the job `name` or "(unnamed)". Progress and counts are in batches: processed =
    finished batches, total = all batches. `message` joins `message` and `errorCode`.

    Raises:
        MalformedResponse: Not an object, no id (a failed validation has a null id; the
            client reports that as an error before parsing), or wrong field types.
    """
    what = "AQuA job"
    d = _as_mapping(data, what)
    job_id = _req_id(d, ("id",), what)
    status, state = _status(d, Family.AQUA, what)
    batches = parse_aqua_batches(d)
    done = sum(1 for b in batches if b.status.strip().lower() in _AQUA_BATCH_DONE)
    text = _non_empty(_opt_str(d, "message", what))
    code = _non_empty(_opt_str(d, "errorCode", what))
    if text and code:
        message: str | None = f"{text} (error {code})"
    elif code:
        message = f"error {code}"
    else:
        message = text
    return Job(
        family=Family.AQUA,
        id=job_id,
        kind=_opt_str(d, "name", what) or "(unnamed)",
        status=status,
        state=state,
        progress=_ratio(done, len(batches)),
        processed=done if batches else None,
        total=len(batches) if batches else None,
        created_at=_ts(d, "startTime", what),
        message=message,
        raw=d,
    )


JOB_PARSERS: Mapping[Family, Callable[[object], Job]] = {
    Family.DATA_BACKFILL: parse_data_backfill_job,
    Family.BOOKING_DATE: parse_booking_date_job,
    Family.PROPAGATION: parse_propagation_job,
    Family.CUSTOM_OBJECT: parse_custom_object_job,
    Family.AQUA: parse_aqua_job,
}
"""The job parser of each family."""


def parse_job(family: Family, data: object) -> Job:
    """Parse one job JSON of `family` into a `Job`.

    Raises:
        MalformedResponse: The JSON cannot be read as a job of that family.
    """
    return JOB_PARSERS[family](data)


def parse_job_errors(data: object) -> list[JobError]:
    """Parse `GET /objects/jobs/{id}/errors` (`{"errors": [...]}`) into `JobError`s.

    Raises:
        MalformedResponse: The body or an entry is not an object, or has wrong types.
    """
    what = "custom-object job error"
    d = _as_mapping(data, "custom-object error list")
    errors = d.get("errors")
    if errors is None:
        return []
    if not isinstance(errors, list):
        raise _bad("custom-object error list", "field 'errors' should be a list")
    result: list[JobError] = []
    for item in errors:
        e = _as_mapping(item, what)
        record = e.get("record")
        result.append(
            JobError(
                row=_opt_int(e, "row", what),
                code=_opt_str(e, "code", what) or "",
                message=_opt_str(e, "message", what) or "",
                record=_as_mapping(record, f"{what} record") if record is not None else {},
            )
        )
    return result
