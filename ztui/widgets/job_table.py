"""Provides the job table: one row per job, rendered on demand, updated in place.

`JobTable` is a Line-API `ScrollView` (toolong's approach for huge logs): it keeps the
ordered list of visible job keys and renders only the lines on screen, so 10,000 jobs cost
no more to show than 40. Each snapshot is diffed against what the table last showed;
when the visible order is unchanged only the cells whose content changed are repainted,
which keeps a poll's terminal output small (`JobTableFrame`, in `table_frame`, makes
Textual send them from the cell rather than from the start of the line).

The columns come from one model (`ztui.view.columns`, re-exported by
`ztui.widgets.job_view`), fitted to the width by `layout_columns`; the view logic (text
filter, facets, age-based hiding, sorting) is the pure `compute_view` in `job_view`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ztui.api.models import Family, Job, JobState
from ztui.widgets.job_view import (
    BOARD_COLUMNS,
    COLUMN_KEYS,
    COLUMNS,
    ColumnLayout,
    HaystackCache,
    JobKey,
    RowContext,
    ViewOptions,
    ViewResult,
    compute_view,
    fit_cells,
    format_age,
    format_progress,
    job_age,
    layout_columns,
    neighbour,
    same_place,
    sorted_keys,
)
from ztui.widgets.theme import readable_color

if TYPE_CHECKING:
    from textual.timer import Timer

    from ztui.service.snapshot import JobSnapshot

__all__ = [
    "COLUMNS",
    "COLUMN_KEYS",
    "JobKey",
    "JobTable",
    "ViewOptions",
    "ViewResult",
    "compute_view",
    "format_age",
    "format_progress",
]

WARM_UP_AFTER_S = 0.5
"""How long after a complete snapshot the table makes the search texts of new jobs."""

# Family freshness states in which the family's rows may be out of date and are dimmed.
_DIM_FAMILY_STATES = frozenset({"stale", "rate_limited", "auth_error"})


# --------------------------------------------------------------------------- widget


class JobTable(ScrollView, can_focus=True):
    """Live list of jobs, one line each, rendered only where visible.

    The screen feeds it whole snapshots with `apply`; the user's filter, facets and sort
    are set with `set_options`. The cursor follows a job, not a row number.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False, id="jobs.cursor_up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="jobs.cursor_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="jobs.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="jobs.page_down"),
        Binding("home", "first", "First job", show=False, id="jobs.first"),
        Binding("end", "last", "Last job", show=False, id="jobs.last"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "job-table--header",
        "job-table--sorted",
        "job-table--cursor",
        "job-table--stale",
        "job-table--failed-count",
        "job-table--marked",
        "job-table--dry-run",
        "job-table--empty",
        *(f"job-table--state-{state.value}" for state in JobState),
    }

    DEFAULT_CSS = """
    JobTable {
        height: 1fr;
        overflow-x: auto;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
    }
    """

    @dataclass
    class JobHighlighted(Message):
        """The cursor moved to another job (or off every job)."""

        key: JobKey | None
        """The job now under the cursor, None when the table is empty."""

    @dataclass
    class JobSelected(Message):
        """The user asked to open a job (enter or double click)."""

        key: JobKey
        """The job to open."""

    @dataclass
    class CursorDisplaced(Message):
        """The job the user had chosen left the view, so the cursor moved to a neighbour."""

        lost: JobKey
        """The job that is no longer shown."""
        now: JobKey | None
        """Where the cursor went, None when nothing is left."""
        reason: str
        """Why it left: "removed", "filtered" (by the user's filter, facets or hiding)."""

    @dataclass
    class SortChanged(Message):
        """The user changed the sort with a header click."""

        column: str
        """Column key sorted by."""
        reverse: bool
        """Descending when True."""

    def __init__(
        self,
        *,
        options: ViewOptions | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Create an empty table.

        Args:
            options: Initial filter, facets and sort.
            name: Widget name.
            id: Widget id.
            classes: CSS classes.
        """
        super().__init__(name=name, id=id, classes=classes)
        self._options = options or ViewOptions()
        self._jobs: Mapping[JobKey, Job] = {}
        self._family_state: dict[Family, str] = {}
        self._now = 0.0
        self._view = ViewResult(order=())
        self._view_text: tuple[object, str] = (None, "")
        self._view_inputs: tuple[Mapping[JobKey, Job], ViewOptions, float] | None = None
        """The jobs, options and time the current view was computed from."""
        self._index: dict[JobKey, int] = {}
        self._cursor: JobKey | None = None
        # The job the user last put the cursor on; the cursor returns to it when it is
        # shown again (e.g. after backspacing in the filter).
        self._anchor: JobKey | None = None
        self._user_placed = False
        """True once the user moved the cursor; until then it stays on the first row."""
        self._announced_lost: JobKey | None = None
        self._cache = HaystackCache()
        # (jobs mapping, sort column, reverse) -> every key in that order.
        self._sorted: tuple[object, str, bool, list[JobKey]] | None = None
        self._fit_columns = True
        self.columns_moved: Callable[[JobTable], None] | None = None
        """Called when the columns move on screen (resize, `fit_columns`, sideways
        scroll); `JobTableFrame` moves its cuts."""
        self._styles: dict[tuple[Style, bool, bool, str | None], Style] = {}
        """Row and cell styles by (base, cursor row, dimmed, style name)."""
        self._layout: tuple[tuple[int, bool], ColumnLayout] = ((-1, True), ColumnLayout((), ()))
        self._warm_timer: Timer | None = None
        self._empty_text = "Waiting for the first poll…"
        self._marks: frozenset[JobKey] = frozenset()
        self._dry_run: Callable[[Job], bool] = _says_dry_run

    # ------------------------------------------------------------------ properties

    @property
    def options(self) -> ViewOptions:
        """The current filter, facets and sort."""
        return self._options

    @property
    def view(self) -> ViewResult:
        """The visible order and facet counts of the last update."""
        return self._view

    @property
    def order(self) -> tuple[JobKey, ...]:
        """Keys of the visible jobs in display order."""
        return self._view.order

    @property
    def cursor_key(self) -> JobKey | None:
        """The job under the cursor, None when the table is empty."""
        return self._cursor

    @property
    def cursor_job(self) -> Job | None:
        """The job under the cursor as the latest snapshot has it."""
        return None if self._cursor is None else self._jobs.get(self._cursor)

    @property
    def cursor_index(self) -> int | None:
        """Row number of the cursor in the visible order."""
        return None if self._cursor is None else self._index.get(self._cursor)

    @property
    def jobs(self) -> Mapping[JobKey, Job]:
        """Every job of the last snapshot (shown or not)."""
        return self._jobs

    @property
    def fit_columns(self) -> bool:
        """True when the columns are fitted to the width (shrunk, then the least important
        dropped); False when every column keeps its width and the table scrolls sideways."""
        return self._fit_columns

    @fit_columns.setter
    def fit_columns(self, fit: bool) -> None:
        if fit != self._fit_columns:
            self._fit_columns = fit
            if fit:
                self.scroll_to(x=0, animate=False, immediate=True)
            self._update_virtual_size()
            self.refresh()

    def row_of(self, key: JobKey) -> int | None:
        """The row number of `key` in the visible order; None when it is not shown."""
        return self._index.get(key)

    @property
    def marks(self) -> frozenset[JobKey]:
        """Jobs marked for a bulk action, shown or not (kept across polls and filters)."""
        return self._marks

    def set_marks(self, marks: frozenset[JobKey]) -> None:
        """Mark exactly `marks`; only the rows whose mark changed are repainted."""
        changed = marks ^ self._marks
        if not changed:
            return
        self._marks = marks
        for key in changed:
            index = self._index.get(key)
            if index is not None:
                self._refresh_row(index)

    def set_dry_run_test(self, test: Callable[[Job], bool]) -> None:
        """Say how to tell a dry run (the journal knows the ones ztui created)."""
        self._dry_run = test
        self.refresh()

    def set_empty_text(self, text: str) -> None:
        """Set what the table says when no job is shown."""
        if text != self._empty_text:
            self._empty_text = text
            if not self._view.order:
                self.refresh()

    # ------------------------------------------------------------------ updates

    def apply(self, snapshot: JobSnapshot, now: float) -> None:
        """Bring the table in line with `snapshot`, repainting only rows that changed.

        Args:
            snapshot: The newest poll result, whole state.
            now: Epoch seconds for ages and hiding old finished jobs.
        """
        old_jobs = self._jobs
        old_family_state = self._family_state
        old_now = self._now
        self._jobs = snapshot.jobs
        self._family_state = {f: s.state for f, s in snapshot.families.items()}
        self._now = now
        self._rebuild(old_jobs=old_jobs, old_family_state=old_family_state, old_now=old_now)
        if snapshot.complete and self._warm_timer is None:
            # The filter's first keystroke would otherwise make the search text of every
            # job; made meanwhile, once the first poll is in, it is only looked up then.
            self._warm_timer = self.set_timer(WARM_UP_AFTER_S, self._warm_up)

    def _warm_up(self) -> None:
        """Make the search text of every job not made yet (see `HaystackCache`)."""
        self._warm_timer = None
        cache = self._cache
        for key, job in self._jobs.items():
            cache.get(key, job)

    def reset(self) -> None:
        """Forget every job (another connection starts); the options stay."""
        self._jobs = {}
        self._family_state = {}
        self._cursor = self._anchor = self._announced_lost = None
        self._user_placed = False
        self._view = ViewResult(order=())
        self._view_inputs = None
        self._index = {}
        self.virtual_size = Size(self.column_layout.needed, 1)
        self.scroll_to(y=0, animate=False)
        self.refresh()
        self.post_message(self.JobHighlighted(None))

    def set_options(self, options: ViewOptions) -> None:
        """Change the filter, facets, hiding or sort; the cursor stays on its job if shown.

        Args:
            options: The new options.
        """
        if options == self._options:
            return
        self._options = options
        self._rebuild()

    def update_options(self, **changes: Any) -> None:
        """Change some fields of the options (see `ViewOptions`)."""
        self.set_options(replace(self._options, **changes))

    def sort_by(self, column: str, reverse: bool | None = None) -> None:
        """Sort by a column; with `reverse` None, a second sort on the same column flips it.

        Args:
            column: A key from `COLUMN_KEYS`.
            reverse: Descending when True.
        """
        if column not in COLUMN_KEYS:
            raise ValueError(f"unknown column {column!r}; expected one of {', '.join(COLUMN_KEYS)}")
        if reverse is None:
            if column == self._options.sort_column:
                reverse = not self._options.sort_reverse
            else:
                # Times and counts read best newest/largest first.
                reverse = column in {"created", "updated", "progress", "processed", "failed"}
        self.update_options(sort_column=column, sort_reverse=reverse)

    def _rebuild(
        self,
        *,
        old_jobs: Mapping[JobKey, Job] | None = None,
        old_family_state: Mapping[Family, str] | None = None,
        old_now: float | None = None,
    ) -> None:
        old_order = self._view.order
        old_index = self._index
        old_scroll = round(self.scroll_offset.y)
        old_cursor = self._cursor
        view = self._compute_view(old_text=self._view_text, old_view=self._view)
        if view is not self._view or not self._index:
            self._index = {key: i for i, key in enumerate(view.order)}
        index = self._index
        self._view = view

        # Until the user places the cursor it stays on the first row: the first poll
        # arrives family by family, and the view must not follow whichever job happened
        # to be first in the earliest family.
        followed = old_cursor if self._user_placed else None
        if not self._user_placed:
            self._anchor = None

        # Keep the cursor on the user's job; else on a neighbour, and say so once.
        new_cursor: JobKey | None
        if self._anchor is not None and self._anchor in index:
            new_cursor = self._anchor
            self._announced_lost = None
        elif followed is not None and followed in index:
            new_cursor = followed
        elif followed is not None:
            position = old_index.get(followed, 0)
            new_cursor = neighbour(old_order, position, index)
            if new_cursor is None and view.order:
                new_cursor = view.order[min(position, len(view.order) - 1)]
        else:
            new_cursor = view.order[0] if view.order else None
        lost = self._anchor if self._anchor is not None and self._anchor not in index else None
        if lost is not None and lost != self._announced_lost:
            self._announced_lost = lost
            # Still known but not shown: hidden by the filter, a facet or its age.
            why = "filtered" if lost in self._jobs else "removed"
            self.post_message(self.CursorDisplaced(lost, new_cursor, why))
        if self._anchor is None or (lost is not None and lost not in self._jobs):
            # A job that is gone for good is no place to come back to.
            self._anchor = new_cursor
            self._announced_lost = None
        self._cursor = new_cursor

        self._update_virtual_size()

        # Keep the cursor's job on the same screen line (or the top row, if the cursor was
        # scrolled out of sight) so rows moving above it don't make the view jump.
        height = max(1, self._body_height())
        new_scroll = old_scroll
        if followed is not None and followed in old_index and new_cursor is not None:
            old_pos = old_index[followed]
            if old_scroll <= old_pos < old_scroll + height:
                anchor_key = new_cursor if new_cursor == old_cursor else None
                if anchor_key is not None:
                    new_scroll = index[anchor_key] - (old_pos - old_scroll)
        if new_cursor is not None and not (new_scroll <= index[new_cursor] < new_scroll + height):
            new_scroll = index[new_cursor] - height // 2
        new_scroll = max(0, min(new_scroll, max(0, len(view.order) - height)))

        same_layout = view.order == old_order and new_scroll == old_scroll and old_jobs is not None
        if new_scroll != old_scroll:
            self.scroll_to(y=new_scroll, animate=False, immediate=True)
        if same_layout and old_jobs is not None:
            self._refresh_changed(old_jobs, old_family_state or {}, old_now or 0.0, old_cursor)
        else:
            self.refresh()
        if new_cursor != old_cursor:
            self.post_message(self.JobHighlighted(new_cursor))

    def _compute_view(self, *, old_text: tuple[object, str], old_view: ViewResult) -> ViewResult:
        """`compute_view` with the table's caches: sorted keys and the last text matches.

        A snapshot whose jobs all take the same place as in the last view (the same
        jobs, only their progress moved, say) gives that view again without computing
        it: its order, counts and index stay as they are.
        """
        options = self._options
        jobs = self._jobs
        if self._same_view(old_view, jobs, options):
            self._view_inputs = (jobs, options, self._now)
            if self._sorted is not None:
                self._sorted = (jobs, *self._sorted[1:])
            self._view_text = (jobs, old_text[1])
            return old_view
        cached = self._sorted
        if (
            cached is None
            or cached[0] is not jobs  # identity: comparing 10,000 jobs would cost more
            or cached[1:3] != (options.sort_column, options.sort_reverse)
        ):
            cached = (jobs, options.sort_column, options.sort_reverse, sorted_keys(jobs, options))
            self._sorted = cached
        text = options.text.lower()
        candidates: Sequence[JobKey] | None = None
        old_jobs, previous = old_text
        if (
            old_jobs is jobs
            and previous
            and text.startswith(previous)
            and old_view.text_matches is not None
        ):
            candidates = old_view.text_matches
        view = compute_view(
            jobs,
            options,
            self._now,
            cache=self._cache,
            candidates=candidates,
            presorted=cached[3],
        )
        self._view_text = (jobs, text)
        self._view_inputs = (jobs, options, self._now)
        return view

    def _same_view(
        self, old_view: ViewResult, jobs: Mapping[JobKey, Job], options: ViewOptions
    ) -> bool:
        """True when `compute_view` would give `old_view` again for `jobs` now."""
        inputs = self._view_inputs
        if inputs is None:
            return False
        old_jobs, old_options, old_now = inputs
        if old_options != options or self._now < old_now:
            return False
        if old_view.hides_next_at is not None and self._now >= old_view.hides_next_at:
            return False
        if old_jobs is jobs:
            return True
        if len(old_jobs) != len(jobs):
            return False
        for key, job in jobs.items():
            before = old_jobs.get(key)
            if before is job:
                continue
            if before is None or not same_place(before, job, options):
                return False
        return True

    def _refresh_changed(
        self,
        old_jobs: Mapping[JobKey, Job],
        old_family_state: Mapping[Family, str],
        old_now: float,
        old_cursor: JobKey | None,
    ) -> None:
        """Repaint only the cells whose text or style changed, in the visible rows.

        A row whose look changes as a whole (the cursor came or went, its family turned
        stale) is repainted whole; otherwise each run of neighbouring changed cells is
        one region, so a poll that moves a progress bar sends that bar and the counter
        beside it, not the line.
        """
        top = round(self.scroll_offset.y)
        order = self._view.order
        layout = self.column_layout
        for i in range(top, min(len(order), top + self._body_height())):
            key = order[i]
            job = self._jobs[key]
            before = old_jobs.get(key)
            family = key[0]
            if before is None or (key in (old_cursor, self._cursor) and old_cursor != self._cursor):
                self._refresh_row(i)
                continue
            old_state = old_family_state.get(family, "ok")
            new_state = self._family_state.get(family, "ok")
            if (old_state in _DIM_FAMILY_STATES) != (new_state in _DIM_FAMILY_STATES):
                self._refresh_row(i)
                continue
            if (
                before is job
                and old_state == new_state
                and (self._age_text(job, old_now) == self._age_text(job, self._now))
            ):
                continue
            marked = key in self._marks
            old_context = RowContext(old_now, old_state, marked, self._dry_run(before))
            new_context = RowContext(self._now, new_state, marked, self._dry_run(job))
            for x, width in _changed_runs(layout, before, old_context, job, new_context):
                self._refresh_cells(i, x, width)

    def _refresh_row(self, index: int) -> None:
        """Repaint one row, and not the scrollbar beside it (~45 bytes a line saved)."""
        y = index + 1 - round(self.scroll_offset.y)
        if 1 <= y < self.scrollable_content_region.height:
            self.refresh(Region(0, y, self.scrollable_content_region.width, 1))

    def _refresh_cells(self, index: int, x: int, width: int) -> None:
        """Repaint `width` cells of one row from column `x` of the row (not of the screen)."""
        y = index + 1 - round(self.scroll_offset.y)
        region = Region(x - round(self.scroll_offset.x), y, width, 1).intersection(
            Region(0, 1, self.scrollable_content_region.width, self._body_height())
        )
        if region.area:
            self.refresh(region)

    @staticmethod
    def _age_text(job: Job, now: float) -> str:
        return job_age(job, now)

    # ------------------------------------------------------------------ cursor

    def move_cursor_to(self, key: JobKey | None) -> None:
        """Put the cursor on a job (if shown) and scroll it into view.

        Args:
            key: The job; None or a key not shown does nothing.
        """
        if key is None or key not in self._index:
            return
        old = self._cursor
        self._cursor = key
        self._anchor = key
        self._user_placed = True
        self._announced_lost = None
        self._scroll_cursor_into_view()
        if old != key:
            if old is not None and old in self._index:
                self._refresh_row(self._index[old])
            self._refresh_row(self._index[key])
            self.post_message(self.JobHighlighted(key))

    def _move_by(self, delta: int) -> None:
        order = self._view.order
        if not order:
            return
        current = self.cursor_index
        target = 0 if current is None else max(0, min(len(order) - 1, current + delta))
        self.move_cursor_to(order[target])

    def _body_height(self) -> int:
        return max(0, self.scrollable_content_region.height - 1)

    def _scroll_cursor_into_view(self) -> None:
        index = self.cursor_index
        if index is None:
            return
        top = round(self.scroll_offset.y)
        height = max(1, self._body_height())
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        """Move the cursor one job up."""
        self._move_by(-1)

    def action_cursor_down(self) -> None:
        """Move the cursor one job down."""
        self._move_by(1)

    def action_page_up(self) -> None:
        """Move the cursor one page up."""
        self._move_by(-max(1, self._body_height() - 1))

    def action_page_down(self) -> None:
        """Move the cursor one page down."""
        self._move_by(max(1, self._body_height() - 1))

    def action_first(self) -> None:
        """Move the cursor to the first job."""
        if self._view.order:
            self.move_cursor_to(self._view.order[0])

    def action_last(self) -> None:
        """Move the cursor to the last job."""
        if self._view.order:
            self.move_cursor_to(self._view.order[-1])

    def select_cursor(self) -> None:
        """Post `JobSelected` for the job under the cursor, if any."""
        if self._cursor is not None:
            self.post_message(self.JobSelected(self._cursor))

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            column = self._column_at(offset.x + round(self.scroll_offset.x))
            if column is not None:
                self.sort_by(column)
                self.post_message(
                    self.SortChanged(self._options.sort_column, self._options.sort_reverse)
                )
            return
        row = round(self.scroll_offset.y) + offset.y - 1
        if 0 <= row < len(self._view.order):
            self.move_cursor_to(self._view.order[row])
            if event.chain >= 2:
                self.select_cursor()

    def _column_at(self, x: int) -> str | None:
        layout = self.column_layout
        for column, start, width in zip(
            layout.columns, layout.offsets(), layout.widths, strict=True
        ):
            if start <= x < start + width + 1:
                return column.key
        return None

    # ------------------------------------------------------------------ rendering

    def notify_style_update(self) -> None:
        """Styles changed (theme switch, focus): every line must be rendered again."""
        super().notify_style_update()
        self._styles.clear()
        self.refresh()

    def _cursor_style(self, base: Style) -> Style:
        """The cursor row's colours, as they will look on the terminal.

        A partial component style drops the alpha of `$primary 45%`, which made the cursor
        row full `$primary`, the colour of the running status. The background is blended
        over the table's here instead. An ANSI theme's colours come from the terminal's
        palette, which ztui cannot measure, so there the cursor row takes the theme's own
        cursor pair (`$block-cursor-foreground` on `$block-cursor-background`).
        """
        styles = self.get_component_styles("job-table--cursor")
        background = styles.background
        if background.ansi is not None:
            variables = self.app.theme_variables
            return Style(
                color=Color.parse(
                    variables.get("block-cursor-foreground", "ansi_black")
                ).rich_color,
                bgcolor=Color.parse(
                    variables.get("block-cursor-background", "ansi_white")
                ).rich_color,
                bold=True,
            )
        under = (
            Color.from_rich_color(base.bgcolor)
            if base.bgcolor is not None
            else self.background_colors[1]
        )
        return Style(bgcolor=(under + background).rich_color) + styles.text_style

    def _row_style(self, base: Style, cursor: bool, dim: bool) -> Style:
        key = (base, cursor, dim, None)
        style = self._styles.get(key)
        if style is None:
            style = base + self._cursor_style(base) if cursor else base
            if dim:
                style = style + self.get_component_rich_style("job-table--stale", partial=True)
            if cursor:
                style = self._readable(style, style)
            self._styles[key] = style
        return style

    def _cell_style(self, row_style: Style, name: str, cursor: bool) -> Style:
        key = (row_style, cursor, False, name)
        style = self._styles.get(key)
        if style is None:
            style = row_style + self.get_component_rich_style(f"job-table--{name}", partial=True)
            if cursor:
                style = self._readable(style, row_style)
            self._styles[key] = style
        return style

    def _readable(self, style: Style, row_style: Style) -> Style:
        """`style` with its colour swapped for the row's (or black or white) when the
        colour would not read on the cursor row's background (docs: `MIN_CONTRAST`)."""
        background = style.bgcolor
        if background is None:
            return style
        if background.is_system_defined:
            # ANSI: the palette is the terminal's; only the theme's cursor pair is safe.
            return style + Style(color=row_style.color)
        base = self.rich_style.color
        color = readable_color(style.color, background, (row_style.color, base))
        return style if color == style.color else style + Style(color=color)

    def on_resize(self, event: events.Resize) -> None:
        """Re-fit the columns and keep the cursor in view."""
        self._update_virtual_size()
        self._scroll_cursor_into_view()
        self.refresh()

    def _update_virtual_size(self) -> None:
        # The width the columns need, not the width they were stretched to: the stretched
        # width follows the vertical scrollbar, which follows the virtual size.
        self.virtual_size = Size(self.column_layout.needed, len(self._view.order) + 1)
        self._columns_moved()

    def watch_scroll_x(self, old_value: float, new_value: float) -> None:
        """Scrolled sideways: the columns moved."""
        super().watch_scroll_x(old_value, new_value)
        self._columns_moved()

    def _columns_moved(self) -> None:
        if self.columns_moved is not None and self.is_mounted and self.size.width:
            self.columns_moved(self)

    @property
    def column_layout(self) -> ColumnLayout:
        """The columns drawn at the current width, their widths and those left out."""
        return self._layout_for(self.size.width)

    def _layout_for(self, width: int) -> ColumnLayout:
        """The column layout for a table `width` cells wide.

        The columns leave room for the vertical scrollbar whether or not it shows, so
        they do not move when a poll brings enough rows to need it.
        """
        # Before the stylesheet applies (the frame asks in its compose), the scrollbar
        # is DEFAULT_CSS's one cell.
        bar = self.styles.scrollbar_size_vertical if self.is_mounted else 1
        available = max(0, width - bar)
        key = (available, self._fit_columns)
        if self._layout[0] != key:
            self._layout = (key, layout_columns(BOARD_COLUMNS, available, fit=self._fit_columns))
        return self._layout[1]

    def column_starts(self, keys: Sequence[str], width: int | None = None) -> list[int]:
        """Where the columns named `keys` start on screen, in table cells.

        Args:
            keys: Column keys; those not drawn are left out.
            width: The table's width; None for its current width (the frame asks before
                the table is laid out).

        Returns:
            The starts, left to right, less the sideways scroll.
        """
        layout = self._layout_for(self.size.width if width is None else width)
        scroll_x = round(self.scroll_offset.x)
        return [
            x - scroll_x
            for column, x in zip(layout.columns, layout.offsets(), strict=True)
            if column.key in keys
        ]

    def row_width(self, width: int | None = None) -> int:
        """Cells of a row drawn in a table `width` cells wide (None: the current width)."""
        return self._layout_for(self.size.width if width is None else width).total

    def render_line(self, y: int) -> Strip:
        """Render one screen line: the header at the top, then rows from the scroll offset."""
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            strip = self._render_header(base)
        else:
            index = scroll_y + y - 1
            order = self._view.order
            if not order and y == 1:
                style = base + self.get_component_rich_style("job-table--empty", partial=True)
                strip = Strip([Segment(f" {self._empty_text}", style)])
            elif 0 <= index < len(order):
                strip = self._render_row(order[index], base)
            else:
                return Strip.blank(width, base)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def _render_header(self, base: Style) -> Strip:
        style = base + self.get_component_rich_style("job-table--header")
        sorted_style = style + self.get_component_rich_style("job-table--sorted", partial=True)
        segments: list[Segment] = []
        layout = self.column_layout
        for column, width in zip(layout.columns, layout.widths, strict=True):
            title = column.header_text(width)
            this_style = style
            if column.key == self._options.sort_column:
                title = f"{title}{'▼' if self._options.sort_reverse else '▲'}"
                this_style = sorted_style
            segments.append(Segment(fit_cells(title, width, column.align), this_style))
            segments.append(Segment(" ", style))
        return Strip(segments[:-1])

    def _row_context(self, job: Job, now: float | None = None) -> RowContext:
        return RowContext(
            self._now if now is None else now,
            self._family_state.get(job.family, "ok"),
            job.key in self._marks,
            self._dry_run(job),
        )

    def _render_row(self, key: JobKey, base: Style) -> Strip:
        job = self._jobs[key]
        context = self._row_context(job)
        cursor = key == self._cursor
        row_style = self._row_style(base, cursor, context.family_state in _DIM_FAMILY_STATES)
        # Neighbouring cells of the same style are merged so a row costs few style
        # changes on the wire (each change is ~40 bytes of SGR codes).
        segments: list[Segment] = []
        pending_text: list[str] = []
        pending_style = row_style
        layout = self.column_layout
        last = len(layout.columns) - 1
        for i, (column, width) in enumerate(zip(layout.columns, layout.widths, strict=True)):
            name = column.style(job, context)
            style = row_style if name is None else self._cell_style(row_style, name, cursor)
            cell = column.text(job, context, width) + (" " if i < last else "")
            if style != pending_style and pending_text:
                segments.append(Segment("".join(pending_text), pending_style))
                pending_text = []
            pending_style = style
            pending_text.append(cell)
        if pending_text:
            segments.append(Segment("".join(pending_text), pending_style))
        return Strip(segments).extend_cell_length(self.scrollable_content_region.width, row_style)


def _says_dry_run(job: Job) -> bool:
    return job.dry_run is True


def _changed_runs(
    layout: ColumnLayout, old: Job, old_context: RowContext, new: Job, new_context: RowContext
) -> list[tuple[int, int]]:
    """(x, width) of each run of neighbouring cells whose text or style differs."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    end = 0
    for column, x, width in zip(layout.columns, layout.offsets(), layout.widths, strict=True):
        changed = column.cell(old, old_context, width) != column.cell(
            new, new_context, width
        ) or column.style(old, old_context) != column.style(new, new_context)
        if changed:
            if start is None:
                start = x
            end = x + width
        elif start is not None:
            runs.append((start, end - start))
            start = None
    if start is not None:
        runs.append((start, end - start))
    return runs
