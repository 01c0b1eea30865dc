"""Provides `ErrorViewerScreen`: why a job failed, grouped, with a fix-and-resubmit export.

What is shown depends on what the family's `FamilyDef` says it has (docs/zuora-api.md §3-§7):

- what each family can tell is read by `ztui.ops.job_errors.fetch_job_errors` (through
  the host's `access`: the app's client, or a hub), which `ztui errors` uses too (row
  errors, the result file's failed rows, batch messages, the failure message and count);
- parsing, grouping and line formatting run off the UI thread, and the rows of the
  selected group render lazily (`ErrorRowsView` draws only the visible lines), so 10,000
  errors do not freeze the UI.

Malformed error entries are kept and shown raw (`ztui.ops.export.parse_errors_tolerant`).
`x` writes the failed rows to CSV (`ztui.ops.export.export_failed_rows`), joined to the
uploaded file when the journal knows it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, ClassVar

from rich.segment import Segment
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import DataTable, Header, Static

from ztui.api.errors import ApiError
from ztui.api.models import Family, Job, JobError
from ztui.core.paths import stylesheet
from ztui.dialogs.path import PathModal, default_folder
from ztui.host import host
from ztui.ops.export import (
    MALFORMED_CODE,
    SYSTEM_FIELDS,
    ErrorGroup,
    ExportError,
    cell_text,
    export_failed_rows,
    group_errors,
)
from ztui.ops.job_errors import ExportShape, export_shape
from ztui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from ztui.service.snapshot import JobSnapshot
    from ztui.store.journal import Journal

log = logging.getLogger("ztui.screens.error_viewer")


@dataclass(frozen=True)
class LoadedErrors:
    """The errors of one job, grouped and formatted (built off the UI thread)."""

    errors: tuple[JobError, ...]
    """Every error, in the server's order."""
    groups: tuple[ErrorGroup, ...]
    """Errors grouped by code and message, biggest first."""
    lines: tuple[str, ...]
    """One display line per error (row, record fields, message), same order as `errors`."""
    width: int
    """Length of the longest line (the rows view's virtual width)."""
    note: str = ""
    """What was loaded and from where, for the summary line."""


def error_line(error: JobError) -> str:
    """One display line: row number, record fields, message (raw JSON when malformed)."""
    row = "" if error.row is None else str(error.row)
    if error.code == MALFORMED_CODE:
        return f"{row:>7}  (malformed entry, shown raw) {error.message}"
    # The record's own fields first, the server-filled ones (type, Created*, Updated*)
    # after the message: they are the same on every row and would hide what differs.
    own = [(k, v) for k, v in error.record.items() if str(k).lower() not in SYSTEM_FIELDS]
    system = [(k, v) for k, v in error.record.items() if str(k).lower() in SYSTEM_FIELDS]
    parts = [f"{row:>7}"]
    if own:
        parts.append("  ".join(f"{k}={cell_text(v)}" for k, v in own))
    parts.append(f"→ {error.message}")
    if system:
        parts.append("  ".join(f"{k}={cell_text(v)}" for k, v in system))
    return "  ".join(parts)


def row_detail(error: JobError) -> str:
    """Every part of one error, a line each: row, code, message, then each record field."""
    lines = [
        f"Row {error.row if error.row is not None else '-'} · code {error.code or '-'}",
        error.message,
    ]
    # The record's own fields first; the server-filled ones are the same on every row.
    fields = sorted(error.record.items(), key=lambda kv: str(kv[0]).lower() in SYSTEM_FIELDS)
    lines += [f"{key} = {cell_text(value)}" for key, value in fields]
    return "\n".join(lines)


def prepare(errors: Sequence[JobError], note: str = "") -> LoadedErrors:
    """Group and format `errors` (CPU work: call it in a thread for big lists)."""
    lines = tuple(error_line(e) for e in errors)
    return LoadedErrors(
        errors=tuple(errors),
        groups=tuple(group_errors(errors)),
        lines=lines,
        width=max((len(line) for line in lines), default=0),
        note=note,
    )


class ErrorRowsView(ScrollView, can_focus=True):
    """The rows of one error group, drawn line by line (only the visible ones)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"error-rows--cursor"}

    DEFAULT_CSS = """
    ErrorRowsView {
        height: 1fr;
    }
    """

    cursor: reactive[int] = reactive(0)
    """Index (within the group) of the highlighted row."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False, id="errors.row_up"),
        Binding("down", "cursor_down", "Down", show=False, id="errors.row_down"),
        Binding("pageup", "page_up_rows", "Page up", show=False, id="errors.page_up"),
        Binding("pagedown", "page_down_rows", "Page down", show=False, id="errors.page_down"),
        Binding("home", "first", "First", show=False, id="errors.first"),
        Binding("end", "last", "Last", show=False, id="errors.last"),
    ]

    class Highlighted(Message):
        """The cursor is on another row (`index` into the list given to `show`)."""

        def __init__(self, index: int | None) -> None:
            super().__init__()
            self.index = index

    def __init__(self, *, id: str | None = None) -> None:
        """Create an empty view."""
        super().__init__(id=id)
        self._lines: Sequence[str] = ()
        self._indices: Sequence[int] = ()
        self.rendered_lines = 0
        """Lines drawn so far (tests check that only visible rows are drawn)."""

    def show(self, lines: Sequence[str], indices: Sequence[int], width: int) -> None:
        """Show the lines at `indices`, scrolled to the top."""
        self._lines = lines
        self._indices = indices
        if self.cursor != 0 and indices:
            self.cursor = 0  # watch_cursor says which row is highlighted
        else:
            self.cursor = 0
            self.post_message(self.Highlighted(indices[0] if indices else None))
        self.virtual_size = Size(max(width, 1), len(indices))
        self.scroll_to(0, 0, animate=False)
        self.refresh()

    @property
    def row_count(self) -> int:
        """How many rows the view holds."""
        return len(self._indices)

    def render_line(self, y: int) -> Strip:
        """Draw one visible line."""
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        if index >= len(self._indices):
            return Strip.blank(width, self.rich_style)
        self.rendered_lines += 1
        text = self._lines[self._indices[index]]
        style = (
            self.get_component_rich_style("error-rows--cursor")
            if index == self.cursor and self.has_focus
            else self.rich_style
        )
        strip = Strip([Segment(text, style)])
        return strip.crop_extend(scroll_x, scroll_x + width, style)

    def watch_cursor(self, old: int, new: int) -> None:
        """Keep the cursor row in view."""
        if new < self.scroll_offset.y:
            self.scroll_to(y=new, animate=False)
        elif new >= self.scroll_offset.y + self.scrollable_content_region.height:
            self.scroll_to(y=new - self.scrollable_content_region.height + 1, animate=False)
        self.refresh()
        if 0 <= new < len(self._indices):
            self.post_message(self.Highlighted(self._indices[new]))

    def _move(self, delta: int) -> None:
        if self._indices:
            self.cursor = max(0, min(len(self._indices) - 1, self.cursor + delta))

    def action_cursor_up(self) -> None:
        """Highlight the previous row."""
        self._move(-1)

    def action_cursor_down(self) -> None:
        """Highlight the next row."""
        self._move(1)

    def action_page_up_rows(self) -> None:
        """Move a page up."""
        self._move(-max(1, self.scrollable_content_region.height))

    def action_page_down_rows(self) -> None:
        """Move a page down."""
        self._move(max(1, self.scrollable_content_region.height))

    def action_first(self) -> None:
        """Highlight the first row."""
        self._move(-len(self._indices))

    def action_last(self) -> None:
        """Highlight the last row."""
        self._move(len(self._indices))

    def on_focus(self) -> None:
        """Redraw the cursor."""
        self.refresh()

    def on_blur(self) -> None:
        """Redraw without the cursor."""
        self.refresh()


class ErrorViewerScreen(Screen[None]):
    """Why one job failed: error groups with counts, the rows of a group, and the export."""

    CSS_PATH: ClassVar[list[str | PurePath]] = stylesheet("errors.tcss")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="errors.back", tooltip="Back to the previous screen"),
        Binding(
            "x",
            "export",
            "Export CSV",
            id="errors.export",
            tooltip="Write the failed rows to CSV, ready to fix and re-upload",
        ),
        Binding("r", "reload", "Reload", id="errors.reload", tooltip="Fetch the errors again"),
        Binding(
            "tab",
            "switch_pane",
            "Groups/rows",
            id="errors.switch",
            tooltip="Move between the groups and their rows",
        ),
    ]

    def __init__(self, key: tuple[Family, str]) -> None:
        """Create the error viewer of one job.

        Args:
            key: `(family, job id)`.
        """
        super().__init__()
        self.key = key
        self.loaded: LoadedErrors | None = None
        """The errors once loaded (None while loading or after a failure)."""
        self._group_keys: list[int] = []

    def compose(self) -> ComposeResult:
        """Title, summary, groups table, rows header, rows view."""
        yield Header()
        family, job_id = self.key
        yield Static(f"Errors of {family.label.lower()} job {job_id}", id="errors-title")
        yield Static("Loading errors…", id="errors-summary")
        yield DataTable(id="error-groups", cursor_type="row", zebra_stripes=True)
        yield Static("", id="error-rows-header")
        yield ErrorRowsView(id="error-rows")
        # The whole of the highlighted row: a long line is cut at the screen's edge above.
        yield Static("", id="error-row-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        """Set up the groups table and start loading."""
        table: DataTable[str] = self.query_one("#error-groups", DataTable)
        # Fixed widths: the table never re-lays out as groups arrive, and stays steady
        # while the rows view below it scrolls.
        table.add_column("Count", key="count", width=8)
        table.add_column("Code", key="code", width=12)
        table.add_column("Message", key="message", width=92)
        self.load_errors()

    def _job(self) -> Job | None:
        snapshot: JobSnapshot | None = host(self).jobs
        return snapshot.get(*self.key) if snapshot is not None else None

    # ------------------------------------------------------------------ loading

    @work(group="errors", exclusive=True, exit_on_error=False, description="Loading job errors")
    async def load_errors(self) -> None:
        """Fetch the errors of the job, then group and format them in a thread."""
        summary = self.query_one("#errors-summary", Static)
        summary.update("Loading errors…")
        summary.remove_class("-error")
        try:
            errors, note = await self._fetch()
        except (ApiError, ExportError) as exc:
            summary.update(f"Could not load the errors: {exc}")
            summary.add_class("-error")
            return
        loaded = await asyncio.to_thread(prepare, errors, note)
        self._show(loaded)

    async def _fetch(self) -> tuple[list[JobError], str]:
        access = host(self).access
        if access is None:
            raise ApiError("not connected")
        job = self._job()
        if job is None:
            job = await access.get_job(*self.key)
        fetched = await access.job_errors(job)
        return fetched.errors, fetched.source

    def _show(self, loaded: LoadedErrors) -> None:
        self.loaded = loaded
        total = len(loaded.errors)
        malformed = sum(1 for e in loaded.errors if e.code == MALFORMED_CODE)
        text = f"{total:,} error(s) in {len(loaded.groups)} group(s)"
        if malformed:
            text += f", {malformed} malformed (shown raw)"
        if loaded.note:
            text += f" · from {loaded.note}"
        self.query_one("#errors-summary", Static).update(text)
        table: DataTable[str] = self.query_one("#error-groups", DataTable)
        table.clear()
        for number, group in enumerate(loaded.groups):
            table.add_row(
                f"{group.count:,}",
                group.code or "-",
                group.message.replace("\n", " "),
                key=str(number),
            )
        if loaded.groups:
            table.focus()
            self._select_group(0)
        else:
            self.query_one("#error-rows-header", Static).update("No errors reported for this job.")
            self.query_one(ErrorRowsView).show((), (), 0)

    def _select_group(self, number: int) -> None:
        if self.loaded is None or not (0 <= number < len(self.loaded.groups)):
            return
        group = self.loaded.groups[number]
        header = self.query_one("#error-rows-header", Static)
        header.update(
            f"{group.count:,} row(s) · code {group.code or '-'} · row, record fields, message"
        )
        self.query_one(ErrorRowsView).show(self.loaded.lines, group.indices, self.loaded.width)

    @on(ErrorRowsView.Highlighted)
    def _row_highlighted(self, event: ErrorRowsView.Highlighted) -> None:
        detail = self.query_one("#error-row-detail", Static)
        if self.loaded is None or event.index is None:
            detail.update("")
            return
        detail.update(Content(row_detail(self.loaded.errors[event.index])))

    @on(DataTable.RowHighlighted, "#error-groups")
    def _group_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._select_group(event.cursor_row)

    @on(DataTable.RowSelected, "#error-groups")
    def _group_selected(self, event: DataTable.RowSelected) -> None:
        self._select_group(event.cursor_row)
        self.query_one(ErrorRowsView).focus()

    # ------------------------------------------------------------------ actions

    def action_back(self) -> None:
        """Back to the previous screen."""
        self.dismiss()

    def action_reload(self) -> None:
        """Fetch the errors again."""
        self.load_errors()

    def action_switch_pane(self) -> None:
        """Move focus between the groups table and the rows view."""
        rows = self.query_one(ErrorRowsView)
        if rows.has_focus:
            self.query_one("#error-groups", DataTable).focus()
        else:
            rows.focus()

    def action_export(self) -> None:
        """Ask for a file name, then write the failed rows to CSV."""
        if self.loaded is None:
            self.notify("The errors are not loaded yet.", severity="warning")
            return
        if not self.loaded.errors:
            self.notify("This job reports no failed rows to export.", severity="warning")
            return
        default = default_folder(host(self).last_folder) / f"{self.key[1]}-failed-rows.csv"
        original = original_upload(host(self).journal, self.key[1])
        title = f"Export {len(self.loaded.errors):,} error(s) to CSV file:"
        if original is not None:
            title += f"\n(rows joined from the uploaded file {original})"

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.export_rows(path, original)

        self.app.push_screen(
            PathModal(title, default, action_label="Export", want_folder=False), chosen
        )

    @work(group="export", exit_on_error=False, description="Exporting failed rows")
    async def export_rows(self, dest: Path, original: Path | None) -> None:
        """Write the export in a thread and report the result."""
        loaded = self.loaded
        if loaded is None:
            return
        job = self._job()
        shape = export_shape(job) if job is not None else ExportShape(None, None)
        try:
            result = await asyncio.to_thread(
                export_failed_rows,
                loaded.errors,
                dest,
                original_csv=original,
                reference_prefix=shape.reference_prefix,
                key_column=shape.key_column,
            )
        except ExportError as exc:
            if original is None:
                self.notify(str(exc), severity="error", timeout=10)
                return
            # The uploaded file moved or changed: export from the echoed records instead.
            self.notify(f"{exc} Exporting the echoed records instead.", severity="warning")
            try:
                result = await asyncio.to_thread(
                    export_failed_rows,
                    loaded.errors,
                    dest,
                    reference_prefix=shape.reference_prefix,
                    key_column=shape.key_column,
                )
            except ExportError as again:
                self.notify(str(again), severity="error", timeout=10)
                return
        self.notify(result.summary())


def original_upload(journal: Journal | None, job_id: str) -> Path | None:
    """The file uploaded for `job_id`, when the journal recorded it and it still exists.

    The newest journal entry about this job that names a local CSV wins: its
    `extra["path"]` (or `extra["file_path"]`), else `file_name` when that is a full path.
    """
    if journal is None:
        return None
    try:
        entries = journal.read()
    except Exception:  # a broken journal must not break the export
        log.exception("could not read the journal")
        return None
    found: Path | None = None
    for entry in entries:
        if entry.job_id != job_id:
            continue
        candidates: list[object] = [
            entry.extra.get("path"),
            entry.extra.get("file_path"),
            entry.file_name,
        ]
        for value in candidates:
            if isinstance(value, str) and value.lower().endswith(".csv"):
                path = Path(value).expanduser()
                if path.is_absolute():
                    found = path
                    break
    if found is not None and found.is_file():
        return found
    return None
