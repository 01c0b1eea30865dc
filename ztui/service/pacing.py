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
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ztui.families.custom_object import CUSTOM_OBJECT_MAX_PAGE_SIZE
from ztui.service.snapshot import JobSnapshot

RESET_MARGIN_S = 1.0
"""How long after a rate-limit window's announced reset a low-budget poll waits."""


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
