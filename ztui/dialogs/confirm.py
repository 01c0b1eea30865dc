"""Provides `ConfirmDialog`: the one yes/no question before ztui sends a write.

Stops, cancels and creates all end here. The dialog lists what will be sent (its rows),
opens focused on Cancel, so `enter`, `escape` and `n` send nothing, and `y` confirms. On
a production profile the user types the phrase from `ztui.ops.confirm.typed_phrase`
instead; `y` then only goes into the box.

The buttons stay on screen however small the terminal is: they are docked to the bottom
of the dialog, and the rows above them scroll when they do not fit.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from ztui.core.paths import stylesheet
from ztui.ops.confirm import ConfirmRequest, phrase_matches


class ConfirmDialog(ModalScreen[bool]):
    """Asks to confirm one write; dismisses with True only on a clear yes."""

    CSS_PATH: ClassVar[list[str | PurePath]] = stylesheet("dialogs.tcss")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape,n",
            "cancel",
            "Cancel",
            id="confirm.cancel",
            tooltip="Close without sending anything",
        ),
        Binding(
            "y",
            "confirm",
            "Confirm",
            id="confirm.yes",
            tooltip="Send it (on production, type the tenant name instead)",
        ),
    ]

    def __init__(self, request: ConfirmRequest) -> None:
        """Create the dialog.

        Args:
            request: What to show and, on production, what must be typed.
        """
        classes = " ".join(
            name
            for name, on_ in (("-production", request.typed_phrase), ("-wide", request.wide))
            if on_
        )
        super().__init__(classes=classes)
        self.request = request
        self._answered = False

    @property
    def rows(self) -> list[tuple[str, str]]:
        """The label/value rows shown."""
        return list(self.request.rows)

    @property
    def typed_phrase(self) -> str | None:
        """What must be typed to confirm, or None."""
        return self.request.typed_phrase

    def compose(self) -> ComposeResult:
        """Title, the rows, the phrase box on production, buttons."""
        r = self.request
        with VerticalScroll(id="confirm-dialog"):
            yield Static(r.title, id="confirm-title")
            # A grid, so a long value wraps under its own column, not under the labels.
            facts = Table.grid(padding=(0, 2, 0, 0))
            facts.add_column(style="bold", no_wrap=True)
            facts.add_column(overflow="fold")
            for label, value in r.rows:
                facts.add_row(label, Text(value))
            yield Static(facts, id="confirm-facts")
            if r.typed_phrase:
                yield Static(
                    Content.from_markup(
                        "This is a [b]production[/b] profile. Type [b]$phrase[/b] to $verb.",
                        phrase=r.typed_phrase,
                        verb=r.verb,
                    ),
                    id="confirm-hint",
                )
                yield Input(placeholder=r.typed_phrase, id="confirm-phrase")
            else:
                yield Static(
                    f"y {r.verb}s · n, escape or enter on Cancel send nothing", id="confirm-hint"
                )
            with Horizontal(id="confirm-buttons"):
                yield Button("Cancel", id="confirm-no")
                yield Button(
                    r.confirm_label,
                    id="confirm-yes",
                    variant="error",
                    disabled=bool(r.typed_phrase),
                )

    def on_mount(self) -> None:
        """Focus Cancel, or the phrase box on production (enter there sends nothing unless
        the phrase matches, so the default stays harmless)."""
        if self.request.typed_phrase:
            self.query_one("#confirm-phrase", Input).focus()
        else:
            self.query_one("#confirm-no", Button).focus()

    def _answer(self, value: bool) -> None:
        # A second key press (double `y`) must not dismiss twice.
        if self._answered:
            return
        self._answered = True
        self.dismiss(value)

    def action_cancel(self) -> None:
        """Close without sending anything."""
        self._answer(False)

    def action_confirm(self) -> None:
        """Confirm with `y` (refused on production, where the phrase must be typed)."""
        phrase = self.request.typed_phrase
        if phrase:
            self.notify(f"Type {phrase} in the box to {self.request.verb}.", severity="warning")
            return
        self._answer(True)

    def _phrase_ok(self) -> bool:
        phrase = self.request.typed_phrase
        if not phrase:
            return True
        return phrase_matches(self.query_one("#confirm-phrase", Input).value, phrase)

    @on(Input.Changed, "#confirm-phrase")
    def _phrase_changed(self) -> None:
        self.query_one("#confirm-yes", Button).disabled = not self._phrase_ok()

    @on(Input.Submitted, "#confirm-phrase")
    def _phrase_submitted(self) -> None:
        if self._phrase_ok():
            self._answer(True)
        else:
            self.notify("That is not the tenant name; nothing was sent.", severity="warning")

    @on(Button.Pressed, "#confirm-no")
    def _cancel_pressed(self) -> None:
        self._answer(False)

    @on(Button.Pressed, "#confirm-yes")
    def _confirm_pressed(self) -> None:
        if self._phrase_ok():
            self._answer(True)
