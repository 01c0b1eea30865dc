"""Provides the booking-date backfill family (docs/zuora-api.md §4), and the job shape it shares.

Booking-date and auto-backfill jobs come in one shape (docs/zuora-api.md §4, §5); `parse_batch_job`
reads it for both.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Final

from ztui.api.models import HEX32_RE, Family, Job, JobState
from ztui.api.parsing import (
    as_mapping,
    clamp01,
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
    StopAction,
)

BOOKING_DATE_STATES: Final[Mapping[str, JobState]] = {
    "accepted": JobState.QUEUED,
    "processing": JobState.RUNNING,
    "completed": JobState.SUCCEEDED,
    "failed": JobState.FAILED,
    "stopped": JobState.STOPPED,
}
"""Booking-date statuses (upper case on the wire); no STOPPING is documented."""

UNO_STOP: Final = StopAction(
    ActionKind.STOP, "Stop", 'PUT {"status":"Stopping"}', ("accepted", "processing")
)
"""The stop of booking-date and auto-backfill jobs."""

UNO_DETAIL: Final = DetailLayout(
    (
        DetailField("Type", ("type",)),
        DetailField("Progress (server)", ("progress",)),
        DetailField("Batches sent", ("batchSentCount",)),
        DetailField("Batches finished", ("batchFinishedCount",)),
        DetailField("Errors", ("errorCount",)),
        DetailField("Created", ("createdOn", "createdOnReadable"), "time"),
        DetailField("Updated", ("updatedOn", "updatedOnReadable"), "time"),
        DetailField("Updated by", ("updatedByUsername",)),
        DetailField("Failure message", ("failureMessage", "message")),
    )
)
"""The detail screen's rows of booking-date and auto-backfill jobs (docs/zuora-api.md §4-§5)."""


def parse_batch_job(
    data: object,
    family: Family,
    states: Mapping[str, JobState],
    what: str,
    default_kind: str,
) -> Job:
    """Parse a booking-date or auto-backfill job.

    Their only counters are batches: processed = `batchFinishedCount`, total =
    `batchSentCount`, failed = `errorCount`. Progress is the `progress` percentage (text
    such as `"12.50%"`, or a number), else finished / sent batches.

    Args:
        data: The job JSON.
        family: The family the job belongs to.
        states: The family's status table.
        what: The job's name in error messages.
        default_kind: The kind when the job has no `type`.

    Raises:
        MalformedResponse: Not an object, no id, or a field of the wrong type.
    """
    d = as_mapping(data, what)
    job_id = req_id(d, ("id",), what)
    status, state = status_field(d, states, what)
    kind = sys.intern(opt_str(d, "type", what) or default_kind)
    finished = opt_int(d, "batchFinishedCount", what)
    sent = opt_int(d, "batchSentCount", what)
    # `progress` is "100.00%" in the sources, a number on some tenants (docs/tolerance.md
    # rule 3): either way a percentage.
    percent = opt_number(d, "progress", what)
    progress = clamp01(percent / 100) if percent is not None else ratio(finished, sent)
    created = timestamp(d, "createdOn", what) or timestamp(d, "createdOnReadable", what)
    updated = timestamp(d, "updatedOn", what) or timestamp(d, "updatedOnReadable", what)
    message = non_empty(opt_str(d, "failureMessage", what)) or non_empty(
        opt_str(d, "message", what)
    )
    return Job(
        family=family,
        id=job_id,
        kind=kind,
        status=status,
        state=state,
        progress=progress,
        processed=finished,
        failed=opt_int(d, "errorCount", what),
        total=sent,
        created_at=created,
        updated_at=updated,
        message=message,
        raw=d,
    )


def parse_booking_date_job(data: object) -> Job:
    """Parse a `BookingDateJob` (docs/zuora-api.md §4); kind is `type` or "BookingDate".

    Raises:
        MalformedResponse: Not an object, no id, or a field of the wrong type.
    """
    return parse_batch_job(
        data, Family.BOOKING_DATE, BOOKING_DATE_STATES, "booking-date job", "BookingDate"
    )


DEFINITION: Final = FamilyDef(
    family=Family.BOOKING_DATE,
    noun="booking date",
    states=BOOKING_DATE_STATES,
    parse=parse_booking_date_job,
    calls=Calls(
        get=lambda api, job_id: api.get_booking_date_job(job_id),
        stop=lambda api, job_id: api.stop_booking_date_job(job_id),
        list_all=lambda api, _pages: api.list_booking_date_jobs(),
    ),
    stop=UNO_STOP,
    create=CreateFacts(),
    id_pattern=HEX32_RE,
    aliases=("booking", "bookingdate"),
    detail=UNO_DETAIL,
)
"""The booking-date backfill family."""
