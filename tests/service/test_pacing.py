"""Unit tests for the pacing rule (pure)."""

from __future__ import annotations

import math

import pytest

from ztui.api.models import Family, JobState
from ztui.service.pacing import PollSettings, next_interval
from ztui.service.snapshot import BudgetView, FamilyStatus

from .helpers import job, snap

SETTINGS = PollSettings(active_s=5, idle_s=60, low_budget_s=120, low_budget_fraction=0.1)


def test_active_job_gives_short_interval() -> None:
    s = snap([job("a", JobState.RUNNING), job("b", JobState.SUCCEEDED)])
    assert next_interval(s, SETTINGS) == 5


@pytest.mark.parametrize("state", [JobState.QUEUED, JobState.STOPPING, JobState.UNKNOWN])
def test_other_non_terminal_states_count_as_active(state: JobState) -> None:
    assert next_interval(snap([job("a", state)]), SETTINGS) == 5


def test_all_terminal_gives_long_interval() -> None:
    s = snap([job("a", JobState.SUCCEEDED), job("b", JobState.CANCELLED)])
    assert next_interval(s, SETTINGS) == 60


def test_empty_board_is_idle() -> None:
    assert next_interval(snap([]), SETTINGS) == 60


@pytest.mark.parametrize("state", ["pending", "stale"])
def test_pending_or_stale_family_retries_at_active_pace(state: str) -> None:
    s = snap(
        [job("a", JobState.SUCCEEDED)],
        statuses=[FamilyStatus(Family.DATA_BACKFILL, state, as_of=None)],  # type: ignore[arg-type]
    )
    assert next_interval(s, SETTINGS) == 5


def test_unsupported_family_does_not_keep_pace_short() -> None:
    s = snap(
        [job("a", JobState.SUCCEEDED)],
        families=(Family.DATA_BACKFILL,),
        statuses=[FamilyStatus(Family.PROPAGATION, "unsupported")],
    )
    assert next_interval(s, SETTINGS) == 60


def test_low_budget_slows_down_active_and_idle() -> None:
    low = BudgetView(limit=1000, remaining=99)
    assert next_interval(snap([job("a")], budget=low), SETTINGS) == 120
    assert next_interval(snap([], budget=low), SETTINGS) == 120
    ok = BudgetView(limit=1000, remaining=100)
    assert next_interval(snap([job("a")], budget=ok), SETTINGS) == 5


def test_low_budget_waits_only_until_the_window_refills() -> None:
    """A window that resets in 20 s: poll a second after the refill, not 120 s later."""
    soon = BudgetView(limit=1000, remaining=0, reset_at=1020.0)  # polled_at is 1000
    assert next_interval(snap([job("a")], budget=soon), SETTINGS) == 21
    late = BudgetView(limit=1000, remaining=0, reset_at=1000.0 + 3600)
    assert next_interval(snap([job("a")], budget=late), SETTINGS) == 120
    past = BudgetView(limit=1000, remaining=0, reset_at=990.0)
    assert next_interval(snap([job("a")], budget=past), SETTINGS) == 5


def test_low_budget_never_speeds_up_a_longer_idle_interval() -> None:
    settings = PollSettings(idle_s=300, low_budget_s=120)
    low = BudgetView(limit=10, remaining=0)
    assert next_interval(snap([], budget=low), settings) == 300


def test_daily_call_budget_stretches_the_interval() -> None:
    """5 calls a poll within 10,000 calls a day: at least 43.2 s between polls."""
    settings = PollSettings(active_s=5, idle_s=60, daily_call_budget=10_000)
    costly = BudgetView(limit=1000, remaining=900, calls_per_poll=5.0)
    assert next_interval(snap([job("a")], budget=costly), settings) == pytest.approx(43.2)
    # Idle is already slower than the budget needs; an unmeasured cost changes nothing.
    assert next_interval(snap([], budget=costly), settings) == 60
    assert next_interval(snap([job("a")], budget=BudgetView()), settings) == 5
    assert next_interval(snap([job("a")], budget=costly), SETTINGS) == 5  # no budget set


def test_retry_at_holds_back_the_next_poll() -> None:
    limited = FamilyStatus(Family.DATA_BACKFILL, "rate_limited", as_of=1.0, retry_at=1030.0)
    s = snap([job("a")], statuses=[limited], polled_at=1000.0)
    assert next_interval(s, SETTINGS) == pytest.approx(30)
    # A retry_at already past does not shorten the normal pace.
    past = FamilyStatus(Family.DATA_BACKFILL, "rate_limited", as_of=1.0, retry_at=1001.0)
    assert next_interval(snap([job("a")], statuses=[past], polled_at=1000.0), SETTINGS) == 5


def test_paused_and_fatal_stop_automatic_polls() -> None:
    assert next_interval(snap([job("a")], paused=True), SETTINGS) == math.inf
    assert next_interval(snap([job("a")], fatal="bad creds"), SETTINGS) == math.inf


def test_intervals_are_configurable() -> None:
    fast = PollSettings(active_s=0.5, idle_s=2)
    assert next_interval(snap([job("a")]), fast) == 0.5
    assert next_interval(snap([]), fast) == 2


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("active_s", 0, "active_s must be a positive number"),
        ("idle_s", -1, "idle_s"),
        ("active_s", math.nan, "active_s"),
        ("low_budget_fraction", 1.5, "low_budget_fraction"),
        ("co_page_size", 41, "co_page_size must be an integer from 1 to 40"),
        ("co_max_pages", 0, "co_max_pages"),
        ("daily_call_budget", 0, "daily_call_budget must be a positive integer"),
    ],
)
def test_bad_settings_are_rejected_with_a_clear_message(
    field: str, value: float, fragment: str
) -> None:
    with pytest.raises(ValueError, match=fragment):
        PollSettings(**{field: value})  # type: ignore[arg-type]
