"""Provides the immutable snapshot a poll yields: jobs, per-family status and budget.

A `JobSnapshot` is whole state, never a delta: the app may drop an unprocessed older
snapshot in favour of a newer one, so each must make sense on its own. Receivers diff
against what they last showed (`ztui.service.diff`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from ztui.api.models import Family, Job, JobState

FamilyState = Literal[
    "ok", "stale", "error", "rate_limited", "auth_error", "unsupported", "pending"
]
"""Where a family's data stands.

- `ok`: the last poll of this family succeeded (some of its jobs may still have been
  unreadable: `FamilyStatus.unreadable` counts them).
- `stale`: the last poll failed transiently (5xx, timeout, dropped connection); the jobs
  shown are those of `as_of`, and the next polls recover by themselves.
- `error`: the last poll got an answer that asking again at once would not change (one
  ztui cannot read, or a 4xx refusal); the jobs shown are those of `as_of`. It is reported
  once and not hurried: the next poll comes at the usual pace (docs/tolerance.md rule 2).
- `rate_limited`: the last poll got HTTP 429; polling resumes at `retry_at`.
- `auth_error`: credentials or permissions were refused; this family is no longer polled.
- `unsupported`: the tenant does not offer a list for this family (propagation 404).
- `pending`: not polled yet.
"""

_STALE_STATES = frozenset({"stale", "rate_limited"})


@dataclass(frozen=True)
class FamilyStatus:
    """How fresh one family's jobs are, and why not when they aren't."""

    family: Family
    """The family this status describes."""
    state: FamilyState = "pending"
    """See `FamilyState`."""
    as_of: float | None = None
    """Epoch seconds of the last good data for this family; None until the first."""
    error: str | None = None
    """One line saying what went wrong on the last poll, fit to show; None when fine."""
    retry_at: float | None = None
    """Epoch seconds before which this family should not be polled again (429)."""
    unreadable: int = 0
    """Job objects of the last good answer that could not be read (shown as their own
    rows, in the `UNREADABLE` state)."""
    warning: str | None = None
    """Something odd the server did that did not stop the poll (a repeated paging
    cursor), in one line; None when there was nothing."""
    truncated: int | None = None
    """Set when the page limit (`PollSettings.co_max_pages`) cut the family's list short:
    how many of its jobs were read. Older ones were not, and the list says no total
    (docs/zuora-api.md §6). None once a walk reached the end of the list."""

    @property
    def is_stale(self) -> bool:
        """True when the family's jobs may be out of date because the last poll failed."""
        return self.state in _STALE_STATES


@dataclass(frozen=True)
class BudgetView:
    """The rate-limit budget as the last response reported it, plus our own usage."""

    limit: int | None = None
    """Requests allowed in the window closest to exhaustion (`RateLimit-Limit`)."""
    remaining: int | None = None
    """Requests left in that window (`RateLimit-Remaining`)."""
    reset_at: float | None = None
    """Epoch seconds when that window resets (from `RateLimit-Reset`)."""
    calls_made: int = 0
    """HTTP requests this client has sent, token calls included."""
    calls_per_day_projection: float | None = None
    """Calls per day if polling carries on as it does now; None until measurable."""
    calls_per_poll: float | None = None
    """Average HTTP calls one poll cost lately; None until measurable."""

    @property
    def fraction_remaining(self) -> float | None:
        """`remaining / limit` in 0..1, or None when the server did not say."""
        if self.limit is None or self.remaining is None or self.limit <= 0:
            return None
        return max(0.0, min(1.0, self.remaining / self.limit))


def _freeze_jobs(jobs: Mapping[tuple[Family, str], Job]) -> Mapping[tuple[Family, str], Job]:
    return jobs if isinstance(jobs, MappingProxyType) else MappingProxyType(dict(jobs))


def _freeze_families(
    families: Mapping[Family, FamilyStatus],
) -> Mapping[Family, FamilyStatus]:
    return families if isinstance(families, MappingProxyType) else MappingProxyType(dict(families))


@dataclass(frozen=True)
class JobSnapshot:
    """Everything the watcher knows after one poll. Immutable: share it freely.

    The mappings are read-only views over private copies, so a snapshot never changes
    after it is made, even when the poller goes on to build the next one.
    """

    seq: int
    """1 for the first snapshot of a poller, then increasing by one per snapshot."""
    jobs: Mapping[tuple[Family, str], Job]
    """Every known job keyed by `(family, id)`, i.e. by `Job.key`."""
    families: Mapping[Family, FamilyStatus]
    """The status of each family the poller watches (and only those)."""
    budget: BudgetView = field(default_factory=BudgetView)
    """Rate-limit figures and our call rate."""
    polled_at: float = 0.0
    """Epoch seconds when this poll finished."""
    paused: bool = False
    """True while the user has paused polling."""
    fatal: str | None = None
    """Set when polling stopped for good (bad credentials): what to fix, in one message."""
    unreachable: str | None = None
    """Why the server could not be reached on the last poll (refused, DNS, TLS), fit to
    show; None once an answer came back. The board says this instead of "no jobs"."""
    started_at: float | None = None
    """Epoch seconds when the poller that made this snapshot started."""
    feed_error: str | None = None
    """Set by a viewer attached to a hub (`ztui --hub`) while the hub is lost or sends what
    it cannot read: what the status bar says instead of each family's state ("hub
    unreachable, showing data from 12:01 UTC"). None on a direct connection; never sent
    by a hub."""

    def __post_init__(self) -> None:
        # Copy on the way in so a caller mutating its dict cannot change the snapshot.
        object.__setattr__(self, "jobs", _freeze_jobs(self.jobs))
        object.__setattr__(self, "families", _freeze_families(self.families))

    def counts_by_state(self) -> dict[JobState, int]:
        """Number of jobs in each normalised state (states with no job are left out)."""
        return dict(Counter(job.state for job in self.jobs.values()))

    def counts_by_family(self) -> dict[Family, int]:
        """Number of jobs of each family (families with no job are left out)."""
        return dict(Counter(family for family, _ in self.jobs))

    def is_stale(self, family: Family) -> bool:
        """True when `family`'s jobs may be out of date because its last poll failed.

        A family this snapshot does not watch is never stale.
        """
        status = self.families.get(family)
        return status is not None and status.is_stale

    @property
    def complete(self) -> bool:
        """True once every family has been read at least once (none is still pending).

        The first poll publishes each family as it arrives; those early snapshots are
        incomplete.
        """
        return all(status.state != "pending" for status in self.families.values())

    @property
    def any_active(self) -> bool:
        """True while any job is queued, running, stopping or in an unknown state.

        An unreadable job is none of these: polling faster would not make it readable.
        """
        return any(
            not job.state.is_terminal and job.state is not JobState.UNREADABLE
            for job in self.jobs.values()
        )

    def jobs_of(self, family: Family) -> Iterator[Job]:
        """The jobs of one family, in no particular order."""
        return (job for (fam, _), job in self.jobs.items() if fam == family)

    def get(self, family: Family, job_id: str) -> Job | None:
        """The job `(family, job_id)`, or None when it is not known."""
        return self.jobs.get((family, job_id))

    def find(self, job_id: str) -> Job | None:
        """The job with this id in any family, or None (ids don't collide across families)."""
        for (_, jid), job in self.jobs.items():
            if jid == job_id:
                return job
        return None
