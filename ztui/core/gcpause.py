"""Pauses Python's cyclic garbage collector while the app starts.

Start-up allocates hundreds of thousands of long-lived objects (modules, classes, styles,
widgets, the first jobs). The collector would walk them over and over, about a tenth of
the time to the first frame with data, and find almost nothing to free. `pause()` stops
it; `resume()`, called once the board shows its first jobs (or after a few seconds at
most), moves everything that survived start-up out of its way (`gc.freeze`) and starts
it again. Reference counting frees ordinary garbage throughout.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Stop the cyclic collector until `resume()`."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Freeze what start-up built and restart the collector; a no-op unless paused."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def is_paused() -> bool:
    """True between `pause()` and `resume()`."""
    return _paused
