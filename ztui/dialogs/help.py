"""Provides `HelpScreen`: every key of the screen it was opened from, with what it does."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static


class HelpScreen(ModalScreen[None]):
    """A modal listing the active bindings of another screen (its own and the app's)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,f1", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, target: Screen[object]) -> None:
        """Create the help for `target`.

        Args:
            target: The screen whose keys are listed.
        """
        super().__init__()
        self._target = target

    def compose(self) -> ComposeResult:
        """A title and a table of key, action and description."""
        yield Static(f"Keys: {self._target.__class__.__name__}", id="help-title")
        yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        """Fill the table from the target screen's active bindings."""
        table = self.query_one(DataTable)
        table.add_columns("Key", "Does", "Binding id")
        seen: set[tuple[str, str]] = set()
        for key, active in self._target.active_bindings.items():
            binding = active.binding
            label = self.app.get_key_display(binding)
            entry = (label, binding.action)
            if entry in seen or binding.action in ("dismiss",):
                continue
            seen.add(entry)
            table.add_row(label or key, binding.description or binding.action, binding.id or "")
        table.focus()
