"""A poll repaints the cells that changed, not the lines that hold them.

The board's terminal output per poll is measured by `benchmarks/run.py` (budget: 1,024
bytes for 10 changed rows at 120x40). These tests pin down why it stays small: the
regions the table, the status bar and the facets ask to repaint.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from textual.geometry import Region
from textual.widget import Widget

from ztui.api.models import JobState
from ztui.screens.jobs import JobListScreen
from ztui.widgets.table_frame import JobTableFrame

from .board_harness import NOW, BoardHarness, make_job, make_snapshot

pytestmark = pytest.mark.anyio


def _spy(widget: Widget) -> list[tuple[Region, ...]]:
    calls: list[tuple[Region, ...]] = []
    original = widget.refresh

    def spy(*regions: Region, **kwargs: Any) -> Any:
        calls.append(regions)
        return original(*regions, **kwargs)

    widget.refresh = spy  # type: ignore[method-assign]
    return calls


async def _board(app: BoardHarness, pilot: Any) -> JobListScreen:
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, JobListScreen)
    return screen


def _span(screen: JobListScreen, first: str, last: str) -> tuple[int, int]:
    layout = screen.table.column_layout
    keys = [c.key for c in layout.columns]
    start = layout.offsets()[keys.index(first)]
    end = layout.offsets()[keys.index(last)] + layout.widths[keys.index(last)]
    return start, end - start


async def test_a_poll_repaints_the_changed_cells_only() -> None:
    app = BoardHarness()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _board(app, pilot)
        jobs = [make_job(i) for i in range(200)]
        app.jobs = make_snapshot(jobs)
        await pilot.pause()
        table = screen.table
        visible = table.order[:10]
        table_calls = _spy(table)
        facet_calls = _spy(screen.facets)
        polled = [
            replace(job, progress=0.75, processed=(job.processed or 0) + 1)
            if job.key in visible
            else job
            for job in jobs
        ]
        app.jobs = make_snapshot(polled, seq=2)
        await pilot.pause()
        x, width = _span(screen, "progress", "processed")
        assert sorted((r.x, r.y, r.width, r.height) for (r,) in table_calls) == [
            (x, y, width, 1) for y in range(1, 11)
        ]
        assert facet_calls == []
        # A status change takes the status cell along (it is next to the progress).
        table_calls.clear()
        key = visible[3]
        changed = [
            replace(job, state=JobState.FAILED, status="Failed", failed=5)
            if job.key == key
            else job
            for job in polled
        ]
        app.jobs = make_snapshot(changed, seq=3)
        await pilot.pause()
        # Status and the failed count changed; progress and done did not.
        status, failed = _span(screen, "status", "status"), _span(screen, "failed", "failed")
        assert sorted((r.x, r.y, r.width) for (r,) in table_calls) == [
            (status[0], 4, status[1]),
            (failed[0], 4, failed[1]),
        ]


async def test_ages_repaint_only_when_their_text_changes() -> None:
    app = BoardHarness()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _board(app, pilot)
        jobs = [make_job(i) for i in range(20)]
        app.jobs = make_snapshot(jobs)
        await pilot.pause()
        table = screen.table
        calls = _spy(table)
        # Ten seconds later every age still reads the same ("59m" stays "59m").
        table.apply(make_snapshot(jobs, seq=2), now=NOW + 10)
        await pilot.pause()
        assert calls == []
        # Two minutes later every visible age moves on: only the Upd cells repaint.
        table.apply(make_snapshot(jobs, seq=3), now=NOW + 120)
        await pilot.pause()
        x, width = _span(screen, "updated", "updated")
        assert calls
        assert {(r.x, r.width) for (r,) in calls} == {(x, width)}


async def test_the_status_bar_repaints_the_clock_and_counters_only() -> None:
    app = BoardHarness()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _board(app, pilot)
        jobs = [make_job(i) for i in range(20)]
        app.jobs = make_snapshot(jobs)
        await pilot.pause()
        lines = list(screen.status_bar.query("_StatusLine"))
        calls = [_spy(line) for line in lines]
        snapshot = make_snapshot(jobs, seq=2)
        budget = replace(snapshot.budget, remaining=9_870, calls_made=48)
        app.jobs = replace(snapshot, polled_at=NOW + 2, budget=budget)
        await pilot.pause()
        assert calls[0] == []
        assert calls[2] == []
        ((region,),) = calls[1]
        text = screen.status_bar.text.split("\n")[1]
        # From the clock's seconds to the call counter, not the whole line.
        assert region.x == text.index("12:00:02") + len("12:00:0")
        assert region.right == text.index("48 calls") + len("48")
        assert region.width < len(text)


async def test_cuts_sit_behind_the_live_columns() -> None:
    app = BoardHarness()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _board(app, pilot)
        app.jobs = make_snapshot([make_job(i) for i in range(50)])
        await pilot.pause()
        frame = screen.query_one(JobTableFrame)
        cuts = list(frame.query("_Cut"))
        table = screen.table
        starts = [_span(screen, key, key)[0] for key in ("status", "progress")]
        assert [cut.region.x - table.region.x for cut in cuts] == starts
        assert all(cut.region.y == table.region.y + 1 for cut in cuts)
        # Behind the table: what is on screen there is the table.
        for cut in cuts:
            widget, _ = screen.get_widget_at(cut.region.x, cut.region.y + 2)
            assert widget is table
        # Scrolled sideways (every column shown at 80 columns), the cuts follow.
        await pilot.resize_terminal(80, 24)
        await pilot.press("w")
        await pilot.pause()
        table.scroll_to(x=10, animate=False, immediate=True)
        await pilot.pause()
        starts = [_span(screen, key, key)[0] - 10 for key in ("status", "progress")]
        assert [cut.region.x - table.region.x for cut in cuts] == starts
