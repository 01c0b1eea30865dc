"""Provides `NewJobScreen` (`u`): create a job of any family that has a form, exactly once.

The screen is a chooser (the families of `forms.FORMS` on the left) and their forms on
the right, one shown at a time; each form composes, checks and validates its own fields
(`ztui.screens.new_job.forms`). A file's pre-flight errors block sending; its warnings
need the acknowledgement box.

Sending posts `SubmitRequested` with the form's spec: the app's submission flow
(`ztui.flows.submission`) shows the summary in a `ConfirmDialog`, sends once, settles an
ambiguous outcome with the user and reports. It shows its progress here while this
screen is open (the screen is its `SubmissionView`) and goes on when it is closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, ContentSwitcher, Header, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from ztui.core.paths import stylesheet
from ztui.host import host
from ztui.messages import SubmitRequested
from ztui.ops.submit import JobSpec, UploadFile, family_of
from ztui.screens.new_job.file_section import FileForm
from ztui.screens.new_job.forms import FORMS, JobForm
from ztui.widgets.csv_preview import human_size
from ztui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from ztui.api.models import Family
    from ztui.screens.file_picker import FileChoice


def read_only_notice(profile_name: str) -> str:
    """What to tell a user who asks for a new job on a read-only profile."""
    return (
        f"Profile {profile_name} is read-only: ztui creates no jobs on it. "
        "Start ztui with --write (or set read_only = false) to allow it."
    )


class NewJobScreen(Screen[None]):
    """Choose a family, fill its form, check the file, confirm, send once."""

    CSS_PATH: ClassVar[list[str | PurePath]] = stylesheet("new_job.tcss")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="new_job.back", tooltip="Back to the list, or close"),
        Binding(
            "ctrl+r",
            "send",
            "Review & send",
            id="new_job.send",
            tooltip="Show what will be sent and confirm",
        ),
        Binding("f", "pick_file", "Choose file", id="new_job.file", tooltip="Pick the CSV"),
        Binding(
            "t",
            "save_template",
            "Save template",
            id="new_job.template",
            tooltip="Save the chosen type's template into the last upload folder",
        ),
    ]

    def __init__(self, family: Family | None = None, *, prefill: JobSpec | None = None) -> None:
        """Create the screen.

        Args:
            family: Open this family's form at once.
            prefill: Fill the form from this spec (e.g. a dry run to repeat for real);
                the summary then opens at once.
        """
        super().__init__()
        self.prefill = prefill
        self.family: Family | None = family_of(prefill) if prefill is not None else family
        """The family whose form is shown, None on the chooser."""
        self.forms: dict[Family, JobForm] = {family: form() for family, form in FORMS.items()}
        """Every family's form, in the chooser's order."""
        self.busy = False
        """A submission started here is running."""
        self.cancel_send: asyncio.Event | None = None
        """Set by the submission while a large upload counts down ("Cancel sending")."""

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        """Family list, forms, status line."""
        yield Header()
        with Horizontal(id="newjob-body"):
            yield OptionList(
                *[Option(family.label, id=str(family)) for family in self.forms],
                id="family-list",
            )
            with ContentSwitcher(initial="form-intro", id="forms"):
                yield from self._intro()
                yield from self.forms.values()
        with Horizontal(id="newjob-statusbar"):
            yield Static("", id="newjob-status")
            yield ProgressBar(
                total=None, show_eta=False, show_percentage=False, id="newjob-progress"
            )
            yield Button("Cancel sending", id="newjob-cancel-send", compact=True)
        yield KeyFooter()

    def _intro(self) -> ComposeResult:
        with VerticalScroll(id="form-intro", classes="form"):
            yield Static("What do you want to create?", classes="form-title")
            for family, form in self.forms.items():
                yield Static(
                    Content.from_markup("[b]$label[/b]\n$help", label=family.label, help=form.HELP),
                    classes="intro-item",
                )
            yield Static("↑↓ choose · enter opens the form · escape closes", classes="hint")

    # ------------------------------------------------------------------ lifecycle

    def on_mount(self) -> None:
        """Refuse on read-only profiles; otherwise show the chooser or the asked form."""
        profile = host(self).profile
        if profile.read_only:
            # Defence in depth: the app refuses before pushing this screen.
            self.notify(
                profile.read_only_hint or read_only_notice(profile.name),
                title="New job",
                severity="warning",
            )

            def close() -> None:
                self.dismiss(None)  # not awaited: dismissing from our own handler

            self.call_later(close)
            return
        self._set_status("", busy=False)
        if self.family is not None:
            if self.prefill is not None:
                self.forms[self.family].prefill(self.prefill)
            self.open_form(self.family)
            if self.prefill is not None:
                self.call_after_refresh(self.action_send)
        else:
            self.query_one("#family-list", OptionList).focus()

    @property
    def form(self) -> JobForm | None:
        """The form shown, None on the chooser."""
        return self.forms[self.family] if self.family is not None else None

    def open_form(self, family: Family) -> None:
        """Show `family`'s form and focus its first field."""
        self.family = family
        form = self.forms[family]
        self.query_one(ContentSwitcher).current = form.id
        self.query_one("#family-list", OptionList).highlighted = list(self.forms).index(family)
        form.opened()
        self.refresh_bindings()

    @on(OptionList.OptionSelected, "#family-list")
    def _family_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.open_form(next(f for f in self.forms if str(f) == event.option.id))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer file and template keys only on the forms that use them."""
        form = self.form
        if action == "pick_file":
            return True if form is not None and form.takes_file else None
        if action == "save_template":
            return True if form is not None and form.has_template else None
        if action == "send":
            return True if form is not None else None
        return True

    def action_back(self) -> None:
        """Stop a running check; from a form back to the list; from the list, close."""
        checking = [form for form in self.forms.values() if form.checking]
        if checking:
            for form in checking:
                form.cancel_check()
            return
        options = self.query_one("#family-list", OptionList)
        if self.family is not None and not options.has_focus:
            options.focus()
            return
        self.dismiss(None)

    def action_pick_file(self) -> None:
        """Open the file picker for the shown form."""
        form = self.form
        if form is not None and form.takes_file:
            form.pick_file()

    def action_save_template(self) -> None:
        """Save the template of the shown form's job type into the last upload folder."""
        form = self.form
        if form is not None and form.has_template:
            form.save_template()

    # ------------------------------------------------------------------ the forms' files

    @property
    def files(self) -> Mapping[Family, FileChoice]:
        """The chosen (and checked) file of each form that has one."""
        return {
            family: form.choice
            for family, form in self.forms.items()
            if isinstance(form, FileForm) and form.choice is not None
        }

    @property
    def checking(self) -> Family | None:
        """The family whose file is being checked, if any."""
        return next((family for family, form in self.forms.items() if form.checking), None)

    def choose_file(self, family: Family, path: Path) -> None:
        """Check `path` for `family`'s form and use it (as the picker would)."""
        form = self.forms[family]
        if isinstance(form, FileForm):
            form.choose_file(path)

    @property
    def templates(self) -> Mapping[str, list[str] | None]:
        """Template headers the forms have loaded, by job type."""
        merged: dict[str, list[str] | None] = {}
        for form in self.forms.values():
            merged.update(form.templates)
        return merged

    def template_type(self) -> str | None:
        """The job type whose template the shown form checks files against, if any."""
        form = self.form
        return form.template_type if form is not None else None

    _db_type = template_type

    # ------------------------------------------------------------------ status

    def _set_status(self, text: str, *, busy: bool, can_cancel: bool = False) -> None:
        bar = self.query_one("#newjob-statusbar")
        bar.display = bool(text)
        self.query_one("#newjob-status", Static).update(text)
        progress = self.query_one("#newjob-progress", ProgressBar)
        progress.display = busy
        self.query_one("#newjob-cancel-send", Button).display = can_cancel
        for button in self.query(".send").results(Button):
            button.disabled = busy

    def show_progress(self, text: str, fraction: float | None, *, can_cancel: bool) -> None:
        """Show what the running submission does (from the submission worker)."""
        self._set_status(text, busy=True, can_cancel=can_cancel)
        progress = self.query_one("#newjob-progress", ProgressBar)
        if fraction is None:
            progress.update(total=None)
        else:
            progress.update(total=1.0, progress=fraction)

    def show_countdown(self, upload: UploadFile, seconds_left: float, fraction: float) -> None:
        """A large upload is sent in `seconds_left` unless "Cancel sending" is pressed."""
        self.show_progress(
            f"Sending {upload.name} ({human_size(upload.size)}) in {seconds_left:.1f} s "
            "— Cancel sending stops it",
            fraction,
            can_cancel=True,
        )

    def show_done(self, text: str) -> None:
        """The submission finished (or stopped); `text` says how."""
        self.busy = False
        self._set_status(text, busy=False)

    def submission_started(self) -> None:
        """The user confirmed the summary: the submission runs (one at a time here)."""
        self.busy = True

    def submission_created(self) -> None:
        """The job was created: back to the board, unless another screen is on top."""
        if self.app.screen is self:
            self.dismiss(None)

    @on(Button.Pressed, "#newjob-cancel-send")
    def _cancel_send(self) -> None:
        if self.cancel_send is not None:
            self.cancel_send.set()

    # ------------------------------------------------------------------ sending

    def build_spec(self) -> JobSpec | str:
        """The spec the shown form describes, or a message saying what to fix."""
        form = self.form
        if form is None:
            return "Choose what to create first."
        return form.build_spec()

    @on(Button.Pressed, ".send")
    def _send_pressed(self) -> None:
        self.action_send()

    def action_send(self) -> None:
        """Validate the form, then ask the app's submission flow to confirm and send."""
        if self.busy:
            self.notify("A submission from this screen is still running.", severity="warning")
            return
        spec = self.build_spec()
        if isinstance(spec, str):
            self.notify(spec, title="Not ready to send", severity="warning", timeout=8)
            return
        self.post_message(SubmitRequested(spec, view=self))
