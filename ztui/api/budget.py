"""Provides the rate-limit budget read from response headers, and the retry backoff rule.

Both are pure (no I/O): the client updates a `RateBudget` after every response, and the
watcher service reuses `backoff_delay` to pace its polls (docs/zuora-api.md §2.7).
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

BACKOFF_BASE = 1.0
"""Seconds of the first backoff step (docs/zuora-api.md §2.7: base 1 s)."""
BACKOFF_CAP = 60.0
"""Upper bound of one jittered backoff step (docs/zuora-api.md §2.7: cap 60 s)."""

_FIRST_INT = re.compile(r"\s*(\d+)")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # httpx.Headers is case-insensitive already; plain dicts (tests, callers) may not be.
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        for key, item in headers.items():
            if key.lower() == lowered:
                return item
    return value


def parse_first_int(value: str | None) -> int | None:
    """Return the first integer of a header like `2250000, 50000;w=60`, or None."""
    if value is None:
        return None
    match = _FIRST_INT.match(value)
    return int(match.group(1)) if match else None


def parse_seconds(value: str | None) -> float | None:
    """Return a non-negative number of seconds from a header value, or None if unreadable."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    if seconds != seconds or seconds < 0 or seconds == float("inf"):
        return None
    return seconds


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Read `Retry-After` as seconds: either a number of seconds or an HTTP-date.

    Args:
        value: The header value, or None when absent.
        now: The current wall-clock time (for HTTP-dates); defaults to now in UTC.

    Returns:
        Seconds to wait (never negative), or None when absent or unreadable.
    """
    seconds = parse_seconds(value)
    if seconds is not None or value is None:
        return seconds
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


def backoff_delay(
    attempt: int,
    retry_after: float | None = None,
    reset: float | None = None,
    rng: Callable[[], float] = random.random,
    *,
    base: float = BACKOFF_BASE,
    cap: float = BACKOFF_CAP,
) -> float:
    """Seconds to wait before retry number `attempt + 1` (docs/zuora-api.md §2.7 order).

    1. `retry_after` (from `Retry-After`) when given;
    2. else `reset` (from `RateLimit-Reset`; pass it only when the remaining budget is 0);
    3. else full-jitter exponential backoff: uniform in [0, min(cap, base * 2**attempt)).

    Args:
        attempt: 0 for the first retry, 1 for the second, and so on.
        retry_after: Seconds the server asked for, if any.
        reset: Seconds until the rate window resets, if the budget is exhausted.
        rng: A source of floats in [0, 1); injectable for deterministic tests.
        base: Seconds of the first step.
        cap: Largest step in seconds.

    Returns:
        The delay in seconds, never negative.
    """
    if retry_after is not None:
        return max(0.0, retry_after)
    if reset is not None:
        return max(0.0, reset)
    ceiling = min(cap, base * 2.0 ** min(max(attempt, 0), 32))
    return max(0.0, rng() * ceiling)


@dataclass
class RateBudget:
    """The tenant's rate-limit budget as last reported by the server.

    Updated from every response's `RateLimit-*` headers (docs/zuora-api.md §2.7); fields stay None
    until a response carries them.
    """

    limit: int | None = None
    """The limit of the window closest to exhaustion (first integer of `RateLimit-Limit`)."""
    remaining: int | None = None
    """Requests left in that window (`RateLimit-Remaining`)."""
    reset_at: float | None = None
    """Monotonic deadline when the window resets (now + `RateLimit-Reset` seconds)."""
    concurrency_limit: int | None = None
    """`Concurrency-Limit-Limit`, on /v1 paths."""
    concurrency_remaining: int | None = None
    """`Concurrency-Limit-Remaining`, on /v1 paths."""
    updated_at: float | None = None
    """Monotonic time of the last update that carried any rate-limit header."""

    def update(self, headers: Mapping[str, str], now: float | None = None) -> None:
        """Fold one response's headers in; absent headers leave the old values alone.

        Args:
            headers: The response headers.
            now: The current monotonic time; defaults to `time.monotonic()`.
        """
        current = time.monotonic() if now is None else now
        limit = parse_first_int(_header(headers, "RateLimit-Limit"))
        remaining = parse_first_int(_header(headers, "RateLimit-Remaining"))
        reset = parse_seconds(_header(headers, "RateLimit-Reset"))
        c_limit = parse_first_int(_header(headers, "Concurrency-Limit-Limit"))
        c_remaining = parse_first_int(_header(headers, "Concurrency-Limit-Remaining"))
        touched = False
        if limit is not None:
            self.limit, touched = limit, True
        if remaining is not None:
            self.remaining, touched = remaining, True
        if reset is not None:
            self.reset_at, touched = current + reset, True
        if c_limit is not None:
            self.concurrency_limit, touched = c_limit, True
        if c_remaining is not None:
            self.concurrency_remaining, touched = c_remaining, True
        if touched:
            self.updated_at = current

    def reset_in(self, now: float | None = None) -> float | None:
        """Seconds until the window resets (0 once past), or None if unknown."""
        if self.reset_at is None:
            return None
        current = time.monotonic() if now is None else now
        return max(0.0, self.reset_at - current)

    @property
    def exhausted(self) -> bool:
        """True when the server said no requests are left in the current window."""
        return self.remaining == 0
