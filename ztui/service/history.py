"""Provides `StatusHistory`: the status transitions of every job, as ztui observed them.

The API keeps no history of a job's statuses. The app feeds every snapshot it stores to
its one `StatusHistory`, so the detail screen's timeline covers the whole run (and AQuA's
completion time, which the API lacks, can be the moment ztui saw the job finish).
UI-free.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ztui.api.models import Family, JobState

if TYPE_CHECKING:
    from ztui.service.snapshot import JobSnapshot

HISTORY_LIMIT: Final = 50
"""Status transitions kept per job."""


@dataclass(frozen=True)
class StatusChange:
    """One status ztui observed for a job."""

    at: float
    """Wall-clock epoch seconds of the snapshot (or response) that showed it."""
    status: str
    """The raw status."""
    state: JobState
    """The normalised state."""


class StatusHistory:
    """The status transitions of every job, as ztui observed them while watching."""

    def __init__(self) -> None:
        """Start with no history."""
        self._changes: dict[tuple[Family, str], list[StatusChange]] = {}

    def observe(self, snapshot: JobSnapshot | None, now: float) -> None:
        """Record the jobs whose status differs from the last one seen."""
        if snapshot is None:
            return
        # The app's wall clock, not `polled_at`: every time on screen comes from one clock
        # (tests freeze it).
        at = now
        for key, job in snapshot.jobs.items():
            self.record(key, job.status, job.state, at)

    def record(self, key: tuple[Family, str], status: str, state: JobState, at: float) -> None:
        """Record one observed status (ignored when it is the same as the last)."""
        changes = self._changes.setdefault(key, [])
        if changes and changes[-1].status == status:
            return
        changes.append(StatusChange(at=at, status=status, state=state))
        del changes[:-HISTORY_LIMIT]

    def of(self, key: tuple[Family, str]) -> tuple[StatusChange, ...]:
        """The observed statuses of one job, oldest first."""
        return tuple(self._changes.get(key, ()))
