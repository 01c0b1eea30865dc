"""Provides `ChoiceModal`: what to do next when there is more than one way on.

Used after an outcome ztui cannot settle alone (a create that got no answer, a file that
did not arrive) and to offer a follow-up (run a finished dry run for real). The last
choice has the focus, so `enter` takes the safe way; `escape` decides nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static
from textual.widgets.button import ButtonVariant

from ztui.core.paths import stylesheet

if TYPE_CHECKING:
    from ztui.host import Choice


class ChoiceModal(ModalScreen[str | None]):
    """Asks what to do next; dismisses with the chosen id, or None on escape."""

    CSS_PATH: ClassVar[list[str | PurePath]] = stylesheet("dialogs.tcss")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="choice.close", tooltip="Decide later"),
    ]

    def __init__(self, title: str, message: str, choices: Sequence[Choice]) -> None:
        """Create the modal.

        Args:
            title: One line.
            message: What happened, or what is offered.
            choices: One button each; the last one is focused (make it the safe one).
        """
        super().__init__()
        self.title_text = title
        self.message = message
        self.choices = list(choices)

    def compose(self) -> ComposeResult:
        """Title, message, one button per choice."""
        with Vertical(id="choice-dialog"):
            yield Static(self.title_text, id="choice-title")
            yield Static(self.message, id="choice-message")
            with Horizontal(id="choice-buttons"):
                for choice in self.choices:
                    variant: ButtonVariant = choice[2] if len(choice) == 3 else "default"
                    yield Button(choice[1], id=f"choice-{choice[0]}", variant=variant)

    def on_mount(self) -> None:
        """Focus the last (safe) choice."""
        self.query(Button).last().focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss((event.button.id or "").removeprefix("choice-"))

    def action_close(self) -> None:
        """Close with no choice."""
        self.dismiss(None)
