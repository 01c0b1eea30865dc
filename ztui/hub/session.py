"""Provides the start of a browser session's viewer: `python -m ztui.hub.session ARGS...`.

It asks Linux to end the process when the hub that started it is gone
(`PR_SET_PDEATHSIG`), then becomes `python -m ztui ARGS...` (the viewer) in the same
process. Textual's web driver does not quit when its input ends, so without this a hub
that is killed outright would leave its browser sessions' viewers running. The hub names
itself in `PARENT_ENV`, so a hub gone before the signal was asked for is noticed too.
Elsewhere than on Linux it only becomes the viewer.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from typing import Final, NoReturn

PARENT_ENV: Final = "ZTUI_SESSION_PARENT"
"""The environment variable holding the pid of the hub that started the session."""

_PR_SET_PDEATHSIG: Final = 1


def _end_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return


def main(argv: list[str]) -> NoReturn:
    """Become `python -m ztui argv...`, ended with the hub."""
    _end_with_parent()
    parent = os.environ.pop(PARENT_ENV, "")
    if parent.isdigit() and os.getppid() != int(parent):
        sys.exit(0)  # the hub is gone already
    os.execv(sys.executable, [sys.executable, "-m", "ztui", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
