"""Provides the AQuA batch-query family: job and batch parsers, statuses, limits.

docs/zuora-api.md §7.

AQuA has no list call: its jobs are followed by id (those created from ztui, found in
the journal, or entered by hand).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Final

from ztui.api.models import HEX32_RE, AquaBatch, Family, Job, JobState
from ztui.api.parsing import (
    as_mapping,
    bad,
    non_empty,
    opt_int,
    opt_str,
    ratio,
    req_id,
    status_field,
    timestamp,
)
from ztui.families.base import (
    ActionKind,
    Calls,
    CreateFacts,
    DetailField,
    DetailLayout,
    FamilyDef,
    StopAction,
)

AQUA_FORMATS: Final = ("csv", "zip", "gzip")
"""AQuA result formats (docs/zuora-api.md §7)."""

AQUA_MAX_QUERIES: Final = 50
"""At most this many queries per AQuA job (docs/zuora-api.md §7, error 90004)."""

AQUA_STATES: Final[Mapping[str, JobState]] = {
    "submitted": JobState.QUEUED,
    "pending": JobState.QUEUED,
    "executing": JobState.RUNNING,
    "completed": JobState.SUCCEEDED,
    "error": JobState.FAILED,
    "aborted": JobState.FAILED,
    "cancelled": JobState.CANCELLED,
}
"""AQuA job statuses."""

_BATCH_DONE: Final = frozenset({"completed", "aborted", "deleted_notallowed", "cancelled"})


def parse_aqua_batches(data: object) -> list[AquaBatch]:
    """Parse the `batches` of an AQuA job JSON (docs/zuora-api.md §7); a missing list gives [].

    Raises:
        MalformedResponse: The job or a batch is not an object, or has wrong field types.
    """
    what = "AQuA batch"
    d = as_mapping(data, "AQuA job")
    batches = d.get("batches")
    if batches is None:
        return []
    if not isinstance(batches, list):
        raise bad("AQuA job", "field 'batches' should be a list")
    result: list[AquaBatch] = []
    for item in batches:
        b = as_mapping(item, what)
        segments_raw = b.get("segments")
        segments: tuple[str, ...] = ()
        if segments_raw is not None:
            if not isinstance(segments_raw, list) or not all(
                isinstance(s, str) for s in segments_raw
            ):
                raise bad(what, "field 'segments' should be a list of file ids")
            segments = tuple(segments_raw)
        result.append(
            AquaBatch(
                batch_id=opt_str(b, "batchId", what),
                name=opt_str(b, "name", what) or "",
                query=opt_str(b, "query", what) or "",
                status=opt_str(b, "status", what) or "",
                record_count=opt_int(b, "recordCount", what),
                file_id=non_empty(opt_str(b, "fileId", what)),
                message=non_empty(opt_str(b, "message", what)),
                segments=segments,
            )
        )
    return result


def parse_aqua_job(data: object) -> Job:
    """Parse an AQuA batch-query job (docs/zuora-api.md §7).

    Kind is the job `name` or "(unnamed)". Progress and counts are in batches: processed =
    finished batches, total = all batches. `message` joins `message` and `errorCode`.

    Raises:
        MalformedResponse: Not an object, no id (a failed validation has a null id; the
            client reports that as an error before parsing), or wrong field types.
    """
    what = "AQuA job"
    d = as_mapping(data, what)
    job_id = req_id(d, ("id",), what)
    status, state = status_field(d, AQUA_STATES, what)
    batches = parse_aqua_batches(d)
    done = sum(1 for b in batches if b.status.strip().lower() in _BATCH_DONE)
    text = non_empty(opt_str(d, "message", what))
    code = non_empty(opt_str(d, "errorCode", what))
    if text and code:
        message: str | None = f"{text} (error {code})"
    elif code:
        message = f"error {code}"
    else:
        message = text
    return Job(
        family=Family.AQUA,
        id=job_id,
        kind=sys.intern(opt_str(d, "name", what) or "(unnamed)"),
        status=status,
        state=state,
        progress=ratio(done, len(batches)),
        processed=done if batches else None,
        total=len(batches) if batches else None,
        created_at=timestamp(d, "startTime", what),
        message=message,
        raw=d,
    )


AQUA_FILE_TTL_S: Final = 72 * 3600.0
"""AQuA result files are purged 3 days after the job completes (docs/zuora-api.md §7)."""

AQUA_DETAIL: Final = DetailLayout(
    (
        DetailField("Name", ("name",)),
        DetailField("Localized status", ("localizedStatus",)),
        DetailField("Started", ("startTime",), "time"),
        DetailField("Version", ("version",)),
        DetailField("Format", ("format",)),
        DetailField("Encrypted", ("encrypted",)),
        DetailField("Source data", ("sourceData",)),
        DetailField("Partner / project", ("partner", "project")),
        DetailField("Offset", ("offset",)),
        DetailField("Use last queries", ("useLastCompletedJobQueries",)),
        DetailField("Notify URL", ("notifyUrl",)),
        DetailField("Error code", ("errorCode",)),
        DetailField("Message", ("message",)),
        # The other families show their own counters above; AQuA's come from the batches.
        DetailField("Batches done", kind="counts"),
    ),
    hidden=("batches",),
)
"""The detail screen's rows of an AQuA job (docs/zuora-api.md §7); its batches have a table."""

DEFINITION: Final = FamilyDef(
    family=Family.AQUA,
    noun="AQuA",
    states=AQUA_STATES,
    parse=parse_aqua_job,
    calls=Calls(
        get=lambda api, job_id: api.get_aqua_job(job_id),
        stop=lambda api, job_id: api.cancel_aqua_job(job_id),
    ),
    stop=StopAction(
        ActionKind.CANCEL, "Cancel", "DELETE", ("submitted", "executing"), returns_job=True
    ),
    create=CreateFacts(uses_idempotency_key=True),
    id_pattern=HEX32_RE,
    aliases=("batch-query",),
    # Unknown ids may come back as 400 with code 90002 rather than 404 (docs/zuora-api.md §7,
    # INFERRED).
    unknown_id_is_bad_request=True,
    parse_batches=parse_aqua_batches,
    detail=AQUA_DETAIL,
    result_ttl_s=AQUA_FILE_TTL_S,
)
"""The AQuA batch-query family."""
