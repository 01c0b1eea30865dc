"""Provides `JobListScreen`: the live job board, kept in line with the app's snapshot.

The screen watches `app.jobs` (the newest `JobSnapshot`) and hands each snapshot to the
`JobTable`, which repaints only the rows that changed. While another screen is on top,
the newest snapshot is remembered and applied when the board is shown again. The user's
intent (open, stop, errors, new job, refresh, pause) goes to the app's methods.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen
from textual.widgets import Header, Input

from ztui.api.models import Family, JobState
from ztui.flows.notify import short_id
from ztui.host import ZtuiHost, host
from ztui.widgets.facets import FacetBar, FacetState
from ztui.widgets.footer import KeyFooter
from ztui.widgets.job_table import JobTable
from ztui.widgets.job_view import BOARD_COLUMNS, COLUMN_KEYS, JobKey, ViewOptions
from ztui.widgets.status_bar import StatusBar
from ztui.widgets.table_frame import JobTableFrame

if TYPE_CHECKING:
    from ztui.ops.stop import ActionOutcome
    from ztui.service.snapshot import JobSnapshot


@dataclass(frozen=True)
class _Command:
    """One palette command of the jobs screen."""

    title: str
    help: str
    run: Callable[[JobListScreen], None]


def _palette_commands(screen: JobListScreen) -> list[_Command]:
    """The palette commands for the board's current state."""
    paused = screen.is_paused
    commands = [
        _Command("Open job detail", "Show the job under the cursor", lambda s: s.action_open()),
        _Command(
            "Filter jobs",
            "Type to narrow by id, kind, object or status",
            lambda s: s.action_filter(),
        ),
        _Command(
            "Clear filter and facets", "Show every job again", lambda s: s.action_clear_filter()
        ),
        _Command("Refresh now", "Poll the server now", lambda s: s.action_refresh()),
        _Command(
            "Resume polling" if paused else "Pause polling",
            "Stop or restart the periodic polls",
            lambda s: s.action_pause(),
        ),
        _Command(
            "Show job errors",
            "Error viewer for the job under the cursor",
            lambda s: s.action_errors(),
        ),
        _Command(
            "Hide old finished jobs"
            if screen.table.options.show_finished
            else "Show old finished jobs",
            "Toggle finished jobs older than the configured age",
            lambda s: s.action_toggle_finished(),
        ),
        _Command(
            "Copy job id",
            "Copy the id under the cursor to the clipboard",
            lambda s: s.action_copy_id(),
        ),
        _Command(
            "Reverse sort order", "Flip ascending/descending", lambda s: s.action_sort_reverse()
        ),
        _Command(
            "Fit columns to the width" if not screen.table.fit_columns else "Show every column",
            "Every column at its width, scrolling with ← →; or fitted to the terminal",
            lambda s: s.action_toggle_columns(),
        ),
        _Command(
            "Follow an AQuA job by id",
            "AQuA has no list of jobs: add one to the board by its id",
            lambda s: s.action_watch_aqua(),
        ),
    ]
    # Writes are offered only where they may be sent (not on read-only profiles, and
    # stop only on a job Zuora would accept it for).
    if screen._why_not("stop") is None:
        commands.append(
            _Command(
                "Stop or cancel job",
                "Stop the job under the cursor (asks first)",
                lambda s: s.action_stop(),
            )
        )
    if screen._why_not("new_job") is None:
        commands.append(
            _Command(
                "New job", "Start a backfill, bulk job or AQuA query", lambda s: s.action_new_job()
            )
        )
    for column in BOARD_COLUMNS:
        commands.append(
            _Command(
                f"Sort by {column.header}",
                f"Order the jobs by the {column.header.lower()} column",
                _sorter(column.key),
            )
        )
    for family in Family:
        commands.append(
            _Command(
                f"Show only family: {family.label}",
                "Facet: one family (choose again to show all)",
                _family_facet(family),
            )
        )
    for state in JobState:
        commands.append(
            _Command(
                f"Show only state: {state.value}",
                "Facet: one state (choose again to show all)",
                _state_facet(state),
            )
        )
    return commands


def _sorter(column: str) -> Callable[[JobListScreen], None]:
    return lambda s: s.table.sort_by(column)


def _family_facet(family: Family) -> Callable[[JobListScreen], None]:
    return lambda s: s.set_family_facet(family)


def _state_facet(state: JobState) -> Callable[[JobListScreen], None]:
    return lambda s: s.set_state_facet(state)


class JobCommands(Provider):
    """Command-palette commands of the jobs screen (the same actions as its keys)."""

    def _board(self) -> JobListScreen | None:
        screen = self.screen
        return screen if isinstance(screen, JobListScreen) else None

    async def discover(self) -> Hits:
        """Every board command, for the empty palette."""
        board = self._board()
        if board is None:
            return
        for command in _palette_commands(board):
            yield DiscoveryHit(command.title, _bind(command, board), help=command.help)

    async def search(self, query: str) -> Hits:
        """Board commands matching `query`."""
        board = self._board()
        if board is None:
            return
        matcher = self.matcher(query)
        for command in _palette_commands(board):
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.title),
                    _bind(command, board),
                    text=command.title,
                    help=command.help,
                )


def _bind(command: _Command, screen: JobListScreen) -> Callable[[], None]:
    return lambda: command.run(screen)


FOOTER_HELD_S = 0.5
"""The longest the board's footer waits for the first rows before it draws its keys."""

_FOOTER_PRIORITY = (
    "jobs.open",
    "jobs.filter",
    "jobs.columns",
    "jobs.stop",
    "jobs.clear_marks",
    "jobs.new",
    "jobs.errors",
    "jobs.refresh",
    "jobs.pause",
    "jobs.toggle_finished",
)
"""Board keys in the order the footer keeps them when the terminal is narrow (quit and
help always stay)."""

_WRITE_ACTIONS = frozenset({"stop", "new_job"})
"""Board actions that would write to the tenant."""


class JobListScreen(Screen[None]):
    """The jobs screen: one row per job, updated in place from each snapshot."""

    AUTO_FOCUS = "#job-table"
    """The table has the focus from the start (not the filter input, the first focusable
    widget, until `on_mount` moves it): the keys are right the first time."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="jobs.open", tooltip="Show the job's detail"),
        Binding(
            "slash",
            "filter",
            "Filter",
            id="jobs.filter",
            tooltip="Narrow by id, kind, object or status",
        ),
        Binding("r", "refresh", "Refresh", id="jobs.refresh", tooltip="Poll the server now"),
        Binding("p", "pause", "Pause", id="jobs.pause", tooltip="Pause or resume polling"),
        Binding("s", "stop", "Stop", id="jobs.stop", tooltip="Stop or cancel the job (asks first)"),
        Binding("e", "errors", "Errors", id="jobs.errors", tooltip="Row errors of the job"),
        Binding("u", "new_job", "New", id="jobs.new", tooltip="Start a new job"),
        Binding(
            "a",
            "watch_aqua",
            "Follow AQuA",
            show=False,
            id="jobs.watch_aqua",
            tooltip="Follow an AQuA job by its id (AQuA has no list of jobs)",
        ),
        Binding(
            "h",
            "toggle_finished",
            "Old finished",
            id="jobs.toggle_finished",
            tooltip="Show or hide finished jobs older than the configured age",
        ),
        Binding(
            "w",
            "toggle_columns",
            "Columns",
            id="jobs.columns",
            tooltip="Show every column (scroll with ← →), or fit them to the width again",
        ),
        Binding(
            "o",
            "sort_next",
            "Sort",
            show=False,
            id="jobs.sort_next",
            tooltip="Sort by the next column",
        ),
        Binding(
            "O,shift+o",
            "sort_reverse",
            "Reverse sort",
            show=False,
            id="jobs.sort_reverse",
            tooltip="Flip the sort order",
        ),
        Binding(
            "f",
            "cycle_family",
            "Family facet",
            show=False,
            id="jobs.facet_family",
            tooltip="Show one family at a time",
        ),
        Binding(
            "t",
            "cycle_state",
            "State facet",
            show=False,
            id="jobs.facet_state",
            tooltip="Show one state at a time",
        ),
        Binding(
            "c", "copy_id", "Copy id", show=False, id="jobs.copy_id", tooltip="Copy the job id"
        ),
        Binding(
            "space",
            "toggle_mark",
            "Mark",
            show=False,
            id="jobs.mark",
            tooltip="Mark or unmark the job for a bulk stop/cancel, then go to the next",
        ),
        Binding(
            "asterisk",
            "mark_shown",
            "Mark shown",
            show=False,
            id="jobs.mark_shown",
            tooltip="Mark every job shown (the filter and facets decide which)",
        ),
        Binding(
            "minus",
            "clear_marks",
            "Clear marks",
            id="jobs.clear_marks",
            tooltip="Unmark every job",
        ),
        Binding(
            "l",
            "read_older",
            "Read older",
            show=False,
            id="jobs.read_older",
            tooltip="Read every page of a list the page limit cut short (the status bar says)",
        ),
        Binding(
            "escape",
            "clear_filter",
            "Clear filter",
            show=False,
            id="jobs.clear_filter",
            tooltip="Clear the filter and facets",
        ),
    ]

    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {JobCommands}

    def __init__(self) -> None:
        """Create the board (the app pushes it with no arguments)."""
        super().__init__()
        self._pending: JobSnapshot | None = None
        self._shown: JobSnapshot | None = None
        self._stoppable: bool | None = None
        self._reveal: JobKey | None = None
        """A job the user asked to follow: the cursor goes to it when it first shows."""
        self._new_above: set[JobKey] = set()
        """Jobs that arrived above the rows on screen and have not been scrolled to."""

    # ------------------------------------------------------------------ structure

    @property
    def ztui(self) -> ZtuiHost:
        """The app, as far as the board may use it."""
        return host(self)

    @property
    def table(self) -> JobTable:
        """The job table."""
        return self.query_one("#job-table", JobTable)

    @property
    def status_bar(self) -> StatusBar:
        """The status bar."""
        return self.query_one("#status-bar", StatusBar)

    @property
    def facets(self) -> FacetBar:
        """The facet bar."""
        return self.query_one("#facets", FacetBar)

    @property
    def filter_input(self) -> Input:
        """The filter input (hidden until `/`)."""
        return self.query_one("#job-filter", Input)

    @property
    def is_paused(self) -> bool:
        """True while polling is paused (as the newest snapshot says)."""
        snapshot = self._shown or self._pending
        return bool(snapshot and snapshot.paused)

    def compose(self) -> ComposeResult:
        """Header, facets, filter, table, status bar, footer."""
        yield Header()
        yield FacetBar(id="facets")
        filter_input = Input(
            placeholder="Filter: id, kind, object or status (enter keeps it, esc clears)",
            id="job-filter",
        )
        filter_input.display = False  # until `/`; hidden before it is laid out once
        yield filter_input
        hide_after = self.ztui.settings.ui.hide_finished_after_s
        yield JobTableFrame(
            JobTable(id="job-table", options=ViewOptions(hide_finished_after_s=hide_after))
        )
        yield StatusBar(id="status-bar")
        yield KeyFooter(
            priority=_FOOTER_PRIORITY,
            situational={
                "jobs.columns": self._columns_key_wanted,
                "jobs.clear_marks": lambda: bool(self._marked_any()),
            },
            # The first rows come first; the keys follow them (or this soon, without).
            held=FOOTER_HELD_S,
        )

    def _columns_key_wanted(self) -> bool:
        """The footer offers `w` while columns are left out, or all of them are shown."""
        tables = self.query(JobTable)
        if not tables:
            return False
        table = tables.first()
        return not table.fit_columns or bool(table.column_layout.hidden)

    def on_mount(self) -> None:
        """Follow the app's snapshot."""
        name = self.ztui.profile.name
        self.status_bar.show_message(f"Connecting to {name}…" if name else "Connecting…")
        self.table.focus()
        self.table.set_dry_run_test(self.ztui.dry_runs.is_dry_run)
        self.watch(self.table, "scroll_y", self._table_scrolled, init=False)
        self.watch(self.app, "jobs", self._jobs_changed)
        self.watch(self.app, "connection_error", self._connection_failed, init=False)
        self.watch(self.app, "journal_problem", self._journal_problem, init=False)

    def _journal_problem(self, problem: str | None) -> None:
        """The journal stopped (or resumed) recording: the status bar says so."""
        self._update_chrome()

    def _connection_failed(self, error: str | None) -> None:
        """Say in the status bar why there is no data, instead of "Connecting…"."""
        if error:
            self.status_bar.show_message(f"Not connected: {error}", "bold $error")

    # ------------------------------------------------------------------ data

    def _jobs_changed(self, snapshot: JobSnapshot | None) -> None:
        if snapshot is None:
            if self._shown is not None:
                self._shown = None
                self.table.reset()
                self.status_bar.show_message("Connecting…")
            return
        if not self.is_current:
            # Repainting a hidden table is wasted work: keep the newest, apply on resume.
            self._pending = snapshot
            return
        self._apply(snapshot)

    def on_screen_resume(self) -> None:
        """Apply the snapshot that arrived while another screen was on top."""
        if self._pending is not None:
            snapshot, self._pending = self._pending, None
            self._apply(snapshot)

    def _apply(self, snapshot: JobSnapshot) -> None:
        if self._shown is None:
            self.call_after_refresh(self.query_one(KeyFooter).release)
        self._pending = None
        previous = self._shown
        self._shown = snapshot
        table = self.table
        before = table.jobs
        table.apply(snapshot, now=self._now())
        if previous is not None:
            self._new_above.update(key for key in table.jobs if key not in before)
        self._prune_new_above()
        if self._reveal is not None and self._reveal in table.jobs:
            # A job the user just asked to follow: show it to them.
            key, self._reveal = self._reveal, None
            self._show_job(key, "is on the board now")
        self._update_chrome(snapshot)
        self._update_stoppable()

    def _now(self) -> float:
        return self.ztui.wall_clock()

    def _prune_new_above(self) -> bool:
        """Forget the new jobs that are no longer above the screen; True if any went."""
        table = self.table
        top = round(table.scroll_offset.y)
        keep = {
            key for key in self._new_above if (row := table.row_of(key)) is not None and row < top
        }
        if keep == self._new_above:
            return False
        self._new_above = keep
        return True

    def _table_scrolled(self) -> None:
        if self._new_above and self._prune_new_above():
            self._update_chrome()

    def dry_runs_changed(self) -> None:
        """The app learnt which jobs are dry runs: mark them."""
        self.table.set_dry_run_test(self.ztui.dry_runs.is_dry_run)

    def _update_chrome(self, snapshot: JobSnapshot | None = None) -> None:
        snapshot = snapshot or self._shown
        table = self.table
        view = table.view
        options = table.options
        self.facets.show(
            FacetState(
                family_counts=view.family_counts,
                state_counts=view.state_counts,
                families=options.families,
                states=options.states,
                shown=len(view.order),
                hidden_finished=view.hidden_finished,
                revealed_finished=view.revealed_finished,
                show_finished=options.show_finished,
                filter_text=options.text,
                marked=sum(1 for key in table.marks if key in table.jobs),
                new_above=len(self._new_above),
            )
        )
        if snapshot is None:
            return
        profile = self.ztui.profile
        self.status_bar.update_from(
            snapshot,
            read_only=profile.read_only,
            production=profile.is_production,
            shown=len(view.order),
            daily_budget=profile.daily_call_budget,
            journal_problem=self.ztui.journal_problem,
        )
        if not snapshot.jobs:
            table.set_empty_text(
                snapshot.fatal
                or (
                    f"{snapshot.unreachable}. ztui keeps trying; r tries now."
                    if snapshot.unreachable
                    else "No jobs yet. Press u to start one, or r to poll now."
                )
            )
        elif not view.order:
            table.set_empty_text("No job matches the filter. Press esc to clear it.")

    def _update_stoppable(self) -> None:
        # The key's own test (`check_action`): a running job may still refuse a stop (a
        # custom-object job in progress), and the next one under the cursor accept it.
        stoppable = self._why_not("stop") is None
        if stoppable != self._stoppable:
            # Only when it changes: refreshing bindings repaints the footer.
            self._stoppable = stoppable
            self.refresh_bindings()

    # ------------------------------------------------------------------ table events

    @on(JobTable.JobHighlighted)
    def _cursor_moved(self, event: JobTable.JobHighlighted) -> None:
        self._update_stoppable()

    @on(JobTable.JobSelected)
    def _job_selected(self, event: JobTable.JobSelected) -> None:
        self.ztui.open_detail(event.key)

    @on(JobTable.CursorDisplaced)
    def _tell_cursor_moved(self, event: JobTable.CursorDisplaced) -> None:
        lost = f"{event.lost[0].label} job {short_id(event.lost[1])}"
        why = "is no longer listed" if event.reason == "removed" else "is hidden by the filter"
        where = (
            f"; the cursor moved to {event.now[0].label} job {short_id(event.now[1])}"
            if event.now is not None
            else ""
        )
        self.notify(f"{lost} {why}{where}.", timeout=4)

    @on(FacetBar.Toggled)
    def _facet_clicked(self, event: FacetBar.Toggled) -> None:
        options = self.table.options
        if event.dimension == "family":
            family = Family(event.value)
            self.table.update_options(families=options.families ^ {family})
        else:
            state = JobState(event.value)
            self.table.update_options(states=options.states ^ {state})
        self._update_chrome()

    # ------------------------------------------------------------------ filter

    @on(Input.Changed, "#job-filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        self.table.update_options(text=event.value)
        self._update_chrome()

    @on(Input.Submitted, "#job-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        if not event.value:
            self.filter_input.display = False
        self.table.focus()

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer stop only where Zuora would accept it, and no writes on read-only profiles."""
        if action in _WRITE_ACTIONS:
            return None if self._why_not(action) else True
        return True

    def _why_not(self, action: str) -> str | None:
        """Why a write action is not offered now, or None when it is."""
        profile = self.ztui.profile
        if profile.read_only:
            return profile.read_only_hint or (
                f"Profile {profile.name!r} is read-only: ztui sends no writes (see --write)."
            )
        if action == "stop":
            from ztui.ops.stop import refusal_reason

            if self.is_mounted and self._marked():
                return None  # the confirmation lists the marked jobs that cannot be stopped
            job = self.table.cursor_job if self.is_mounted else None
            return "No job is selected." if job is None else refusal_reason(job)
        return None

    def on_key(self, event: events.Key) -> None:
        """A write key that is not offered says why instead of doing nothing."""
        active = self.active_bindings.get(event.key)
        if active is None or active.enabled or active.binding.action not in _WRITE_ACTIONS:
            return
        reason = self._why_not(active.binding.action)
        if reason:
            event.stop()
            event.prevent_default()
            self.notify(reason, severity="warning", timeout=4)

    def _cursor(self) -> JobKey | None:
        key = self.table.cursor_key
        if key is None:
            self.notify("No job is selected.", severity="warning", timeout=3)
        return key

    def action_open(self) -> None:
        """Open the detail of the job under the cursor."""
        key = self._cursor()
        if key is not None:
            self.ztui.open_detail(key)

    def action_filter(self) -> None:
        """Show and focus the filter input."""
        self.filter_input.display = True
        self.filter_input.focus()

    def action_clear_filter(self) -> None:
        """Clear the filter text and the facets, and give the table the focus."""
        field = self.filter_input
        if field.value:
            field.value = ""  # posts Input.Changed, which clears the table's filter
        field.display = False
        self.table.update_options(text="", families=frozenset(), states=frozenset())
        self.table.focus()
        self._update_chrome()

    def action_refresh(self) -> None:
        """Poll now (after the poll in progress, if any)."""
        self.ztui.refresh_now()
        self.notify("Refreshing…", timeout=2)

    def action_read_older(self) -> None:
        """Read every page of the lists the page limit cut short, once."""
        snapshot = self._shown
        cut = [f for f, s in snapshot.families.items() if s.truncated] if snapshot else []
        poller = self.ztui.poller
        if not cut or poller is None:
            self.notify("Every list is read to its end.", timeout=3)
            return
        for family in cut:
            poller.read_every_page(family)
        labels = ", ".join(family.label for family in cut)
        self.notify(f"Reading every page of {labels}…", timeout=4)

    def action_pause(self) -> None:
        """Pause or resume polling."""
        app = self.ztui
        paused = app.toggle_pause()
        if app.client is None and app.poller is not None:
            # A hub's viewer: its board stops following, the hub's watcher does not.
            text = (
                "Board paused; the hub keeps polling." if paused else "Board follows the hub again."
            )
        else:
            text = "Polling paused." if paused else "Polling resumed."
        self.notify(text, timeout=3)

    def action_stop(self) -> None:
        """Stop or cancel the marked jobs, else the job under the cursor (the app asks for
        confirmation)."""
        marked = self._marked()
        if marked:
            self.ztui.stops.start_many(marked, self._batch_done)
            return
        key = self._cursor()
        if key is not None:
            self.ztui.request_stop(key)

    # ------------------------------------------------------------------ marks

    def _marked_any(self) -> bool:
        tables = self.query(JobTable)
        return bool(tables) and bool(tables.first().marks)

    def _marked(self) -> list[JobKey]:
        """The marked jobs still listed, in board order (shown first, then hidden ones)."""
        table = self.table
        marks = table.marks
        if not marks:
            return []
        shown = [key for key in table.order if key in marks]
        hidden = sorted(key for key in marks if key in table.jobs and table.row_of(key) is None)
        return shown + hidden

    def _set_marks(self, marks: frozenset[JobKey]) -> None:
        table = self.table
        had = bool(table.marks)
        table.set_marks(marks)
        if bool(marks) != had:
            self.refresh_bindings()  # stop is offered for marked jobs whatever the cursor
        self._update_chrome()

    def action_toggle_mark(self) -> None:
        """Mark or unmark the job under the cursor, then move to the next row."""
        key = self._cursor()
        if key is None:
            return
        self._set_marks(self.table.marks ^ {key})
        self.table.action_cursor_down()

    def action_mark_shown(self) -> None:
        """Mark every job the board shows."""
        order = self.table.order
        if not order:
            self.notify("No job is shown to mark.", severity="warning", timeout=3)
            return
        self._set_marks(self.table.marks | frozenset(order))
        self.notify(
            f"{len(order):,} job(s) marked. s stops or cancels them; - clears the marks.",
            timeout=4,
        )

    def action_clear_marks(self) -> None:
        """Unmark every job."""
        if self.table.marks:
            self._set_marks(frozenset())
            self.notify("Marks cleared.", timeout=2)

    def _batch_done(self, outcomes: Sequence[ActionOutcome]) -> None:
        """Unmark the jobs whose stop/cancel Zuora accepted; the others stay marked."""
        accepted = {outcome.key for outcome in outcomes if outcome.ok}
        if accepted & self.table.marks:
            self._set_marks(self.table.marks - accepted)

    def action_errors(self) -> None:
        """Show the errors of the job under the cursor."""
        key = self._cursor()
        if key is not None:
            self.ztui.open_errors(key)

    def action_new_job(self) -> None:
        """Start a new job."""
        self.ztui.open_new_job()

    def _show_job(self, key: JobKey, news: str) -> None:
        """Put the cursor on `key` and say so, or say what hides it from the view."""
        self.table.move_cursor_to(key)
        label = f"{key[0].label} job {key[1]}"
        if self.table.cursor_key == key:
            self.notify(f"{label} {news}.", timeout=4)
        else:
            self.notify(
                f"{label} {news}, but hidden by the filter, a facet or its age "
                "(h shows old finished jobs).",
                timeout=8,
            )

    def action_watch_aqua(self) -> None:
        """Ask for an AQuA job id and follow that job on the board."""
        from ztui.dialogs.watch_aqua import WatchAquaModal
        from ztui.families import followed_by_id

        def chosen(job_id: str | None) -> None:
            if job_id is None:
                return
            key: JobKey = (followed_by_id(), job_id)
            if key in self.table.jobs:
                self._reveal = None
                self._show_job(key, "is on the board already")
                return
            self._reveal = key
            self.ztui.watch_aqua_job(job_id)

        self.app.push_screen(WatchAquaModal(), chosen)

    def action_toggle_finished(self) -> None:
        """Show or hide finished jobs older than the configured age."""
        table = self.table
        table.update_options(show_finished=not table.options.show_finished)
        self._update_chrome()

    def action_toggle_columns(self) -> None:
        """Show every column (scrolling sideways), or fit them to the width again."""
        table = self.table
        table.fit_columns = not table.fit_columns
        hidden = table.column_layout.hidden
        if table.fit_columns:
            left_out = ", ".join(c.header for c in hidden)
            self.notify(
                f"Columns fitted to the width{f'; left out: {left_out}' if left_out else ''}.",
                timeout=3,
            )
        else:
            self.notify("Every column shown: scroll with ← and →.", timeout=3)
        self.refresh_bindings()

    def action_sort_next(self) -> None:
        """Sort by the next column."""
        options = self.table.options
        index = COLUMN_KEYS.index(options.sort_column) if options.sort_column in COLUMN_KEYS else -1
        self.table.sort_by(COLUMN_KEYS[(index + 1) % len(COLUMN_KEYS)])

    def action_sort_reverse(self) -> None:
        """Flip the sort order."""
        options = self.table.options
        self.table.sort_by(options.sort_column, reverse=not options.sort_reverse)

    def set_family_facet(self, family: Family | None) -> None:
        """Show one family (None, or the family already alone, shows all).

        Args:
            family: The family to show.
        """
        current = self.table.options.families
        chosen = frozenset() if family is None or current == {family} else frozenset({family})
        self.table.update_options(families=chosen)
        self._update_chrome()

    def set_state_facet(self, state: JobState | None) -> None:
        """Show one state (None, or the state already alone, shows all).

        Args:
            state: The state to show.
        """
        current = self.table.options.states
        chosen = frozenset() if state is None or current == {state} else frozenset({state})
        self.table.update_options(states=chosen)
        self._update_chrome()

    def action_cycle_family(self) -> None:
        """Show the next family alone (after the last, all again)."""
        families = list(Family)
        current = self.table.options.families
        if len(current) == 1:
            (family,) = current
            index = families.index(family) + 1
            self.set_family_facet(families[index] if index < len(families) else None)
        else:
            self.set_family_facet(families[0])

    def action_cycle_state(self) -> None:
        """Show the next state alone (after the last, all again)."""
        states = list(JobState)
        current = self.table.options.states
        if len(current) == 1:
            (state,) = current
            index = states.index(state) + 1
            self.set_state_facet(states[index] if index < len(states) else None)
        else:
            self.set_state_facet(states[0])

    def action_copy_id(self) -> None:
        """Copy the id of the job under the cursor (OSC 52, works over SSH)."""
        key = self._cursor()
        if key is not None:
            self.app.copy_to_clipboard(key[1])
            self.notify(f"Copied {key[1]}", timeout=3)
