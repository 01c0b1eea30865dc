"""Provides `ApiErrorsScreen`: every failed API request of this run, secrets redacted.

The rows come from the client's `error_log` (`ztui.api.errors.ApiErrorRecord`: time,
method, path, status, request id, code, message). The client already keeps tokens and
query strings out of it; every cell is passed through `ztui.core.logsetup.redact` again so a
credential that slipped into a server message never reaches the screen.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import PurePath
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from ztui.api.errors import ApiErrorRecord
from ztui.core.paths import stylesheet
from ztui.host import host
from ztui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from ztui.host import ZtuiHost
    from ztui.service.snapshot import JobSnapshot

COLUMNS: tuple[tuple[str, int], ...] = (
    ("Time", 8),
    ("Method", 6),
    ("Status", 6),
    ("Path", 34),
    ("Code", 10),
    ("Message", 40),
    ("Request id", 36),
)
"""Column names and widths: what tells failures apart first; the request id last (it is
also in the highlighted row's detail lines below the table)."""


def _redact(text: str) -> str:
    from ztui.core.logsetup import redact

    return redact(text)


def record_cells(record: ApiErrorRecord) -> tuple[str, ...]:
    """The table cells of one failed request (in `COLUMNS` order), redacted."""
    at = datetime.fromtimestamp(record.at, UTC).strftime("%H:%M:%S")
    return (
        at,
        record.method,
        "" if record.status is None else str(record.status),
        _redact(record.path),
        _redact(record.code or ""),
        _redact(record.message),
        record.request_id or "",
    )


def record_detail(record: ApiErrorRecord) -> str:
    """Everything about one failed request on a few lines, redacted."""
    at = datetime.fromtimestamp(record.at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    status = "no response" if record.status is None else f"HTTP {record.status}"
    code = f" · code {record.code}" if record.code else ""
    return _redact(
        f"{at} · {record.method} {record.path} · {status}{code} · {record.kind}\n"
        f"Zuora-Request-Id {record.request_id or '(none)'}\n{record.message}"
    )


def error_records(app: ZtuiHost) -> list[ApiErrorRecord]:
    """The failed requests the app's client has logged, oldest first."""
    client = app.client
    return list(client.error_log) if client is not None else []


class ApiErrorsScreen(Screen[None]):
    """A table of every failed request of this run, newest last."""

    CSS_PATH: ClassVar[list[str | PurePath]] = stylesheet("errors.tcss")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="apierrors.back", tooltip="Back"),
        Binding("r", "reload", "Reload", id="apierrors.reload", tooltip="Read the error log again"),
        Binding(
            "c",
            "copy_request_id",
            "Copy request id",
            id="apierrors.copy_request_id",
            tooltip="Copy the highlighted request id (OSC 52)",
        ),
    ]

    def __init__(self) -> None:
        """Create the view."""
        super().__init__()
        self._shown: list[ApiErrorRecord] = []

    def compose(self) -> ComposeResult:
        """Title, summary, table."""
        yield Header()
        yield Static("API errors of this run", id="api-errors-title")
        yield Static("", id="api-errors-summary")
        yield DataTable(id="api-errors-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="api-errors-detail", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        """Fill the table and follow new polls (each may add failures)."""
        table: DataTable[str] = self.query_one(DataTable)
        for name, width in COLUMNS:
            table.add_column(name, key=name.lower(), width=width)
        self.reload()
        self.watch(self.app, "jobs", self._jobs_changed, init=False)

    def _jobs_changed(self, snapshot: JobSnapshot | None) -> None:
        self.reload()

    def reload(self) -> None:
        """Add rows for failures logged since the last reload (in place, cursor kept)."""
        records = error_records(host(self))
        table: DataTable[str] = self.query_one(DataTable)
        if records[: len(self._shown)] != self._shown:
            # The log is bounded and dropped old entries: rebuild.
            table.clear()
            self._shown = []
        for number, record in enumerate(records[len(self._shown) :], start=len(self._shown)):
            table.add_row(*record_cells(record), key=str(number))
        self._shown = records
        summary = self.query_one("#api-errors-summary", Static)
        if records:
            summary.update(f"{len(records)} failed request(s); secrets and tokens are redacted.")
        else:
            summary.update("No failed requests so far.")

    @on(DataTable.RowHighlighted, "#api-errors-table")
    def _show_detail(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self._shown):
            detail = record_detail(self._shown[event.cursor_row])
            self.query_one("#api-errors-detail", Static).update(detail)

    def action_reload(self) -> None:
        """Read the error log again."""
        self.reload()

    def action_back(self) -> None:
        """Back to the previous screen."""
        self.dismiss()

    def action_copy_request_id(self) -> None:
        """Copy the request id of the highlighted failure."""
        table: DataTable[str] = self.query_one(DataTable)
        if not self._shown or table.cursor_row >= len(self._shown):
            self.notify("No failed request selected.", severity="warning")
            return
        request_id = self._shown[table.cursor_row].request_id
        if not request_id:
            self.notify("That request got no request id.", severity="warning")
            return
        self.app.copy_to_clipboard(request_id)
        self.notify(f"Copied request id {request_id}", timeout=3)
