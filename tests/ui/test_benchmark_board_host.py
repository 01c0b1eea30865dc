"""The benchmark host of "a poll changing 10 visible rows" runs the real board.

`benchmarks/board_poll_app.py` stands in for the app (it has no network): when the jobs
screen asks its host for something new, the host must grow with it, or the benchmark
measures a crash. This runs it headless for two polls and checks that exactly the
configured number of visible rows changed.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from ztui.screens.jobs import JobListScreen

pytestmark = pytest.mark.anyio

HOST = Path(__file__).resolve().parents[2] / "benchmarks" / "board_poll_app.py"


def _load_host() -> ModuleType:
    spec = importlib.util.spec_from_file_location("board_poll_app", HOST)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("board_poll_app", module)
    spec.loader.exec_module(module)
    return module


async def test_board_poll_host_changes_exactly_the_asked_rows() -> None:
    host = _load_host()
    app = host.BoardPollApp(count=500, interval=3600, changed=4)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, JobListScreen)
        first = app.jobs
        assert first is not None
        assert len(first.jobs) == 500
        shown = list(screen.table.order[:4])

        app._poll()
        await pilot.pause()
        second = app.jobs
        assert second is not None
        assert second.seq == first.seq + 1
        changed = [key for key, job in second.jobs.items() if job != first.jobs[key]]
        assert sorted(changed) == sorted(shown)
        assert "jobs:" in screen.status_bar.text
