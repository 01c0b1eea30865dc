"""The one column model: cell widths in terminal cells, the board's rows and `ztui jobs`.

Wide characters (CJK, emoji) in a kind or object name take two cells each; rows must
still line up, on the board and in the headless table, because both measure with
`rich.cells.cell_len` and cut by cells.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len

from ztui.api.models import Family, Job, JobState
from ztui.cli.headless.output import jobs_table
from ztui.screens.jobs import JobListScreen
from ztui.view.columns import (
    BOARD_COLUMNS,
    GAP,
    HEADLESS_COLUMNS,
    RowContext,
    fit_cells,
    layout_columns,
)

from .board_harness import NOW, BoardHarness, make_job, make_snapshot

WIDE_KINDS = (
    "予約:更新",
    "車両🚗:create",
    "乗客👨‍👩‍👧:update",
    "Ünïcödé mix 漢字 and ascii",
    "plain",
)


def _wide_jobs() -> list[Job]:
    jobs = []
    for i, kind in enumerate(WIDE_KINDS):
        job = make_job(i + 1, kind=kind, family=Family.CUSTOM_OBJECT, failed=None)
        jobs.append(replace(job, id=f"{i:08x}-aaaa-bbbb-cccc-{i:012x}"))
    jobs.append(make_job(9, state=JobState.FAILED, status="Failed", failed=3))
    return jobs


@pytest.mark.parametrize("width", [0, 1, 2, 3, 5, 8, 13, 30])
@pytest.mark.parametrize("text", [*WIDE_KINDS, "", "x" * 40])
@pytest.mark.parametrize("cut", ["end", "middle"])
def test_fit_cells_gives_exactly_the_width_in_cells(text: str, width: int, cut: Any) -> None:
    fitted = fit_cells(text, width, "left", cut)
    assert cell_len(fitted) == width
    right = fit_cells(text, width, "right", cut)
    assert cell_len(right) == width
    if cell_len(text) > width > 0:
        assert "…" in fitted


def test_fit_cells_keeps_text_that_fits_and_pads_by_cells() -> None:
    assert fit_cells("予約", 6) == "予約  "
    assert fit_cells("予約", 6, "right") == "  予約"
    assert fit_cells("予約:更新", 6) == "予約:…"


@pytest.mark.parametrize("available", range(30, 220, 7))
def test_layout_fits_and_drops_the_least_important_first(available: int) -> None:
    layout = layout_columns(BOARD_COLUMNS, available)
    assert layout.total <= available or len(layout.columns) == 1
    assert [c.key for c in layout.columns] == [c.key for c in BOARD_COLUMNS if c in layout.columns]
    for column, width in zip(layout.columns, layout.widths, strict=True):
        assert column.narrowest <= width
        assert column.max_width is None or width <= max(column.max_width, column.width)
    if layout.hidden:
        kept = max(c.priority for c in layout.columns)
        assert all(c.priority >= kept for c in layout.hidden)


def test_layout_keeps_every_column_at_its_width_when_there_is_room() -> None:
    natural = sum(c.width for c in BOARD_COLUMNS) + GAP * (len(BOARD_COLUMNS) - 1)
    layout = layout_columns(BOARD_COLUMNS, natural)
    assert layout.hidden == ()
    assert layout.widths == tuple(c.width for c in BOARD_COLUMNS)
    wide = layout_columns(BOARD_COLUMNS, 60, fit=False)
    assert wide.columns == BOARD_COLUMNS
    assert wide.needed == natural


@pytest.mark.anyio
@pytest.mark.parametrize("size", [(120, 40), (80, 24), (100, 30)])
async def test_board_rows_line_up_with_wide_characters(size: tuple[int, int]) -> None:
    app = BoardHarness()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, JobListScreen)
        jobs = _wide_jobs()
        app.jobs = make_snapshot(jobs)
        await pilot.pause()
        table = screen.table
        layout = table.column_layout
        width = table.scrollable_content_region.width
        lines = [table.render_line(y) for y in range(len(jobs) + 1)]
        assert {line.cell_length for line in lines} == {width}
        # Every column starts at the same cell on every line, after a blank gap.
        for start in layout.offsets()[1:]:
            for line in lines:
                gap = line.crop(start - GAP, start).text
                assert gap == " ", (start, line.text)
        texts = {line.text for line in lines[1:]}
        kinds = {c.key for c in layout.columns}
        if "kind" in kinds:
            assert any("予約" in text for text in texts)


def test_headless_table_prints_the_board_cells_aligned() -> None:
    jobs = _wide_jobs()
    lines = jobs_table(jobs, NOW).splitlines()
    header = lines[0]
    positions = [header.index(column.header) for column in HEADLESS_COLUMNS]
    assert positions == sorted(positions)
    # The board's header names, in the board's order, plus State and Message.
    board_keys = [c.key for c in HEADLESS_COLUMNS if c.board]
    assert board_keys == [c.key for c in BOARD_COLUMNS if c.headless]
    context = RowContext(NOW)
    for job, line in zip(jobs, lines[1:], strict=True):
        assert cell_len(line.rstrip()) <= cell_len(lines[0]) + 60
        for column in HEADLESS_COLUMNS:
            text = column.cell(job, context, column.width)
            if text and (column.max_width is None or cell_len(text) <= column.max_width):
                assert text in line, (column.key, text, line)
    # Columns start at the same cell on every line: the cells before the Status column
    # are as wide on every line.
    status_at = cell_len(header[: header.index("Status")])
    for line, job in zip(lines[1:], jobs, strict=True):
        index = line.index(job.status)
        assert cell_len(line[:index]) == status_at, line


def test_board_modules_stay_under_900_lines() -> None:
    root = Path(__file__).resolve().parents[2] / "ztui"
    for folder in ("widgets", "view"):
        for path in (root / folder).glob("*.py"):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            assert lines <= 900, f"{path.name} has {lines} lines"
