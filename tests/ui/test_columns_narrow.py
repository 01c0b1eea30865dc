"""80x24 is a first-class size: facets, columns and footer keys fit the width.

At 80 columns the State facet row used to wrap out of sight, Failed, Created, Upd and
Fresh fell off the right edge, and the footer lost `q` and `f1`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rich.cells import cell_len
from textual.pilot import Pilot
from textual.widget import Widget

from tests.ui.pilot_support import wait_until
from ztui.screens.jobs import JobListScreen
from ztui.view.columns import BOARD_COLUMNS
from ztui.widgets.facets import FacetState, facet_content
from ztui.widgets.footer import choose_keys, key_cells

pytestmark = pytest.mark.anyio


def test_choose_keys_keeps_the_essential_ones_then_goes_by_priority() -> None:
    keys = [("a", 10), ("b", 10), ("c", 10), ("app.quit", 8), ("app.help", 9)]
    assert choose_keys(keys, 100) == {"a", "b", "c", "app.quit", "app.help"}
    assert choose_keys(keys, 17) == {"app.quit", "app.help"}
    assert choose_keys(keys, 0) == {"app.quit", "app.help"}
    assert choose_keys(keys, 27) == {"a", "app.quit", "app.help"}
    assert choose_keys(keys, 27, priority=("c", "a")) == {"c", "app.quit", "app.help"}
    assert key_cells("q", "Quit") == 8
    assert key_cells("f1", "Help") == 9


def test_facet_rows_stay_one_line_each_at_any_width() -> None:
    from ztui.api.models import Family, JobState

    state = FacetState(
        family_counts={family: 2_000 for family in Family},
        state_counts={job_state: 1_250 for job_state in JobState},
        shown=9_000,
        hidden_finished=1_000,
        filter_text="a long filter text",
    )
    for width in (40, 60, 78, 100, 118, 200):
        rows = facet_content(state, width).plain.split("\n")
        assert len(rows) == 2
        assert all(cell_len(row) <= width for row in rows), (width, rows)
    wide = facet_content(state, 400).plain
    assert wide.startswith("Family ")
    assert "matching “a long filter text”" in wide


async def _board(pilot: Pilot[Any]) -> JobListScreen:
    app: Any = pilot.app
    await wait_until(pilot, lambda: app.jobs is not None and app.jobs.complete, "a snapshot")
    screen = app.screen
    assert isinstance(screen, JobListScreen)
    await wait_until(pilot, lambda: len(screen.table.order) > 0, "rows on the board")
    await pilot.pause()
    return screen


def _footer_keys(screen: JobListScreen) -> dict[str, Widget]:
    return {str(getattr(key, "key", "")): key for key in screen.query("FooterKey")}


def _fitted(screen: JobListScreen) -> bool:
    return screen.table.fit_columns


async def test_board_at_80x24(make_app: Callable[..., Any], make_sim: Callable[..., Any]) -> None:
    app = make_app(make_sim(jobs=60, seed=1))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _board(pilot)
        # Both facet rows, one line each.
        rows = screen.facets.text.split("\n")
        assert len(rows) == 2
        assert all(cell_len(row) <= screen.facets.content_region.width for row in rows)
        assert "running" in rows[1]
        assert screen.facets.region.height == 2
        # Columns fitted: the least important left out, every one drawn inside the width.
        table = screen.table
        layout = table.column_layout
        assert layout.total <= table.scrollable_content_region.width
        assert {c.key for c in layout.hidden} == {"created", "fresh"}
        assert {"failed", "updated", "status", "progress"} <= {c.key for c in layout.columns}
        assert table.max_scroll_x == 0
        # The footer keeps q and f1 and offers w; every key inside the screen.
        await wait_until(pilot, lambda: "w" in _footer_keys(screen), "w in the footer")
        keys = _footer_keys(screen)
        assert {"q", "f1", "w", "enter", "slash"} <= keys.keys()
        assert all(key.region.right <= 80 for key in keys.values())
        # w: every column at its width, the table scrolls sideways; w again fits them.
        await pilot.press("w")
        await pilot.pause()
        assert not _fitted(screen)
        assert table.column_layout.columns == BOARD_COLUMNS
        assert table.max_scroll_x > 0
        await pilot.press("right")
        await pilot.pause()
        assert table.scroll_offset.x > 0
        await pilot.press("w")
        await pilot.pause()
        assert _fitted(screen)
        assert table.scroll_offset.x == 0
        assert table.max_scroll_x == 0


async def test_board_at_120x40_has_every_column_and_no_w(
    make_app: Callable[..., Any], make_sim: Callable[..., Any]
) -> None:
    app = make_app(make_sim(jobs=60, seed=1))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _board(pilot)
        assert screen.table.column_layout.hidden == ()
        await wait_until(pilot, lambda: "q" in _footer_keys(screen), "the footer")
        keys = _footer_keys(screen)
        assert "w" not in keys
        assert {"q", "f1", "r", "p", "h"} <= keys.keys()
        # Narrowing the terminal brings w into the footer.
        await pilot.resize_terminal(80, 24)
        await wait_until(pilot, lambda: "w" in _footer_keys(screen), "w after the resize")
        assert {"q", "f1"} <= _footer_keys(screen).keys()
