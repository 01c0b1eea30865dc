"""Provides `DataBackfillForm`: a type, then a CSV or zip checked against its template.

The type's template is fetched from the API (and cached per profile) when the form opens
or the type changes; the file's header is checked against it. `t` saves the template
into the last upload folder, for filling in.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Label, Select, Static

from ztui.api.models import Family
from ztui.families.data_backfill import DATA_BACKFILL_TYPES
from ztui.host import host
from ztui.ops.preflight import CheckTarget
from ztui.ops.submit import DataBackfillSpec, JobSpec, load_template, save_template, template_header
from ztui.screens.file_picker import display_path
from ztui.screens.new_job.file_section import FileForm

log = logging.getLogger("ztui.screens.new_job.forms.data_backfill")


class DataBackfillForm(FileForm):
    """Type and file of a data backfill."""

    FAMILY: ClassVar[Family] = Family.DATA_BACKFILL
    TITLE: ClassVar[str] = "New data backfill"
    HELP: ClassVar[str] = (
        "Bulk-update revenue fields from a CSV laid out as the type's template. Zuora advises "
        "doing this once, before go-live."
    )
    PREFIX: ClassVar[str] = "db"
    FIRST: ClassVar[str] = "#db-type"

    def __init__(self) -> None:
        """Create the form; no template loaded yet."""
        super().__init__()
        self._templates: dict[str, list[str] | None] = {}

    def compose_fields(self) -> ComposeResult:
        """Type (with "Save template"), the template line, the file section."""
        with Horizontal(classes="field"):
            yield Label("Type", classes="field-label")
            yield Select(
                [(t, t) for t in DATA_BACKFILL_TYPES],
                value=DATA_BACKFILL_TYPES[0],
                allow_blank=False,
                id="db-type",
            )
            yield Button("Save template (t)", id="db-save-template")
        yield Static("", id="db-template", classes="hint")
        yield from self.compose_file_section()

    def opened(self) -> None:
        """Focus the type and make sure its template is loaded."""
        super().opened()
        self._ensure_template(self.job_type)

    # ------------------------------------------------------------------ type and template

    @property
    def job_type(self) -> str:
        """The chosen data-backfill type."""
        value = self.query_one("#db-type", Select).value
        return value if isinstance(value, str) else DATA_BACKFILL_TYPES[0]

    @property
    def template_type(self) -> str:
        """The chosen type: files are checked against its template."""
        return self.job_type

    @property
    def templates(self) -> Mapping[str, list[str] | None]:
        """Template headers by type (None: could not be loaded)."""
        return self._templates

    @property
    def has_template(self) -> bool:
        """True: every type has a template."""
        return True

    def check_target(self) -> CheckTarget:
        """The chosen type's template header (unchecked when it could not be loaded)."""
        return CheckTarget("data_backfill", template_header=self._templates.get(self.job_type))

    def picker_title(self) -> str:
        """Names the type, and that `t` saves its template in the picker's folder."""
        return f"Choose the {self.job_type} file (t saves its template here)"

    def picker_template(self) -> Callable[[Path], Awaitable[Path | None]]:
        """Saves the chosen type's template into the picker's folder."""
        return self.write_template

    @on(Select.Changed, "#db-type")
    def _type_changed(self) -> None:
        self._ensure_template(self.job_type)

    def _ensure_template(self, job_type: str) -> None:
        if job_type in self._templates:
            self._template_loaded(job_type)
            return
        self.query_one("#db-template", Static).update(f"Loading the {job_type} template…")
        self.load_template_header(job_type)

    @work(group="template", exclusive=True, exit_on_error=False, description="Loading template")
    async def load_template_header(self, job_type: str) -> None:
        """Fetch (or read from the cache) the type's template, then re-check the file."""
        app = host(self)
        client = app.client
        header: list[str] | None = None
        if client is not None:
            try:
                _, content = await load_template(client, app.profile.name, job_type)
                header = template_header(content)
            except Exception as exc:  # an API or disk failure only loses the header check
                log.info("template %s not loaded: %s", job_type, exc)
        self._templates[job_type] = header
        self._template_loaded(job_type)

    def _template_loaded(self, job_type: str) -> None:
        header = self._templates.get(job_type)
        text = (
            f"Template {job_type}: {len([h for h in header if not h.startswith('#')])} "
            f"updatable columns ('#' columns are reference only)."
            if header is not None
            else f"The {job_type} template could not be loaded; the header is not checked."
        )
        self.query_one("#db-template", Static).update(text)
        if self.choice is not None and self.job_type == job_type:
            self.recheck(self.choice.path)

    def save_template(self) -> None:
        """Save the template of the chosen type into the last upload folder."""
        from ztui.screens.file_picker import STATE_KEY
        from ztui.store.state import recall

        remembered = recall(STATE_KEY)
        folder = Path(remembered) if isinstance(remembered, str) else Path.home()
        self.save_template_into(folder)

    @on(Button.Pressed, "#db-save-template")
    def _save_template_pressed(self) -> None:
        self.save_template()

    @work(group="template-save", exclusive=True, exit_on_error=False, description="Saving template")
    async def save_template_into(self, folder: Path) -> Path | None:
        """Write the chosen type's template into `folder` (never overwriting a file)."""
        saved = await self.write_template(folder)
        if saved is not None:
            self.notify(
                f"Saved {display_path(saved)}: fill it in, drop the columns you do not "
                "update, then choose it with f.",
                title="Template",
            )
        return saved

    async def write_template(self, folder: Path) -> Path | None:
        """Write the chosen type's template into `folder`; None (and a notice) on failure."""
        app = host(self)
        client = app.client
        job_type = self.job_type
        if client is None:
            self.notify("Not connected yet; try again in a moment.", severity="warning")
            return None
        from ztui.api.errors import ApiError

        try:
            filename, content = await load_template(client, app.profile.name, job_type)
            return await asyncio.to_thread(save_template, content, folder, filename)
        except ApiError as exc:
            self.notify(f"Template not saved: {exc.message}", severity="error")
        except OSError as exc:
            self.notify(
                f"Template not saved in {display_path(folder)}: {exc.strerror or exc}",
                severity="error",
            )
        return None

    # ------------------------------------------------------------------ the spec

    def build_spec(self) -> JobSpec | str:
        """The type and the checked file."""
        upload = self.checked_upload()
        if isinstance(upload, str):
            return upload
        return DataBackfillSpec(self.job_type, upload)
