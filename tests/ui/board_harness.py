"""A small host app for board tests that need exact, hand-made snapshots (no network).

`BoardHarness` is a `ztui.host.ZtuiHost` (mypy checks it, `test_host.py` too): it has
what screens may use of `ZtuiApp` (`jobs`, `settings`, `profile`, `wall_clock`, no
connection) and records the actions the screen asks for, so tests can feed it snapshots
directly. Tests against the real app and simulator live in `test_board.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.reactive import var

from ztui.api.models import Family, Job, JobState
from ztui.config.schema import ResolvedProfile, Settings, UiSettings
from ztui.core.paths import stylesheet_paths
from ztui.dialogs.choice import ChoiceModal
from ztui.dialogs.confirm import ConfirmDialog
from ztui.flows.dry_run import DryRunFlow
from ztui.flows.stop import StopFlow
from ztui.flows.submission import SubmissionFlow
from ztui.screens.jobs import JobListScreen
from ztui.service.history import StatusHistory
from ztui.service.snapshot import BudgetView, FamilyState, FamilyStatus, JobSnapshot
from ztui.widgets.theme import ZTUI_THEME

NOW = 1768478400.0
"""2026-01-15T12:00:00Z, the harness's frozen wall clock."""

T0 = datetime.fromtimestamp(NOW, UTC) - timedelta(hours=1)


def make_job(
    n: int,
    state: JobState = JobState.RUNNING,
    *,
    family: Family = Family.DATA_BACKFILL,
    status: str | None = None,
    progress: float | None = 0.5,
    kind: str = "Account",
    age_min: float | None = None,
    failed: int | None = 0,
) -> Job:
    """Job number `n`: created `n` minutes after T0 (so a higher n is newer)."""
    created = T0 + timedelta(minutes=n if age_min is None else 60 - age_min)
    return Job(
        family=family,
        id=f"{n:032x}",
        kind=kind,
        status=status if status is not None else state.value.title(),
        state=state,
        progress=progress,
        processed=n * 10,
        failed=failed,
        total=1000,
        created_at=created,
        updated_at=created,
    )


def make_snapshot(
    jobs: Iterable[Job],
    *,
    seq: int = 1,
    stale: Iterable[Family] = (),
    paused: bool = False,
    fatal: str | None = None,
    budget: BudgetView | None = None,
) -> JobSnapshot:
    """A snapshot of `jobs` with every family ok except those in `stale`."""
    stale_set = set(stale)
    families: dict[Family, FamilyStatus] = {}
    for family in Family:
        state: FamilyState = "stale" if family in stale_set else "ok"
        families[family] = FamilyStatus(
            family,
            state,
            as_of=NOW - 120 if family in stale_set else NOW,
            error="Server error (HTTP 500)" if family in stale_set else None,
        )
    return JobSnapshot(
        seq=seq,
        jobs={job.key: job for job in jobs},
        families=families,
        budget=budget
        or BudgetView(
            limit=10000,
            remaining=9876,
            reset_at=NOW + 3600,
            calls_made=42,
            calls_per_day_projection=17280,
        ),
        polled_at=NOW,
        paused=paused,
        fatal=fatal,
    )


if TYPE_CHECKING:
    from ztui.api.client import ZuoraClient
    from ztui.host import Choice, ZtuiHost
    from ztui.ops.access import JobAccess
    from ztui.ops.confirm import ConfirmRequest
    from ztui.ops.submit import JobSpec
    from ztui.service.source import JobSource
    from ztui.store.journal import Journal


def harness_profile(*, read_only: bool = False) -> ResolvedProfile:
    """The harness's profile: a simulator on loopback, no credentials."""
    return ResolvedProfile(
        name="harness",
        base_url="http://127.0.0.1:8787",
        environment="simulator",
        is_production=False,
        client_id=None,
        client_secret=None,
        read_only=read_only,
    )


class BoardHarness(App[None]):
    """Hosts `JobListScreen`; records what the screen asks of the app."""

    CSS_PATH = [str(p) for p in stylesheet_paths()]

    # `var`, not `reactive`: a reactive repaints the whole screen on every snapshot.
    jobs: var[JobSnapshot | None] = var(None, always_update=True)
    connection_error: var[str | None] = var(None)
    journal_problem: var[str | None] = var(None)

    def __init__(self, *, read_only: bool = False, hide_after: float = 7 * 86400) -> None:
        super().__init__()
        self.settings = Settings(ui=UiSettings(hide_finished_after_s=hide_after))
        self.profile = harness_profile(read_only=read_only)
        self.client: ZuoraClient | None = None
        self.poller: JobSource | None = None
        self.access: JobAccess | None = None
        self.journal: Journal | None = None
        self.history = StatusHistory()
        self.last_folder: Path | None = None
        self.stops = StopFlow(self)
        self.submissions = SubmissionFlow(self)
        self.dry_runs = DryRunFlow(self)
        self.calls: list[tuple[str, Any]] = []
        self.register_theme(ZTUI_THEME)
        self.theme = "ztui"
        self.paused = False

    def wall_clock(self) -> float:
        return NOW

    def on_mount(self) -> None:
        self.push_screen(JobListScreen())

    def refresh_now(self, family: Family | None = None) -> None:
        self.calls.append(("refresh_now", family))

    def toggle_pause(self) -> bool:
        self.paused = not self.paused
        self.calls.append(("toggle_pause", self.paused))
        return self.paused

    def open_detail(self, key: tuple[Family, str]) -> None:
        self.calls.append(("open_detail", key))

    def open_errors(self, key: tuple[Family, str]) -> None:
        self.calls.append(("open_errors", key))

    def request_stop(self, key: tuple[Family, str]) -> None:
        self.calls.append(("request_stop", key))

    def open_new_job(self, prefill: JobSpec | None = None) -> None:
        self.calls.append(("open_new_job", prefill))

    def confirm(self, request: ConfirmRequest, answered: Callable[[bool], None]) -> None:
        self.push_screen(ConfirmDialog(request), lambda yes: answered(bool(yes)))

    def choose(
        self,
        title: str,
        message: str,
        choices: Sequence[Choice],
        answered: Callable[[str | None], None],
    ) -> None:
        self.push_screen(ChoiceModal(title, message, choices), answered)

    def watch_aqua_job(self, job_id: str) -> None:
        self.calls.append(("watch_aqua_job", job_id))


def as_host(app: BoardHarness) -> ZtuiHost:
    """The harness seen as a host (mypy checks that it is one)."""
    return app
