"""A benchmark host for the job board: N synthetic jobs, then polls that change 10 rows.

`python benchmarks/board_poll_app.py --jobs 10000 --interval 1.5` shows the real
`JobListScreen` fed with hand-made snapshots (no network): one snapshot at start, then one
every `interval` seconds in which exactly `--changed` visible rows change (progress and
counters), the poll time moves and the call counter grows, as a real poll would. Measured
with tuibench, the output per burst is what a poll that changes 10 visible rows costs.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from textual.app import App
from textual.reactive import var

from ztui.api.models import Family, Job, JobState
from ztui.core.paths import stylesheet_paths
from ztui.screens.jobs import JobListScreen
from ztui.service.snapshot import BudgetView, FamilyStatus, JobSnapshot
from ztui.widgets.theme import ZTUI_THEME

_STATES = (JobState.RUNNING, JobState.SUCCEEDED, JobState.QUEUED, JobState.FAILED)


def synthetic_jobs(count: int, now: float) -> list[Job]:
    """`count` jobs over the five families, newest first by creation time."""
    start = datetime.fromtimestamp(now, UTC) - timedelta(seconds=count * 10)
    families = list(Family)
    jobs = []
    for i in range(count):
        state = _STATES[i % len(_STATES)]
        created = start + timedelta(seconds=i * 10)
        jobs.append(
            Job(
                family=families[i % len(families)],
                id=f"2c92c0f9{i:024x}",
                kind=("Account", "RatePlanCharge", "Invoice")[i % 3],
                status=state.value.title(),
                state=state,
                progress=(i % 100) / 100,
                processed=i,
                failed=i % 7,
                total=10_000,
                created_at=created,
                updated_at=created,
            )
        )
    return jobs


@dataclass(frozen=True)
class _Ui:
    hide_finished_after_s: float = 30 * 86400
    notify: object = None


@dataclass(frozen=True)
class _Settings:
    ui: _Ui = field(default_factory=_Ui)


@dataclass(frozen=True)
class _Profile:
    name: str = "bench"
    environment: str = "synthetic"
    is_production: bool = False
    read_only: bool = False
    daily_call_budget: int | None = None


class _NoDryRuns:
    """The app's dry-run flow as the board sees it: no job here is a dry run."""

    def is_dry_run(self, job: Job) -> bool:
        """No synthetic job is a dry run."""
        return False


class BoardPollApp(App[None]):
    """Shows the board and replays polls that change a fixed number of visible rows."""

    CSS_PATH = [str(p) for p in stylesheet_paths()]
    TITLE = "ztui"

    # `var`, not `reactive`: a reactive repaints the whole screen on every snapshot.
    jobs: var[JobSnapshot | None] = var(None, always_update=True)
    connection_error: var[str | None] = var(None)

    def __init__(self, count: int, interval: float, changed: int) -> None:
        """Create the app.

        Args:
            count: Jobs in every snapshot.
            interval: Seconds between polls.
            changed: Visible rows that change per poll.
        """
        super().__init__()
        self.settings = _Settings()
        self.profile = _Profile()
        self.register_theme(ZTUI_THEME)
        self.theme = "ztui"
        self._count = count
        self._interval = interval
        self._changed = changed
        self._seq = 0
        self._jobs: list[Job] = []
        self.dry_runs = _NoDryRuns()
        self.journal_problem: str | None = None

    def wall_clock(self) -> float:
        """The benchmark's "now" (real time)."""
        return time.time()

    def on_mount(self) -> None:
        """Show the board, load the jobs and start polling."""
        self.push_screen(JobListScreen())
        self._jobs = synthetic_jobs(self._count, time.time())
        self._publish()
        self.set_interval(self._interval, self._poll)

    def _publish(self) -> None:
        self._seq += 1
        now = time.time()
        families = {f: FamilyStatus(f, "ok", as_of=now) for f in Family}
        self.jobs = JobSnapshot(
            seq=self._seq,
            jobs={job.key: job for job in self._jobs},
            families=families,
            budget=BudgetView(
                limit=10_000,
                remaining=10_000 - self._seq * 6,
                reset_at=now + 3600,
                calls_made=self._seq * 6,
                calls_per_day_projection=6 * 86400 / self._interval,
            ),
            polled_at=now,
        )

    def _poll(self) -> None:
        screen = self.screen
        if not isinstance(screen, JobListScreen):
            return
        visible = set(screen.table.order[: self._changed])
        self._jobs = [
            replace(
                job,
                progress=((job.progress or 0) + 0.01) % 1,
                processed=(job.processed or 0) + 1,
            )
            if job.key in visible
            else job
            for job in self._jobs
        ]
        self._publish()

    def refresh_now(self) -> None:
        """Not used in the benchmark."""

    def toggle_pause(self) -> bool:
        """Not used in the benchmark."""
        return False


def main() -> None:
    """Parse options and run the app."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--interval", type=float, default=1.5)
    parser.add_argument("--changed", type=int, default=10)
    args = parser.parse_args()
    BoardPollApp(args.jobs, args.interval, args.changed).run()


if __name__ == "__main__":
    main()
