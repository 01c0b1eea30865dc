"""Unit tests for the rate budget header parsing and the backoff rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ztui.api.budget import (
    BACKOFF_CAP,
    RateBudget,
    backoff_delay,
    parse_first_int,
    parse_retry_after,
)


def test_budget_reads_draft_headers() -> None:
    budget = RateBudget()
    budget.update(
        {
            "RateLimit-Limit": "2250000, 50000;w=60, 2250000;w=3600, 27000000;w=86400",
            "RateLimit-Remaining": "49990",
            "RateLimit-Reset": "42",
        },
        now=100.0,
    )
    assert budget.limit == 2250000
    assert budget.remaining == 49990
    assert budget.reset_at == 142.0
    assert budget.reset_in(now=130.0) == 12.0
    assert budget.reset_in(now=200.0) == 0.0
    assert not budget.exhausted
    assert budget.updated_at == 100.0


def test_budget_keeps_old_values_when_headers_absent() -> None:
    budget = RateBudget()
    budget.update({"ratelimit-limit": "100", "ratelimit-remaining": "0"}, now=1.0)
    budget.update({"Content-Type": "application/json"}, now=2.0)
    assert (budget.limit, budget.remaining, budget.updated_at) == (100, 0, 1.0)
    assert budget.exhausted
    assert budget.reset_in() is None


def test_budget_ignores_garbage() -> None:
    budget = RateBudget()
    budget.update({"RateLimit-Limit": "lots", "RateLimit-Reset": "-3"}, now=1.0)
    assert budget.limit is None
    assert budget.reset_at is None
    assert budget.updated_at is None


def test_budget_concurrency_headers() -> None:
    budget = RateBudget()
    budget.update({"Concurrency-Limit-Limit": "40", "Concurrency-Limit-Remaining": "39"})
    assert (budget.concurrency_limit, budget.concurrency_remaining) == (40, 39)


@pytest.mark.parametrize(("text", "value"), [("7", 7), (" 12, 3;w=60", 12), ("", None)])
def test_parse_first_int(text: str, value: int | None) -> None:
    assert parse_first_int(text) == value


def test_retry_after_seconds_and_date() -> None:
    now = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("30", now=now) == 30.0
    assert parse_retry_after("1.5", now=now) == 1.5
    assert parse_retry_after("Mon, 01 Jan 2024 12:00:45 GMT", now=now) == 45.0
    assert parse_retry_after("Mon, 01 Jan 2024 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


def test_backoff_prefers_retry_after_then_reset() -> None:
    assert backoff_delay(5, retry_after=3.0, reset=40.0, rng=lambda: 0.99) == 3.0
    assert backoff_delay(5, reset=40.0, rng=lambda: 0.99) == 40.0


def test_backoff_full_jitter_grows_and_caps() -> None:
    assert backoff_delay(0, rng=lambda: 0.5) == 0.5
    assert backoff_delay(1, rng=lambda: 0.5) == 1.0
    assert backoff_delay(3, rng=lambda: 1.0) == 8.0
    assert backoff_delay(20, rng=lambda: 1.0) == BACKOFF_CAP
    assert backoff_delay(10_000, rng=lambda: 0.5) == BACKOFF_CAP / 2
    assert backoff_delay(0, rng=lambda: 0.0) == 0.0


def test_backoff_default_rng_stays_in_bounds() -> None:
    for attempt in range(8):
        delay = backoff_delay(attempt)
        assert 0.0 <= delay <= min(BACKOFF_CAP, 2.0**attempt)
