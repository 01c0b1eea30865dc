"""Every status stays readable on the cursor row, in every theme ztui offers.

The cursor row used to be drawn in full `$primary` (a partial style drops the alpha of
`$primary 45%`), which is exactly the colour of a running job's status: "Processing" on
the cursor row was invisible. These tests render the cursor row of a job in each state,
in each built-in theme plus `ztui`, with the table focused and not, and measure the
status cell's colours as drawn.
"""

from __future__ import annotations

import pytest
from rich.color import Color as RichColor
from rich.style import Style
from textual.color import Color

from ztui.api.models import JobState
from ztui.screens.jobs import JobListScreen
from ztui.widgets.job_table import JobTable
from ztui.widgets.theme import MIN_CONTRAST, contrast_ratio

from .board_harness import BoardHarness, make_job, make_snapshot

pytestmark = pytest.mark.anyio

STATUS = {JobState.RUNNING: "Processing", JobState.QUEUED: "in_progress"}


def _cell_style(table: JobTable, y: int, key: str) -> Style:
    layout = table.column_layout
    index = [c.key for c in layout.columns].index(key)
    start = layout.offsets()[index]
    segments = list(table.render_line(y).crop(start, start + 1))
    style = segments[0].style
    assert style is not None
    return style


def _check(theme: str, variables: dict[str, str], style: Style, what: str) -> list[str]:
    fg, bg = style.color, style.bgcolor
    assert fg is not None, (theme, what, "no colour")
    assert bg is not None, (theme, what, "no background")
    if fg == bg:
        return [f"{theme}: {what} drawn {fg.name} on {bg.name}"]
    if bg.is_system_defined:
        # ANSI: the terminal's palette decides, so only the theme's cursor pair is safe.
        pair = (
            Color.parse(variables["block-cursor-foreground"]).rich_color,
            Color.parse(variables["block-cursor-background"]).rich_color,
        )
        if (fg, bg) != pair:
            return [f"{theme}: {what} is {fg.name} on {bg.name}, not the cursor pair {pair}"]
        return []
    ratio = contrast_ratio(fg, bg)
    if ratio < MIN_CONTRAST:
        return [f"{theme}: {what} {fg.name} on {bg.name} has contrast {ratio:.2f}"]
    return []


async def test_every_status_reads_on_the_cursor_row_in_every_theme() -> None:
    app = BoardHarness()
    async with app.run_test(size=(120, 20)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, JobListScreen)
        jobs = [
            make_job(i + 1, state=state, status=STATUS.get(state), failed=2)
            for i, state in enumerate(JobState)
        ]
        app.jobs = make_snapshot(jobs)
        await pilot.pause()
        table = screen.table
        themes = sorted(app.available_themes)
        assert {"ztui", "textual-dark", "textual-light", "ansi-dark", "ansi-light"} <= set(themes)
        problems: list[str] = []
        checked = 0
        for theme in themes:
            app.theme = theme
            await pilot.pause()
            variables = app.theme_variables
            for focused in (True, False):
                if focused:
                    table.focus()
                else:
                    screen.action_filter()  # the filter input takes the focus
                await pilot.pause()
                assert table.has_focus is focused
                for key in table.order:
                    table.move_cursor_to(key)
                    y = (table.cursor_index or 0) + 1
                    state = table.jobs[key].state.value
                    where = f"{'focused' if focused else 'blurred'} {state}"
                    for column in ("status", "failed", "id"):
                        style = _cell_style(table, y, column)
                        problems += _check(theme, variables, style, f"{where} {column}")
                        checked += 1
            table.focus()
            screen.action_clear_filter()
            await pilot.pause()
        assert checked == len(themes) * 2 * len(JobState) * 3
        assert not problems, "\n".join(problems)


def test_contrast_ratio_matches_wcag() -> None:
    black, white = RichColor.from_rgb(0, 0, 0), RichColor.from_rgb(255, 255, 255)
    assert contrast_ratio(black, white) == pytest.approx(21.0)
    assert contrast_ratio(white, white) == pytest.approx(1.0)
    blue = RichColor.parse("#4C9BE8")
    assert contrast_ratio(blue, blue) < MIN_CONTRAST
