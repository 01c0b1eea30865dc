"""Provides `JobForm`: what every family's form on the new-job screen is and offers.

A form is a widget: it composes its own fields, handles their events and turns them into
a `JobSpec` (`build_spec`) or a message saying what to fix. The screen shows one form at
a time and asks it only through this class: which field to focus, whether it takes a
file or has a template, and the spec to send.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Button, Static

if TYPE_CHECKING:
    from ztui.api.models import Family
    from ztui.ops.submit import JobSpec


class JobForm(VerticalScroll):
    """One family's form; subclasses set the class variables and compose the fields."""

    FAMILY: ClassVar[Family]
    """The family the form creates jobs of."""
    TITLE: ClassVar[str]
    """The form's heading, e.g. "New data backfill"."""
    HELP: ClassVar[str]
    """One line on what the family does (the chooser shows it too)."""
    PREFIX: ClassVar[str]
    """Start of the form's widget ids (`db-type`, `db-send`)."""
    FIRST: ClassVar[str]
    """Selector of the field that gets the focus when the form opens."""

    def __init__(self) -> None:
        """Create the form (its id is `form-<family>`)."""
        super().__init__(id=f"form-{self.FAMILY}", classes="form")

    def compose(self) -> ComposeResult:
        """Title, help line, the family's fields, the send button."""
        yield Static(self.TITLE, classes="form-title")
        yield Static(self.HELP, classes="help")
        yield from self.compose_fields()
        yield Button(
            "Review and send… (ctrl+r)",
            id=f"{self.PREFIX}-send",
            classes="send",
            variant="primary",
        )

    def compose_fields(self) -> ComposeResult:
        """The fields between the help line and the send button."""
        yield from ()

    def on_mount(self) -> None:
        """Bring the fields into their first state (`setup`)."""
        self.setup()

    def setup(self) -> None:
        """Show or hide what depends on the fields' first values (subclasses extend it)."""

    # ------------------------------------------------------------------ what the screen asks

    def opened(self) -> None:
        """The form is shown: focus its first field."""
        self.query_one(self.FIRST).focus()

    def prefill(self, spec: JobSpec) -> None:
        """Fill the fields from `spec` (a dry run to repeat for real, for instance)."""

    def build_spec(self) -> JobSpec | str:
        """The spec the form describes, or a message saying what to fix."""
        raise NotImplementedError

    @property
    def takes_file(self) -> bool:
        """True when the form sends a file now (`f` picks it)."""
        return False

    def pick_file(self) -> None:
        """Open the file picker for the form's file."""

    @property
    def checking(self) -> bool:
        """True while the form's file is being checked."""
        return False

    def cancel_check(self) -> None:
        """Stop checking the form's file."""

    @property
    def has_template(self) -> bool:
        """True when the form's job type has a template to save (`t`)."""
        return False

    def save_template(self) -> None:
        """Save the template of the chosen job type into the last upload folder."""

    @property
    def template_type(self) -> str | None:
        """The job type whose template the form checks files against, if any."""
        return None

    @property
    def templates(self) -> Mapping[str, list[str] | None]:
        """Template headers loaded so far, by job type (None: could not be loaded)."""
        return {}
