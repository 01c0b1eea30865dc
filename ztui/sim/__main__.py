"""`python -m ztui.sim`: `ztui sim` without the rest of ztui's command line (`ztui.sim.cli`).

The demo starts its simulator this way: it skips loading the app's command-line modules.
"""

from __future__ import annotations

import sys

from ztui.sim.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
