"""A snapshot that moves no job to another place reuses the board's view (issue #17).

Watching 10,000 jobs, most polls change only the progress of the running ones: the view
(which jobs are shown, in which order, the facet counts) is then the same, and the table
keeps it instead of filtering and sorting every job again.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

import ztui.widgets.job_table as job_table
from ztui.api.models import JobState
from ztui.screens.jobs import JobListScreen

from .board_harness import NOW, BoardHarness, make_job, make_snapshot

pytestmark = pytest.mark.anyio


class ClockedHarness(BoardHarness):
    """The board harness with a clock the test moves."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.now = NOW

    def wall_clock(self) -> float:
        return self.now


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the table's full view computations."""
    calls: list[int] = []
    original = job_table.compute_view

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(job_table, "compute_view", counting)
    return calls


async def test_progress_only_polls_reuse_the_view(computed: list[int]) -> None:
    app = ClockedHarness()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, JobListScreen)
        jobs = [make_job(i) for i in range(50)] + [
            make_job(100 + i, JobState.SUCCEEDED) for i in range(50)
        ]
        app.jobs = make_snapshot(jobs)
        await pilot.pause()
        first = screen.table.view
        assert len(computed) == 1
        moved = [
            replace(j, progress=0.9, processed=(j.processed or 0) + 5)
            if not j.state.is_terminal
            else j
            for j in jobs
        ]
        app.jobs = make_snapshot(moved, seq=2)
        await pilot.pause()
        assert len(computed) == 1
        assert screen.table.view is first
        assert screen.table.jobs[moved[0].key].progress == 0.9

        # A job that ends moves to another state: the view is computed again.
        ended = [replace(moved[0], state=JobState.SUCCEEDED, status="Succeeded"), *moved[1:]]
        app.jobs = make_snapshot(ended, seq=3)
        await pilot.pause()
        assert len(computed) == 2
        assert screen.table.view.state_counts[JobState.SUCCEEDED] == 51


async def test_time_hides_an_old_finished_job_even_when_nothing_changed(
    computed: list[int],
) -> None:
    app = ClockedHarness(hide_after=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, JobListScreen)
        old = make_job(1, JobState.SUCCEEDED, age_min=59)  # 59 minutes ago
        jobs = [old, make_job(2)]
        app.jobs = make_snapshot(jobs)
        await pilot.pause()
        assert old.key in screen.table.order
        app.now = NOW + 30
        app.jobs = make_snapshot(jobs, seq=2)
        await pilot.pause()
        assert old.key in screen.table.order
        assert len(computed) == 1
        app.now = NOW + 120
        app.jobs = make_snapshot(jobs, seq=3)
        await pilot.pause()
        assert old.key not in screen.table.order
        assert screen.table.view.hidden_finished == 1
        assert len(computed) == 2


async def test_a_sort_on_a_moving_column_sorts_again(computed: list[int]) -> None:
    app = ClockedHarness()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, JobListScreen)
        jobs = [make_job(i, progress=i / 10) for i in range(5)]
        app.jobs = make_snapshot(jobs)
        await pilot.pause()
        screen.table.sort_by("progress", reverse=True)
        await pilot.pause()
        assert screen.table.order[0] == jobs[4].key
        before = len(computed)
        moved = [replace(jobs[0], progress=0.95), *jobs[1:]]
        app.jobs = make_snapshot(moved, seq=2)
        await pilot.pause()
        assert len(computed) == before + 1
        assert screen.table.order[0] == jobs[0].key
