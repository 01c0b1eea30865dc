"""Provides `AquaForm`: an AQuA batch query of 1-50 ZOQL queries, typed or loaded.

Stateless unless partner and project are given (stateful, incremental mode).
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from ztui.api.models import Family
from ztui.families.aqua import AQUA_FORMATS, AQUA_MAX_QUERIES
from ztui.ops.submit import AquaSpec, JobSpec, parse_zoql
from ztui.screens.file_picker import PathSuggester, display_path
from ztui.screens.new_job.form import JobForm


class AquaForm(JobForm):
    """Name, format, queries (or a `.zoql` file) and the stateful fields."""

    FAMILY: ClassVar[Family] = Family.AQUA
    TITLE: ClassVar[str] = "New AQuA batch query"
    HELP: ClassVar[str] = "Run 1-50 ZOQL queries as a batch and download the results."
    PREFIX: ClassVar[str] = "aq"
    FIRST: ClassVar[str] = "#aq-name"

    def compose_fields(self) -> ComposeResult:
        """Name, format, queries, the .zoql loader, the count, stateful mode."""
        with Horizontal(classes="field"):
            yield Label("Name", classes="field-label")
            yield Input(placeholder="up to 32 characters", max_length=32, id="aq-name")
        with Horizontal(classes="field"):
            yield Label("Format", classes="field-label")
            yield Select(
                [(f, f) for f in AQUA_FORMATS], value="csv", allow_blank=False, id="aq-format"
            )
        yield Label("Queries (ZOQL; end each with ';' or put one per line)")
        yield TextArea(id="aq-queries", placeholder="select Id, Name from Account;")
        with Horizontal(classes="field"):
            yield Input(
                placeholder="or load a .zoql file: type its path",
                suggester=PathSuggester(),
                id="aq-file",
            )
            yield Button("Load", id="aq-load")
        yield Static("0 queries", id="aq-count", classes="hint")
        yield Checkbox("Stateful (incremental) with partner and project", id="aq-stateful")
        with Horizontal(id="aq-stateful-fields", classes="field"):
            yield Input(placeholder="partner", id="aq-partner")
            yield Input(placeholder="project", id="aq-project")

    def setup(self) -> None:
        """Partner and project only in stateful mode."""
        super().setup()
        self.query_one("#aq-stateful-fields").display = False

    @on(TextArea.Changed, "#aq-queries")
    def _queries_changed(self) -> None:
        n = len(parse_zoql(self.query_one("#aq-queries", TextArea).text))
        self.query_one("#aq-count", Static).update(
            f"{n} quer{'y' if n == 1 else 'ies'} (1 to {AQUA_MAX_QUERIES})"
        )

    @on(Checkbox.Changed, "#aq-stateful")
    def _stateful_changed(self, event: Checkbox.Changed) -> None:
        self.query_one("#aq-stateful-fields").display = event.value

    @on(Button.Pressed, "#aq-load")
    @on(Input.Submitted, "#aq-file")
    def _load_zoql(self) -> None:
        from ztui.screens.file_picker import expand

        raw = self.query_one("#aq-file", Input).value
        if not raw.strip():
            self.notify("Type the path of a .zoql file first.", severity="warning")
            return
        path = expand(raw)
        try:
            if path.stat().st_size > 1024 * 1024:
                raise ValueError("it is over 1 MB; a .zoql file holds queries, not data")
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.notify(f"{display_path(path)} not loaded: {reason}", severity="error")
            return
        self.query_one("#aq-queries", TextArea).text = text
        self.notify(f"Loaded {len(parse_zoql(text))} queries from {path.name}.")

    def build_spec(self) -> JobSpec | str:
        """Name, 1-50 queries, format, and partner and project in stateful mode."""
        name = self.query_one("#aq-name", Input).value.strip()
        queries = parse_zoql(self.query_one("#aq-queries", TextArea).text)
        if not queries:
            return "Type at least one ZOQL query (or load a .zoql file)."
        if len(queries) > AQUA_MAX_QUERIES:
            return f"{len(queries)} queries: an AQuA job takes at most {AQUA_MAX_QUERIES}."
        fmt = str(self.query_one("#aq-format", Select).value)
        partner = project = None
        if self.query_one("#aq-stateful", Checkbox).value:
            partner = self.query_one("#aq-partner", Input).value.strip()
            project = self.query_one("#aq-project", Input).value.strip()
            if not (partner and project):
                return "Stateful mode needs both a partner and a project."
        return AquaSpec(name, tuple(queries), fmt, partner, project)
