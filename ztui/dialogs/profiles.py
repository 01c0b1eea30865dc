"""Provides `ProfileSwitchModal`: pick another configured profile to connect to."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


class ProfileSwitchModal(ModalScreen[str | None]):
    """A list of profile names; dismisses with the chosen name, or None on escape."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="profiles.cancel"),
    ]

    def __init__(self, names: list[str], current: str) -> None:
        """Create the chooser.

        Args:
            names: Profile names from the config file.
            current: The active profile, marked and not selectable twice.
        """
        super().__init__()
        self._names = names
        self._current = current

    def compose(self) -> ComposeResult:
        """A title and the list."""
        yield Static("Switch profile", id="profiles-title")
        yield OptionList(
            *[
                Option(f"{name}{'  (current)' if name == self._current else ''}", id=name)
                for name in self._names
            ],
            id="profiles-list",
        )

    @on(OptionList.OptionSelected)
    def choose(self, event: OptionList.OptionSelected) -> None:
        """Dismiss with the chosen profile."""
        name = event.option.id
        self.dismiss(None if name == self._current else name)

    def action_cancel(self) -> None:
        """Close without switching."""
        self.dismiss(None)
