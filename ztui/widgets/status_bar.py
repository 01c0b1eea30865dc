"""Provides the board's status bar: connection per family, last poll, API budget, counts.

The bar is two lines. The first says how fresh each family's data is; the second gives the
last poll time, the API budget, the counts by state and the badges (paused, production,
read-only). It repaints only when its text changes, so a poll that changes nothing visible
writes nothing here either.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from rich.cells import cell_len
from textual.content import Content
from textual.geometry import Region
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


def budget_text(
    snapshot: JobSnapshot, daily_budget: int | None = None, *, compact: bool = False
) -> Content:
    """The API budget: remaining of limit, reset time, calls this run, projected per day.

    Args:
        snapshot: The newest snapshot.
        daily_budget: The profile's `daily_call_budget`, shown beside the projection.
        compact: Fewer words, for a narrow terminal.

    Returns:
        Styled text; the remaining count turns warning/error as it runs low.
    """
    budget = snapshot.budget
    parts: list[Content | str] = ["API "]
    if budget.limit is not None and budget.remaining is not None:
        fraction = budget.fraction_remaining or 0.0
        style = "$error bold" if fraction < 0.1 else "$warning" if fraction < 0.25 else ""
        parts.append(Content.styled(f"{budget.remaining:,}/{budget.limit:,}", style))
        left = "" if compact else " left"
        parts.append(f"{left}, resets {clock_text(budget.reset_at, seconds=False)}")
    else:
        parts.append("budget ?")
    parts.append(f" · {budget.calls_made:,} calls{'' if compact else ' this run'}")
    if budget.calls_per_day_projection is not None:
        allowed = "" if compact else " allowed"
        cap = f" of {daily_budget:,}{allowed}" if daily_budget is not None else ""
        parts.append(f" (~{_number(budget.calls_per_day_projection)}/day{cap})")
    return Content.assemble(*parts)


def truncated_text(status: FamilyStatus, *, compact: bool = False) -> Content:
    """What the page limit left out of a family's list, and how to see it.

    The list has no total (docs/zuora-api.md §6), so how many older jobs there are is
    not known until they are read: `l` reads every page.

    Args:
        status: A family status whose `truncated` is set.
        compact: Fewer words, for a narrow terminal.
    """
    if compact:
        return Content.assemble(
            (f"{status.family.label}: {status.truncated or 0:,} newest", "$warning"), " (l)"
        )
    return Content.assemble(
        (f"{status.family.label}: newest {status.truncated or 0:,} only", "$warning"),
        " (l reads older)",
    )


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
    """One line of the status bar; repaints only the part of its text that changed.

    It holds the line in one or more forms, fullest first, and draws the first that fits
    its width (the shorter forms keep an 80-column terminal from cutting the line).
    """

    DEFAULT_CSS = """
    _StatusLine {
        height: 1;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._forms: tuple[Content, ...] = (Content(""),)
        self._drawn: tuple[int, Content] = (-1, Content(""))

    @property
    def content(self) -> Content:
        """The form drawn at the current width."""
        width = self.size.width or self.app.size.width
        drawn_width, drawn = self._drawn
        if drawn_width != width:
            drawn = next((f for f in self._forms if f.cell_length <= width), self._forms[-1])
            self._drawn = (width, drawn)
        return drawn

    def render(self) -> VisualType:
        return self.content

    def show(self, *forms: Content) -> None:
        if not forms:
            forms = (Content(""),)
        if forms == self._forms:
            return
        before = self.content if self.is_mounted else None
        self._forms = forms
        self._drawn = (-1, Content(""))
        if before is None:
            return
        after = self.content
        if after == before:
            return
        span = _changed_span(before, after)
        if span is None:
            self.refresh()
        else:
            start, end = span
            self.refresh(Region(start, 0, end - start, 1))


def _changed_span(before: Content, after: Content) -> tuple[int, int] | None:
    """The cells from the first to the last that differ, None to repaint the whole line.

    Only text whose styles sit in the same places is compared; a poll changes digits
    ("12:00:05" to "12:00:07", "41 calls" to "42 calls"), so the clock and the counters
    go out and the rest of the line does not.
    """
    old, new = before.plain, after.plain
    if before.spans != after.spans:
        return None
    first = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), None)
    if first is None:
        first = min(len(old), len(new))
    if len(old) == len(new):
        last = max(i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b) + 1
        end = max(cell_len(old[:last]), cell_len(new[:last]))
    else:
        end = max(cell_len(old), cell_len(new))
    start = cell_len(old[:first])
    return (start, end) if end > start else None


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
        self._lines[0].show(Content("Connecting…"))

    def compose(self) -> ComposeResult:
        """The two lines."""
        yield from self._lines

    @property
    def text(self) -> str:
        """The plain text shown (for tests)."""
        return "\n".join(line.content.plain for line in self._lines)

    def show(self, *lines: Content | Sequence[Content]) -> None:
        """Show up to three lines, repainting only what differs.

        Args:
            lines: The lines, top first; missing ones are blank. A line may be given in
                several forms, fullest first: the first that fits the width is drawn.
        """
        for index, widget in enumerate(self._lines):
            line = lines[index] if index < len(lines) else Content("")
            widget.show(*((line,) if isinstance(line, Content) else line))

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
        journal_problem: str | None = None,
    ) -> None:
        """Rebuild the bar from a snapshot.

        Args:
            snapshot: The newest snapshot.
            read_only: Show the read-only badge.
            production: Show the production badge.
            shown: Jobs shown in the table (after filters), if known.
            daily_budget: The profile's daily call budget, if it sets one.
            journal_problem: Why the journal cannot record writes, when it cannot: shown
                on the last line until it can again.
        """
        families = [family_text(snapshot.families[f]) for f in Family if f in snapshot.families]
        line_one = [_join(families, "  "), _join(families, " ")]
        if snapshot.fatal:
            line_one = [Content.styled(snapshot.fatal, "$error bold")]
        elif snapshot.feed_error:
            # A viewer whose hub is lost: say so, and how old the data is, before all else.
            brief = snapshot.feed_error.partition(" · ")[0]
            line_one = [
                Content.styled(snapshot.feed_error, "$warning bold"),
                Content.styled(brief, "$warning bold"),
            ]

        # The poll time and call counter change on every poll, so they share one line and
        # the other two lines stay put on the wire.
        polled = clock_text(snapshot.polled_at)
        line_two = [
            _join(
                [
                    Content.styled(f"polled {polled} UTC", "$text-muted"),
                    budget_text(snapshot, daily_budget),
                ]
            ),
            _join(
                [
                    Content.styled(f"polled {polled}", "$text-muted"),
                    budget_text(snapshot, daily_budget, compact=True),
                ]
            ),
        ]
        badges: list[Content | str] = []
        if snapshot.paused:
            badges.append(Content.styled(" PAUSED ", "reverse $warning bold"))
        if production:
            badges.append(Content.styled(" PRODUCTION ", "reverse $error bold"))
        if read_only:
            badges.append(Content.styled(" READ-ONLY ", "reverse $secondary bold"))
        counts = counts_text(snapshot.counts_by_state())
        line_three = [counts]
        if shown is not None and shown != len(snapshot.jobs):
            line_three.insert(0, Content.assemble(counts, f" ({shown:,} shown)"))
        cut = [s for s in snapshot.families.values() if s.truncated]
        short: list[Content] = []
        if cut:
            # A list the page limit cut short: say so, and how to see the rest.
            full = [truncated_text(status) for status in cut]
            short = [truncated_text(status, compact=True) for status in cut]
            line_three = [
                *(Content.assemble(line, " · ", _join(full, " · ")) for line in line_three),
                *(Content.assemble(line, " · ", _join(short, " · ")) for line in line_three),
            ]
        if badges:
            line_three = [Content.assemble(line, "  ", _join(badges, " ")) for line in line_three]
        notices = list(short)
        if journal_problem:
            # Until a write is on record again: every write made meanwhile is not.
            alert = f" JOURNAL NOT RECORDING: {journal_problem} "
            flag = Content.styled(" JOURNAL NOT RECORDING ", "reverse $error bold")
            line_three = [
                *(
                    Content.assemble(line, "  ", (alert, "reverse $error bold"))
                    for line in line_three
                ),
                *(Content.assemble(line, "  ", flag) for line in line_three),
            ]
            notices.insert(0, flag)
        if notices:
            # Narrower than every form: the notices first, the counts after them (cut).
            line_three.append(Content.assemble(_join(notices, " · "), " · ", counts))
        self.show(line_one, line_two, line_three)
