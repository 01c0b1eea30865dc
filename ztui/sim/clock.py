"""Provides `SimClock`, the injectable clock every simulated job runs on."""

from __future__ import annotations

import threading
import time


class SimClock:
    """Simulator time in epoch seconds.

    In `"manual"` mode time stands still at `start_epoch` and moves only through
    `advance()`, so tests are deterministic. In `"wall"` mode it starts at the real current
    time and runs at `speed` times real time; `advance()` still jumps it forward.
    """

    def __init__(self, mode: str = "manual", start_epoch: float = 0.0, speed: float = 1.0) -> None:
        """Create a clock.

        Args:
            mode: `"manual"` or `"wall"`.
            start_epoch: Start of a manual clock.
            speed: Wall-clock multiplier.
        """
        self.mode = mode
        self.speed = speed
        self._lock = threading.Lock()
        self._offset = 0.0
        self._base = start_epoch if mode == "manual" else time.time()
        self._mono0 = time.monotonic()

    def now(self) -> float:
        """Current simulator time, epoch seconds."""
        with self._lock:
            if self.mode == "manual":
                return self._base + self._offset
            return self._base + (time.monotonic() - self._mono0) * self.speed + self._offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward and return the new time.

        Raises:
            ValueError: when `seconds` is negative (time never runs backwards).
        """
        if seconds < 0:
            raise ValueError("the simulator clock cannot go backwards")
        with self._lock:
            self._offset += seconds
        return self.now()
