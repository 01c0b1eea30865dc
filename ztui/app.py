"""Provides `ZtuiApp`: stylesheets, global keys, the connection and the watcher worker.

The app owns the single source of truth, the `jobs` reactive (the newest `JobSnapshot`),
the connection objects (`client`, `poller`), the journal, the status history and the
flows that outlive a screen (`stops`, `submissions`, `dry_runs`). It is the `ZtuiHost` of
`ztui.host`: screens reach it only through that protocol, watch `jobs`, and ask the app to
act (`StopRequested`, `SubmitRequested`); they never call the client directly except in
their own on-demand workers.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.filter import LineFilter
from textual.reactive import var
from textual.worker import Worker, WorkerState

from ztui.core import gcpause
from ztui.core.paths import app_stylesheets
from ztui.messages import ConnectionChanged, JobsUpdated, StopRequested, SubmitRequested
from ztui.widgets.safe_text import SafeTextFilter
from ztui.widgets.theme import ZTUI_THEME

if TYPE_CHECKING:
    from collections.abc import Iterable

    from textual.screen import Screen

    from ztui.api.client import ZuoraClient
    from ztui.api.models import Family
    from ztui.config.schema import ResolvedProfile, Settings
    from ztui.demo import DemoOptions, FaultPreset
    from ztui.flows.dry_run import DryRunFlow
    from ztui.flows.stop import StopFlow
    from ztui.flows.submission import SubmissionFlow
    from ztui.host import Choice
    from ztui.hub.client import HubAccess, HubTarget
    from ztui.hub.protocol import HubInfo
    from ztui.ops.access import JobAccess
    from ztui.ops.confirm import ConfirmRequest
    from ztui.ops.submit import JobSpec
    from ztui.service.pacing import PollSettings
    from ztui.service.poller import JobPoller
    from ztui.service.snapshot import JobSnapshot
    from ztui.service.source import JobSource
    from ztui.sim import SimServer
    from ztui.sim.process import SimProcess
    from ztui.store.journal import Journal

log = logging.getLogger("ztui.app")

MAX_RETRY_WAIT_S = 5.0
"""The longest the app's client waits inside one call before retrying it. A longer wait
(a 429 asking for a minute) is handed to the caller instead: the board then shows the
family as rate-limited until a given time, and an action says it was refused, rather than
both hanging silently."""

FIRST_ROWS_WAIT_S = 0.2
"""The longest the first poll waits for its first rows to be painted before it reads the
next family (see `JobPoller`'s `shown`)."""

GC_PAUSE_LIMIT_S = 5.0
"""The longest the garbage collector stays paused at start-up (see `ztui.core.gcpause`)."""


class ZtuiApp(App[None]):
    """The ztui terminal app."""

    TITLE = "ztui"
    CSS_PATH: ClassVar[list[str | PurePath]] = app_stylesheets()
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Quit ztui"),
        Binding("ctrl+q", "quit", "Quit", show=False, id="app.quit_ctrl", priority=True),
        # An ops console quits on ctrl+c; it asks first only while a write is in flight.
        Binding("ctrl+c", "interrupt", "Quit", show=False, id="app.interrupt", priority=True),
        Binding("f1", "help", "Help", id="app.help", tooltip="Every key of this screen"),
        Binding(
            "ctrl+o",
            "switch_profile",
            "Profile",
            show=False,
            id="app.switch_profile",
            tooltip="Connect to another profile from config.toml",
        ),
        Binding(
            "J",
            "journal",
            "Journal",
            show=False,
            id="app.journal",
            tooltip="Every write ztui made (create, upload, stop, cancel)",
        ),
        Binding(
            "exclamation_mark",
            "api_errors",
            "API errors",
            show=False,
            id="app.api_errors",
            tooltip="Every failed request of this run",
        ),
    ]

    # `var`, not `reactive`: a new snapshot must not repaint the whole app; each screen
    # watches it and updates only what changed.
    jobs: var[JobSnapshot | None] = var(None, always_update=True)
    """The newest snapshot from the watcher: the single source of truth for every screen."""
    connection_error: var[str | None] = var(None)
    """Why the connection failed for good (e.g. the simulator could not start), or None."""
    journal_problem: var[str | None] = var(None)
    """Why the journal could not record the latest write (a full disk), until one works."""

    def __init__(
        self,
        *,
        settings: Settings,
        profile: ResolvedProfile,
        demo: DemoOptions | None = None,
        sim_server: SimServer | None = None,
        sim_process: SimProcess | None = None,
        hub: HubTarget | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        """Create the app.

        Args:
            settings: The loaded configuration.
            profile: The connection to use (for `--demo`, replaced once the simulator runs).
            demo: Run on a demo simulator with these options: `sim_server` when given,
                else `sim_process`, else a child simulator process the app starts.
            sim_server: An already running simulator to attach to (tests, snapshots); the
                app does not stop a server it did not start.
            sim_process: The demo's simulator process, already spawned so that it starts
                while the UI loads; the app waits for it and stops it on exit.
            hub: Attach to this hub (`ztui --hub URL`) instead of connecting to Zuora: the
                app runs no watcher and no client of its own; `profile` is shown until
                the hub says which profile it watches.
            wall_clock: Source of "now" for rendering times (tests freeze it).
        """
        super().__init__()
        self._safe_text = SafeTextFilter()
        self.settings = settings
        self.profile = profile
        self.demo = demo
        self.wall_clock = wall_clock
        self.client: ZuoraClient | None = None
        self.poller: JobSource | None = None
        self.journal: Journal | None = None
        self.hub = hub
        """The hub this viewer is attached to, or None on a direct connection."""
        self._hub_access: HubAccess | None = None
        self._sim_server: SimServer | SimProcess | None = sim_server
        self._sim_process = sim_process
        self._added_aqua: set[str] = set()
        """AQuA ids the user added by id that have not shown up yet."""
        self._aqua_ended: set[str] = set()
        """AQuA ids this run has seen ended (and put on record)."""
        self.generation = 0
        """Bumped on every (re)connection; older snapshots are dropped."""
        from ztui.service.history import StatusHistory

        self.history = StatusHistory()
        """The status transitions observed this run (the detail screen's timeline)."""
        self.last_folder: Path | None = None
        """The folder the user last downloaded to in this run."""
        self._stops: StopFlow | None = None
        self._submissions: SubmissionFlow | None = None
        self._dry_runs: DryRunFlow | None = None
        if os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"):
            # Over SSH every repainted frame costs bandwidth: no animation at all.
            self.animation_level = "none"
        self.register_theme(ZTUI_THEME)
        theme = settings.ui.theme or ZTUI_THEME.name
        if theme == ZTUI_THEME.name and ZTUI_THEME.dark and not ZTUI_THEME.ansi:
            # Nothing is parsed yet, and Textual's default theme is dark and truecolor too:
            # only the CSS variables differ. Setting `theme` would parse every stylesheet
            # twice at start-up.
            self.set_reactive(App.theme, theme)
            self.stylesheet.set_variables(self.get_css_variables())
        else:
            self.theme = theme
        if settings.ui.keymap:
            self.set_keymap(dict(settings.ui.keymap))

    # ----------------------------------------------------------------- lifecycle

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters, then the one that keeps server text from driving the
        terminal (`ztui.widgets.safe_text`)."""
        return [*super().get_line_filters(), self._safe_text]

    def on_mount(self) -> None:
        """Show the jobs screen at once, then connect in the background."""
        from ztui.screens.jobs import JobListScreen

        self._show_profile()
        self.push_screen(JobListScreen())
        self.connect()
        if gcpause.is_paused():
            # Start-up ends with the first jobs on screen, or after this at the latest.
            self.set_timer(GC_PAUSE_LIMIT_S, gcpause.resume)

    def _start_observers(self) -> None:
        """Follow every snapshot from the first one on: status history and dry runs.

        Started once the first jobs are on screen, so that the first frame does not wait
        for it; it observes the current snapshot as soon as it starts.
        """
        self.watch(self, "jobs", self._observe, init=True)

    def _observe(self, snapshot: JobSnapshot | None) -> None:
        self.history.observe(snapshot, self.wall_clock())
        if self._dry_runs is not None:
            self._dry_runs.check(snapshot)
        if snapshot is not None:
            self._record_ended_aqua(snapshot)

    def _record_ended_aqua(self, snapshot: JobSnapshot) -> None:
        """Put AQuA jobs seen ended on record, so later starts do not fetch them again
        (`ztui.store.aqua_follow`). The demo's simulator is new each run: nothing to keep."""
        from ztui.service.poller import JobPoller

        poller = self.poller
        # A hub's viewer keeps no record: the hub's own watcher does.
        if self.demo is not None or not isinstance(poller, JobPoller):
            return
        from ztui.families import followed_by_id

        family = followed_by_id()
        fresh = [
            job
            for job_id in poller.aqua_ids
            if job_id not in self._aqua_ended
            and (job := snapshot.jobs.get((family, job_id))) is not None
            and job.state.is_terminal
        ]
        if not fresh:
            return
        self._aqua_ended.update(job.id for job in fresh)
        from ztui.store import aqua_follow

        try:
            aqua_follow.record_ended(self.profile.name, self.profile.base_url, fresh)
        except OSError as exc:
            log.warning("cannot record the AQuA jobs that ended: %s", exc)

    # ----------------------------------------------------------------- flows

    @property
    def stops(self) -> StopFlow:
        """The stop/cancel flow (made on first use, then kept for the run)."""
        if self._stops is None:
            from ztui.flows.stop import StopFlow

            self._stops = StopFlow(self)
        return self._stops

    @property
    def submissions(self) -> SubmissionFlow:
        """The create flow (made on first use, then kept for the run)."""
        if self._submissions is None:
            from ztui.flows.submission import SubmissionFlow

            self._submissions = SubmissionFlow(self)
        return self._submissions

    @property
    def dry_runs(self) -> DryRunFlow:
        """The dry runs followed to offer running them for real (made on first use)."""
        if self._dry_runs is None:
            from ztui.flows.dry_run import DryRunFlow

            self._dry_runs = DryRunFlow(self)
        return self._dry_runs

    WRITE_GROUPS: ClassVar[frozenset[str]] = frozenset({"action", "upload"})
    """Worker groups that send writes (stops, cancels, creates, uploads)."""

    def writes_in_flight(self) -> int:
        """How many writes are being sent right now."""
        return sum(
            1
            for worker in self.workers
            if worker.group in self.WRITE_GROUPS
            and worker.state in (WorkerState.PENDING, WorkerState.RUNNING)
        )

    def action_interrupt(self) -> None:
        """ctrl+c: quit, unless a write is in flight, which is asked about first."""
        busy = self.writes_in_flight()
        if not busy:
            self.exit()
            return

        def answered(choice: str | None) -> None:
            if choice == "quit":
                self.exit()

        self.choose(
            "A write is in flight",
            f"{busy} write(s) are being sent. Quitting now leaves their outcome unknown; the "
            "journal keeps them as unsettled, and the next start says so.",
            [("quit", "Quit anyway", "error"), ("stay", "Stay")],
            answered,
        )

    def confirm(self, request: ConfirmRequest, answered: Callable[[bool], None]) -> None:
        """Ask the user to confirm a write in a `ConfirmDialog`."""
        from ztui.dialogs.confirm import ConfirmDialog

        self.push_screen(ConfirmDialog(request), lambda yes: answered(bool(yes)))

    def choose(
        self,
        title: str,
        message: str,
        choices: Sequence[Choice],
        answered: Callable[[str | None], None],
    ) -> None:
        """Ask the user to pick one of `choices` in a `ChoiceModal`."""
        from ztui.dialogs.choice import ChoiceModal

        self.push_screen(ChoiceModal(title, message, choices), answered)

    @on(StopRequested)
    def _stop_requested(self, message: StopRequested) -> None:
        self.stops.start(message.key)

    @on(SubmitRequested)
    def _submit_requested(self, message: SubmitRequested) -> None:
        self.submissions.request(message.spec, message.view)

    def _show_profile(self) -> None:
        """Put the active profile in the header and mark production/read-only on screen.

        The demo's profile is known before its simulator listens (only its URL is not):
        it is shown from the start, so the header is not redrawn when the simulator is up.
        """
        profile = self.profile
        if self.demo is not None and profile.name != "demo":
            from ztui.demo import demo_profile

            profile = demo_profile(profile.base_url, profile, self.demo)
        parts = [profile.name]
        if profile.environment:
            parts.append(profile.environment)
        if profile.is_production:
            parts.append("PRODUCTION")
        if profile.read_only:
            parts.append("READ-ONLY")
        if self.hub is not None:
            parts.append(f"via hub {self.hub.url}")
        self.sub_title = " · ".join(parts)
        self.set_class(profile.is_production, "-production")
        self.set_class(profile.read_only, "-read-only")

    @property
    def access(self) -> JobAccess | None:
        """Reads and writes beside the snapshot: through the hub a viewer is attached to,
        else through the app's own client; None while not connected."""
        if self._hub_access is not None:
            return self._hub_access
        if self.client is None:
            return None
        from ztui.ops.access import ClientAccess

        return ClientAccess(self.client, journal=self.journal, profile=self.profile)

    @work(group="poller", exclusive=True, exit_on_error=False, description="Watching jobs")
    async def connect(self) -> None:
        """Start the demo simulator if asked, open the client and run the watcher (or, on
        a viewer, follow the hub)."""
        import asyncio

        from ztui.service.connection import open_client, preload
        from ztui.service.poller import DEFAULT_FATAL_HINT, JobPoller
        from ztui.store.journal import Journal

        if self.hub is not None:
            await self._follow_hub(self.hub)
            return

        # While the demo simulator may still be starting on the other core.
        preload()
        if self.demo is not None and self._sim_server is None:
            if self._sim_process is None:
                self._sim_process = self.demo.simulator()
            process = self._sim_process
            try:
                await asyncio.to_thread(process.wait_ready)
            except RuntimeError as exc:
                raise RuntimeError(f"The demo simulator did not start: {exc}") from None
            self._sim_server = process
            self._watch_demo_simulator(process)
        if self.demo is not None and self._sim_server is not None:
            from ztui.demo import demo_profile

            self.profile = demo_profile(self._sim_server.base_url, self.profile, self.demo)
            self._show_profile()
        if self.demo is not None:
            from ztui.core.paths import demo_journal_path

            self.journal = Journal(demo_journal_path())
        else:
            self.journal = Journal()
        self.journal.on_failure(self._journal_failed)
        self.journal.on_recovery(self._journal_recovered)
        self.journal_problem = None
        self._load_dry_runs(self.journal, self.profile.name, self.profile.base_url)
        generation = self.generation

        def publish(snapshot: JobSnapshot) -> None:
            self.post_message(JobsUpdated(snapshot, generation))

        profile = self.profile
        client = open_client(profile, self.settings.network, max_retry_wait=MAX_RETRY_WAIT_S)
        self.client = client
        aqua_ids = self._known_aqua_ids()
        poller = JobPoller(
            client,
            settings=self.poll_settings(),
            on_snapshot=publish,
            aqua_ids=aqua_ids,
            fatal_hint=f"{DEFAULT_FATAL_HINT} Switch profile with ctrl+o; r tries once more.",
            shown=self._painted,
        )
        self.poller = poller
        self.post_message(ConnectionChanged(profile.name))
        # The demo journal holds writes of earlier demo simulators, on other ports: only a
        # write of this very connection is settled.
        self._settle_open_writes(self.journal, client, poller, profile)
        try:
            await poller.run()
        finally:
            # A profile switch may already have installed the next connection.
            if self.poller is poller:
                self.poller = None
            if self.client is client:
                self.client = None
            await client.aclose()

    async def _follow_hub(self, target: HubTarget) -> None:
        """Attach to a hub: its snapshots feed the board; reads and writes go to it."""
        from ztui.hub.client import HubAccess, HubFeed, HubLink

        generation = self.generation

        def publish(snapshot: JobSnapshot) -> None:
            self.post_message(JobsUpdated(snapshot, generation))

        def hub_info(info: HubInfo) -> None:
            from ztui.hub.client import viewer_profile

            if generation == self.generation:
                self.profile = viewer_profile(info, target.url)
                self._show_profile()

        link = HubLink(target)
        feed = HubFeed(link, on_snapshot=publish, on_info=hub_info)
        self.poller = feed
        self._hub_access = HubAccess(feed)
        self.post_message(ConnectionChanged(self.profile.name))
        try:
            await feed.run()
        finally:
            if self.poller is feed:
                self.poller = None
                self._hub_access = None
            await link.aclose()

    async def _painted(self) -> None:
        """Return once the screen has been painted with what was posted so far (at most
        a fifth of a second later)."""
        import asyncio

        painted = asyncio.Event()
        self.call_after_refresh(painted.set)
        try:
            await asyncio.wait_for(painted.wait(), FIRST_ROWS_WAIT_S)
        except TimeoutError:
            pass

    def _journal_failed(self, text: str) -> None:
        """A write is not on record (a full disk, say): say so on screen, not only in a log
        on that same disk, and keep saying it in the status bar until a write works."""
        journal = self.journal
        problem = (journal.problem if journal is not None else None) or "cannot write"

        def show() -> None:
            self.journal_problem = problem
            self.notify(text, title="Journal", severity="error", timeout=30)

        self._on_app_thread(show)

    @work(thread=True, group="dry-runs", exit_on_error=False, description="Reading dry runs")
    def _load_dry_runs(self, journal: Journal, profile: str, base_url: str) -> None:
        """Learn from the journal which jobs ztui created as dry runs, so they are marked
        (Zuora may not say so in the job: docs/zuora-api.md §5)."""
        from ztui.api.models import Family

        try:
            found = journal.dry_run_ids(profile, base_url)
        except OSError as exc:
            log.warning("cannot read the journal for dry runs: %s", exc)
            return
        keys: set[tuple[Family, str]] = set()
        for family, job_id in found:
            try:
                keys.add((Family(family), job_id))
            except ValueError:  # a family this version does not know
                continue
        if keys:
            self.call_from_thread(self._dry_runs_learnt, keys)

    def _dry_runs_learnt(self, keys: set[tuple[Family, str]]) -> None:
        self.dry_runs.remember(keys)
        from ztui.screens.jobs import JobListScreen

        for screen in self.screen_stack:
            if isinstance(screen, JobListScreen):
                screen.dry_runs_changed()

    def _journal_recovered(self, text: str) -> None:
        """A write is on record again: take the status bar's warning down."""

        def show() -> None:
            self.journal_problem = None
            self.notify(text, title="Journal", timeout=8)

        self._on_app_thread(show)

    def _on_app_thread(self, callback: Callable[[], None]) -> None:
        try:
            self.call_from_thread(callback)
        except RuntimeError:  # already on the app's thread
            callback()

    @work(group="settle", exit_on_error=False, description="Settling writes left open")
    async def _settle_open_writes(
        self, journal: Journal, client: ZuoraClient, poller: JobPoller, profile: ResolvedProfile
    ) -> None:
        """Settle the writes an earlier run left open (in flight at a crash, or with a lost
        answer) against the server, and tell the user what was found
        (`ztui.ops.reconcile`). An AQuA job a create turns out to have made is followed."""
        import asyncio

        from ztui.families import followed_by_id
        from ztui.ops.reconcile import reconcile, settled_text
        from ztui.store.journal import unsettled_text

        try:
            entries = await asyncio.to_thread(journal.unsettled, profile.name, profile.base_url)
        except OSError as exc:
            log.warning("cannot read the journal for unsettled writes: %s", exc)
            return
        if not entries:
            return
        results = await reconcile(client, journal, entries, allow_replay=not profile.read_only)
        if self.poller is not poller:
            return  # another profile by now: its board is not the place to say it
        for result in results:
            if result.follow and result.job_id is not None:
                poller.watch_aqua(result.job_id)
                poller.refresh_now(followed_by_id())
            if result.outcome is None:
                text = unsettled_text(result.entry)
                self.notify(
                    f"{text[0].upper()}{text[1:]} {result.message[0].upper()}{result.message[1:]}",
                    title="Unsettled write",
                    severity="warning",
                    timeout=30,
                )
            else:
                self.notify(
                    settled_text(result),
                    title="Settled at start-up",
                    severity="error" if not result.recorded else "information",
                    timeout=20,
                )

    def _known_aqua_ids(self) -> list[str]:
        """AQuA jobs to follow: the demo simulator's, the journal's, and those added by id."""
        if self.demo is not None:
            if self._sim_server is None:
                return []
            from ztui.sim.process import WATCHED_AQUA

            # A journal knows the AQuA jobs made from ztui: dozens, not the thousands a
            # large demo seeds. Following every one would cost a get each at start-up.
            # The journal and the watch list know nothing of a simulator on a new port.
            return self._sim_server.recent_aqua_job_ids(WATCHED_AQUA)
        from ztui.store import aqua_follow

        try:
            return aqua_follow.followed(self.journal, self.profile.name, self.profile.base_url)
        except OSError as exc:
            log.warning("cannot read the journal for AQuA jobs: %s", exc)
            return []

    def watch_aqua_job(self, job_id: str) -> None:
        """Follow the AQuA job `job_id` on the board, now and on later starts."""
        from ztui.store import watchlist

        profile = self.profile
        if self.demo is None and self.hub is None:
            # The demo's simulator lives on a new port each run, and a hub keeps its own
            # list: nothing to remember here.
            watchlist.add(profile.name, profile.base_url, job_id)
        self._added_aqua.add(job_id)
        if self.poller is not None:
            self.poller.watch_aqua(job_id)
            self.poller.refresh_now()
        self.notify(f"Following AQuA job {job_id}; it shows after the next poll.", timeout=4)

    def _watch_demo_simulator(self, process: SimProcess) -> None:
        """Report at once if the demo's simulator process ends while the app runs."""
        import threading

        def wait() -> None:
            reason = process.wait_for_exit()
            if reason is not None:
                try:
                    self.call_from_thread(self._demo_simulator_died, reason)
                except RuntimeError:  # the app is no longer running
                    pass

        threading.Thread(target=wait, name="ztui-demo-sim-watch", daemon=True).start()

    def _demo_simulator_died(self, reason: str) -> None:
        """A demo simulator that died will not come back: say so and stop polling it."""
        server = self._sim_server
        if server is None or self.profile.base_url != server.base_url:
            log.warning("the demo simulator stopped (%s) after a switch to another profile", reason)
            return
        text = (
            f"The demo simulator stopped ({reason}); the board keeps its last data. "
            "Quit and run ztui --demo again."
        )
        log.error("%s", text)
        # Drop whatever the last poll still brings (errors about a server that is gone).
        self._stop_watching()
        self.connection_error = text
        self.notify(text, severity="error", timeout=30)

    def _check_added_aqua(self, snapshot: JobSnapshot) -> None:
        """Tell the user about an AQuA id they added that Zuora does not know."""
        from ztui.families import followed_by_id

        family = followed_by_id()
        for job_id in list(self._added_aqua):
            if (family, job_id) in snapshot.jobs:
                self._added_aqua.discard(job_id)
            elif self.poller is not None and not self.poller.is_watching_aqua(job_id):
                from ztui.store import watchlist

                self._added_aqua.discard(job_id)
                if self.demo is None and self.hub is None:
                    watchlist.remove(self.profile.name, self.profile.base_url, job_id)
                self.notify(
                    f"AQuA job {job_id} was not found on {self.profile.name!r} (finished "
                    "jobs are deleted after 180 days); it is no longer followed.",
                    severity="warning",
                    timeout=10,
                )

    def poll_settings(self) -> PollSettings:
        """The watcher's pacing from the `[ui]` settings."""
        from ztui.service.pacing import PollSettings

        ui = self.settings.ui
        return PollSettings(
            active_s=ui.poll_active_s,
            idle_s=ui.poll_idle_s,
            low_budget_s=ui.poll_low_budget_s,
            daily_call_budget=self.profile.daily_call_budget,
        )

    @on(JobsUpdated)
    def _store_snapshot(self, message: JobsUpdated) -> None:
        if message.generation != self.generation:
            return  # from a connection that was replaced: another tenant's jobs
        previous = self.jobs
        self.jobs = message.snapshot
        if previous is None:
            self.call_after_refresh(self._start_observers)
            self.call_after_refresh(gcpause.resume)
        from ztui.flows.notify import announce

        announce(self, previous, message.snapshot)
        if self._added_aqua:
            self._check_added_aqua(message.snapshot)

    def _stop_watching(self) -> None:
        """End the watcher and its connection; snapshots still on their way are dropped."""
        if self.poller is not None:
            self.poller.stop()
        self.workers.cancel_group(self, "poller")
        self.workers.cancel_group(self, "settle")
        self.generation += 1

    def switch_profile(self, name: str) -> None:
        """Stop the watcher, connect to profile `name` and start the board afresh.

        Args:
            name: A profile name from the config file.
        """
        from ztui.config.load import ConfigError
        from ztui.config.resolve import resolve_profile

        try:
            profile = resolve_profile(self.settings, profile=name)
        except ConfigError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return
        self._stop_watching()
        self.demo = None
        self.hub = None
        self._hub_access = None
        self._added_aqua.clear()
        self.profile = profile
        self.connection_error = None
        self.jobs = None
        self._show_profile()
        self.notify(f"Connecting to profile {name!r}…")
        self.connect()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Turn a failed network or disk worker into one notification."""
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            from ztui.core.logsetup import redact

            text = redact(str(error)) if error is not None else "unknown error"
            log.error("worker %s failed: %s", event.worker.description, text)
            if event.worker.group == "poller":
                self.connection_error = text
                self.post_message(ConnectionChanged(self.profile.name, error=text))
            self.notify(
                f"{event.worker.description or 'Background task'} failed: {text}",
                severity="error",
                timeout=10,
            )

    async def on_unmount(self) -> None:
        """Stop the watcher, close connections and stop the simulator we started."""
        await self.shutdown()

    async def shutdown(self) -> None:
        """Stop everything that runs in the background; safe to call twice."""
        import asyncio

        self._stop_watching()
        if self._sim_process is not None:
            process, self._sim_process = self._sim_process, None
            if self._sim_server is process:
                self._sim_server = None
            await asyncio.to_thread(process.stop)

    # ----------------------------------------------------------------- crashes

    def _handle_exception(self, error: Exception) -> None:
        # Remember the error so `_fatal_error` can render it without local variables.
        self._crash: BaseException | None = error
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        # Textual renders crashes with `show_locals=True`, which could print a revealed
        # secret held in a local variable. Render a redacted, locals-free traceback instead.
        from rich.text import Text

        from ztui.core.logsetup import format_exception_redacted

        error = getattr(self, "_crash", None)
        text = (
            format_exception_redacted(error)
            if isinstance(error, BaseException)
            else "ztui stopped after an unexpected error (see the log file).\n"
        )
        log.critical("uncaught exception in the app:\n%s", text.rstrip("\n"))
        self.bell()
        self._exit_renderables.append(Text(text))
        self._close_messages_no_wait()

    # ----------------------------------------------------------------- actions

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Palette commands that work on every screen."""
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Switch profile", "Connect to another profile", self.action_switch_profile
        )
        yield SystemCommand("Journal", "Every write ztui made", self.action_journal)
        yield SystemCommand(
            "API errors", "Every failed request of this run", self.action_api_errors
        )
        yield SystemCommand("Refresh now", "Poll every family now", self.refresh_now)
        yield SystemCommand("Pause or resume polling", "Stop or restart polling", self.toggle_pause)
        if self.demo is not None:
            from functools import partial

            from ztui.demo import FAULT_PRESETS

            for preset in FAULT_PRESETS:
                yield SystemCommand(preset.title, preset.help, partial(self.inject_fault, preset))

    @work(group="demo-faults", exit_on_error=False, description="Injecting a demo fault")
    async def inject_fault(self, preset: FaultPreset) -> None:
        """Demo only: arm a fault on the simulator, say what it does, and poll at once."""
        from ztui.demo import inject

        server = self._sim_server
        if self.demo is None or server is None or not server.base_url:
            self.notify("The demo simulator is not running.", severity="warning")
            return
        outcome = await inject(server.base_url, preset)
        self.notify(outcome, title=preset.title, timeout=8)
        self.refresh_now()

    def action_switch_profile(self) -> None:
        """Choose another profile from config.toml."""
        names = sorted(self.settings.profiles)
        if not names:
            self.notify("No profiles in config.toml (see `ztui config init`).", severity="warning")
            return
        from ztui.dialogs.profiles import ProfileSwitchModal

        def chosen(name: str | None) -> None:
            if name:
                self.switch_profile(name)

        self.push_screen(ProfileSwitchModal(names, current=self.profile.name), chosen)

    def action_journal(self) -> None:
        """Browse the journal of writes."""
        from ztui.screens.journal import JournalScreen

        self.push_screen(JournalScreen())

    def action_api_errors(self) -> None:
        """Show every failed request of this run."""
        from ztui.screens.api_errors import ApiErrorsScreen

        self.push_screen(ApiErrorsScreen())

    def action_help(self) -> None:
        """Show every key of the current screen."""
        from ztui.dialogs.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def refresh_now(self, family: Family | None = None) -> None:
        """Ask the watcher to poll as soon as the current poll (if any) finishes: only
        `family` (after a write to one of its jobs), or every family."""
        if self.poller is not None:
            self.poller.refresh_now(family)

    def toggle_pause(self) -> bool:
        """Pause or resume polling; returns True when now paused."""
        if self.poller is None:
            return False
        if self.poller.paused:
            self.poller.resume()
            return False
        self.poller.pause()
        return True

    def open_detail(self, key: tuple[Family, str]) -> None:
        """Open the detail screen of a job."""
        from ztui.screens.job_detail import JobDetailScreen

        self.push_screen(JobDetailScreen(key))

    def open_errors(self, key: tuple[Family, str]) -> None:
        """Open the error viewer of a job."""
        from ztui.screens.error_viewer import ErrorViewerScreen

        self.push_screen(ErrorViewerScreen(key))

    def request_stop(self, key: tuple[Family, str]) -> None:
        """Start the stop/cancel flow for a job (confirm, re-read, send once)."""
        self.stops.start(key)

    def open_new_job(self, prefill: JobSpec | None = None) -> None:
        """Open the new-job chooser, unless the profile is read-only (then say so).

        Args:
            prefill: Fill the form from this spec (a dry run to repeat for real); the
                summary then opens at once.
        """
        from ztui.screens.new_job import NewJobScreen, read_only_notice

        if self.profile.read_only:
            self.notify(
                self.profile.read_only_hint or read_only_notice(self.profile.name),
                title="New job",
                severity="warning",
            )
            return
        self.push_screen(NewJobScreen(prefill=prefill))
