"""Loop mechanics of `JobPoller`: no overlap, refresh, pause, stop.

These use a stand-in for the client's list calls (no HTTP at all) because they test
scheduling, not the API; everything that touches the API runs against the simulator in
`test_poller_sim.py`.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable

import pytest

from ztui.api.models import Family, Job, JobState
from ztui.service.poller import JobPoller
from ztui.service.snapshot import JobSnapshot

from .helpers import job


class StandInClient:
    """Answers the data-backfill list from `jobs`; can hold a call until released."""

    def __init__(self) -> None:
        self.jobs: list[Job] = [job("a", JobState.RUNNING)]
        self.calls = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()
        self.calls_made = 0

    async def list_data_backfill_jobs(self) -> list[Job]:
        self.calls += 1
        self.calls_made += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.entered.set()
        try:
            if self.gate is not None:
                await self.gate.wait()
            return list(self.jobs)
        finally:
            self.in_flight -= 1


class Sleeper:
    """An injected sleep that records its argument and blocks until released."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.called = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        self.called.set()
        await self.release.wait()
        self.release.clear()


async def _until(predicate: Callable[[], object], timeout: float = 2.0) -> None:
    async def spin() -> None:
        while not predicate():
            await asyncio.sleep(0.001)

    await asyncio.wait_for(spin(), timeout)


def _parts() -> tuple[StandInClient, Sleeper, list[JobSnapshot]]:
    return StandInClient(), Sleeper(), []


def _poller(client: StandInClient, sleeper: Sleeper, seen: list[JobSnapshot]) -> JobPoller:
    return JobPoller(
        client,  # type: ignore[arg-type]
        families=[Family.DATA_BACKFILL],
        on_snapshot=seen.append,
        sleep=sleeper,
        clock=lambda: 1000.0,
    )


@pytest.mark.anyio
async def test_run_polls_then_sleeps_the_paced_interval() -> None:
    client, sleeper, seen = _parts()
    async with _poller(client, sleeper, seen):
        await _until(lambda: sleeper.delays)
        assert sleeper.delays == [5.0]  # a running job: active pace
        client.jobs = [job("a", JobState.SUCCEEDED)]
        sleeper.release.set()
        await _until(lambda: len(sleeper.delays) == 2)
        assert sleeper.delays[1] == 60.0  # everything terminal: idle pace
    assert [s.seq for s in seen] == [1, 2]
    assert client.calls == 2


@pytest.mark.anyio
async def test_refresh_during_a_poll_schedules_one_more_without_overlap() -> None:
    client, sleeper, seen = _parts()
    client.gate = asyncio.Event()
    poller = _poller(client, sleeper, seen)
    async with poller:
        await _until(lambda: client.entered.is_set())
        poller.refresh_now()
        poller.refresh_now()
        extra = asyncio.create_task(poller.poll_once())  # an explicit tick waits its turn
        await asyncio.sleep(0.01)
        assert client.calls == 1
        client.gate.set()
        await _until(lambda: sleeper.delays)
        await extra
    assert client.max_in_flight == 1
    # First poll, the explicit tick, and one more for the refreshes; the refreshes did
    # not each add a poll, and no sleep ran between the first poll and the refresh poll.
    assert client.calls == 3
    assert len(sleeper.delays) == 1


@pytest.mark.anyio
async def test_refresh_now_cuts_the_wait_short() -> None:
    client, sleeper, seen = _parts()
    poller = _poller(client, sleeper, seen)
    async with poller:
        await _until(lambda: sleeper.delays)
        poller.refresh_now()  # the sleeper is never released
        await _until(lambda: client.calls == 2)
    assert len(seen) == 2


@pytest.mark.anyio
async def test_pause_stops_polls_and_resume_polls_at_once() -> None:
    client, sleeper, seen = _parts()
    poller = _poller(client, sleeper, seen)
    async with poller:
        await _until(lambda: sleeper.delays)
        poller.pause()
        assert poller.paused
        assert seen[-1].paused  # republished at once, no network
        assert client.calls == 1
        sleeper.release.set()
        await asyncio.sleep(0.02)
        assert client.calls == 1
        poller.refresh_now()  # an explicit refresh still works while paused
        await _until(lambda: client.calls == 2)
        assert seen[-1].paused
        await asyncio.sleep(0.02)
        assert client.calls == 2
        poller.resume()
        await _until(lambda: client.calls == 3)
        resumed = seen[-1]
        assert resumed.paused is False
    seqs = [s.seq for s in seen]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs)


@pytest.mark.anyio
async def test_stop_ends_run_after_the_current_poll() -> None:
    client, sleeper, seen = _parts()
    client.gate = asyncio.Event()
    poller = _poller(client, sleeper, seen)
    task = asyncio.create_task(poller.run())
    await _until(lambda: client.entered.is_set())
    poller.stop()
    client.gate.set()
    await asyncio.wait_for(task, 1)
    assert client.calls == 1
    assert sleeper.delays == []


@pytest.mark.anyio
async def test_paused_snapshot_has_infinite_interval_and_zero_projection() -> None:
    client, sleeper, seen = _parts()
    poller = _poller(client, sleeper, seen)
    first = await poller.poll_once()
    assert first.budget.calls_made == 1
    # One call per poll every 5 s.
    assert first.budget.calls_per_day_projection == pytest.approx(86400 / 5)
    poller.pause()
    paused = await poller.poll_once()
    assert paused.paused
    assert paused.budget.calls_per_day_projection == 0.0
    from ztui.service.pacing import next_interval

    assert next_interval(paused, poller.settings) == math.inf
