"""Provides the data backfill family: parser, statuses, constants, definition.

docs/zuora-api.md §3.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Final

from ztui.api.models import HEX32_RE, Family, Job, JobState
from ztui.api.parsing import (
    as_mapping,
    clamp01,
    latest,
    non_empty,
    opt_int,
    opt_number,
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
    ResultFile,
    StopAction,
)

DATA_BACKFILL_TYPES: Final = (
    "ProductRatePlanCharge",
    "RatePlanCharge",
    "InvoiceDetail",
    "MemoDetail",
    "InvoiceItemAdjustment",
)
"""The documented data backfill `JobType` values (docs/zuora-api.md §3)."""

DATA_BACKFILL_MAX_BYTES: Final = 4 * 1024 * 1024
"""Upload limit for data backfill files (docs/zuora-api.md §3: "≤4 MB"; read as MiB)."""

DATA_BACKFILL_STATES: Final[Mapping[str, JobState]] = {
    "pending": JobState.QUEUED,
    "processing": JobState.RUNNING,
    "stopping": JobState.STOPPING,
    "completed": JobState.SUCCEEDED,
    "failed": JobState.FAILED,
    "canceled": JobState.CANCELLED,
    "stopped": JobState.STOPPED,
}
"""Data backfill `DataBackfillJobStatus` (title case on the wire; "Accepted" is not one)."""


def parse_data_backfill_job(data: object) -> Job:
    """Parse a data backfill `Job` (docs/zuora-api.md §3).

    `kind` is `importType` (get) or `type` (list). Progress is `completedPercentage / 100`,
    else `processedCount / totalCount`; counts are the row counters.

    Raises:
        MalformedResponse: Not an object, no id, or a field of the wrong type.
    """
    what = "data backfill job"
    d = as_mapping(data, what)
    job_id = req_id(d, ("id",), what)
    status, state = status_field(d, DATA_BACKFILL_STATES, what)
    kind = sys.intern(opt_str(d, "importType", what) or opt_str(d, "type", what) or "(unknown)")
    processed = opt_int(d, "processedCount", what)
    total = opt_int(d, "totalCount", what)
    percentage = opt_number(d, "completedPercentage", what)
    progress = clamp01(percentage / 100) if percentage is not None else ratio(processed, total)
    uploaded = timestamp(d, "uploadedOn", what)
    started = timestamp(d, "startedProcessingOn", what)
    completed = timestamp(d, "completedOn", what)
    return Job(
        family=Family.DATA_BACKFILL,
        id=job_id,
        kind=kind,
        status=status,
        state=state,
        progress=progress,
        processed=processed,
        succeeded=opt_int(d, "successCount", what),
        failed=opt_int(d, "failedCount", what),
        total=total,
        created_at=uploaded,
        updated_at=latest(uploaded, started, completed),
        message=non_empty(opt_str(d, "failureMessage", what)),
        raw=d,
    )


DATA_BACKFILL_DETAIL: Final = DetailLayout(
    (
        DetailField("Type", ("importType", "type")),
        DetailField("Completed", ("completedPercentage",), suffix=" %"),
        DetailField("Total rows", ("totalCount",)),
        DetailField("Processed", ("processedCount",)),
        DetailField("Succeeded", ("successCount",)),
        DetailField("Failed", ("failedCount",)),
        DetailField("Remaining", ("remainingTimeText", "remainingTime")),
        DetailField("Uploaded", ("uploadedOn",), "time"),
        DetailField("Started", ("startedProcessingOn",), "time"),
        DetailField("Completed on", ("completedOn",), "time"),
        DetailField("Uploaded by", ("uploadedBy",)),
        DetailField("Uploaded file", ("uploadedFileName", "uploadedFileId")),
        DetailField("Uploaded size", ("uploadedFileSize", "inputFileSize")),
        DetailField("Uploaded file URL", ("uploadedFileUrl",)),
        DetailField("Result file", ("resultFileName", "resultFileId")),
        DetailField("Result file URL", ("resultFileUrl",)),
        DetailField("Output", ("outputSize", "outputType", "outputFileSize")),
        DetailField("Failure message", ("failureMessage",)),
    )
)
"""The detail screen's rows of a data backfill job (docs/zuora-api.md §3)."""

DEFINITION: Final = FamilyDef(
    family=Family.DATA_BACKFILL,
    noun="data backfill",
    states=DATA_BACKFILL_STATES,
    parse=parse_data_backfill_job,
    calls=Calls(
        get=lambda api, job_id: api.get_data_backfill_job(job_id),
        stop=lambda api, job_id: api.stop_data_backfill_job(job_id),
        list_all=lambda api, _pages: api.list_data_backfill_jobs(),
    ),
    stop=StopAction(
        ActionKind.STOP,
        "Stop",
        'PUT {"status":"Stopping"}',
        ("pending", "processing"),
        status_after="Stopping",
    ),
    create=CreateFacts(
        job_types=DATA_BACKFILL_TYPES,
        max_file_bytes=DATA_BACKFILL_MAX_BYTES,
        # docs/zuora-api.md §3: a '#' column is a read-only reference column.
        reference_prefix="#",
    ),
    id_pattern=HEX32_RE,
    aliases=("backfill", "databackfill"),
    detail=DATA_BACKFILL_DETAIL,
    result_file=ResultFile("resultFileId", "resultFileName"),
)
"""The data backfill family."""
