"""Provides the auto-backfill ("propagation") family (docs/zuora-api.md §5).

Only the create call is in every source; list, get and stop exist on newer tenants
only, so the family's list is optional (a tenant without it is skipped quietly).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Final

from ztui.api.models import HEX32_RE, Family, Job, JobState
from ztui.families.base import Calls, CreateFacts, FamilyDef
from ztui.families.booking_date import BOOKING_DATE_STATES, UNO_DETAIL, UNO_STOP, parse_batch_job

PROPAGATION_TYPES: Final = ("RatePlanCharge", "OrderLineItem")
"""The documented auto-backfill `type` values (docs/zuora-api.md §5)."""

PROPAGATION_MAX_BATCH_SIZE: Final = 1000
"""The largest (and default) `batchSize` (docs/zuora-api.md §5: 1-1000)."""

PROPAGATION_STATES: Final[Mapping[str, JobState]] = BOOKING_DATE_STATES
"""Auto-backfill statuses: undocumented, INFERRED to match booking-date (docs/zuora-api.md §5)."""


def parse_propagation_job(data: object) -> Job:
    """Parse an auto-backfill (propagation) job (docs/zuora-api.md §5); kind is its `type`.

    Raises:
        MalformedResponse: Not an object, no id, or a field of the wrong type.
    """
    job = parse_batch_job(
        data, Family.PROPAGATION, PROPAGATION_STATES, "auto-backfill job", "(unknown)"
    )
    # Whether the job echoes `dryRun` is undocumented (docs/zuora-api.md §5): read it when
    # it is a boolean (or its spelling as text), and leave it unknown otherwise.
    flag = job.raw.get("dryRun")
    if isinstance(flag, str):
        flag = {"true": True, "false": False}.get(flag.strip().lower())
    if isinstance(flag, bool):
        return dataclasses.replace(job, dry_run=flag)
    return job


DEFINITION: Final = FamilyDef(
    family=Family.PROPAGATION,
    noun="auto-backfill",
    states=PROPAGATION_STATES,
    parse=parse_propagation_job,
    calls=Calls(
        get=lambda api, job_id: api.get_propagation_job(job_id),
        stop=lambda api, job_id: api.stop_propagation_job(job_id),
        list_all=lambda api, _pages: api.list_propagation_jobs(),
    ),
    stop=UNO_STOP,
    create=CreateFacts(job_types=PROPAGATION_TYPES, uses_idempotency_key=True),
    id_pattern=HEX32_RE,
    aliases=("auto-backfill", "auto_backfill", "autobackfill"),
    list_optional=True,
    detail=UNO_DETAIL,
)
"""The auto-backfill family."""
