"""Provides the custom-object bulk job family (docs/zuora-api.md §6).

Its parser and status table, the row-error parser, the list's page type and the
family's limits: page size, upload size and the five-job slot limit.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from ztui.api.models import UUID_RE, Family, Job, JobError, JobState
from ztui.api.parsing import (
    as_mapping,
    bad,
    non_empty,
    opt_int,
    opt_str,
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

CUSTOM_OBJECT_MAX_PAGE_SIZE: Final = 40
"""The SDK rejects larger pages; sources disagree above this (docs/zuora-api.md §6)."""

CUSTOM_OBJECT_MAX_BYTES: Final = 15 * 1024 * 1024
"""Upload limit for custom-object files (docs/zuora-api.md §6: "≤15 MB"; read as MiB)."""

CO_MAX_ACTIVE: Final = 5
"""Custom-object jobs a tenant may have accepted, pending or in progress (docs/zuora-api.md §6)."""

CO_ACTIVE_STATUSES: Final = frozenset({"accepted", "pending", "in_progress"})
"""Statuses that take one of the 5 custom-object slots."""

CO_SLOTS_FULL_CODE: Final = "71012560"
""""Service limit reached, please retry later." (docs/zuora-api.md §2.5B, §9 item 18)."""

CUSTOM_OBJECT_STATES: Final[Mapping[str, JobState]] = {
    "accepted": JobState.QUEUED,
    "pending": JobState.QUEUED,
    "in_progress": JobState.RUNNING,
    "completed": JobState.SUCCEEDED,
    "failed": JobState.FAILED,
    "cancelled": JobState.CANCELLED,
}
"""Custom-object bulk job statuses (`pending` waits for the file)."""


@dataclass(frozen=True)
class CustomObjectPage:
    """One page of `GET /objects/jobs`."""

    jobs: list[Job]
    """The jobs on this page, newest first."""
    cursor: str | None
    """The `Id` to pass as `cursor` for the next page (None on an empty page)."""
    count: int
    """The server's `count`: jobs on this page."""
    page_size: int
    """The `pageSize` that was sent."""

    @property
    def is_last(self) -> bool:
        """True when no further page can follow: an empty page, or no cursor.

        A page shorter than `page_size` is not the end: a tenant may cap its pages below
        what was asked (docs/tolerance.md rule 8; the end-of-list signal is UNDOCUMENTED,
        docs/zuora-api.md §6).
        """
        return not self.jobs or not self.cursor


def parse_custom_object_job(data: object) -> Job:
    """Parse a custom-object bulk job (docs/zuora-api.md §6).

    Kind is `"{object}:{operation}"` (the namespace stays in `raw`). Progress is unknown
    (None) until the job is terminal, then 1.0; `processed` is `recordsProcessed`.

    Raises:
        MalformedResponse: Not an object, no id, or a field of the wrong type.
    """
    what = "custom-object job"
    d = as_mapping(data, what)
    job_id = req_id(d, ("Id", "id"), what)
    status, state = status_field(d, CUSTOM_OBJECT_STATES, what)
    obj = opt_str(d, "object", what) or "?"
    operation = opt_str(d, "operation", what) or "?"
    message: str | None = None
    error = d.get("error")
    if isinstance(error, str):
        # A plain string is taken as the message, with no code (docs/tolerance.md rule 4).
        message = non_empty(error)
    elif error is not None:
        error_map = as_mapping(error, f"{what} error")
        message = non_empty(opt_str(error_map, "message", what))
        code = opt_str(error_map, "code", what)
        if message is None and code:
            message = f"error {code}"
    return Job(
        family=Family.CUSTOM_OBJECT,
        id=job_id,
        kind=sys.intern(f"{obj}:{operation}"),
        status=status,
        state=state,
        progress=1.0 if state.is_terminal else None,
        processed=opt_int(d, "recordsProcessed", what),
        created_at=timestamp(d, "CreatedDate", what),
        updated_at=timestamp(d, "UpdatedDate", what),
        message=message,
        raw=d,
    )


def parse_job_errors(data: object) -> list[JobError]:
    """Parse `GET /objects/jobs/{id}/errors` (`{"errors": [...]}`) into `JobError`s.

    Raises:
        MalformedResponse: The body or an entry is not an object, or has wrong types.
    """
    what = "custom-object job error"
    d = as_mapping(data, "custom-object error list")
    errors = d.get("errors")
    if errors is None:
        return []
    if not isinstance(errors, list):
        raise bad("custom-object error list", "field 'errors' should be a list")
    result: list[JobError] = []
    for item in errors:
        e = as_mapping(item, what)
        record = e.get("record")
        result.append(
            JobError(
                row=opt_int(e, "row", what),
                code=opt_str(e, "code", what) or "",
                message=opt_str(e, "message", what) or "",
                record=as_mapping(record, f"{what} record") if record is not None else {},
            )
        )
    return result


CUSTOM_OBJECT_DETAIL: Final = DetailLayout(
    (
        DetailField("Object", ("object",)),
        DetailField("Namespace", ("namespace",)),
        DetailField("Operation", ("operation",)),
        DetailField("Records processed", ("recordsProcessed",)),
        DetailField("Processing time", ("processingTime",), "milliseconds"),
        DetailField("Created", ("CreatedDate",), "time"),
        DetailField("Created by", ("CreatedById",)),
        DetailField("Updated", ("UpdatedDate",), "time"),
        DetailField("Updated by", ("UpdatedById",)),
        DetailField("Error", ("error",), "error"),
    )
)
"""The detail screen's rows of a custom-object bulk job (docs/zuora-api.md §6)."""

DEFINITION: Final = FamilyDef(
    family=Family.CUSTOM_OBJECT,
    noun="custom object",
    states=CUSTOM_OBJECT_STATES,
    parse=parse_custom_object_job,
    calls=Calls(
        get=lambda api, job_id: api.get_custom_object_job(job_id),
        stop=lambda api, job_id: api.cancel_custom_object_job(job_id),
        list_all=lambda api, pages: api.list_all_custom_object_jobs(max_pages=pages),
        page=lambda api, size, cursor: api.list_custom_object_jobs(page_size=size, cursor=cursor),
        row_errors=lambda api, job_id: api.list_custom_object_errors(job_id),
        row_errors_raw=lambda api, job_id: api.get_custom_object_errors_raw(job_id),
    ),
    stop=StopAction(
        ActionKind.CANCEL, "Cancel", "PATCH …/cancel", ("accepted", "pending"), returns_job=True
    ),
    create=CreateFacts(
        max_file_bytes=CUSTOM_OBJECT_MAX_BYTES,
        uses_idempotency_key=True,
        max_active=CO_MAX_ACTIVE,
        active_statuses=CO_ACTIVE_STATUSES,
        slots_full_code=CO_SLOTS_FULL_CODE,
    ),
    id_pattern=UUID_RE,
    aliases=("co", "custom-objects", "custom_objects"),
    detail=CUSTOM_OBJECT_DETAIL,
)
"""The custom-object bulk job family."""
