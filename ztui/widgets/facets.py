"""Provides the facet bar: job counts by family and by state, each a click-to-toggle chip.

A chip shows a value and how many jobs would match it given the other filters. Clicking
a chip toggles it; with no chip selected in a row, that row does not filter. The same
toggles are reachable from the keyboard (`f`/`t` on the jobs screen) and the palette.
Each row is one line at any width: on a narrow terminal the headings, the summary and
then the labels get shorter, so the State row never wraps out of sight.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rich.cells import cell_len
from textual.content import Content
from textual.message import Message
from textual.widget import Widget

from ztui.api.models import Family, JobState
from ztui.view.columns import fit_cells

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
    revealed_finished: int = 0
    """Old finished jobs shown because the filter names them by id."""
    show_finished: bool = False
    """Old finished jobs are shown."""
    filter_text: str = ""
    """The text filter in force."""
    marked: int = 0
    """Jobs marked for a bulk action (shown or not)."""
    new_above: int = 0
    """New jobs that arrived above the rows on screen."""


def _chip(label: str, count: int, selected: bool, action: str) -> Content:
    # Labels are family labels and state names (no markup characters), so the markup
    # below is built from known text only.
    style = "reverse $primary bold " if selected else ("$text-muted " if count == 0 else "")
    return Content.from_markup(f"[{style}@click={action}] {label} {count:,} [/]")


Summary = Literal["full", "short", "count", "none"]


@dataclass(frozen=True)
class _Fit:
    """How much of the bar to spell out: headings, label lengths, the summary."""

    headings: bool
    family_label: int | None
    state_label: int | None
    summary: Summary


# From the full bar to the most compact: the first that fits the width is drawn, so
# both rows stay one line each (on 80 columns the State row used to wrap off screen).
_FITS = (
    _Fit(True, None, None, "full"),
    _Fit(True, None, None, "short"),
    _Fit(False, None, None, "short"),
    _Fit(False, None, None, "count"),
    _Fit(False, 9, None, "count"),
    _Fit(False, 7, None, "count"),
    _Fit(False, 7, None, "none"),
    _Fit(False, 5, 6, "none"),
    _Fit(False, 3, 4, "none"),
)


def _label(text: str, cells: int | None) -> str:
    return text if cells is None else fit_cells(text, min(cells, cell_len(text)))


def _summary(state: FacetState, kind: Summary) -> str:
    # Marks and new jobs out of sight are said at every width: a bulk stop acts on marks
    # the user may not see, and a job sorted above the screen is easy to miss.
    alerts = ""
    if state.marked:
        alerts += f"  ● {state.marked:,} marked" if kind != "none" else f" ●{state.marked:,}"
    if state.new_above:
        alerts += (
            f"  ↑ {state.new_above:,} new above" if kind != "none" else f" ↑{state.new_above:,}"
        )
    return _base_summary(state, kind) + alerts


def _base_summary(state: FacetState, kind: Summary) -> str:
    if kind == "none":
        return ""
    hidden = state.hidden_finished and not state.show_finished
    if kind == "count":
        if hidden:
            return f"  {state.hidden_finished:,} hidden (h)"
        return "  old shown (h)" if state.show_finished else ""
    text = f"  {state.shown:,} shown"
    if kind == "full" and state.filter_text:
        text += f" matching “{state.filter_text}”"
    old = "old finished" if kind == "full" else "old"
    if state.revealed_finished and not state.show_finished:
        text += f" · {state.revealed_finished:,} {old}, shown by id"
    if hidden:
        text += f" · {state.hidden_finished:,} {old} hidden (h)"
    elif state.show_finished:
        text += f" · {old} shown (h)"
    return text


def facet_rows(state: FacetState, fit: _Fit = _FITS[0]) -> tuple[Content, Content]:
    """The family row and the state row of the bar, spelled out as `fit` says."""
    families: list[Content | str] = [Content.styled("Family", "bold"), " "] if fit.headings else []
    for family in Family:
        count = state.family_counts.get(family, 0)
        selected = family in state.families
        if count or selected:
            families.append(
                _chip(
                    _label(family.label, fit.family_label),
                    count,
                    selected,
                    f"toggle_facet('family', '{family.value}')",
                )
            )
    states: list[Content | str] = [Content.styled("State ", "bold"), " "] if fit.headings else []
    for job_state in JobState:
        count = state.state_counts.get(job_state, 0)
        selected = job_state in state.states
        if count or selected:
            states.append(
                _chip(
                    _label(job_state.value, fit.state_label),
                    count,
                    selected,
                    f"toggle_facet('state', '{job_state.value}')",
                )
            )
    summary = _summary(state, fit.summary)
    if summary:
        states.append(Content.styled(summary, "$text-muted"))
    return Content.assemble(*families), Content.assemble(*states)


def facet_content(state: FacetState, width: int) -> Content:
    """Both rows, as fully spelled out as `width` cells allow (each row one line)."""
    rows = facet_rows(state, _FITS[-1])
    for fit in _FITS:
        candidate = facet_rows(state, fit)
        if all(row.cell_length <= width for row in candidate):
            rows = candidate
            break
    family_row, state_row = (row.truncate(width, ellipsis=True) for row in rows)
    return Content.assemble(family_row, "\n", state_row)


class FacetBar(Widget):
    """Two lines of facet chips (families, then states) with the shown/hidden summary."""

    DEFAULT_CSS = """
    FacetBar {
        height: 2;
        padding: 0 1;
        text-wrap: nowrap;
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
        self._content: tuple[FacetState | None, int, Content] = (None, -1, Content(""))

    @property
    def text(self) -> str:
        """The plain text shown (for tests)."""
        return self._current().plain

    def _current(self) -> Content:
        state = self._state
        if state is None:
            return Content("")
        width = self.content_region.width or self.app.size.width
        shown_state, shown_width, content = self._content
        if shown_state is not state or shown_width != width:
            content = facet_content(state, width)
            self._content = (state, width, content)
        return content

    def render(self) -> VisualType:
        """The chips, spelled out as far as the width allows."""
        return self._current()

    def show(self, state: FacetState) -> None:
        """Show new counts and selections; repaints only when the text shown differs.

        Args:
            state: What to show.
        """
        if state == self._state:
            return
        before = self._current()
        self._state = state
        if self._current() != before:
            self.refresh()

    def action_toggle_facet(self, dimension: str, value: str) -> None:
        """Toggle a chip (bound to clicks on the chips).

        Args:
            dimension: "family" or "state".
            value: The family or state value.
        """
        self.post_message(self.Toggled(dimension, value))
