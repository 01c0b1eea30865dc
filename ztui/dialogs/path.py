"""Provides `PathModal`, which asks for a folder (downloads) or a file path (exports), and
`default_folder`, the folder it proposes first."""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from ztui.core.paths import stylesheet


class PathModal(ModalScreen[Path | None]):
    """Asks for a folder (downloads) or a file path (exports); dismisses with None on cancel."""

    CSS_PATH: ClassVar[list[str | PurePath]] = stylesheet("dialogs.tcss")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="detail.path_cancel", tooltip="Do nothing"),
    ]

    def __init__(
        self, title: str, default: Path, *, action_label: str = "Download", want_folder: bool = True
    ) -> None:
        """Create the prompt.

        Args:
            title: What will be done.
            default: The path proposed.
            action_label: Label of the confirm button.
            want_folder: True for a folder (must not be a file), False for a file path
                (must not be a folder).
        """
        super().__init__()
        self._title = title
        self._default = default
        self._action_label = action_label
        self._want_folder = want_folder

    def compose(self) -> ComposeResult:
        """Title, path box, error line, buttons."""
        with Vertical(id="path-dialog"):
            yield Static(self._title, id="path-title")
            yield Input(str(self._default), id="path-input")
            yield Static("", id="path-error")
            with Horizontal(id="path-buttons"):
                yield Button("Cancel", id="path-no")
                yield Button(self._action_label, id="path-yes", variant="primary")

    def on_mount(self) -> None:
        """Focus the path box."""
        self.query_one(Input).focus()

    def action_cancel(self) -> None:
        """Close without doing anything."""
        self.dismiss(None)

    @on(Button.Pressed, "#path-no")
    def _no(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#path-yes")
    @on(Input.Submitted, "#path-input")
    def _yes(self) -> None:
        text = self.query_one(Input).value.strip()
        error = self.query_one("#path-error", Static)
        if not text:
            error.update("Enter a path.")
            return
        path = Path(text).expanduser()
        if self._want_folder and path.exists() and not path.is_dir():
            error.update(f"{path} is a file, not a folder.")
            return
        if not self._want_folder and path.is_dir():
            error.update(f"{path} is a folder; enter a file name.")
            return
        self.dismiss(path)


def default_folder(last: Path | None) -> Path:
    """The folder proposed for downloads and exports.

    Args:
        last: The folder the user chose last in this run, if any.

    Returns:
        `last`, else ~/Downloads when it exists, else the working directory.
    """
    if last is not None:
        return last
    downloads = Path.home() / "Downloads"
    return downloads if downloads.is_dir() else Path.cwd()
