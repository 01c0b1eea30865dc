"""Provides `JobListScreen`: every job of every family, kept in line with the app's snapshot."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

if TYPE_CHECKING:
    from ztui.api.models import Job
    from ztui.service.snapshot import JobSnapshot

COLUMNS = ("Family", "Id", "Kind", "Status", "Progress", "Created")


def _cells(job: Job) -> tuple[str, ...]:
    progress = "" if job.progress is None else f"{job.progress:.0%}"
    created = job.created_at.strftime("%Y-%m-%d %H:%M") if job.created_at else ""
    return (job.family.label, job.id, job.kind, job.status, progress, created)


class JobListScreen(Screen[None]):
    """The jobs screen: one row per job, updated in place from each snapshot."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh", id="jobs.refresh", tooltip="Poll now"),
    ]

    def compose(self) -> ComposeResult:
        """Header, status line, table, footer."""
        yield Header()
        yield Static("Connecting…", id="status-line")
        yield DataTable(id="job-table", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        """Set up columns and follow the app's snapshot."""
        table = self.query_one(DataTable)
        for name in COLUMNS:
            table.add_column(name, key=name.lower())
        self.watch(self.app, "jobs", self._jobs_changed)

    def _jobs_changed(self, snapshot: JobSnapshot | None) -> None:
        if snapshot is None:
            return
        table: DataTable[str] = self.query_one(DataTable)
        wanted = {f"{family}:{job_id}": job for (family, job_id), job in snapshot.jobs.items()}
        for row_key in list(table.rows):
            if row_key.value not in wanted:
                table.remove_row(row_key)
        for key, job in wanted.items():
            cells = _cells(job)
            if key in table.rows:
                for column, value in zip(COLUMNS, cells, strict=True):
                    if table.get_cell(key, column.lower()) != value:
                        table.update_cell(key, column.lower(), value)
            else:
                table.add_row(*cells, key=key)
        self.query_one("#status-line", Static).update(f"{len(wanted)} jobs")

    def action_refresh(self) -> None:
        """Poll now."""
        from ztui.app import ZtuiApp

        if isinstance(self.app, ZtuiApp):
            self.app.refresh_now()
