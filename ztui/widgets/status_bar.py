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
    """One family's connection state: `ok`, `stale since 12:01`, `429 until 12:03`, ...

    Args:
        status: The family's status from the snapshot.

    Returns:
        Styled text naming the family and its state.
    """
    label = status.family.label
    state = status.state
    if state == "ok":
        return Content.assemble(label, " ", ("ok", "$success"))
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


def budget_text(snapshot: JobSnapshot) -> Content:
    """The API budget: remaining of limit, reset time, calls this run, projected per day.

    Args:
        snapshot: The newest snapshot.

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
    parts.append(f" · {budget.calls_made:,} calls")
    if budget.calls_per_day_projection is not None:
        parts.append(f" (~{_number(budget.calls_per_day_projection)}/day)")
    return Content.assemble(*parts)


def summary_text(snapshot: JobSnapshot, shown: int | None = None) -> Content:
    """Counts by state, summarised: `60 jobs: 5 active, 2 failed, 1 unknown (40 shown)`.

    The facet bar above the table has the count of every state; this keeps the line
    short enough for 120 columns.

    Args:
        snapshot: The newest snapshot.
        shown: Jobs shown in the table after filtering, if known.

    Returns:
        Styled text.
    """
    counts = snapshot.counts_by_state()
    total = sum(counts.values())
    active = sum(n for state, n in counts.items() if state.is_active)
    parts: list[Content | str] = [f"{total:,} jobs: "]
    parts.append(Content.styled(f"{active:,} active", _STATE_STYLE[JobState.RUNNING]))
    for state in (JobState.FAILED, JobState.UNKNOWN):
        if counts.get(state):
            parts.append(", ")
            parts.append(Content.styled(f"{counts[state]:,} {state.value}", _STATE_STYLE[state]))
    if shown is not None and shown != total:
        parts.append(f" ({shown:,} shown)")
    return Content.assemble(*parts)


def counts_text(counts: dict[JobState, int]) -> Content:
    """Job counts by state in a fixed order, e.g. `3 queued 5 running 2 failed`."""
    parts: list[Content | str] = []
    for state in JobState:
        count = counts.get(state, 0)
        if count:
            if parts:
                parts.append(" ")
            parts.append(Content.styled(f"{count:,} {state.value}", _STATE_STYLE[state]))
    return Content.assemble(*parts) if parts else Content("no jobs")


def _join(items: Iterable[Content | str], separator: str = " · ") -> Content:
    out: list[Content | str] = []
    for item in items:
        if out:
            out.append(separator)
        out.append(item)
    return Content.assemble(*out)


class StatusBar(Widget):
    """Two lines of connection, budget and count information under the job table."""

    DEFAULT_CSS = """
    StatusBar {
        height: 2;
        padding: 0 1;
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
        self._content: Content = Content("Connecting…")

    @property
    def text(self) -> str:
        """The plain text shown (for tests and screen readers)."""
        return self._content.plain

    def render(self) -> VisualType:
        """The current content."""
        return self._content

    def show(self, content: Content) -> None:
        """Show `content`, repainting only when it differs from what is shown.

        Args:
            content: The new content.
        """
        if content.plain != self._content.plain or content != self._content:
            self._content = content
            self.refresh()

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
    ) -> None:
        """Rebuild the bar from a snapshot.

        Args:
            snapshot: The newest snapshot.
            read_only: Show the read-only badge.
            production: Show the production badge.
            shown: Jobs shown in the table (after filters), if known.
        """
        families = [family_text(snapshot.families[f]) for f in Family if f in snapshot.families]
        first: list[Content | str] = [_join(families, "  ")]
        if snapshot.fatal:
            first = [Content.styled(snapshot.fatal, "$error bold")]
        line_one = Content.assemble(
            *first, "  ", (f"polled {clock_text(snapshot.polled_at)} UTC", "$text-muted")
        )
        second: list[Content | str] = [budget_text(snapshot), summary_text(snapshot, shown)]
        badges: list[Content | str] = []
        if snapshot.paused:
            badges.append(Content.styled(" PAUSED ", "reverse $warning bold"))
        if production:
            badges.append(Content.styled(" PRODUCTION ", "reverse $error bold"))
        if read_only:
            badges.append(Content.styled(" READ-ONLY ", "reverse $secondary bold"))
        line_two = _join(second)
        if badges:
            line_two = Content.assemble(line_two, "  ", _join(badges, " "))
        self.show(Content.assemble(line_one, "\n", line_two))
