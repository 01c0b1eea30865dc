"""Per-family pacing: the pure rule (`family_intervals`) and the loop on the manual clock."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from ztui.api.models import Family, JobState
from ztui.service.pacing import PollSettings, expected_remaining, family_intervals
from ztui.service.poller import JobPoller
from ztui.service.snapshot import FamilyStatus, JobSnapshot

from .helpers import T0, job, snap
from .simctl import Clock, SimCtl, open_client

SETTINGS = PollSettings(active_s=5, idle_s=60)
FOUR = (Family.DATA_BACKFILL, Family.BOOKING_DATE, Family.PROPAGATION, Family.CUSTOM_OBJECT)
NOW = T0.timestamp() + 600

DB_LIST = "/v1/uno/data-backfill/listjobs"
BD_LIST = "/v1/uno/data-backfill/bookingdate/jobs"


def test_only_the_family_with_a_running_job_is_polled_fast() -> None:
    s = snap(
        [job("a", family=Family.BOOKING_DATE), job("b", JobState.SUCCEEDED)],
        families=FOUR,
        polled_at=NOW,
    )
    intervals = family_intervals(s, SETTINGS)
    assert intervals[Family.BOOKING_DATE] == 5
    assert intervals[Family.DATA_BACKFILL] == 60
    assert intervals[Family.PROPAGATION] == 60
    assert intervals[Family.CUSTOM_OBJECT] == 60


def test_a_pending_family_is_polled_fast_and_a_refused_one_not_at_all() -> None:
    s = snap(
        [],
        families=FOUR,
        polled_at=NOW,
        statuses=[
            FamilyStatus(Family.PROPAGATION, "pending"),
            FamilyStatus(Family.CUSTOM_OBJECT, "unsupported"),
        ],
    )
    intervals = family_intervals(s, SETTINGS)
    assert intervals[Family.PROPAGATION] == 5
    assert intervals[Family.CUSTOM_OBJECT] == float("inf")
    assert intervals[Family.DATA_BACKFILL] == 60


def test_remaining_time_schedules_the_next_poll_at_the_expected_end() -> None:
    running = replace(job("a"), raw={"remainingTime": 42})
    s = snap([running], polled_at=NOW)
    assert expected_remaining(running, NOW) == 42
    assert family_intervals(s, SETTINGS)[Family.DATA_BACKFILL] == 42


@pytest.mark.parametrize(("remaining", "interval"), [(2, 5), (3600, 60), (0, 5)])
def test_the_expected_end_is_kept_between_the_active_and_idle_intervals(
    remaining: int, interval: float
) -> None:
    s = snap([replace(job("a"), raw={"remainingTime": remaining})], polled_at=NOW)
    assert family_intervals(s, SETTINGS)[Family.DATA_BACKFILL] == interval


def test_progress_rate_gives_the_expected_end() -> None:
    # Created 600 s ago and a quarter done: 1,800 s to go at that rate, capped at idle.
    quarter = job("a", progress=0.25)
    assert expected_remaining(quarter, NOW) == pytest.approx(1800)
    # 600 s for 96%: 25 s to go.
    nearly = job("b", progress=0.96)
    assert expected_remaining(nearly, NOW) == pytest.approx(25)
    s = snap([quarter, nearly], polled_at=NOW)
    assert family_intervals(s, SETTINGS)[Family.DATA_BACKFILL] == pytest.approx(25)


def test_a_job_without_an_estimate_keeps_its_family_at_the_active_pace() -> None:
    s = snap([job("a", progress=0.96), job("q", JobState.QUEUED)], polled_at=NOW)
    assert expected_remaining(job("q", JobState.QUEUED), NOW) is None
    assert family_intervals(s, SETTINGS)[Family.DATA_BACKFILL] == 5


@pytest.mark.parametrize("running", [0, 1, 2, 4])
def test_the_daily_budget_holds_under_any_activity(running: int) -> None:
    settings = replace(SETTINGS, daily_call_budget=8000)
    jobs = [job(f"j{i}", family=FOUR[i]) for i in range(running)]
    s = snap(jobs, families=FOUR, polled_at=NOW)
    costs = {Family.CUSTOM_OBJECT: 2.0}
    intervals = family_intervals(s, settings, costs)
    per_day = sum(costs.get(f, 1.0) * 86400 / value for f, value in intervals.items())
    assert per_day <= 8000
    if running:
        # Families with a running job still come round sooner than the idle ones.
        assert intervals[FOUR[0]] < intervals[FOUR[-1]] or running == 4


def test_no_budget_no_stretch() -> None:
    s = snap([job("a")], families=FOUR, polled_at=NOW)
    assert family_intervals(s, SETTINGS)[Family.DATA_BACKFILL] == 5


def test_paused_means_no_family_is_due() -> None:
    s = snap([job("a")], families=FOUR, paused=True)
    assert set(family_intervals(s, SETTINGS).values()) == {float("inf")}


# ---------------------------------------------------------------- the loop, manual clock


async def _run_for(
    server: Any, seconds: float, settings: PollSettings, act: Callable[..., Any] | None = None
) -> tuple[Counter[str], list[JobSnapshot]]:
    """Run the poller on both manual clocks for `seconds`; count list calls by path."""
    ctl = SimCtl(server)
    clock = Clock(server.sim.now())
    seen: list[JobSnapshot] = []
    async with open_client(server) as client:
        poller: JobPoller

        async def sleep(delay: float) -> None:
            clock.now += delay
            await ctl.advance(delay)
            if clock.now - start >= seconds:
                poller.stop()

        poller = JobPoller(
            client,
            settings=settings,
            families=[Family.DATA_BACKFILL, Family.BOOKING_DATE],
            on_snapshot=seen.append,
            clock=clock,
            sleep=sleep,
        )
        start = clock.now
        await ctl.mark()
        if act is not None:
            await act(client, poller)
        await asyncio.wait_for(poller.run(), 10)
        paths = Counter(path for _, path in await ctl.new_requests())
    return paths, seen


@pytest.mark.anyio
async def test_a_running_job_speeds_up_only_its_own_family(
    make_sim: Callable[..., Any],
) -> None:
    server = make_sim()
    async with open_client(server) as client:
        await client.create_booking_date_job()
    paths, seen = await _run_for(server, 600, SETTINGS)
    # Data backfill has nothing running: about one list every 60 s (10 in 10 minutes,
    # plus the first); booking date is polled at the active pace until its job ends.
    assert paths[DB_LIST] <= 12
    assert paths[BD_LIST] > paths[DB_LIST]
    assert any(
        j.state.is_terminal for (f, _), j in seen[-1].jobs.items() if f is Family.BOOKING_DATE
    )


@pytest.mark.anyio
async def test_refresh_now_of_one_family_polls_it_at_once_and_only_it(
    make_sim: Callable[..., Any],
) -> None:
    server = make_sim()
    ctl = SimCtl(server)
    clock = Clock(server.sim.now())
    sleeps: list[float] = []
    async with open_client(server) as client:
        poller = JobPoller(
            client,
            settings=SETTINGS,
            families=[Family.DATA_BACKFILL, Family.BOOKING_DATE],
            clock=clock,
        )
        await poller.poll_once()  # both idle: the next polls are 60 s away

        async def never(delay: float) -> None:
            sleeps.append(delay)
            await asyncio.Event().wait()

        poller._sleep = never
        await ctl.mark()
        async with poller:
            await asyncio.sleep(0.05)
            assert await ctl.new_requests() == []
            assert sleeps
            assert sleeps[-1] == pytest.approx(60)
            poller.refresh_now(Family.BOOKING_DATE)
            for _ in range(200):
                if await ctl.new_requests():
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)
    log = [e["path"].split("?")[0] for e in server.sim.request_log()]
    assert log.count(BD_LIST) == 2
    assert log.count(DB_LIST) == 1


async def _never(_delay: float) -> None:
    await asyncio.Event().wait()


@pytest.mark.anyio
async def test_refresh_now_without_a_family_polls_them_all(
    make_sim: Callable[..., Any],
) -> None:
    server = make_sim()
    clock = Clock(server.sim.now())
    async with open_client(server) as client:
        poller = JobPoller(
            client,
            settings=SETTINGS,
            families=[Family.DATA_BACKFILL, Family.BOOKING_DATE],
            clock=clock,
        )
        await poller.poll_once()
        poller._sleep = _never  # the loop must not wake by itself
        async with poller:
            poller.refresh_now()
            for _ in range(200):
                log = [e["path"].split("?")[0] for e in server.sim.request_log()]
                if log.count(DB_LIST) == 2 and log.count(BD_LIST) == 2:
                    break
                await asyncio.sleep(0.01)
    log = [e["path"].split("?")[0] for e in server.sim.request_log()]
    assert log.count(DB_LIST) == 2
    assert log.count(BD_LIST) == 2
