"""Provides the simulator's real-tenant mode: answers as untidy as the sources allow.

By default the simulator sends exactly the types the SDK models declare (strict). With
`SimConfig.quirks` on (`ztui sim --quirks`, `ztui --demo --sim-quirks`, or
`POST /_sim/config {"quirks": true}`) it also sends every variant a real tenant may send
(docs/tolerance.md lists each with its source):

- some jobs carry numbers as text and text as numbers (counts, percentages, booking
  `progress` as a JSON number), `error` as a plain string, and timestamps in the other
  forms the sources show or allow (epoch ms as number or string, ISO 8601 without zone
  or fraction, `YYYY-MM-DD HH:MM:SS`, the readable US form `Nov 9, 2023 8:14 AM`);
- each listed family holds one entry no client can read as a job;
- `GET /v1/uno/data-backfill/listjobs` answers 405 (only the `date-` spelling works);
- custom-object pages hold at most 20 jobs whatever `pageSize` asks;
- 429 answers carry `RateLimit-Reset` but no `Retry-After`;
- `Zuora-Entity-Ids` holding more than one id is refused with 400;
- uno refusals (a stop of a finished job, an unknown job) use the v1
  `{"Success": false, "Errors": [...]}` body;
- cancelling an AQuA job that has just finished answers 200 with the job and an
  `errorCode`; AQuA result files may be split into `segments`; AQuA `version` 1.2 is
  accepted.

Every choice is made from the job id, so the same job looks the same on every poll.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import Any

CO_PAGE_CAP = 20
"""The most jobs a custom-object page holds in real-tenant mode."""

AQUA_JUST_FINISHED_S = 600.0
"""A DELETE this soon after an AQuA job ended answers 200 with an `errorCode`."""

UNREADABLE_BOOKING_ID = "ff80808100000000000000000000bad1"
"""The id of the booking-date entry whose counters cannot be read."""
UNREADABLE_CO_ID = "00000000-0000-4000-8000-00000000bad2"
"""The id of the custom-object entry whose status cannot be read."""

UNREADABLE: dict[str, Any] = {
    # No id at all: a client can show it only as "an unreadable job".
    "data_backfill": {
        "importType": "RatePlanCharge",
        "status": "Completed",
        "uploadedFileName": "legacy-import.csv",
        "uploadedOn": "yesterday",
    },
    # An id, but a counter no one can read as a number.
    "booking_date": {
        "id": UNREADABLE_BOOKING_ID,
        "status": "COMPLETED",
        "batchSentCount": {"value": 12},
        "type": "BookingDate",
    },
    # Not even an object.
    "propagation": ["RatePlanCharge", "COMPLETED"],
    "custom_object": {
        "Id": UNREADABLE_CO_ID,
        "status": ["completed"],
        "object": "vehicle",
        "operation": "create",
        "namespace": "default",
    },
}
"""The one entry per listed family that cannot be read as a job."""


def bucket(job_id: object, n: int) -> int:
    """A stable choice in `0..n-1` for a job id (the same on every poll and run)."""
    return zlib.crc32(str(job_id).encode("utf-8")) % n


def _dt(ms: float) -> datetime:
    return datetime.fromtimestamp(ms / 1000.0, UTC)


def readable_us(ms: float) -> str:
    """`Nov 9, 2023 8:14 AM` (no zone, no leading zeros)."""
    t = _dt(ms)
    hour = t.hour % 12 or 12
    return f"{t:%b} {t.day}, {t.year} {hour}:{t:%M} {'AM' if t.hour < 12 else 'PM'}"


def iso_no_zone(ms: float) -> str:
    """`2023-11-09T08:14:53` (ISO 8601 without zone or fraction)."""
    return _dt(ms).strftime("%Y-%m-%dT%H:%M:%S")


def space_form(ms: float) -> str:
    """`2023-11-09 08:14:53` (the AQuA `startTime` form)."""
    return _dt(ms).strftime("%Y-%m-%d %H:%M:%S")


def _epoch_ms(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.isdigit():
        return float(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp() * 1000.0
    return None


def _retime(d: dict[str, Any], keys: tuple[str, ...], form: int) -> None:
    for key in keys:
        ms = _epoch_ms(d.get(key))
        if ms is None:
            continue
        if form == 0:
            d[key] = readable_us(ms)
        elif form == 1:
            d[key] = iso_no_zone(ms)
        elif form == 2:
            d[key] = space_form(ms)
        else:
            d[key] = int(ms)


def _as_text(d: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        if isinstance(d.get(key), int | float) and not isinstance(d.get(key), bool):
            d[key] = str(d[key])


def _as_float(d: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        if isinstance(d.get(key), int) and not isinstance(d.get(key), bool):
            d[key] = float(d[key])


_DB_TIMES = ("uploadedOn", "startedProcessingOn", "completedOn")
_DB_COUNTS = ("totalCount", "processedCount", "successCount", "failedCount")


def data_backfill(d: dict[str, Any]) -> dict[str, Any]:
    """A data-backfill job as an untidy tenant may send it."""
    choice = bucket(d.get("id"), 5)
    if choice == 0:
        return d
    d = dict(d)
    _retime(d, _DB_TIMES, choice - 1)
    if choice in (1, 3):
        _as_text(d, (*_DB_COUNTS, "completedPercentage", "inputFileSize"))
    else:
        _as_float(d, (*_DB_COUNTS, "completedPercentage"))
    return d


def batch_job(d: dict[str, Any]) -> dict[str, Any]:
    """A booking-date or auto-backfill job as an untidy tenant may send it."""
    choice = bucket(d.get("id"), 4)
    if choice == 0:
        return d
    d = dict(d)
    if choice == 1:
        # `progress` as a JSON number, timestamps as epoch-ms text.
        text = str(d.get("progress", "")).rstrip("%")
        try:
            d["progress"] = float(text)
        except ValueError:
            pass
        _as_text(d, ("createdOn", "updatedOn"))
    elif choice == 2:
        _as_text(d, ("batchSentCount", "batchFinishedCount", "errorCount"))
        _retime(d, ("updatedOn",), 1)
    else:
        _retime(d, ("createdOn", "updatedOn"), 0)
        d.pop("createdOnReadable", None)
    return d


def custom_object(d: dict[str, Any]) -> dict[str, Any]:
    """A custom-object job as an untidy tenant may send it (`error` as plain text)."""
    d = dict(d)
    error = d.get("error")
    if isinstance(error, dict):
        d["error"] = str(error.get("message") or error.get("code") or "failed")
    choice = bucket(d.get("Id"), 3)
    if choice == 1:
        _retime(d, ("CreatedDate", "UpdatedDate"), 1)
        _as_text(d, ("recordsProcessed", "processingTime"))
    elif choice == 2:
        _retime(d, ("UpdatedDate",), 2)
    return d


def aqua(d: dict[str, Any]) -> dict[str, Any]:
    """An AQuA job as an untidy tenant may send it (`version` as a number, counts as text)."""
    if bucket(d.get("id"), 3) != 1:
        return d
    d = dict(d)
    try:
        d["version"] = float(d["version"])
    except (KeyError, TypeError, ValueError):
        pass
    d["batches"] = [
        {**b, "recordCount": str(b["recordCount"])} if "recordCount" in b else b
        for b in d.get("batches", [])
    ]
    return d


def v1_error(code: str | int, message: str) -> dict[str, Any]:
    """The older v1 error body: `{"Success": false, "Errors": [{"Code", "Message"}]}`."""
    return {"Success": False, "Errors": [{"Code": str(code), "Message": message}]}


def segment_count(batch_id: str) -> int:
    """How many segment files a completed batch's result is split into (1 = no split)."""
    return (1, 2, 3)[bucket(batch_id, 3)]
