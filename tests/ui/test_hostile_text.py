"""Server text on the board and in the detail view never reaches the terminal raw.

Textual writes a widget's text as it is, so an AQuA job named with an OSC 52 clipboard
write would run it on the operator's terminal; the app's line filter drops every unsafe
character from what it draws (`ztui.widgets.safe_text`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rich.segment import ControlType, Segment
from textual.app import App
from textual.color import Color

from tests.ui.pilot_support import wait_until
from tests.ui.test_watch_aqua import QUERY, _shows, _type_id
from ztui.app import ZtuiApp
from ztui.core.sanitize import UNSAFE_RE
from ztui.screens.job_detail import JobDetailScreen
from ztui.widgets.safe_text import SafeTextFilter

pytestmark = pytest.mark.anyio

HOSTILE = "n\x1b]52;c;cm0g\x07\x1b[2J\x9b31m\u202eexe"


def _drawn(app: ZtuiApp) -> str:
    """Everything the screen would send, as text (through the app's line filters)."""
    return app.export_screenshot()


async def _board_with_hostile_job(pilot: Any, app: ZtuiApp, job_id: str) -> None:
    await wait_until(pilot, lambda: app.jobs is not None and app.jobs.complete, "jobs")
    await _type_id(pilot, job_id)
    await wait_until(pilot, lambda: _shows(app, job_id), "the hostile job", 15)
    await pilot.pause()


async def test_board_and_detail_draw_no_unsafe_character(
    make_app: Callable[..., Any], make_sim: Callable[..., Any]
) -> None:
    server = make_sim(jobs=3)
    job_id = server.sim.aqua_create({**QUERY, "name": HOSTILE}).id
    app = make_app(server)
    async with app.run_test(size=(120, 40)) as pilot:
        await _board_with_hostile_job(pilot, app, job_id)
        board = _drawn(app)
        assert "]52;c;cm0g" in board  # the row is drawn, without its controls
        assert UNSAFE_RE.search(board) is None
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, JobDetailScreen), "detail")
        await pilot.pause()
        detail = _drawn(app)
        assert "]52;c;cm0g" in detail
        assert UNSAFE_RE.search(detail) is None


async def test_without_the_filter_the_controls_would_be_drawn(
    make_app: Callable[..., Any], make_sim: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check above can fail: Textual itself passes the controls through."""
    monkeypatch.setattr(ZtuiApp, "get_line_filters", App.get_line_filters)
    server = make_sim(jobs=3)
    job_id = server.sim.aqua_create({**QUERY, "name": HOSTILE}).id
    app = make_app(server)
    async with app.run_test(size=(120, 40)) as pilot:
        await _board_with_hostile_job(pilot, app, job_id)
        assert UNSAFE_RE.search(_drawn(app)) is not None


def test_the_filter_keeps_widths_and_control_segments() -> None:
    cursor_move = Segment("\x1b[5;1H", None, [(ControlType.CURSOR_MOVE_TO, 1, 5)])
    segments = [Segment("ok "), Segment(HOSTILE), cursor_move]
    out = SafeTextFilter().apply(segments, Color(0, 0, 0))
    assert out[0] is segments[0]
    assert out[1].text == "n]52;c;cm0g[2J31mexe"
    assert out[1].cell_length == segments[1].cell_length
    assert out[2] is cursor_move
    clean = [Segment("plain")]
    assert SafeTextFilter().apply(clean, Color(0, 0, 0)) is clean
