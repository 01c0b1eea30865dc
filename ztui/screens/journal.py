"""Provides `JournalScreen` (`J`): every write ztui made, newest first.

The journal (`ztui.store.journal.Journal`) is read in a thread worker; the table shows one
line per write (create, upload, stop, cancel) and the panel below shows every field of
the highlighted one: file hashes, idempotency key, request id, HTTP status, outcome.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePath
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from ztui.api.models import family_label
from ztui.core.paths import stylesheet
from ztui.host import host
from ztui.store.journal import Journal, JournalEntry, collapse_attempts
from ztui.widgets.footer import KeyFooter

COLUMNS = ("When (UTC)", "Action", "Family", "Job id", "File", "HTTP", "Outcome", "Profile")


def _when(at: str) -> str:
    try:
        return datetime.fromisoformat(at).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return at


def action_text(entry: JournalEntry) -> str:
    """The Action cell: the action, and "(dry run)" for a create sent with `dryRun`."""
    return f"{entry.action} (dry run)" if entry.extra.get("dry_run") is True else entry.action


def detail_text(entry: JournalEntry) -> str:
    """Every field of `entry`, one per line (the journal holds no secret)."""
    rows: list[tuple[str, Any]] = [
        ("When", entry.at),
        ("User", entry.user),
        ("Profile", entry.profile),
        ("Host", entry.host),
        ("Family", family_label(entry.family)),
        ("Action", action_text(entry)),
        ("Job id", entry.job_id),
        ("Outcome", entry.outcome),
        ("HTTP status", entry.http_status),
        ("Message", entry.message),
        ("File", entry.file_name),
        ("Size", f"{entry.size:,} bytes" if entry.size is not None else None),
        ("MD5", entry.md5),
        ("SHA-256", entry.sha256),
        ("Idempotency-Key", entry.idempotency_key),
        ("Track id", entry.track_id),
        ("Request id", entry.request_id),
    ]
    rows += [(str(k), v) for k, v in entry.extra.items()]
    width = max(len(label) for label, _ in rows) + 2
    return "\n".join(f"{label:<{width}}{value}" for label, value in rows if value not in (None, ""))


class JournalScreen(Screen[None]):
    """Browse the append-only journal of writes."""

    CSS_PATH: ClassVar[list[str | PurePath]] = stylesheet("new_job.tcss")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="journal.back", tooltip="Back to the board"),
        Binding("r", "reload", "Reload", id="journal.reload", tooltip="Read the journal again"),
    ]

    def __init__(self, journal: Journal | None = None) -> None:
        """Create the screen.

        Args:
            journal: The journal to show; default the app's (or the default file).
        """
        super().__init__()
        self._journal = journal
        self.entries: list[JournalEntry] = []
        """Entries shown, newest first."""

    def compose(self) -> ComposeResult:
        """Title line, table, detail panel."""
        yield Header()
        yield Static("", id="journal-title")
        table: DataTable[Text] = DataTable(
            id="journal-table", cursor_type="row", zebra_stripes=True
        )
        yield table
        yield Static("", id="journal-detail")
        yield KeyFooter()

    @property
    def journal(self) -> Journal:
        """The journal read."""
        if self._journal is None:
            self._journal = host(self).journal or Journal()
        return self._journal

    def on_mount(self) -> None:
        """Set up the columns and read the journal."""
        table: DataTable[Text] = self.query_one(DataTable)
        for name in COLUMNS:
            table.add_column(name, key=name)
        self.query_one("#journal-title", Static).update(f"Reading {self.journal.path}…")
        self.load()
        table.focus()

    @work(
        thread=True,
        exclusive=True,
        group="journal",
        exit_on_error=False,
        description="Reading the journal",
    )
    def load(self) -> None:
        """Read the journal in a thread and show it."""
        try:
            # One line per write: how it ended, or "sending" if that was never recorded.
            entries = collapse_attempts(self.journal.read())
            error = None
        except OSError as exc:
            entries, error = (
                [],
                f"The journal {self.journal.path} cannot be read: {exc.strerror or exc}",
            )
        skipped = list(self.journal.skipped_lines)
        self.app.call_from_thread(self._show, list(reversed(entries)), error, skipped)

    def _show(self, entries: list[JournalEntry], error: str | None, skipped: list[int]) -> None:
        self.entries = entries
        table: DataTable[Text] = self.query_one(DataTable)
        table.clear()
        for i, e in enumerate(entries):
            outcome = Text(e.outcome)
            if e.outcome == "error":
                outcome.stylize("bold")
            table.add_row(
                Text(_when(e.at)),
                Text(action_text(e)),
                Text(family_label(e.family)),
                Text(e.job_id or "—"),
                Text(e.file_name or ""),
                Text(str(e.http_status) if e.http_status is not None else "—"),
                outcome,
                Text(e.profile or ""),
                key=str(i),
            )
        title = self.query_one("#journal-title", Static)
        if error:
            title.update(error)
        else:
            note = f" · {len(skipped)} unreadable line(s) skipped" if skipped else ""
            title.update(f"{len(entries)} write(s), newest first · {self.journal.path.name}{note}")
        self._show_detail(0 if entries else None)

    def _show_detail(self, index: int | None) -> None:
        detail = self.query_one("#journal-detail", Static)
        if index is None or not 0 <= index < len(self.entries):
            detail.update(
                "Nothing has been written yet: creates, uploads, stops and cancels appear here."
            )
            return
        detail.update(Text(detail_text(self.entries[index])))

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.cursor_row)

    def action_reload(self) -> None:
        """Read the journal again."""
        self.load()

    def action_back(self) -> None:
        """Back to the previous screen."""
        self.dismiss(None)
