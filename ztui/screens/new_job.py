"""Provides `NewJobScreen` (`u`): create any of the five kinds of job, exactly once.

The screen is a chooser (the five families on the left) and one form per family:

- data backfill: type, then a CSV/zip picked with `f` (checked against the type's
  template, fetched from the API and cached per profile; `t` saves it for filling in);
- booking-date backfill: nothing to fill in;
- auto-backfill: type, batch size 1..1000 (1000), dry run (on by default);
- custom-object bulk job: object, namespace, operation, then a CSV (create/update) or an
  optional filter (delete); the tenant's 5 job slots in use are shown, and a submit is
  queued locally while all are taken;
- AQuA batch query: name, format, 1-50 ZOQL queries typed or loaded from a `.zoql` file,
  stateless unless partner and project are given.

A file's pre-flight errors block sending; its warnings need the acknowledgement box.
Sending posts `SubmitRequested` with the form's spec: the app's submission flow
(`ztui.flows.submission`) shows the summary in a `ConfirmDialog`, sends once, settles an
ambiguous outcome with the user and reports; it shows its progress here while this screen
is open (`SubmissionView`) and goes on when it is closed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, ClassVar, Final

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    ContentSwitcher,
    Header,
    Input,
    Label,
    OptionList,
    ProgressBar,
    Select,
    Static,
    TextArea,
)
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from ztui.api.models import Family
from ztui.core.paths import stylesheet
from ztui.dialogs.confirm import ConfirmDialog
from ztui.families import noun
from ztui.families.aqua import AQUA_FORMATS, AQUA_MAX_QUERIES
from ztui.families.custom_object import CO_MAX_ACTIVE
from ztui.families.data_backfill import DATA_BACKFILL_TYPES
from ztui.families.propagation import PROPAGATION_TYPES
from ztui.host import ZtuiHost, host
from ztui.messages import SubmitRequested
from ztui.ops.preflight import CheckTarget, FileReport, PreflightCancelled, check_file
from ztui.ops.submit import (
    AquaSpec,
    BookingDateSpec,
    CustomObjectSpec,
    DataBackfillSpec,
    JobSpec,
    PropagationSpec,
    UploadFile,
    active_custom_object_jobs,
    family_of,
    load_template,
    parse_zoql,
    save_template,
    template_header,
)
from ztui.screens.file_picker import FileChoice, FilePickerScreen, PathSuggester, display_path
from ztui.widgets.csv_preview import CsvPreview, human_size
from ztui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from ztui.service.snapshot import JobSnapshot

log = logging.getLogger("ztui.screens.new_job")

SubmitConfirmModal = ConfirmDialog
"""The dialog every create ends in (the one `ConfirmDialog` of `ztui.dialogs`)."""

FAMILY_HELP: Final[dict[Family, str]] = {
    Family.DATA_BACKFILL: "Bulk-update revenue fields from a CSV laid out as the type's "
    "template. Zuora advises doing this once, before go-live.",
    Family.BOOKING_DATE: "Set each charge's booking date to its original created date. "
    "Tenants that joined after 2022 do not need it.",
    Family.PROPAGATION: "Copy revenue fields from product rate plan charges onto rate plan "
    "charges or order line items. Dry run first: it changes nothing.",
    Family.CUSTOM_OBJECT: "Create, update or delete custom-object records in bulk "
    "(a CSV for create/update). At most 5 such jobs run at a time.",
    Family.AQUA: "Run 1-50 ZOQL queries as a batch and download the results.",
}
"""One line per family for the chooser."""

FAMILY_ORDER: Final = (
    Family.DATA_BACKFILL,
    Family.BOOKING_DATE,
    Family.PROPAGATION,
    Family.CUSTOM_OBJECT,
    Family.AQUA,
)

# ---------------------------------------------------------------------------- screen


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
                the confirm modal then opens at once.
        """
        super().__init__()
        self.prefill = prefill
        self.family: Family | None = family_of(prefill) if prefill is not None else family
        """The family whose form is shown, None on the chooser."""
        self.files: dict[Family, FileChoice] = {}
        """The chosen (and checked) file of the data-backfill and custom-object forms."""
        self.templates: dict[str, list[str] | None] = {}
        """Template headers by data-backfill type (None: could not be loaded)."""
        self.checking: Family | None = None
        """The family whose file is being re-checked."""
        self.busy = False
        """A submission started here is running."""
        self.cancel_send: asyncio.Event | None = None

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        """Family list, forms, status line."""
        yield Header()
        with Horizontal(id="newjob-body"):
            yield OptionList(*[Option(f.label, id=str(f)) for f in FAMILY_ORDER], id="family-list")
            with ContentSwitcher(initial="form-intro", id="forms"):
                yield from self._intro()
                yield from self._data_backfill_form()
                yield from self._booking_form()
                yield from self._propagation_form()
                yield from self._custom_object_form()
                yield from self._aqua_form()
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
            for f in FAMILY_ORDER:
                yield Static(
                    Content.from_markup("[b]$label[/b]\n$help", label=f.label, help=FAMILY_HELP[f]),
                    classes="intro-item",
                )
            yield Static("↑↓ choose · enter opens the form · escape closes", classes="hint")

    def _file_section(self, prefix: str) -> ComposeResult:
        with Horizontal(classes="file-row"):
            yield Button("Choose file… (f)", id=f"{prefix}-pick")
            yield Static("No file chosen.", id=f"{prefix}-file", classes="file-name")
        with Horizontal(id=f"{prefix}-checking", classes="check-row"):
            yield Static("Checking…", classes="check-status")
            yield ProgressBar(total=1.0, show_eta=False, id=f"{prefix}-check-progress")
            yield Button("Cancel check", id=f"{prefix}-cancel-check", compact=True)
        yield CsvPreview(id=f"{prefix}-preview", classes="form-preview")
        yield Checkbox(
            "I have read the warnings and want to send the file anyway", id=f"{prefix}-ack"
        )

    def _data_backfill_form(self) -> ComposeResult:
        with VerticalScroll(id="form-data_backfill", classes="form"):
            yield Static("New data backfill", classes="form-title")
            yield Static(FAMILY_HELP[Family.DATA_BACKFILL], classes="help")
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
            yield from self._file_section("db")
            yield Button(
                "Review and send… (ctrl+r)", id="db-send", classes="send", variant="primary"
            )

    def _booking_form(self) -> ComposeResult:
        with VerticalScroll(id="form-booking_date", classes="form"):
            yield Static("New booking-date backfill", classes="form-title")
            yield Static(FAMILY_HELP[Family.BOOKING_DATE], classes="help")
            yield Static(
                "The request has no body and no parameters. Zuora takes no idempotency key "
                "for it: after a timeout ztui lists the jobs before it offers to send again.",
                classes="hint",
            )
            yield Button(
                "Review and send… (ctrl+r)", id="bd-send", classes="send", variant="primary"
            )

    def _propagation_form(self) -> ComposeResult:
        with VerticalScroll(id="form-propagation", classes="form"):
            yield Static("New auto-backfill", classes="form-title")
            yield Static(FAMILY_HELP[Family.PROPAGATION], classes="help")
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
            yield Button(
                "Review and send… (ctrl+r)", id="pr-send", classes="send", variant="primary"
            )

    def _custom_object_form(self) -> ComposeResult:
        with VerticalScroll(id="form-custom_object", classes="form"):
            yield Static("New custom-object bulk job", classes="form-title")
            yield Static(FAMILY_HELP[Family.CUSTOM_OBJECT], classes="help")
            yield Static("", id="co-slots", classes="hint")
            with Horizontal(classes="field"):
                yield Label("Object", classes="field-label")
                yield Input(placeholder="object API name, e.g. vehicle", id="co-object")
            with Horizontal(classes="field"):
                yield Label("Namespace", classes="field-label")
                yield Select(
                    [("default (custom objects)", "default"), ("com_zuora", "com_zuora")],
                    value="default",
                    allow_blank=False,
                    id="co-namespace",
                )
            with Horizontal(classes="field"):
                yield Label("Operation", classes="field-label")
                yield Select(
                    [("create", "create"), ("update", "update"), ("delete", "delete")],
                    value="create",
                    allow_blank=False,
                    id="co-operation",
                )
            with Vertical(id="co-filter"):
                yield Static(
                    "Delete jobs take no file. Optional filter (records matching it are "
                    "deleted; none deletes every record of the object):",
                    classes="hint",
                )
                with Horizontal(classes="field"):
                    yield Input(placeholder="field, e.g. CreatedDate", id="co-filter-field")
                    yield Select(
                        [(op, op) for op in ("EQ", "GT", "LT", "GE", "LE")],
                        value="LT",
                        allow_blank=False,
                        id="co-filter-op",
                    )
                    yield Input(placeholder="value", id="co-filter-value")
            with Vertical(id="co-file-section"):
                yield from self._file_section("co")
            yield Button(
                "Review and send… (ctrl+r)", id="co-send", classes="send", variant="primary"
            )

    def _aqua_form(self) -> ComposeResult:
        with VerticalScroll(id="form-aqua", classes="form"):
            yield Static("New AQuA batch query", classes="form-title")
            yield Static(FAMILY_HELP[Family.AQUA], classes="help")
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
            yield Button(
                "Review and send… (ctrl+r)", id="aq-send", classes="send", variant="primary"
            )

    # ------------------------------------------------------------------ lifecycle

    @property
    def ztui(self) -> ZtuiHost:
        """The app, as far as this screen may use it."""
        return host(self)

    def on_mount(self) -> None:
        """Refuse on read-only profiles; otherwise show the chooser or the asked form."""
        profile = self.ztui.profile
        if profile.read_only:
            # Defence in depth: the app refuses before pushing this screen.
            self.notify(read_only_notice(profile.name), title="New job", severity="warning")

            def close() -> None:
                self.dismiss(None)  # not awaited: dismissing from our own handler

            self.call_later(close)
            return
        for prefix in ("db", "co"):
            self.query_one(f"#{prefix}-checking").display = False
            self.query_one(f"#{prefix}-ack", Checkbox).display = False
            self.query_one(f"#{prefix}-preview", CsvPreview).show(
                None, hint="Choose a file (f): it is checked before anything is sent."
            )
        self.query_one("#aq-stateful-fields").display = False
        self._set_status("", busy=False)
        self._update_operation()
        self._update_slots()
        self.watch(self.app, "jobs", self._jobs_changed, init=False)
        if self.prefill is not None:
            self._apply_prefill(self.prefill)
        if self.family is not None:
            self.open_form(self.family)
            if self.prefill is not None:
                self.call_after_refresh(self.action_send)
        else:
            self.query_one("#family-list", OptionList).focus()

    def _apply_prefill(self, spec: JobSpec) -> None:
        if isinstance(spec, PropagationSpec):
            self.query_one("#pr-type", Select).value = spec.job_type
            self.query_one("#pr-batch", Input).value = str(spec.batch_size)
            self.query_one("#pr-dry", Checkbox).value = spec.dry_run

    def _jobs_changed(self, snapshot: JobSnapshot | None) -> None:
        self._update_slots()

    def open_form(self, family: Family) -> None:
        """Show `family`'s form and focus its first field."""
        self.family = family
        self.query_one(ContentSwitcher).current = f"form-{family}"
        options = self.query_one("#family-list", OptionList)
        options.highlighted = FAMILY_ORDER.index(family)
        first = {
            Family.DATA_BACKFILL: "#db-type",
            Family.BOOKING_DATE: "#bd-send",
            Family.PROPAGATION: "#pr-type",
            Family.CUSTOM_OBJECT: "#co-object",
            Family.AQUA: "#aq-name",
        }[family]
        self.query_one(first).focus()
        if family is Family.DATA_BACKFILL:
            self._ensure_template(self._db_type())
        self.refresh_bindings()

    @on(OptionList.OptionSelected, "#family-list")
    def _family_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.open_form(Family(event.option.id))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer file and template keys only on the forms that use them."""
        if action == "pick_file":
            return True if self._file_family() is not None else None
        if action == "save_template":
            return True if self.family is Family.DATA_BACKFILL else None
        if action == "send":
            return True if self.family is not None else None
        return True

    def action_back(self) -> None:
        """From a form back to the list; from the list, close."""
        if self.checking is not None:
            self.cancel_check()
            return
        options = self.query_one("#family-list", OptionList)
        if self.family is not None and not options.has_focus:
            options.focus()
            return
        self.dismiss(None)

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

    # ------------------------------------------------------------------ data backfill

    def _db_type(self) -> str:
        value = self.query_one("#db-type", Select).value
        return value if isinstance(value, str) else DATA_BACKFILL_TYPES[0]

    def _target(self, family: Family) -> CheckTarget:
        if family is Family.DATA_BACKFILL:
            return CheckTarget("data_backfill", template_header=self.templates.get(self._db_type()))
        op = self.query_one("#co-operation", Select).value
        return CheckTarget("custom_object", operation=op if isinstance(op, str) else "create")

    @on(Select.Changed, "#db-type")
    def _db_type_changed(self) -> None:
        self._ensure_template(self._db_type())

    def _ensure_template(self, job_type: str) -> None:
        if job_type in self.templates:
            self._template_loaded(job_type)
            return
        self.query_one("#db-template", Static).update(f"Loading the {job_type} template…")
        self.load_template_header(job_type)

    @work(group="template", exclusive=True, exit_on_error=False, description="Loading template")
    async def load_template_header(self, job_type: str) -> None:
        """Fetch (or read from the cache) the type's template, then re-check the file."""
        client = self.ztui.client
        header: list[str] | None = None
        if client is not None:
            try:
                _, content = await load_template(client, self.ztui.profile.name, job_type)
                header = template_header(content)
            except Exception as exc:  # an API or disk failure only loses the header check
                log.info("template %s not loaded: %s", job_type, exc)
        self.templates[job_type] = header
        self._template_loaded(job_type)

    def _template_loaded(self, job_type: str) -> None:
        header = self.templates.get(job_type)
        text = (
            f"Template {job_type}: {len([h for h in header if not h.startswith('#')])} "
            f"updatable columns ('#' columns are reference only)."
            if header is not None
            else f"The {job_type} template could not be loaded; the header is not checked."
        )
        self.query_one("#db-template", Static).update(text)
        choice = self.files.get(Family.DATA_BACKFILL)
        if choice is not None and self._db_type() == job_type:
            self.recheck(Family.DATA_BACKFILL, choice.path)

    def action_save_template(self) -> None:
        """Save the template of the chosen type into the last upload folder."""
        if self.family is not Family.DATA_BACKFILL:
            return
        from ztui.screens.file_picker import STATE_KEY
        from ztui.store.state import recall

        remembered = recall(STATE_KEY)
        folder = Path(remembered) if isinstance(remembered, str) else Path.home()
        self.save_template_into(folder)

    @on(Button.Pressed, "#db-save-template")
    def _save_template_pressed(self) -> None:
        self.action_save_template()

    @work(group="template-save", exclusive=True, exit_on_error=False, description="Saving template")
    async def save_template_into(self, folder: Path) -> Path | None:
        """Write the chosen type's template into `folder` (never overwriting a file)."""
        saved = await self._write_template(folder)
        if saved is not None:
            self.notify(
                f"Saved {display_path(saved)}: fill it in, drop the columns you do not "
                "update, then choose it with f.",
                title="Template",
            )
        return saved

    async def _write_template(self, folder: Path) -> Path | None:
        client = self.ztui.client
        job_type = self._db_type()
        if client is None:
            self.notify("Not connected yet; try again in a moment.", severity="warning")
            return None
        from ztui.api.errors import ApiError

        try:
            filename, content = await load_template(client, self.ztui.profile.name, job_type)
            return await asyncio.to_thread(save_template, content, folder, filename)
        except ApiError as exc:
            self.notify(f"Template not saved: {exc.message}", severity="error")
        except OSError as exc:
            self.notify(
                f"Template not saved in {display_path(folder)}: {exc.strerror or exc}",
                severity="error",
            )
        return None

    # ------------------------------------------------------------------ files

    def _file_family(self) -> Family | None:
        if self.family is Family.DATA_BACKFILL:
            return Family.DATA_BACKFILL
        if self.family is Family.CUSTOM_OBJECT and self._co_operation() != "delete":
            return Family.CUSTOM_OBJECT
        return None

    def action_pick_file(self) -> None:
        """Open the file picker for the current form."""
        family = self._file_family()
        if family is None:
            return
        target = self._target(family)
        template: Callable[[Path], Awaitable[Path | None]] | None = None
        title = f"Choose the {noun(family)} file"
        if family is Family.DATA_BACKFILL:
            template = self._write_template
            title = f"Choose the {self._db_type()} file (t saves its template here)"

        def chosen(choice: FileChoice | None) -> None:
            if choice is not None:
                self.set_file(family, choice)

        self.app.push_screen(FilePickerScreen(target, title=title, template=template), chosen)

    @on(Button.Pressed, "#db-pick")
    @on(Button.Pressed, "#co-pick")
    def _pick_pressed(self) -> None:
        self.action_pick_file()

    def set_file(self, family: Family, choice: FileChoice) -> None:
        """Use `choice` as the form's file and show its report."""
        self.files[family] = choice
        prefix = "db" if family is Family.DATA_BACKFILL else "co"
        self.query_one(f"#{prefix}-file", Static).update(display_path(choice.path))
        self._show_report(family, choice.report)

    def choose_file(self, family: Family, path: Path) -> None:
        """Check `path` for `family`'s form and use it (as the picker would)."""
        prefix = "db" if family is Family.DATA_BACKFILL else "co"
        self.query_one(f"#{prefix}-file", Static).update(display_path(path))
        self.recheck(family, path)

    def _show_report(self, family: Family, report: FileReport) -> None:
        prefix = "db" if family is Family.DATA_BACKFILL else "co"
        self.query_one(f"#{prefix}-preview", CsvPreview).show(report)
        ack = self.query_one(f"#{prefix}-ack", Checkbox)
        ack.value = False
        ack.display = bool(report.warnings) and not report.errors
        # The next step has the focus: acknowledge the warnings, or send.
        if ack.display:
            ack.focus()
        elif not report.errors:
            self.query_one(f"#{prefix}-send", Button).focus()

    def recheck(self, family: Family, path: Path) -> None:
        """Check `path` again for the form's current target (type or operation changed)."""
        prefix = "db" if family is Family.DATA_BACKFILL else "co"
        self.checking = family
        self.query_one(f"#{prefix}-checking").display = True
        self.query_one(f"#{prefix}-check-progress", ProgressBar).update(progress=0)
        self.run_check(family, path, self._target(family))

    @work(
        thread=True,
        exclusive=True,
        group="preview",
        exit_on_error=False,
        description="Checking the file",
    )
    def run_check(self, family: Family, path: Path, target: CheckTarget) -> None:
        """Run the pre-flight checks in a thread, with progress and cancel."""
        worker = get_current_worker()
        prefix = "db" if family is Family.DATA_BACKFILL else "co"

        def progress(fraction: float) -> None:
            self.app.call_from_thread(
                lambda: self.query_one(f"#{prefix}-check-progress", ProgressBar).update(
                    progress=fraction
                )
            )

        try:
            report = check_file(
                path, target=target, progress=progress, cancelled=lambda: worker.is_cancelled
            )
        except PreflightCancelled:
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._checked, family, FileChoice(path, report))

    def _checked(self, family: Family, choice: FileChoice) -> None:
        prefix = "db" if family is Family.DATA_BACKFILL else "co"
        self.query_one(f"#{prefix}-checking").display = False
        self.checking = None
        self.set_file(family, choice)

    def cancel_check(self) -> None:
        """Stop the running re-check; the file is then unchecked and not sendable."""
        family = self.checking
        self.workers.cancel_group(self, "preview")
        self.checking = None
        if family is None:
            return
        prefix = "db" if family is Family.DATA_BACKFILL else "co"
        self.query_one(f"#{prefix}-checking").display = False
        self.files.pop(family, None)
        self.query_one(f"#{prefix}-preview", CsvPreview).show(
            None, hint="Check cancelled; choose the file again (f)."
        )

    @on(Button.Pressed, "#db-cancel-check")
    @on(Button.Pressed, "#co-cancel-check")
    def _cancel_check_pressed(self) -> None:
        self.cancel_check()

    # ------------------------------------------------------------------ custom objects

    def _co_operation(self) -> str:
        value = self.query_one("#co-operation", Select).value
        return value if isinstance(value, str) else "create"

    @on(Select.Changed, "#co-operation")
    def _operation_changed(self) -> None:
        self._update_operation()
        choice = self.files.get(Family.CUSTOM_OBJECT)
        if choice is not None and self._co_operation() != "delete":
            self.recheck(Family.CUSTOM_OBJECT, choice.path)

    def _update_operation(self) -> None:
        delete = self._co_operation() == "delete"
        self.query_one("#co-filter").display = delete
        self.query_one("#co-file-section").display = not delete
        self.refresh_bindings()

    def _update_slots(self) -> None:
        snapshot = self.ztui.jobs
        queued = len(self.ztui.submissions.queued)
        if snapshot is None:
            used_text = "not known yet"
        else:
            used = active_custom_object_jobs(list(snapshot.jobs.values()))
            used_text = f"{used} of {CO_MAX_ACTIVE}" + (
                " (all taken)" if used >= CO_MAX_ACTIVE else ""
            )
        text = f"Custom-object job slots in use: {used_text}"
        if queued:
            text += f" · {queued} submit(s) queued here until a slot frees"
        self.query_one("#co-slots", Static).update(text)

    # ------------------------------------------------------------------ AQuA

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

    # ------------------------------------------------------------------ building the spec

    def build_spec(self) -> JobSpec | str:
        """The spec the current form describes, or a message saying what to fix."""
        family = self.family
        if family is None:
            return "Choose what to create first."
        if family is Family.BOOKING_DATE:
            return BookingDateSpec()
        if family is Family.PROPAGATION:
            job_type = self.query_one("#pr-type", Select).value
            raw = self.query_one("#pr-batch", Input).value.strip()
            if not raw.isdigit() or not 1 <= int(raw) <= 1000:
                return f"Batch size must be a whole number from 1 to 1000, not {raw or 'empty'}."
            return PropagationSpec(
                str(job_type), int(raw), dry_run=self.query_one("#pr-dry", Checkbox).value
            )
        if family is Family.AQUA:
            return self._aqua_spec()
        if family is Family.CUSTOM_OBJECT:
            return self._co_spec()
        upload = self._checked_upload(Family.DATA_BACKFILL)
        if isinstance(upload, str):
            return upload
        return DataBackfillSpec(self._db_type(), upload)

    def _checked_upload(self, family: Family) -> UploadFile | str:
        if self.checking is family:
            return "The file is still being checked."
        choice = self.files.get(family)
        if choice is None:
            return "Choose a file first (f)."
        report = choice.report
        if report.errors:
            first = report.errors[0]
            return (
                f"{choice.path.name} has {len(report.errors)} error(s) and cannot be sent; "
                f"the first: {first.message}"
            )
        if report.payload is None:
            return f"{choice.path.name} could not be read."
        prefix = "db" if family is Family.DATA_BACKFILL else "co"
        if report.warnings and not self.query_one(f"#{prefix}-ack", Checkbox).value:
            return (
                f"{choice.path.name} has {len(report.warnings)} warning(s): read them and tick "
                "'I have read the warnings' to send it anyway."
            )
        return UploadFile.from_report(report)

    def _co_spec(self) -> JobSpec | str:
        obj = self.query_one("#co-object", Input).value.strip()
        if not obj:
            return "Type the object's API name (e.g. vehicle)."
        if not obj.replace("_", "").isalnum():
            return f"{obj!r} is not an API name (letters, digits and _ only)."
        namespace = str(self.query_one("#co-namespace", Select).value)
        if namespace == "com_zuora" and obj != "SavedQuery":
            return "The com_zuora namespace supports only the SavedQuery object."
        operation = self._co_operation()
        if operation == "delete":
            field = self.query_one("#co-filter-field", Input).value.strip()
            value = self.query_one("#co-filter-value", Input).value.strip()
            flt: dict[str, Any] | None = None
            if field or value:
                if not (field and value):
                    return "A filter needs both a field and a value (or leave both empty)."
                op = str(self.query_one("#co-filter-op", Select).value)
                flt = {"conditions": [{"field": field, "operator": op, "value": value}]}
            return CustomObjectSpec(obj, namespace, operation, None, flt)
        upload = self._checked_upload(Family.CUSTOM_OBJECT)
        if isinstance(upload, str):
            return upload
        return CustomObjectSpec(obj, namespace, operation, upload)

    def _aqua_spec(self) -> JobSpec | str:
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

    # ------------------------------------------------------------------ sending

    @on(Button.Pressed, ".send")
    def _send_pressed(self) -> None:
        self.action_send()

    def action_send(self) -> None:
        """Validate the form, show the confirm modal, then send once."""
        if self.busy:
            self.notify("A submission from this screen is still running.", severity="warning")
            return
        spec = self.build_spec()
        if isinstance(spec, str):
            self.notify(spec, title="Not ready to send", severity="warning", timeout=8)
            return
        self.post_message(SubmitRequested(spec, view=self))
