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
        # The screen's own keys first, then the app's, then those of the focused widget
        # (an input's ~30 editing keys), under a heading of their own at the end.
        groups: dict[int, list[tuple[str, str, str]]] = {0: [], 1: [], 2: []}
        widget_name = ""
        for key, active in self._target.active_bindings.items():
            binding = active.binding
            label = self.app.get_key_display(binding)
            entry = (label, binding.action)
            if entry in seen or binding.action in ("dismiss",):
                continue
            seen.add(entry)
            if active.node is self._target:
                group = 0
            elif active.node is self.app:
                group = 1
            else:
                group = 2
                widget_name = widget_name or type(active.node).__name__
            groups[group].append(
                (label or key, binding.description or binding.action, binding.id or "")
            )
        for group in (0, 1):
            for row in groups[group]:
                table.add_row(*row)
        if groups[2]:
            table.add_row("", f"— keys of the focused {widget_name} —", "")
            for row in groups[2]:
                table.add_row(*row)
        table.focus()
