"""The board says when it cannot reach the server instead of showing an empty tenant."""

from __future__ import annotations

import os
import socket

import pytest

from tests.ui.pilot_support import wait_until
from ztui.app import ZtuiApp
from ztui.config.load import load_settings
from ztui.config.resolve import resolve_profile
from ztui.screens.jobs import JobListScreen
from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

pytestmark = pytest.mark.anyio


async def test_a_refused_connection_is_said_on_the_board(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("ZTUI_BASE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("ZTUI_CLIENT_ID", DEMO_CLIENT_ID)
    monkeypatch.setenv("ZTUI_CLIENT_SECRET", DEMO_CLIENT_SECRET)
    settings = load_settings()
    app = ZtuiApp(settings=settings, profile=resolve_profile(settings, env=dict(os.environ)))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(
            pilot, lambda: app.jobs is not None and app.jobs.unreachable is not None, "a poll", 20
        )
        board = app.screen
        assert isinstance(board, JobListScreen)
        await pilot.pause()
        empty = board.table._empty_text
        assert "connection refused" in empty
        assert "No jobs yet" not in empty
