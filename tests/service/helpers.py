"""Builders for jobs and snapshots used by the pure watcher tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from ztui.api.models import Family, Job, JobState
from ztui.service.snapshot import BudgetView, FamilyState, FamilyStatus, JobSnapshot

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def job(
    job_id: str,
    state: JobState = JobState.RUNNING,
    *,
    family: Family = Family.DATA_BACKFILL,
    minutes: float = 0,
    progress: float | None = None,
) -> Job:
    """A job created `minutes` after T0."""
    return Job(
        family=family,
        id=job_id,
        kind="RatePlanCharge",
        status=state.value,
        state=state,
        progress=progress,
        created_at=T0 + timedelta(minutes=minutes),
    )


def snap(
    jobs: Iterable[Job] = (),
    *,
    seq: int = 1,
    families: Iterable[Family] = (Family.DATA_BACKFILL,),
    state: FamilyState = "ok",
    loaded: bool = True,
    budget: BudgetView | None = None,
    polled_at: float = 1000.0,
    paused: bool = False,
    fatal: str | None = None,
    statuses: Iterable[FamilyStatus] = (),
) -> JobSnapshot:
    """A snapshot with every family in `families` at `state`."""
    fams = {f: FamilyStatus(f, state, as_of=polled_at if loaded else None) for f in families}
    for status in statuses:
        fams[status.family] = status
    return JobSnapshot(
        seq=seq,
        jobs={j.key: j for j in jobs},
        families=fams,
        budget=budget or BudgetView(),
        polled_at=polled_at,
        paused=paused,
        fatal=fatal,
    )
