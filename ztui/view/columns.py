"""Provides the job board's columns: one model for the board and for `ztui jobs`.

Each `Column` says what its header reads, how a job becomes cell text, which style name
the cell takes, how wide it may be, how it is aligned and how soon it gives way on a
narrow terminal (`priority`). `layout_columns` fits the columns to a width; `fit_cells`
pads or cuts text to an exact number of terminal cells, so wide characters (CJK, emoji)
in a name never push a row out of line. Widths are always cells (`rich.cells.cell_len`),
never `len()`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

from rich.cells import cell_len, set_cell_size

from ztui.api.models import Family, Job, JobState

Align = Literal["left", "right"]
"""Where text sits in a cell wider than it."""
Cut = Literal["end", "middle"]
"""Where text too wide for its cell is shortened (an ellipsis marks the cut)."""

GAP = 1
"""Cells between two columns."""

ELLIPSIS = "…"

_FAMILY_ORDER = {family: index for index, family in enumerate(Family)}
_STATE_ORDER = {state: index for index, state in enumerate(JobState)}

FRESHNESS_TEXT = {
    "ok": "",
    "pending": "…",
    "stale": "stale",
    "rate_limited": "429",
    "auth_error": "auth",
    "unsupported": "n/a",
}
"""What the Fresh column says for each family state."""


# --------------------------------------------------------------------------- text


def fit_cells(text: str, width: int, align: Align = "left", cut: Cut = "end") -> str:
    """Pad or shorten `text` to exactly `width` terminal cells.

    Args:
        text: One line of text; may hold wide characters.
        width: Cells the result takes.
        align: Where padding goes.
        cut: Where an ellipsis replaces text that does not fit.

    Returns:
        Text whose `cell_len` is `width`.
    """
    if width <= 0:
        return ""
    size = cell_len(text)
    if size > width:
        # A wide character cut in half leaves a blank cell; the ellipsis takes its place.
        if cut == "middle" and width >= 5:
            head_cells = (width - 1) // 2
            head = set_cell_size(text, head_cells).rstrip()
            text = head + ELLIPSIS + _tail(text, width - 1 - cell_len(head))
        else:
            text = set_cell_size(text, width - 1).rstrip() + ELLIPSIS
        size = cell_len(text)
    padding = " " * (width - size)
    return padding + text if align == "right" else text + padding


def _tail(text: str, cells: int) -> str:
    """The longest end of `text` that takes at most `cells` cells."""
    for start in range(len(text)):
        if cell_len(text[start:]) <= cells:
            return text[start:]
    return ""


def one_line(text: str) -> str:
    """`text` with every run of whitespace (newlines, tabs) turned into one space."""
    return " ".join(text.split())


def format_age(seconds: float | None) -> str:
    """A coarse relative age: `<1m`, `5m`, `3h`, `2d` (coarse so rows rarely repaint).

    Args:
        seconds: Elapsed seconds, or None when unknown.

    Returns:
        The age text, empty when unknown.
    """
    if seconds is None or not math.isfinite(seconds):
        return ""
    if seconds < 60:
        return "<1m"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"


def format_progress(progress: float | None, width: int = 10) -> str:
    """A small bar and a percentage, e.g. `███░░  60%`; only the percentage when narrow.

    Args:
        progress: 0..1, or None when the family reports none.
        width: Cells available.

    Returns:
        The progress text, empty when unknown.
    """
    if progress is None:
        return ""
    percent = f"{progress:>4.0%}"
    bar_width = width - len(percent) - 1
    if bar_width < 3:
        return percent
    filled = round(progress * bar_width)
    return "█" * filled + "░" * (bar_width - filled) + " " + percent


def _count(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _created(job: Job, width: int) -> str:
    # Rendered in UTC so that screenshots and tests don't depend on the machine's zone.
    if job.created_at is None:
        return ""
    stamp = job.created_at.astimezone(UTC)
    return stamp.strftime("%Y-%m-%d %H:%M" if width >= 16 else "%m-%d %H:%M")


def _timestamp(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def job_age(job: Job, now: float) -> str:
    """How long ago the job last changed (else was created), as `format_age` puts it."""
    stamp = job.updated_at or job.created_at
    return "" if stamp is None else format_age(now - stamp.timestamp())


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class RowContext:
    """What a cell may need besides its job."""

    now: float
    """Epoch seconds, for relative ages."""
    family_state: str = "ok"
    """How fresh the job's family is (`FamilyStatus.state`)."""
    marked: bool = False
    """The user marked the job on the board for a bulk action (its id shows `MARK`)."""
    dry_run: bool = False
    """The job is a dry run (its kind shows `DRY_RUN`)."""


MARK: Final = "● "
"""What a marked job's id starts with on the board."""
DRY_RUN: Final = "(dry run) "
"""What a dry run's kind starts with, on the board and in `ztui jobs`."""


def _no_style(job: Job, context: RowContext) -> str | None:
    return None


@dataclass(frozen=True)
class Column:
    """One column of the job board and of `ztui jobs`."""

    key: str
    """Stable name, used for sorting and by the command palette."""
    header: str
    """Header text."""
    cell: Callable[[Job, RowContext, int], str]
    """The cell text of a job, given the cells the column has (it may be wider; it is
    cut to fit)."""
    sort_value: Callable[[Job], Any]
    """Value to sort by; None sorts last in either direction."""
    width: int
    """Width when the terminal has room for every column."""
    min_width: int | None = None
    """Narrowest it shrinks to before it is dropped (None: `width`)."""
    max_width: int | None = None
    """Widest it grows into spare room (None: no limit)."""
    grow: int = 0
    """Share of spare width it takes (0: fixed)."""
    priority: int = 0
    """On a narrow terminal the highest number shrinks first, then is dropped first."""
    align: Align = "left"
    """Where the text sits in its cell."""
    cut: Cut = "end"
    """Where text too wide is shortened."""
    style: Callable[[Job, RowContext], str | None] = _no_style
    """Style name of the cell (the board draws `job-table--<name>`), None for the row's."""
    short_header: str | None = None
    """Header used when `header` does not fit."""
    board: bool = True
    """Shown on the board."""
    headless: bool = True
    """Printed by `ztui jobs`."""

    @property
    def narrowest(self) -> int:
        """`min_width`, or `width` when the column does not shrink."""
        return self.width if self.min_width is None else self.min_width

    def header_text(self, width: int) -> str:
        """The header for `width` cells: the short header when the long one does not fit."""
        if cell_len(self.header) > width and self.short_header is not None:
            return self.short_header
        return self.header

    def text(self, job: Job, context: RowContext, width: int) -> str:
        """The cell of `job`, exactly `width` cells wide."""
        return fit_cells(self.cell(job, context, width), width, self.align, self.cut)


def _state_style(job: Job, context: RowContext) -> str:
    return f"state-{job.state.value}"


def _marked_style(job: Job, context: RowContext) -> str | None:
    return "marked" if context.marked else None


def _dry_run_style(job: Job, context: RowContext) -> str | None:
    return "dry-run" if context.dry_run else None


def _failed_style(job: Job, context: RowContext) -> str | None:
    return "failed-count" if job.failed else None


COLUMNS: tuple[Column, ...] = (
    Column(
        "family",
        "Family",
        lambda j, c, w: j.family.label,
        lambda j: _FAMILY_ORDER[j.family],
        width=13,
        priority=2,
    ),
    Column(
        "id",
        "Id",
        lambda j, c, w: MARK + j.id if c.marked else j.id,
        lambda j: j.id,
        width=14,
        min_width=12,
        max_width=36,
        grow=2,
        priority=0,
        # Ids of one tenant often share a prefix; keep both ends visible.
        cut="middle",
        style=_marked_style,
    ),
    Column(
        "kind",
        "Kind",
        lambda j, c, w: DRY_RUN + one_line(j.kind) if c.dry_run else one_line(j.kind),
        lambda j: j.kind.lower(),
        width=16,
        min_width=10,
        max_width=32,
        grow=1,
        priority=3,
        style=_dry_run_style,
    ),
    Column(
        "status",
        "Status",
        lambda j, c, w: one_line(j.status) or "(none)",
        lambda j: (_STATE_ORDER[j.state], j.status.lower()),
        width=11,
        priority=1,
        style=_state_style,
    ),
    Column(
        "state",
        "State",
        lambda j, c, w: j.state.value,
        lambda j: _STATE_ORDER[j.state],
        width=9,
        style=_state_style,
        board=False,
    ),
    Column(
        "progress",
        "Progress",
        lambda j, c, w: format_progress(j.progress, w),
        lambda j: j.progress,
        width=10,
        min_width=4,
        priority=5,
        short_header="Prog",
    ),
    Column(
        "processed",
        "Done",
        lambda j, c, w: _count(j.processed),
        lambda j: j.processed,
        width=8,
        min_width=7,
        priority=4,
        align="right",
    ),
    Column(
        "failed",
        "Failed",
        lambda j, c, w: _count(j.failed),
        lambda j: j.failed,
        width=6,
        priority=6,
        align="right",
        style=_failed_style,
    ),
    Column(
        "created",
        "Created (UTC)",
        lambda j, c, w: _created(j, w),
        lambda j: _timestamp(j.created_at),
        width=16,
        min_width=11,
        priority=8,
        short_header="Created",
    ),
    Column(
        "updated",
        "Upd",
        lambda j, c, w: job_age(j, c.now),
        lambda j: _timestamp(j.updated_at or j.created_at),
        width=4,
        priority=7,
        align="right",
    ),
    Column(
        "fresh",
        "Fresh",
        lambda j, c, w: FRESHNESS_TEXT.get(c.family_state, c.family_state),
        lambda j: None,
        width=5,
        priority=9,
        headless=False,
    ),
    Column(
        "message",
        "Message",
        lambda j, c, w: one_line(j.message or ""),
        lambda j: j.message or "",
        width=7,
        max_width=60,
        board=False,
    ),
)
"""Every column, left to right; `board` and `headless` say where each is shown."""

BOARD_COLUMNS: tuple[Column, ...] = tuple(column for column in COLUMNS if column.board)
"""The board's columns, left to right."""

HEADLESS_COLUMNS: tuple[Column, ...] = tuple(column for column in COLUMNS if column.headless)
"""The columns `ztui jobs` prints, left to right."""

COLUMN_KEYS: tuple[str, ...] = tuple(column.key for column in BOARD_COLUMNS)
"""Keys of the board's columns in display order."""

_BY_KEY = {column.key: column for column in COLUMNS}


def column_by_key(key: str) -> Column | None:
    """The column named `key`, None when there is none."""
    return _BY_KEY.get(key)


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class ColumnLayout:
    """Which columns are drawn, how wide, and which gave way to a narrow terminal."""

    columns: tuple[Column, ...]
    """Columns drawn, left to right."""
    widths: tuple[int, ...]
    """Cells of each drawn column."""
    hidden: tuple[Column, ...] = ()
    """Columns dropped because the width did not hold them."""
    needed: int = 0
    """Cells the row needs before spare room is shared out; wider than the available
    width only without `fit` (or when even one column does not fit)."""

    @property
    def total(self) -> int:
        """Cells of a whole row, gaps included."""
        return sum(self.widths) + GAP * max(0, len(self.widths) - 1)

    def offsets(self) -> tuple[int, ...]:
        """The first cell of each drawn column."""
        starts: list[int] = []
        x = 0
        for width in self.widths:
            starts.append(x)
            x += width + GAP
        return tuple(starts)


def _span(widths: Iterable[int]) -> int:
    values = list(widths)
    return sum(values) + GAP * max(0, len(values) - 1)


def layout_columns(columns: Sequence[Column], available: int, *, fit: bool = True) -> ColumnLayout:
    """Fit `columns` to `available` cells.

    With room to spare, growing columns share it (up to their `max_width`). Short of room
    and with `fit`, the columns of the highest `priority` shrink to their `min_width`
    first, then are dropped, until the rest fit; without `fit` every column keeps its
    width and the row is wider than `available` (the board then scrolls sideways).

    Args:
        columns: Candidate columns, left to right.
        available: Cells of the row.
        fit: Shrink and drop columns to fit.

    Returns:
        The columns drawn, their widths and the columns dropped.
    """
    shown = list(columns)
    hidden: list[Column] = []
    if fit:
        # Drop the least important columns until the rest fit at their narrowest.
        while len(shown) > 1 and _span(c.narrowest for c in shown) > available:
            dropped = max(shown, key=lambda c: c.priority)
            shown.remove(dropped)
            hidden.append(dropped)
    widths = [column.width for column in shown]
    excess = _span(widths) - available
    if fit and excess > 0:
        for i in sorted(range(len(shown)), key=lambda i: -shown[i].priority):
            give = min(excess, widths[i] - shown[i].narrowest)
            widths[i] -= give
            excess -= give
            if excess <= 0:
                break
    needed = _span(widths)
    _share_spare(shown, widths, available - needed)
    order = {column.key: i for i, column in enumerate(columns)}
    return ColumnLayout(
        tuple(shown),
        tuple(widths),
        tuple(sorted(hidden, key=lambda c: order[c.key])),
        needed,
    )


def _share_spare(columns: Sequence[Column], widths: list[int], spare: int) -> None:
    """Hand out spare width in rounds so capped columns pass their share on."""
    while spare > 0:
        growers = [
            i
            for i, column in enumerate(columns)
            if column.grow and (column.max_width is None or widths[i] < column.max_width)
        ]
        if not growers:
            return
        total = sum(columns[i].grow for i in growers)
        given = 0
        for i in growers:
            column = columns[i]
            share = max(1, spare * column.grow // total)
            if column.max_width is not None:
                share = min(share, column.max_width - widths[i])
            share = min(share, spare - given)
            widths[i] += share
            given += share
            if given >= spare:
                break
        if given == 0:
            return
        spare -= given


# --------------------------------------------------------------------------- plain text


def plain_table(
    jobs: Iterable[Job],
    now: float,
    columns: Sequence[Column] = HEADLESS_COLUMNS,
    *,
    separator: str = "  ",
    blank: str = "-",
    dry_run: Callable[[Job], bool] = lambda job: job.dry_run is True,
) -> str:
    """Jobs as a plain text table: the board's headers and cell text, aligned by cells.

    Each column is as wide as its widest cell (at most its `max_width`, at least its
    `width` for cells whose text depends on the width, such as the progress bar).

    Args:
        jobs: The rows.
        now: Epoch seconds, for relative ages.
        columns: The columns to print.
        separator: Text between two columns.
        blank: What an empty cell shows, so that every column keeps a word.
        dry_run: Whether a job is a dry run (by default: the job says so).

    Returns:
        The header line and one line per job, trailing spaces removed.
    """
    plain, dry = RowContext(now), RowContext(now, dry_run=True)
    rows = [
        [
            column.cell(job, dry if dry_run(job) else plain, column.width) or blank
            for column in columns
        ]
        for job in jobs
    ]
    widths: list[int] = []
    for i, column in enumerate(columns):
        natural = max([cell_len(column.header), *(cell_len(row[i]) for row in rows)])
        widths.append(natural if column.max_width is None else min(natural, column.max_width))
    lines = [
        separator.join(
            fit_cells(column.header, width, column.align)
            for column, width in zip(columns, widths, strict=True)
        ).rstrip()
    ]
    for row in rows:
        lines.append(
            separator.join(
                fit_cells(text, width, column.align, column.cut)
                for text, column, width in zip(row, columns, widths, strict=True)
            ).rstrip()
        )
    return "\n".join(lines)
