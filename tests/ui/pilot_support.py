"""Waiting helpers shared by the Pilot and snapshot tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot


async def wait_until(
    pilot: Pilot[Any], predicate: Callable[[], object], what: str, timeout: float = 8.0
) -> None:
    """Let the app run until `predicate()` is true (fails the test after `timeout`)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)
