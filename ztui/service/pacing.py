"""Provides the poll settings and `next_interval`, the pure pacing rule of the watcher.

The interval is measured from the end of one poll to the start of the next, so polls
never overlap (STYLE §3). Rules, in order:

1. Paused, or stopped by a fatal error: no automatic poll (`math.inf`).
2. Base: `active_s` while any job is not terminal, or a family is still pending or stale
   (so it recovers quickly); otherwise `idle_s`.
3. Low budget: when `remaining / limit` is below `low_budget_fraction`, at least
   `low_budget_s`, or until just after the window resets (`RateLimit-Reset`) when that
   comes sooner: a refilled window has nothing left to save.
4. Daily call budget (a profile's `daily_call_budget`): at least the interval at which
   polls costing what they cost lately stay within that many calls a day.
5. Rate limited: never before the latest `retry_at` of any family (429 answers are
   per tenant, so one family's 429 holds back the others too).

`family_intervals` applies the same rules to each family on its own (the loop of
`JobPoller.run`): a family is polled at `active_s` only while it has a job that is not
terminal (or it is pending or stale); the others wait `idle_s`. When every unfinished job
of a family says how long it has left (`remainingTime`, or its progress and how long it
took to get there), the family's next poll comes at the soonest expected end, but never
sooner than `active_s` nor later than `idle_s`. The daily call budget is shared: when the
families' intervals together would spend more than the budget a day, the intervals of the
families not timed to an expected end are stretched by one factor (all of them, when the
timed ones alone spend too much).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ztui.api.models import Family, Job, JobState
from ztui.families.custom_object import CUSTOM_OBJECT_MAX_PAGE_SIZE
from ztui.service.snapshot import JobSnapshot

RESET_MARGIN_S = 1.0
"""How long after a rate-limit window's announced reset a low-budget poll waits."""

BUDGET_SHARE = 0.95
"""Share of `daily_call_budget` the family polls plan for; the rest covers token calls
and the user's own actions (refreshes, details, writes)."""

_NOT_POLLED = frozenset({"auth_error", "unsupported"})


@dataclass(frozen=True)
class PollSettings:
    """How often and how deep the watcher polls. All intervals are in seconds."""

    active_s: float = 5.0
    """Interval while any job is queued or running."""
    idle_s: float = 60.0
    """Interval when every job is terminal."""
    low_budget_s: float = 120.0
    """Minimum interval while the rate-limit budget is low."""
    low_budget_fraction: float = 0.10
    """Budget fraction (`remaining / limit`) below which `low_budget_s` applies."""
    co_page_size: int = CUSTOM_OBJECT_MAX_PAGE_SIZE
    """Custom-object list page size; docs/zuora-api.md §6 says never above 40."""
    co_max_pages: int = 50
    """Most custom-object pages read per poll (bounds the first poll of a big tenant)."""
    backoff_base_s: float = 1.0
    """Base of the jittered exponential backoff after a 429 without timing headers."""
    backoff_cap_s: float = 60.0
    """Cap of that backoff."""
    projection_window_s: float = 900.0
    """How far back the calls-per-day projection looks."""
    daily_call_budget: int | None = None
    """Most API calls a day this watcher may spend (e.g. a share of an API Sandbox's
    10,000); None for no cap beyond the server's own limits."""

    def __post_init__(self) -> None:
        for name in ("active_s", "idle_s", "low_budget_s", "backoff_base_s", "backoff_cap_s"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ValueError(f"poll setting {name} must be a positive number, got {value!r}")
        if not 0 <= self.low_budget_fraction <= 1:
            raise ValueError(
                "poll setting low_budget_fraction must be between 0 and 1, "
                f"got {self.low_budget_fraction!r}"
            )
        top = CUSTOM_OBJECT_MAX_PAGE_SIZE
        if not (isinstance(self.co_page_size, int) and 1 <= self.co_page_size <= top):
            raise ValueError(
                f"poll setting co_page_size must be an integer from 1 to {top}, "
                f"got {self.co_page_size!r}"
            )
        if not (isinstance(self.co_max_pages, int) and self.co_max_pages >= 1):
            raise ValueError(
                f"poll setting co_max_pages must be a positive integer, got {self.co_max_pages!r}"
            )
        if self.daily_call_budget is not None and not (
            isinstance(self.daily_call_budget, int) and self.daily_call_budget >= 1
        ):
            raise ValueError(
                "poll setting daily_call_budget must be a positive integer, "
                f"got {self.daily_call_budget!r}"
            )
        if not self.projection_window_s > 0:
            raise ValueError(
                "poll setting projection_window_s must be positive, "
                f"got {self.projection_window_s!r}"
            )


def base_interval(snapshot: JobSnapshot, settings: PollSettings) -> float:
    """`active_s` or `idle_s`, ignoring budget and 429s (rule 2 of the module docstring)."""
    if snapshot.any_active:
        return settings.active_s
    if any(s.state in ("pending", "stale") for s in snapshot.families.values()):
        return settings.active_s
    return settings.idle_s


def next_interval(snapshot: JobSnapshot, settings: PollSettings) -> float:
    """Seconds to wait after the poll that produced `snapshot` before the next one.

    Args:
        snapshot: The snapshot the last poll produced.
        settings: The configured intervals.

    Returns:
        The delay in seconds, `math.inf` when nothing should poll automatically.
    """
    if snapshot.paused or snapshot.fatal is not None:
        return math.inf
    interval = base_interval(snapshot, settings)
    budget = snapshot.budget
    fraction = budget.fraction_remaining
    if fraction is not None and fraction < settings.low_budget_fraction:
        low = settings.low_budget_s
        if budget.reset_at is not None:
            # RateLimit-Reset counts whole seconds: poll a second after the refill.
            low = min(low, max(0.0, budget.reset_at - snapshot.polled_at) + RESET_MARGIN_S)
        interval = max(interval, low)
    per_poll = budget.calls_per_poll
    if settings.daily_call_budget is not None and per_poll:
        interval = max(interval, per_poll * 86400.0 / settings.daily_call_budget)
    retry_ats = [s.retry_at for s in snapshot.families.values() if s.retry_at is not None]
    if retry_ats:
        interval = max(interval, max(retry_ats) - snapshot.polled_at)
    return interval


def family_is_active(snapshot: JobSnapshot, family: Family) -> bool:
    """True while `family` has a job that is not terminal (unreadable ones aside), or the
    family is pending or stale, so that it recovers quickly."""
    status = snapshot.families.get(family)
    if status is not None and status.state in ("pending", "stale"):
        return True
    return any(
        not job.state.is_terminal and job.state is not JobState.UNREADABLE
        for (fam, _), job in snapshot.jobs.items()
        if fam is family
    )


def expected_remaining(job: Job, now: float) -> float | None:
    """Seconds until `job` is expected to end, when it says so; None when it does not.

    `remainingTime` (docs/zuora-api.md §3; its unit is undocumented and read as seconds,
    the schedule caps it at the idle interval) comes first; otherwise the progress so
    far and the time since the job was created give a rate to extrapolate.
    """
    if job.state is JobState.QUEUED:
        return None
    remaining = job.raw.get("remainingTime") if job.raw else None
    if (
        isinstance(remaining, int | float)
        and not isinstance(remaining, bool)
        and math.isfinite(remaining)
        and remaining > 0
    ):
        return float(remaining)
    progress = job.progress
    if progress is None or not 0 < progress < 1 or job.created_at is None:
        return None
    elapsed = now - job.created_at.timestamp()
    if elapsed <= 0:
        return None
    return elapsed * (1 - progress) / progress


def _timed(snapshot: JobSnapshot, settings: PollSettings) -> set[Family]:
    """The families whose interval comes from their jobs' expected end."""
    return {
        family
        for family, status in snapshot.families.items()
        if status.state == "ok"
        and family_is_active(snapshot, family)
        and _own_interval(snapshot, family, settings) > settings.active_s
    }


def _within_budget(
    intervals: dict[Family, float],
    timed: set[Family],
    settings: PollSettings,
    costs: Mapping[Family, float],
) -> dict[Family, float]:
    """Stretch the intervals so that a day of them stays within the daily call budget.

    A family timed to its jobs' expected end keeps that time (stretching it would only
    show the end later); the others share what is left by one factor. When even the
    timed families alone spend too much, every interval is stretched alike.
    """
    assert settings.daily_call_budget is not None
    allowed = BUDGET_SHARE * settings.daily_call_budget / 86400.0

    def rate(families: Iterable[Family]) -> float:
        return sum(
            costs.get(f, 1.0) / max(intervals[f], settings.active_s)
            for f in families
            if math.isfinite(intervals[f])
        )

    total = rate(intervals)
    if total <= allowed:
        return intervals
    fixed = rate(timed)
    rest = total - fixed
    if fixed < allowed and rest > 0:
        factor = rest / (allowed - fixed)
        return {f: v if f in timed else v * factor for f, v in intervals.items()}
    return {f: v * total / allowed for f, v in intervals.items()}


def _own_interval(snapshot: JobSnapshot, family: Family, settings: PollSettings) -> float:
    """Rule 2 for one family, with the expected end of its jobs."""
    if not family_is_active(snapshot, family):
        return settings.idle_s
    status = snapshot.families.get(family)
    if status is not None and status.state in ("pending", "stale"):
        return settings.active_s
    ends: list[float] = []
    for (fam, _), job in snapshot.jobs.items():
        if fam is not family or job.state.is_terminal or job.state is JobState.UNREADABLE:
            continue
        left = expected_remaining(job, snapshot.polled_at)
        if left is None:
            return settings.active_s
        ends.append(left)
    if not ends:
        return settings.active_s
    return max(settings.active_s, min(min(ends), settings.idle_s))


def family_intervals(
    snapshot: JobSnapshot,
    settings: PollSettings,
    costs: Mapping[Family, float] | None = None,
) -> dict[Family, float]:
    """Seconds each family waits after its last poll, from the snapshot that poll made.

    Args:
        snapshot: The latest snapshot.
        settings: The configured intervals and the daily call budget.
        costs: Calls one poll of each family cost lately (1 when unknown).

    Returns:
        An interval per family of the snapshot; `math.inf` for a family that is not
        polled (refused, unsupported) and for every family while paused or stopped.
    """
    families = list(snapshot.families)
    if snapshot.paused or snapshot.fatal is not None:
        return {family: math.inf for family in families}
    out: dict[Family, float] = {}
    for family in families:
        state = snapshot.families[family].state
        if state in _NOT_POLLED:
            out[family] = math.inf
        elif state == "rate_limited":
            out[family] = 0.0  # a retry, due once the hold (rule 5, below) is over
        else:
            out[family] = _own_interval(snapshot, family, settings)
    budget = snapshot.budget
    fraction = budget.fraction_remaining
    if fraction is not None and fraction < settings.low_budget_fraction:
        low = settings.low_budget_s
        if budget.reset_at is not None:
            low = min(low, max(0.0, budget.reset_at - snapshot.polled_at) + RESET_MARGIN_S)
        out = {family: max(value, low) for family, value in out.items()}
    if settings.daily_call_budget is not None:
        out = _within_budget(out, _timed(snapshot, settings), settings, costs or {})
    retry_ats = [s.retry_at for s in snapshot.families.values() if s.retry_at is not None]
    if retry_ats:
        hold = max(retry_ats) - snapshot.polled_at
        out = {family: max(value, hold) for family, value in out.items()}
    return out
