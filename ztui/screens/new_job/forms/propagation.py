"""Provides `PropagationForm`: auto-backfill type, batch size 1..1000, dry run."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Checkbox, Input, Label, Select, Static

from ztui.api.models import Family
from ztui.families.propagation import PROPAGATION_TYPES
from ztui.ops.submit import JobSpec, PropagationSpec
from ztui.screens.new_job.form import JobForm


class PropagationForm(JobForm):
    """Type, batch size (1000) and dry run (on by default)."""

    FAMILY: ClassVar[Family] = Family.PROPAGATION
    TITLE: ClassVar[str] = "New auto-backfill"
    HELP: ClassVar[str] = (
        "Copy revenue fields from product rate plan charges onto rate plan charges or order "
        "line items. Dry run first: it changes nothing."
    )
    PREFIX: ClassVar[str] = "pr"
    FIRST: ClassVar[str] = "#pr-type"

    def compose_fields(self) -> ComposeResult:
        """Type, batch size, dry run."""
        with Horizontal(classes="field"):
            yield Label("Type", classes="field-label")
            yield Select(
                [(t, t) for t in PROPAGATION_TYPES],
                value=PROPAGATION_TYPES[0],
                allow_blank=False,
                id="pr-type",
            )
        with Horizontal(classes="field"):
            yield Label("Batch size", classes="field-label")
            yield Input("1000", type="integer", max_length=4, id="pr-batch")
            yield Static("1 to 1000", classes="hint")
        yield Checkbox("Dry run (changes nothing)", value=True, id="pr-dry")

    def prefill(self, spec: JobSpec) -> None:
        """Type, batch size and dry run from an auto-backfill spec."""
        if isinstance(spec, PropagationSpec):
            self.query_one("#pr-type", Select).value = spec.job_type
            self.query_one("#pr-batch", Input).value = str(spec.batch_size)
            self.query_one("#pr-dry", Checkbox).value = spec.dry_run

    def build_spec(self) -> JobSpec | str:
        """The type, a batch size from 1 to 1000, and whether it is a dry run."""
        job_type = self.query_one("#pr-type", Select).value
        raw = self.query_one("#pr-batch", Input).value.strip()
        if not raw.isdigit() or not 1 <= int(raw) <= 1000:
            return f"Batch size must be a whole number from 1 to 1000, not {raw or 'empty'}."
        return PropagationSpec(
            str(job_type), int(raw), dry_run=self.query_one("#pr-dry", Checkbox).value
        )
