"""Provides `WatchAquaModal`: ask for the id of an AQuA job to follow on the board."""

from __future__ import annotations

from pathlib import PurePath
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ztui.core.paths import stylesheet
from ztui.store.watchlist import parse_aqua_job_id


class WatchAquaModal(ModalScreen[str | None]):
    """An id field; dismisses with a checked AQuA job id, or None on escape.

    A malformed id is answered under the field and the dialog stays open with the text
    as typed, so it can be corrected.
    """

    CSS_PATH: ClassVar[list[str | PurePath]] = stylesheet("watch_aqua.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="watch_aqua.cancel"),
    ]

    def compose(self) -> ComposeResult:
        """Title, explanation, the id field and its message line."""
        with Vertical(id="watch-aqua"):
            yield Static("Follow an AQuA job", id="watch-aqua-title")
            yield Static(
                "AQuA has no list of jobs: the board shows the ones ztui created and the "
                "ones added here, which stay followed on later starts.",
                id="watch-aqua-help",
            )
            yield Input(placeholder="AQuA job id (32 hexadecimal characters)", id="watch-aqua-id")
            yield Static("", id="watch-aqua-error")

    @on(Input.Submitted, "#watch-aqua-id")
    def submit(self, event: Input.Submitted) -> None:
        """Dismiss with the id, or say under the field what is wrong with it."""
        try:
            job_id = parse_aqua_job_id(event.value)
        except ValueError as exc:
            self.query_one("#watch-aqua-error", Static).update(str(exc))
            return
        self.dismiss(job_id)

    @on(Input.Changed, "#watch-aqua-id")
    def _clear_error(self) -> None:
        self.query_one("#watch-aqua-error", Static).update("")

    def action_cancel(self) -> None:
        """Close without adding anything."""
        self.dismiss(None)
