"""Provides the board's status bar: connection per family, last poll, API budget, counts.

The bar is two lines. The first says how fresh each family's data is; the second gives the
last poll time, the API budget, the counts by state and the badges (paused, production,
read-only). It repaints only when its text changes, so a poll that changes nothing visible
writes nothing here either.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widget import Widget

from ztui.api.models import Family, JobState

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.visual import VisualType

    from ztui.service.snapshot import FamilyStatus, JobSnapshot

_STATE_STYLE = {
    JobState.QUEUED: "$secondary",
    JobState.RUNNING: "$primary",
    JobState.STOPPING: "$warning",
    JobState.SUCCEEDED: "$success",
    JobState.FAILED: "$error",
    JobState.CANCELLED: "$warning",
    JobState.STOPPED: "$warning",
    JobState.UNKNOWN: "$accent italic",
    JobState.UNREADABLE: "$warning italic",
}


def clock_text(epoch: float | None, *, seconds: bool = True) -> str:
    """Format epoch seconds as a UTC time of day (`12:00:05`), or `?` when unknown.

    Args:
        epoch: Epoch seconds.
        seconds: Include the seconds.

    Returns:
        The text.
    """
    if epoch is None:
        return "?"
    return time.strftime("%H:%M:%S" if seconds else "%H:%M", time.gmtime(epoch))


def family_text(status: FamilyStatus) -> Content:
    """One family's connection state: `ok`, `2 unreadable`, `stale since 12:01`, ...

    Args:
        status: The family's status from the snapshot.

    Returns:
        Styled text naming the family and its state.
    """
    label = status.family.label
    state = status.state
    if state == "ok" and status.unreadable:
        return Content.assemble(label, " ", (f"{status.unreadable:,} unreadable", "$warning"))
    if state == "ok":
        return Content.assemble(label, " ", ("ok", "$success"))
    if state == "error":
        return Content.assemble(
            label, " ", (f"error since {clock_text(status.as_of)}", "$error bold")
        )
    if state == "stale":
        return Content.assemble(
            label, " ", (f"stale since {clock_text(status.as_of)}", "$warning bold")
        )
    if state == "rate_limited":
        return Content.assemble(
            label, " ", (f"rate-limited until {clock_text(status.retry_at)}", "$warning bold")
        )
    if state == "auth_error":
        return Content.assemble(label, " ", ("auth error", "$error bold"))
    if state == "unsupported":
        return Content.assemble((f"{label} n/a", "$text-muted"))
    return Content.assemble(label, " ", ("…", "$text-muted"))


def _number(value: float | None) -> str:
    return "?" if value is None else f"{round(value):,}"


def budget_text(snapshot: JobSnapshot, daily_budget: int | None = None) -> Content:
    """The API budget: remaining of limit, reset time, calls this run, projected per day.

    Args:
        snapshot: The newest snapshot.
        daily_budget: The profile's `daily_call_budget`, shown beside the projection.

    Returns:
        Styled text; the remaining count turns warning/error as it runs low.
    """
    budget = snapshot.budget
    parts: list[Content | str] = ["API "]
    if budget.limit is not None and budget.remaining is not None:
        fraction = budget.fraction_remaining or 0.0
        style = "$error bold" if fraction < 0.1 else "$warning" if fraction < 0.25 else ""
        parts.append(Content.styled(f"{budget.remaining:,}/{budget.limit:,}", style))
        parts.append(f" left, resets {clock_text(budget.reset_at, seconds=False)}")
    else:
        parts.append("budget ?")
    parts.append(f" · {budget.calls_made:,} calls this run")
    if budget.calls_per_day_projection is not None:
        cap = f" of {daily_budget:,} allowed" if daily_budget is not None else ""
        parts.append(f" (~{_number(budget.calls_per_day_projection)}/day{cap})")
    return Content.assemble(*parts)


def counts_text(counts: dict[JobState, int]) -> Content:
    """Job counts by state in a fixed order, e.g. `60 jobs: 3 queued 5 running 2 failed`."""
    total = sum(counts.values())
    parts: list[Content | str] = [f"{total:,} jobs:"]
    for state in JobState:
        count = counts.get(state, 0)
        if count:
            parts.append(" ")
            parts.append(Content.styled(f"{count:,} {state.value}", _STATE_STYLE[state]))
    return Content.assemble(*parts) if total else Content("no jobs")


def _join(items: Iterable[Content | str], separator: str = " · ") -> Content:
    out: list[Content | str] = []
    for item in items:
        if out:
            out.append(separator)
        out.append(item)
    return Content.assemble(*out)


class _StatusLine(Widget):
    """One line of the status bar; repaints only when its own text changes."""

    DEFAULT_CSS = """
    _StatusLine {
        height: 1;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.content: Content = Content("")

    def render(self) -> VisualType:
        return self.content

    def show(self, content: Content) -> None:
        if content != self.content:
            self.content = content
            self.refresh()


class StatusBar(Widget):
    """Three lines under the job table: connection per family; poll time and API budget;
    counts by state and badges.

    Each line is its own widget so that an ordinary poll, which changes the poll time
    and the call counter on the second line, leaves the others alone on the wire.
    """

    DEFAULT_CSS = """
    StatusBar {
        height: 3;
        padding: 0 1;
        layout: vertical;
    }
    """

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        """Create an empty status bar.

        Args:
            name: Widget name.
            id: Widget id.
            classes: CSS classes.
        """
        super().__init__(name=name, id=id, classes=classes)
        self._lines = (_StatusLine(), _StatusLine(), _StatusLine())
        self._lines[0].content = Content("Connecting…")

    def compose(self) -> ComposeResult:
        """The two lines."""
        yield from self._lines

    @property
    def text(self) -> str:
        """The plain text shown (for tests)."""
        return "\n".join(line.content.plain for line in self._lines)

    def show(self, *lines: Content) -> None:
        """Show up to three lines, repainting only a line whose content differs.

        Args:
            lines: The lines, top first; missing ones are blank.
        """
        for index, widget in enumerate(self._lines):
            widget.show(lines[index] if index < len(lines) else Content(""))

    def show_message(self, text: str, style: str = "") -> None:
        """Show one line of text, e.g. while connecting or after a fatal error."""
        self.show(Content.styled(text, style))

    def update_from(
        self,
        snapshot: JobSnapshot,
        *,
        read_only: bool = False,
        production: bool = False,
        shown: int | None = None,
        daily_budget: int | None = None,
    ) -> None:
        """Rebuild the bar from a snapshot.

        Args:
            snapshot: The newest snapshot.
            read_only: Show the read-only badge.
            production: Show the production badge.
            shown: Jobs shown in the table (after filters), if known.
            daily_budget: The profile's daily call budget, if it sets one.
        """
        families = [family_text(snapshot.families[f]) for f in Family if f in snapshot.families]
        line_one = _join(families, "  ")
        if snapshot.fatal:
            line_one = Content.styled(snapshot.fatal, "$error bold")
        # The poll time and call counter change on every poll, so they share one line and
        # the other two lines stay put on the wire.
        line_two = _join(
            [
                Content.styled(f"polled {clock_text(snapshot.polled_at)} UTC", "$text-muted"),
                budget_text(snapshot, daily_budget),
            ]
        )
        badges: list[Content | str] = []
        if snapshot.paused:
            badges.append(Content.styled(" PAUSED ", "reverse $warning bold"))
        if production:
            badges.append(Content.styled(" PRODUCTION ", "reverse $error bold"))
        if read_only:
            badges.append(Content.styled(" READ-ONLY ", "reverse $secondary bold"))
        line_three = counts_text(snapshot.counts_by_state())
        if shown is not None and shown != len(snapshot.jobs):
            line_three = Content.assemble(line_three, f" ({shown:,} shown)")
        if badges:
            line_three = Content.assemble(line_three, "  ", _join(badges, " "))
        self.show(line_one, line_two, line_three)
