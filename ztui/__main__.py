"""`python -m ztui`: the command-line entry point (see `ztui.cli.main`)."""

from __future__ import annotations

import sys

from ztui.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
