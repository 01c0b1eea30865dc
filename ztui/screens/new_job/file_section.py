"""Provides `FileForm`: a form that sends a file, with its file section.

The section is a "Choose file… (f)" button with the chosen name, a check row (progress
and "Cancel check") while the pre-flight runs, the preview with its findings, and the
"I have read the warnings" box. A file is checked in a thread (`ztui.ops.preflight`) when
it is chosen and again when what it is checked against changes (the data-backfill type's
template, the custom-object operation); errors make it unsendable, warnings need the box.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, Input, ProgressBar, Static
from textual.worker import get_current_worker

from ztui.families import noun
from ztui.ops.preflight import CheckTarget, FileReport, PreflightCancelled, check_file
from ztui.ops.submit import UploadFile
from ztui.screens.file_picker import FileChoice, FilePickerScreen, display_path
from ztui.screens.new_job.form import JobForm
from ztui.widgets.csv_preview import CsvPreview


class FileForm(JobForm):
    """A form whose job carries a file; subclasses place `compose_file_section`."""

    CHOOSE_HINT: ClassVar[str] = "Choose a file (f): it is checked before anything is sent."

    def __init__(self) -> None:
        """Create the form with no file chosen."""
        super().__init__()
        self.choice: FileChoice | None = None
        """The chosen and checked file, None until there is one."""
        self._checking = False

    def compose_file_section(self) -> ComposeResult:
        """The file section's widgets (`<prefix>-pick`, `-file`, `-preview`, `-ack`...)."""
        p = self.PREFIX
        with Horizontal(classes="file-row"):
            yield Button("Choose file… (f)", id=f"{p}-pick")
            yield Static("No file chosen.", id=f"{p}-file", classes="file-name")
        # Typed or pasted here, a path is text: the form's one-letter keys (f, t, q)
        # never fire from it.
        yield Input(
            placeholder="…or type or paste the file's path here and press enter",
            id=f"{p}-path",
            classes="file-path",
        )
        with Horizontal(id=f"{p}-checking", classes="check-row"):
            yield Static("Checking…", classes="check-status")
            yield ProgressBar(total=1.0, show_eta=False, id=f"{p}-check-progress")
            yield Button("Cancel check", id=f"{p}-cancel-check", compact=True)
        yield CsvPreview(id=f"{p}-preview", classes="form-preview")
        yield Checkbox("I have read the warnings and want to send the file anyway", id=f"{p}-ack")

    def setup(self) -> None:
        """No check running, nothing to acknowledge, and a hint in the preview."""
        super().setup()
        self.query_one(f"#{self.PREFIX}-checking").display = False
        self.query_one(f"#{self.PREFIX}-ack", Checkbox).display = False
        self.query_one(f"#{self.PREFIX}-preview", CsvPreview).show(None, hint=self.CHOOSE_HINT)

    # ------------------------------------------------------------------ what it is checked against

    def check_target(self) -> CheckTarget:
        """What the file is checked against now."""
        raise NotImplementedError

    def picker_title(self) -> str:
        """The file picker's title."""
        return f"Choose the {noun(self.FAMILY)} file"

    def picker_template(self) -> Callable[[Path], Awaitable[Path | None]] | None:
        """How the picker saves a template into its folder (`t`), or None."""
        return None

    # ------------------------------------------------------------------ choosing

    @property
    def takes_file(self) -> bool:
        """True: the form sends a file."""
        return True

    def pick_file(self) -> None:
        """Open the file picker; the file it returns is already checked."""

        def chosen(choice: FileChoice | None) -> None:
            if choice is not None:
                self.set_file(choice)

        self.app.push_screen(
            FilePickerScreen(
                self.check_target(), title=self.picker_title(), template=self.picker_template()
            ),
            chosen,
        )

    @on(Button.Pressed)
    def _file_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == f"{self.PREFIX}-pick":
            self.pick_file()
        elif event.button.id == f"{self.PREFIX}-cancel-check":
            self.cancel_check()

    def set_file(self, choice: FileChoice) -> None:
        """Use `choice` as the form's file and show its report."""
        self.choice = choice
        self.query_one(f"#{self.PREFIX}-file", Static).update(display_path(choice.path))
        self._show_report(choice.report)

    @on(Input.Submitted)
    def _path_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != f"{self.PREFIX}-path":
            return
        event.stop()
        text = event.value.strip().strip("'\"")
        if not text:
            return
        path = Path(text).expanduser()
        if not path.is_file():
            self.notify(f"{display_path(path)} is not a file.", severity="warning")
            return
        self.choose_file(path)

    def on_paste(self, event: events.Paste) -> None:
        """A paste anywhere in the form goes into the path field, never to the keys."""
        field = self.query_one(f"#{self.PREFIX}-path", Input)
        if field.has_focus:
            return
        event.stop()
        field.value = event.text.strip()
        field.focus()

    def choose_file(self, path: Path) -> None:
        """Check `path` and use it (as the picker would)."""
        self.query_one(f"#{self.PREFIX}-file", Static).update(display_path(path))
        self.recheck(path)

    def _show_report(self, report: FileReport) -> None:
        self.query_one(f"#{self.PREFIX}-preview", CsvPreview).show(report)
        ack = self.query_one(f"#{self.PREFIX}-ack", Checkbox)
        ack.value = False
        ack.display = bool(report.warnings) and not report.errors
        # The next step has the focus: acknowledge the warnings, or send.
        if ack.display:
            ack.focus()
        elif not report.errors:
            self.query_one(f"#{self.PREFIX}-send", Button).focus()

    # ------------------------------------------------------------------ checking

    @property
    def checking(self) -> bool:
        """True while the file is being checked."""
        return self._checking

    def recheck(self, path: Path) -> None:
        """Check `path` against the form's current target (type or operation changed)."""
        self._checking = True
        self.query_one(f"#{self.PREFIX}-checking").display = True
        self.query_one(f"#{self.PREFIX}-check-progress", ProgressBar).update(progress=0)
        self.run_check(path, self.check_target())

    @work(
        thread=True,
        exclusive=True,
        group="preview",
        exit_on_error=False,
        description="Checking the file",
    )
    def run_check(self, path: Path, target: CheckTarget) -> None:
        """Run the pre-flight checks in a thread, with progress and cancel."""
        worker = get_current_worker()
        bar = self.query_one(f"#{self.PREFIX}-check-progress", ProgressBar)

        def progress(fraction: float) -> None:
            self.app.call_from_thread(lambda: bar.update(progress=fraction))

        try:
            report = check_file(
                path, target=target, progress=progress, cancelled=lambda: worker.is_cancelled
            )
        except PreflightCancelled:
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._checked, FileChoice(path, report))

    def _checked(self, choice: FileChoice) -> None:
        self.query_one(f"#{self.PREFIX}-checking").display = False
        self._checking = False
        self.set_file(choice)

    def cancel_check(self) -> None:
        """Stop the running check; the file is then unchecked and not sendable."""
        was_checking = self._checking
        self.workers.cancel_group(self, "preview")
        self._checking = False
        if not was_checking:
            return
        self.query_one(f"#{self.PREFIX}-checking").display = False
        self.choice = None
        self.query_one(f"#{self.PREFIX}-preview", CsvPreview).show(
            None, hint="Check cancelled; choose the file again (f)."
        )

    # ------------------------------------------------------------------ sending

    def checked_upload(self) -> UploadFile | str:
        """The file as it will be sent, or a message saying why it cannot be."""
        if self._checking:
            return "The file is still being checked."
        choice = self.choice
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
        if report.warnings and not self.query_one(f"#{self.PREFIX}-ack", Checkbox).value:
            return (
                f"{choice.path.name} has {len(report.warnings)} warning(s): read them and tick "
                "'I have read the warnings' to send it anyway."
            )
        return UploadFile.from_report(report)
