"""Provides `JobTableFrame`: the job table with invisible cuts behind its live columns.

Textual sends a refreshed region of a line from the start of the widget piece that holds
it: the compositor cuts lines only where widgets begin and end (`ChopsUpdate.
render_segments` in textual/_compositor.py, Textual 8.2). A table row is one piece, so
repainting the progress cell alone still sent the family, id and kind before it. The
frame keeps an empty widget behind the table's rows from the left edge of each live
column (status, progress) rightwards; the table hides it, but its edge splits the rows
there, so a changed progress cell goes out as the cell and the counter after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.widget import Widget

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from ztui.widgets.job_table import JobTable

CUT_BEFORE = ("status", "progress")
"""Columns a poll often changes, with the counters to their right: each starts a cut.
Columns whose values change together sit next to each other in `ztui.view.columns`."""


class _Cut(Widget):
    """An empty widget behind the table; only its left edge matters (see `JobTableFrame`)."""

    DEFAULT_CSS = """
    _Cut {
        layer: cuts;
        position: absolute;
        width: 100%;
        height: 100%;
        display: none;
    }
    """

    def render(self) -> str:
        """Nothing: the table covers it."""
        return ""


class JobTableFrame(Widget):
    """The job table, with invisible cuts behind it so that a poll sends only changed cells."""

    DEFAULT_CSS = """
    JobTableFrame {
        layers: cuts default;
        height: 1fr;
    }
    """

    def __init__(self, table: JobTable, *, id: str | None = None) -> None:
        """Frame `table`.

        Args:
            table: The job table.
            id: Widget id.
        """
        super().__init__(id=id)
        self._table = table
        self._cuts = tuple(_Cut() for _ in CUT_BEFORE)
        self._placed: tuple[int | None, ...] = ()
        table.columns_moved = self._follow

    def compose(self) -> ComposeResult:
        """The cuts (behind), then the table."""
        # Placed for the terminal's width before the first layout: moving them later
        # costs a layout and a repaint of the table right of them.
        width = self.app.size.width
        self.place_cuts(self._table.column_starts(CUT_BEFORE, width), self._table.row_width(width))
        yield from self._cuts
        yield self._table

    def _follow(self, table: JobTable) -> None:
        self.place_cuts(table.column_starts(CUT_BEFORE), table.row_width())

    def place_cuts(self, starts: Sequence[int], width: int) -> None:
        """Move the cuts to the rows' cells `starts` (from the table's left edge).

        Args:
            starts: Left edge of each live column on screen, in table cells.
            width: Cells of a row; a cut outside the row is hidden.
        """
        placed = tuple(
            starts[i] if i < len(starts) and 0 < starts[i] < width else None
            for i in range(len(self._cuts))
        )
        if placed == self._placed:
            return
        # Each move repaints the table from the cut rightwards once, so cuts move only
        # when the columns do (a resize, `w`, scrolling sideways).
        self._placed = placed
        for cut, x in zip(self._cuts, placed, strict=True):
            if x is not None:
                cut.styles.offset = (x, 1)
            cut.display = x is not None
