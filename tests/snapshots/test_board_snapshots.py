"""Snapshots of the job board: the board, a filter, a stale family, the help screen.

Each test runs the real app against a loopback simulator with a manual clock and a frozen
wall clock (`tests/ui/conftest.py`), so ids, job times and ages repeat. The watcher stamps
its snapshots with the real time (poll time, budget reset, calls per day), so
`_pin_times` replaces those few figures in the app's snapshot before the picture is taken.
`SAVE_SCREENSHOT=1` also writes the board picture to `screenshots/board.svg`.
"""

# ruff: noqa: F811 - `make_app` is the fixture imported from tests/ui/conftest.py
from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.ui.conftest import FROZEN_NOW, make_app  # noqa: F401 - reused fixture
from tests.ui.pilot_support import wait_until as _wait
from ztui.api.models import Family
from ztui.screens.jobs import JobListScreen
from ztui.service.snapshot import BudgetView, FamilyStatus

SIZE = (120, 40)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


async def _pinned_board(pilot: Pilot[Any], stale: Family | None = None) -> JobListScreen:
    """Wait for the first snapshot, stop polling, and show it with pinned times."""
    app: Any = pilot.app
    await _wait(pilot, lambda: app.jobs is not None and app.jobs.complete, "the first snapshot")
    if app.poller is not None:
        app.poller.stop()
    app.workers.cancel_group(app, "poller")
    snapshot = app.jobs
    families = {
        family: dataclasses.replace(status, as_of=FROZEN_NOW, retry_at=None)
        for family, status in snapshot.families.items()
    }
    if stale is not None:
        families[stale] = FamilyStatus(
            stale, "stale", as_of=FROZEN_NOW - 95, error="Server error (HTTP 500)"
        )
    app.jobs = dataclasses.replace(
        snapshot,
        seq=snapshot.seq + 1,
        families=families,
        polled_at=FROZEN_NOW,
        budget=BudgetView(
            limit=10_000,
            remaining=9_874,
            reset_at=FROZEN_NOW + 3600,
            calls_made=snapshot.budget.calls_made,
            calls_per_day_projection=8_640,
        ),
    )
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, JobListScreen)
    # Toasts (e.g. "connection recovered") are not part of these pictures.
    app.clear_notifications()
    await pilot.pause()
    return screen


def _app(make_app: Callable[..., Any], make_sim: Callable[..., Any]) -> Any:
    """The app on the demo's default scenario (60 jobs, some running)."""
    return make_app(make_sim(jobs=60, seed=1))


def test_board(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., Any],
    make_sim: Callable[..., Any],
) -> None:
    """The board at 120x40: facets with counts, every family, coloured statuses, the
    cursor on the newest job, and the three status lines (connection per family, poll
    time and API budget, counts by state)."""
    app = _app(make_app, make_sim)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _pinned_board(pilot)
        if os.environ.get("SAVE_SCREENSHOT"):
            SCREENSHOTS.mkdir(exist_ok=True)
            app.save_screenshot("board.svg", str(SCREENSHOTS))

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_board_filtered(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., Any],
    make_sim: Callable[..., Any],
) -> None:
    """The filter input open with "complete": only completed jobs, the facet counts of
    the matches and "N shown matching “complete”"."""
    app = _app(make_app, make_sim)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _pinned_board(pilot)
        await pilot.press("slash", *"complete")
        await pilot.pause()
        # The "hidden by the filter" toast has a real-time timeout: keep it out.
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_board_stale_family(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., Any],
    make_sim: Callable[..., Any],
) -> None:
    """Custom-object jobs dimmed with "stale" in the Fresh column, and the status bar
    saying "stale since 11:58:25" for that family."""
    app = _app(make_app, make_sim)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _pinned_board(pilot, stale=Family.CUSTOM_OBJECT)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_board_help(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., Any],
    make_sim: Callable[..., Any],
) -> None:
    """f1 on the board lists every key of the board with its description and id."""
    app = _app(make_app, make_sim)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _pinned_board(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


NARROW = (80, 24)


def test_board_80x24(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., Any],
    make_sim: Callable[..., Any],
) -> None:
    """The board at 80x24: both facet rows on one line each (headings and summary
    shortened), the columns fitted (Kind and Progress narrower, Created and Fresh left
    out), and a footer that keeps `q` and `f1` and offers `w` for every column."""
    app = _app(make_app, make_sim)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _pinned_board(pilot)

    assert snap_compare(app, terminal_size=NARROW, run_before=run_before)


def test_board_80x24_every_column(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., Any],
    make_sim: Callable[..., Any],
) -> None:
    """`w` at 80x24 shows every column at its full width, scrolled sideways to the
    right end: Failed, Created (UTC), Upd and Fresh are on screen."""
    app = _app(make_app, make_sim)

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await _pinned_board(pilot)
        await pilot.press("w")
        await pilot.pause()
        screen.table.scroll_to(x=screen.table.max_scroll_x, animate=False, immediate=True)
        await pilot.pause()
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=NARROW, run_before=run_before)


async def _mark_rows(pilot: Pilot[Any], rows: tuple[int, ...]) -> JobListScreen:
    """The pinned board with the jobs of `rows` marked (space on each)."""
    screen = await _pinned_board(pilot)
    table = screen.table
    for row in rows:
        table.move_cursor_to(table.order[row])
        await pilot.press("space")
    table.move_cursor_to(table.order[0])
    await pilot.pause()
    pilot.app.clear_notifications()
    await pilot.pause()
    return screen


_MARKED = (0, 1, 2, 4)
"""Three running jobs and a finished one: the bulk stop lists the finished one apart."""


def test_board_marked(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., Any],
    make_sim: Callable[..., Any],
) -> None:
    """Four jobs marked: a ● before each id in the accent colour, "● 4 marked" in the
    facet summary and "- Clear marks" in the footer."""
    app = _app(make_app, make_sim)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _mark_rows(pilot, _MARKED)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_board_marked_80x24(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., Any],
    make_sim: Callable[..., Any],
) -> None:
    """The same marks at 80x24: the ● still shows in the narrowed Id column and "●4"
    stays in the shortened summary."""
    app = _app(make_app, make_sim)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _mark_rows(pilot, _MARKED)

    assert snap_compare(app, terminal_size=NARROW, run_before=run_before)


def test_bulk_stop_confirmation(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., Any],
    make_sim: Callable[..., Any],
) -> None:
    """`s` with four jobs marked: one confirmation listing the three that get a request
    (family, id, kind, status, stop or cancel), the finished one apart with the reason,
    the profile, and the buttons."""
    app = _app(make_app, make_sim)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _mark_rows(pilot, _MARKED)
        await pilot.press("s")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_bulk_stop_confirmation_80x24(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., Any],
    make_sim: Callable[..., Any],
) -> None:
    """The bulk confirmation at 80x24: long values wrap under their own column and the
    Cancel and Stop buttons stay on screen."""
    app = _app(make_app, make_sim)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _mark_rows(pilot, _MARKED)
        await pilot.press("s")
        await pilot.pause()

    assert snap_compare(app, terminal_size=NARROW, run_before=run_before)
