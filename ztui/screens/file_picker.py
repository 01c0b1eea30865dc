"""Provides `FilePickerScreen`: choose a CSV (or zip), see its preview and problems first.

A directory tree filtered to the upload's extensions (`a` shows every file), a path
input that takes a typed or pasted path with `~` expansion and completion (right arrow
accepts the suggestion), and a preview. The highlighted file is checked at once by
`ztui.ops.preflight.check_file` in a thread worker (progress bar; `c` or the button cancels),
so its problems show before it is chosen. `t` saves the template of the chosen
data-backfill type into the folder shown. The last folder is remembered in `state.toml`.

The screen dismisses with a `FileChoice` (the path and its report, errors included: the
form decides what may be sent) or None.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.suggester import Suggester
from textual.widgets import Button, DirectoryTree, Header, Input, ProgressBar, Static
from textual.worker import get_current_worker

from ztui.core.paths import stylesheet
from ztui.ops.preflight import CheckTarget, FileReport, PreflightCancelled, check_file
from ztui.store.state import recall, remember
from ztui.widgets.csv_preview import CsvPreview
from ztui.widgets.footer import KeyFooter

STATE_KEY = "upload_folder"
"""Key in `state.toml` of the last folder a file was chosen from."""


def display_path(path: Path) -> str:
    """`path` with the home directory written as `~` (shorter, and the same on every
    machine, which keeps screenshots stable)."""
    home = Path.home()
    try:
        rel = path.relative_to(home)
    except ValueError:
        return str(path)
    return "~" if str(rel) == "." else f"~/{rel}"


def expand(text: str) -> Path:
    """A typed or pasted path: quotes stripped, `~` and `$VARS` expanded, made absolute."""
    cleaned = text.strip().strip("'\"")
    return Path(os.path.expandvars(os.path.expanduser(cleaned))).absolute()


class PathSuggester(Suggester):
    """Completes the last part of a path from the entries of its folder."""

    def __init__(self) -> None:
        """Create the suggester (case-sensitive, no cache: folders change)."""
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        """The first entry of the typed folder that starts with the typed name."""
        if not value or value.endswith("/"):
            return None
        head, _, prefix = value.rpartition("/")
        folder = expand(head + "/") if head or value.startswith("/") else Path.cwd()
        try:
            names = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
        except OSError:
            return None
        for name in names:
            if name.startswith(prefix) and name != prefix:
                suffix = "/" if (folder / name).is_dir() else ""
                return value + name[len(prefix) :] + suffix
        return None


class UploadTree(DirectoryTree):
    """A directory tree showing folders and the files of the allowed extensions."""

    def __init__(self, path: Path, *, extensions: tuple[str, ...], id: str | None = None) -> None:
        """Create the tree.

        Args:
            path: The folder shown at the root.
            extensions: Lower-case suffixes shown when `show_all` is off.
            id: Widget id.
        """
        self.extensions = extensions
        self.show_all = False
        """Show every file, not only the allowed extensions (and hidden ones too)."""
        super().__init__(path, id=id)

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        """Folders and allowed files; hidden entries only with `show_all`."""
        for path in paths:
            if self.show_all:
                yield path
                continue
            if path.name.startswith("."):
                continue
            if self._safe_is_dir(path) or path.suffix.lower() in self.extensions:
                yield path

    def reset_node(self, node: Any, label: Any, data: Any = None) -> UploadTree:
        """Label the root with `~` for the home directory."""
        if node is self.root and data is not None:
            label = display_path(Path(data.path))
        super().reset_node(node, label, data)
        return self


@dataclass(frozen=True)
class FileChoice:
    """The file the user chose and what the pre-flight check found in it."""

    path: Path
    report: FileReport


class FilePickerScreen(Screen[FileChoice | None]):
    """Choose a file to upload, with its preview and pre-flight findings."""

    CSS_PATH: ClassVar[list[str | PurePath]] = stylesheet("new_job.tcss")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="picker.back", tooltip="Close without choosing"),
        Binding(
            "a",
            "toggle_all",
            "All files",
            id="picker.all",
            tooltip="Show every file, or only the allowed extensions",
        ),
        Binding(
            "t",
            "save_template",
            "Save template",
            id="picker.template",
            tooltip="Save the template of the chosen type into the folder shown",
        ),
        Binding("c", "cancel_check", "Cancel check", id="picker.cancel", tooltip="Stop the check"),
        Binding(
            "ctrl+l",
            "focus_path",
            "Path",
            id="picker.path",
            tooltip="Type or paste a path (~ works; right arrow completes)",
        ),
    ]

    class Progress(Message):
        """The running check made progress (posted from the thread)."""

        def __init__(self, path: Path, fraction: float) -> None:
            super().__init__()
            self.path = path
            self.fraction = fraction

    class Checked(Message):
        """The check of `path` finished (report) or was cancelled (None)."""

        def __init__(self, path: Path, report: FileReport | None) -> None:
            super().__init__()
            self.path = path
            self.report = report

    def __init__(
        self,
        target: CheckTarget,
        *,
        title: str = "Choose a file",
        start: Path | None = None,
        template: Callable[[Path], Awaitable[Path | None]] | None = None,
    ) -> None:
        """Create the picker.

        Args:
            target: What the file is for (decides the extensions and the checks).
            title: Shown above the tree.
            start: The folder to open; default the remembered one, else home.
            template: Called by `t` to save the chosen type's template into a folder
                (a coroutine function taking the folder); None disables `t`.
        """
        super().__init__()
        self.target = target
        self.title_text = title
        self.template = template
        remembered = recall(STATE_KEY)
        folder = start or (Path(remembered) if isinstance(remembered, str) else Path.home())
        if not folder.is_dir():
            folder = Path.home()
        self.folder = folder
        self.reports: dict[Path, FileReport] = {}
        """Finished checks by path (the current target)."""
        self.checking: Path | None = None
        """The file being checked now."""
        self._choose_when_done: Path | None = None

    def compose(self) -> ComposeResult:
        """Path input, tree and preview."""
        yield Header()
        yield Static(self.title_text, id="picker-title")
        yield Input(
            display_path(self.folder) + "/",
            placeholder="Type or paste a path; ~ works; → completes",
            suggester=PathSuggester(),
            id="picker-path",
        )
        with Horizontal(id="picker-body"):
            yield UploadTree(
                self.folder, extensions=self.target.allowed_extensions, id="picker-tree"
            )
            with Vertical(id="picker-right"):
                with Horizontal(id="picker-check"):
                    yield Static("", id="picker-status")
                    yield ProgressBar(total=1.0, show_eta=False, id="picker-progress")
                    yield Button("Cancel check", id="picker-cancel", compact=True)
                yield CsvPreview(id="picker-preview")
        yield KeyFooter()

    def on_mount(self) -> None:
        """Focus the tree, hide the progress row."""
        self._set_checking(None)
        self.query_one(CsvPreview).show(
            None, hint="Highlight a file to check it; enter chooses it."
        )
        self.query_one(UploadTree).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide `t` without a template, and cancel when nothing is being checked."""
        if action == "save_template":
            return True if self.template is not None else None
        if action == "cancel_check":
            return True if self.checking is not None else None
        return True

    # ------------------------------------------------------------------ checking

    def _set_checking(self, path: Path | None) -> None:
        self.checking = path
        row = self.query_one("#picker-check")
        row.display = path is not None
        if path is not None:
            self.query_one("#picker-status", Static).update(f"Checking {path.name}…")
            self.query_one(ProgressBar).update(progress=0.0)
        self.refresh_bindings()

    def start_check(self, path: Path) -> None:
        """Check `path` (the newest request wins), unless already checked."""
        report = self.reports.get(path)
        if report is not None:
            self._show(report)
            return
        self._set_checking(path)
        self.run_check(path)

    @work(
        thread=True,
        exclusive=True,
        group="preview",
        exit_on_error=False,
        description="Checking the file",
    )
    def run_check(self, path: Path) -> None:
        """Run the pre-flight checks on `path` in a thread."""
        worker = get_current_worker()
        last = [-1.0]

        def progress(fraction: float) -> None:
            if fraction - last[0] >= 0.02 or fraction >= 1.0:
                last[0] = fraction
                self.post_message(self.Progress(path, fraction))

        try:
            report = check_file(
                path,
                target=self.target,
                progress=progress,
                cancelled=lambda: worker.is_cancelled,
            )
        except PreflightCancelled:
            self.post_message(self.Checked(path, None))
            return
        if not worker.is_cancelled:
            self.post_message(self.Checked(path, report))

    @on(Progress)
    def _progress(self, message: Progress) -> None:
        if message.path == self.checking:
            self.query_one(ProgressBar).update(progress=message.fraction)

    @on(Checked)
    def _checked(self, message: Checked) -> None:
        if message.path != self.checking:
            return
        self._set_checking(None)
        if message.report is None:
            self.query_one(CsvPreview).show(None, hint=f"Check of {message.path.name} cancelled.")
            self._choose_when_done = None
            return
        self.reports[message.path] = message.report
        self._show(message.report)
        if self._choose_when_done == message.path:
            self._choose(message.path)

    def _show(self, report: FileReport) -> None:
        self.query_one(CsvPreview).show(report)

    def action_cancel_check(self) -> None:
        """Stop the running check."""
        self.workers.cancel_group(self, "preview")
        path = self.checking
        self._set_checking(None)
        self._choose_when_done = None
        if path is not None:
            self.query_one(CsvPreview).show(None, hint=f"Check of {path.name} cancelled.")

    @on(Button.Pressed, "#picker-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel_check()

    # ------------------------------------------------------------------ choosing

    @on(DirectoryTree.NodeHighlighted)
    def _highlighted(self, event: DirectoryTree.NodeHighlighted[Any]) -> None:
        entry = event.node.data
        if entry is None:
            return
        path = Path(entry.path)
        if path.is_file():
            self.start_check(path)

    @on(DirectoryTree.FileSelected)
    def _file_selected(self, event: DirectoryTree.FileSelected) -> None:
        self.pick(Path(event.path))

    @on(DirectoryTree.DirectorySelected)
    def _dir_selected(self, event: DirectoryTree.DirectorySelected) -> None:
        self.query_one("#picker-path", Input).value = display_path(Path(event.path)) + "/"

    def pick(self, path: Path) -> None:
        """Choose `path` once its check is done (starting it if needed)."""
        if path in self.reports:
            self._choose(path)
            return
        self._choose_when_done = path
        if self.checking != path:
            self.start_check(path)

    def _choose(self, path: Path) -> None:
        remember(STATE_KEY, str(path.parent))
        self.dismiss(FileChoice(path, self.reports[path]))

    @on(Input.Submitted, "#picker-path")
    def _path_submitted(self, event: Input.Submitted) -> None:
        path = expand(event.value)
        if path.is_dir():
            self.open_folder(path)
        elif path.is_file():
            self.open_folder(path.parent)
            self.pick(path)
        else:
            self.notify(f"{display_path(path)} does not exist.", severity="warning")

    def open_folder(self, folder: Path) -> None:
        """Show `folder` at the root of the tree."""
        self.folder = folder
        tree = self.query_one(UploadTree)
        tree.path = folder
        self.query_one("#picker-path", Input).value = display_path(folder) + "/"

    def action_focus_path(self) -> None:
        """Focus the path input."""
        self.query_one("#picker-path", Input).focus()

    def action_toggle_all(self) -> None:
        """Show every file, or only the allowed extensions."""
        tree = self.query_one(UploadTree)
        tree.show_all = not tree.show_all
        tree.reload()
        shown = "every file" if tree.show_all else " and ".join(self.target.allowed_extensions)
        self.notify(f"Showing {shown}.", timeout=2)

    def action_save_template(self) -> None:
        """Save the chosen type's template into the folder shown."""
        if self.template is None:
            return
        self.save_template_to(self.folder)

    @work(group="template", exclusive=True, exit_on_error=False, description="Saving template")
    async def save_template_to(self, folder: Path) -> None:
        """Fetch (or read from the cache) the template and write it into `folder`."""
        assert self.template is not None
        saved = await self.template(folder)
        if isinstance(saved, Path):
            self.query_one(UploadTree).reload()
            self.notify(f"Template saved as {display_path(saved)}.", title="Template")

    def action_back(self) -> None:
        """Close without choosing."""
        self.workers.cancel_group(self, "preview")
        self.dismiss(None)
