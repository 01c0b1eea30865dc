"""Provides the facet bar: job counts by family and by state, each a click-to-toggle chip.

A chip shows a value and how many jobs would match it given the other filters. Clicking
a chip toggles it; with no chip selected in a row, that row does not filter. The same
toggles are reachable from the keyboard (`f`/`t` on the jobs screen) and the palette.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.content import Content
from textual.message import Message
from textual.widget import Widget

from ztui.api.models import Family, JobState

if TYPE_CHECKING:
    from textual.visual import VisualType


@dataclass(frozen=True)
class FacetState:
    """What the facet bar shows: counts and the selected values."""

    family_counts: Mapping[Family, int]
    """Jobs per family matching every other filter."""
    state_counts: Mapping[JobState, int]
    """Jobs per state matching every other filter."""
    families: frozenset[Family] = frozenset()
    """Selected families (empty: all)."""
    states: frozenset[JobState] = frozenset()
    """Selected states (empty: all)."""
    shown: int = 0
    """Jobs shown in the table."""
    hidden_finished: int = 0
    """Old finished jobs hidden."""
    show_finished: bool = False
    """Old finished jobs are shown."""
    filter_text: str = ""
    """The text filter in force."""


def _chip(label: str, count: int, selected: bool, action: str) -> Content:
    # Labels are family labels and state names (no markup characters), so the markup
    # below is built from known text only.
    style = "reverse $primary bold " if selected else ("$text-muted " if count == 0 else "")
    return Content.from_markup(f"[{style}@click={action}] {label} {count:,} [/]")


class FacetBar(Widget):
    """Two lines of facet chips (families, then states) with the shown/hidden summary."""

    DEFAULT_CSS = """
    FacetBar {
        height: 2;
        padding: 0 1;
    }
    """

    @dataclass
    class Toggled(Message):
        """The user clicked a chip."""

        dimension: str
        """"family" or "state"."""
        value: str
        """The family or state value."""

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        """Create an empty facet bar.

        Args:
            name: Widget name.
            id: Widget id.
            classes: CSS classes.
        """
        super().__init__(name=name, id=id, classes=classes)
        self._state: FacetState | None = None
        self._content = Content("")

    @property
    def text(self) -> str:
        """The plain text shown (for tests)."""
        return self._content.plain

    def render(self) -> VisualType:
        """The chips."""
        return self._content

    def show(self, state: FacetState) -> None:
        """Show new counts and selections; repaints only when something differs.

        Args:
            state: What to show.
        """
        if state == self._state:
            return
        self._state = state
        families: list[Content | str] = [Content.styled("Family", "bold"), " "]
        for family in Family:
            count = state.family_counts.get(family, 0)
            selected = family in state.families
            if count or selected:
                families.append(
                    _chip(
                        family.label, count, selected, f"toggle_facet('family', '{family.value}')"
                    )
                )
        states: list[Content | str] = [Content.styled("State ", "bold"), " "]
        for job_state in JobState:
            count = state.state_counts.get(job_state, 0)
            selected = job_state in state.states
            if count or selected:
                states.append(
                    _chip(
                        job_state.value,
                        count,
                        selected,
                        f"toggle_facet('state', '{job_state.value}')",
                    )
                )
        summary = f"  {state.shown:,} shown"
        if state.filter_text:
            summary += f" matching “{state.filter_text}”"
        if state.hidden_finished and not state.show_finished:
            summary += f" · {state.hidden_finished:,} old finished hidden (h)"
        elif state.show_finished:
            summary += " · old finished shown (h)"
        states.append(Content.styled(summary, "$text-muted"))
        content = Content.assemble(*families, "\n", *states)
        if content != self._content:
            self._content = content
            self.refresh()

    def action_toggle_facet(self, dimension: str, value: str) -> None:
        """Toggle a chip (bound to clicks on the chips).

        Args:
            dimension: "family" or "state".
            value: The family or state value.
        """
        self.post_message(self.Toggled(dimension, value))
