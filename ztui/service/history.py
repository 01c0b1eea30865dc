"""Provides `StatusHistory`: the status transitions of every job, as ztui observed them.

The API keeps no history of a job's statuses. The app feeds every snapshot it stores to
its one `StatusHistory`, so the detail screen's timeline covers the whole run (and AQuA's
completion time, which the API lacks, can be the moment ztui saw the job finish).
UI-free.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from ztui.api.models import Family, Job, JobState

if TYPE_CHECKING:
    from ztui.service.snapshot import JobSnapshot

HISTORY_LIMIT: Final = 50
"""Status transitions kept per job."""


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One status ztui observed for a job."""

    at: float
    """Wall-clock epoch seconds of the snapshot (or response) that showed it."""
    status: str
    """The raw status."""
    state: JobState
    """The normalised state."""


_NOTHING: Final[Mapping[tuple[Family, str], Job]] = MappingProxyType({})


class StatusHistory:
    """The status transitions of every job, as ztui observed them while watching.

    Most jobs are seen in one status only (they ended before ztui started): those keep
    one `StatusChange`, not a list of them. A snapshot's job that is the very object of
    the last snapshot observed has not changed, so it is not looked at again.
    """

    def __init__(self) -> None:
        """Start with no history."""
        self._changes: dict[tuple[Family, str], StatusChange | list[StatusChange]] = {}
        self._last: Mapping[tuple[Family, str], Job] = _NOTHING

    def observe(self, snapshot: JobSnapshot | None, now: float) -> None:
        """Record the jobs whose status differs from the last one seen."""
        if snapshot is None:
            return
        # The app's wall clock, not `polled_at`: every time on screen comes from one clock
        # (tests freeze it).
        at = now
        last = self._last
        for key, job in snapshot.jobs.items():
            if last.get(key) is not job:
                self.record(key, job.status, job.state, at)
        self._last = snapshot.jobs

    def record(self, key: tuple[Family, str], status: str, state: JobState, at: float) -> None:
        """Record one observed status (ignored when it is the same as the last)."""
        entry = self._changes.get(key)
        if entry is None:
            self._changes[key] = StatusChange(at=at, status=status, state=state)
            return
        if isinstance(entry, StatusChange):
            if entry.status != status:
                self._changes[key] = [entry, StatusChange(at=at, status=status, state=state)]
            return
        if entry[-1].status == status:
            return
        entry.append(StatusChange(at=at, status=status, state=state))
        del entry[:-HISTORY_LIMIT]

    def of(self, key: tuple[Family, str]) -> tuple[StatusChange, ...]:
        """The observed statuses of one job, oldest first."""
        entry = self._changes.get(key)
        if entry is None:
            return ()
        return (entry,) if isinstance(entry, StatusChange) else tuple(entry)
