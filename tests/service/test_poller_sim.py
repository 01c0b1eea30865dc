"""The watcher against the real loopback simulator, with the sim clock driven by hand.

The poller gets an injected clock and sleep; the client gets a sleep that records its
argument instead of waiting. No test waits on real time.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from ztui.api.models import Family, JobState
from ztui.core.secret import Secret
from ztui.service.diff import diff_snapshots
from ztui.service.pacing import PollSettings, next_interval
from ztui.service.poller import JobPoller
from ztui.service.snapshot import JobSnapshot

from .simctl import Clock, SimCtl, SleepLog, open_client

pytestmark = pytest.mark.anyio

DB_LIST = "/v1/uno/data-backfill/listjobs"
BD_LIST = "/v1/uno/data-backfill/bookingdate/jobs"
PROP_LIST = "/v1/uno/data-backfill/propagation/jobs"
CO_LIST = "/objects/jobs"
AQUA_GET = "/v1/batch-query/jobs/"
TOKEN = "/oauth/token"

AQUA_BODY = {
    "format": "csv",
    "version": "1.1",
    "name": "watched",
    "encrypted": "none",
    "queries": [
        {"name": "accounts", "query": "select Id, Name from Account", "type": "zoql"},
        {"name": "subs", "query": "select Id from Subscription", "type": "zoql"},
    ],
}


def _api(requests: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [r for r in requests if r[1] != TOKEN]


async def test_interval_adapts_from_active_to_idle(make_sim: Callable[..., Any]) -> None:
    server = make_sim()
    ctl = SimCtl(server)
    async with open_client(server) as client:
        job_id = await client.create_booking_date_job()
        clock = Clock()
        settings = PollSettings(active_s=5, idle_s=60)
        sleeps: list[float] = []
        seen: list[JobSnapshot] = []

        async def sleep(seconds: float) -> None:
            # Time passes on both clocks exactly as long as the poller asked to wait.
            sleeps.append(seconds)
            clock.now += seconds
            await ctl.advance(seconds)
            if seconds == settings.idle_s:
                poller.stop()

        poller = JobPoller(
            client,
            settings=settings,
            families=[Family.BOOKING_DATE],
            on_snapshot=seen.append,
            clock=clock,
            sleep=sleep,
        )
        await asyncio.wait_for(poller.run(), 5)

    assert sleeps[0] == 5
    assert sleeps[-1] == 60
    # Once the job reports progress, its expected end may space the polls out, never
    # below the active interval nor above the idle one.
    assert all(5 <= s <= 60 for s in sleeps)
    first, last = seen[0], seen[-1]
    assert first.get(Family.BOOKING_DATE, job_id) is not None
    assert first.jobs[(Family.BOOKING_DATE, job_id)].state.is_active
    assert last.jobs[(Family.BOOKING_DATE, job_id)].state is JobState.SUCCEEDED
    # Exactly one terminal transition over the whole run, with the state it left.
    transitions = [
        t for old, new in itertools.pairwise(seen) for t in diff_snapshots(old, new).terminal
    ]
    assert [(t.job.id, t.previous_state) for t in transitions] == [(job_id, JobState.RUNNING)]
    assert [s.seq for s in seen] == list(range(1, len(seen) + 1))


async def test_one_list_call_per_family_and_no_detail_calls(
    make_sim: Callable[..., Any],
) -> None:
    server = make_sim(jobs=60)
    ctl = SimCtl(server)
    await ctl.advance(86400)  # let the seeded running jobs finish
    aqua_ids = server.sim.aqua_job_ids()
    async with open_client(server) as client:
        poller = JobPoller(client, aqua_ids=aqua_ids, clock=Clock())
        await ctl.mark()
        first = await poller.poll_once()
        tick1 = Counter(_api(await ctl.new_requests()))
        assert tick1[("GET", DB_LIST)] == 1
        assert tick1[("GET", BD_LIST)] == 1
        assert tick1[("GET", PROP_LIST)] == 1
        # 15 or so jobs: one page of 40, then the empty page that ends the list (a short
        # page does not: docs/tolerance.md rule 8).
        assert tick1[("GET", CO_LIST)] == 2
        # Each watched AQuA job once (no list endpoint), nothing else.
        assert sum(n for (m, p), n in tick1.items() if p.startswith(AQUA_GET)) == len(aqua_ids)
        assert sum(tick1.values()) == 5 + len(aqua_ids)
        assert all(s.state == "ok" for s in first.families.values())
        assert first.fatal is None
        assert not first.any_active
        assert next_interval(first, poller.settings) == 60

        second = await poller.poll_once()
        tick2 = _api(await ctl.new_requests())
        # Everything is terminal: the lists only, and no AQuA job polled again.
        assert sorted(tick2) == sorted(
            [("GET", DB_LIST), ("GET", BD_LIST), ("GET", PROP_LIST), ("GET", CO_LIST)]
        )
        assert diff_snapshots(first, second).is_empty
        assert second.budget.calls_made == client.calls_made
        assert second.budget.limit is not None
        assert second.budget.calls_per_day_projection == pytest.approx(
            (sum(tick1.values()) + 1 + 4) / 2 * 86400 / 60
        )

        # Detail on demand: one call, then cached for good since the job is terminal.
        done = next(j for j in second.jobs_of(Family.DATA_BACKFILL) if j.state.is_terminal)
        detail = await poller.fetch_detail(Family.DATA_BACKFILL, done.id)
        again = await poller.fetch_detail(Family.DATA_BACKFILL, done.id)
        assert again is detail
        assert _api(await ctl.new_requests()) == [("GET", f"/v1/uno/data-backfill/jobs/{done.id}")]
        third = await poller.poll_once()
        assert third.jobs[done.key] is detail  # merged into the next snapshot
        assert ("GET", f"/v1/uno/data-backfill/jobs/{done.id}") not in await ctl.new_requests()


async def test_custom_object_pages_only_while_newer(make_sim: Callable[..., Any]) -> None:
    server = make_sim(jobs=60)
    ctl = SimCtl(server)
    await ctl.advance(86400)
    async with open_client(server) as client:
        settings = PollSettings(co_page_size=5)
        poller = JobPoller(
            client, settings=settings, families=[Family.CUSTOM_OBJECT], clock=Clock()
        )
        total = len((await client.list_custom_object_jobs(page_size=40)).jobs)
        assert total > 10
        await ctl.mark()
        first = await poller.poll_once()
        assert len(first.jobs) == total
        pages_first = _api(await ctl.new_requests()).count(("GET", CO_LIST))
        assert pages_first >= total // 5  # the whole list on the first poll

        await poller.poll_once()
        assert _api(await ctl.new_requests()) == [("GET", CO_LIST)]  # nothing newer

        created = await client.submit_custom_object_job("vehicle", "default", "delete")
        await ctl.mark()
        third = await poller.poll_once()
        # The new job is on page 1; page 2 is all known and finished, so paging stops.
        assert _api(await ctl.new_requests()) == [("GET", CO_LIST)] * 2
        assert third.jobs[created.key].state.is_active
        assert len(third.jobs) == total + 1

        await ctl.advance(600)  # less than the token's life: no 401 + refresh in the log
        fourth = await poller.poll_once()
        assert _api(await ctl.new_requests()) == [("GET", CO_LIST)]
        assert fourth.jobs[created.key].state.is_terminal
        transitions = diff_snapshots(third, fourth).terminal
        assert [t.job.id for t in transitions] == [created.id]


async def test_aqua_jobs_are_polled_until_terminal_then_not(
    make_sim: Callable[..., Any],
) -> None:
    server = make_sim()
    ctl = SimCtl(server)
    async with open_client(server) as client:
        job = await client.create_aqua_job(AQUA_BODY)
        poller = JobPoller(client, families=[Family.AQUA], clock=Clock())
        empty = await poller.poll_once()
        assert empty.jobs == {}
        assert empty.families[Family.AQUA].state == "ok"

        poller.watch_aqua(job.id)
        await ctl.mark()
        running = await poller.poll_once()
        assert _api(await ctl.new_requests()) == [("GET", AQUA_GET + job.id)]
        assert running.jobs[job.key].state.is_active

        await ctl.advance(120)
        done = await poller.poll_once()
        assert done.jobs[job.key].state is JobState.SUCCEEDED
        assert _api(await ctl.new_requests()) == [("GET", AQUA_GET + job.id)]

        for _ in range(3):
            again = await poller.poll_once()
            assert again.jobs[job.key].state is JobState.SUCCEEDED
        assert _api(await ctl.new_requests()) == []  # terminal: never polled again

        # An id the server does not know is dropped after one try, without fuss.
        ghost = "0" * 32
        poller.watch_aqua(ghost)
        after = await poller.poll_once()
        assert _api(await ctl.new_requests()) == [("GET", AQUA_GET + ghost)]
        assert ghost not in poller.aqua_ids
        assert after.families[Family.AQUA].state == "ok"
        await poller.poll_once()
        assert _api(await ctl.new_requests()) == []

        poller.forget_aqua(job.id)
        gone = await poller.poll_once()
        assert gone.jobs == {}
        assert [j.id for j in diff_snapshots(again, gone).removed] == [job.id]


async def test_propagation_404_is_skipped_quietly(make_sim: Callable[..., Any]) -> None:
    server = make_sim(jobs=20)
    ctl = SimCtl(server)
    await ctl.configure(propagation_read_api=False)
    async with open_client(server) as client:
        poller = JobPoller(client, clock=Clock())
        await ctl.mark()
        first = await poller.poll_once()
        assert first.families[Family.PROPAGATION].state == "unsupported"
        assert first.families[Family.PROPAGATION].error is None
        assert not first.is_stale(Family.PROPAGATION)
        assert first.fatal is None
        assert first.families[Family.DATA_BACKFILL].state == "ok"
        assert list(first.jobs_of(Family.PROPAGATION)) == []
        assert ("GET", PROP_LIST) in await ctl.new_requests()
        second = await poller.poll_once()
        requests = await ctl.new_requests()
        assert ("GET", PROP_LIST) not in requests
        assert ("GET", DB_LIST) in requests
        assert second.families[Family.PROPAGATION].state == "unsupported"


async def test_stale_and_recover_under_500s_and_drops(make_sim: Callable[..., Any]) -> None:
    server = make_sim(jobs=30)
    ctl = SimCtl(server)
    clock = Clock()
    # One retry inside the client, so two injected failures exhaust it.
    async with open_client(server, max_retries=1) as client:
        poller = JobPoller(
            client, families=[Family.BOOKING_DATE, Family.CUSTOM_OBJECT], clock=clock
        )
        good = await poller.poll_once()
        co_jobs = dict(good.jobs)
        assert any(f is Family.CUSTOM_OBJECT for f, _ in co_jobs)

        clock.now += 5
        await ctl.fault(f"GET {CO_LIST}*", "status", status=500, times=2)
        stale = await poller.poll_once()
        status = stale.families[Family.CUSTOM_OBJECT]
        assert status.state == "stale"
        assert stale.is_stale(Family.CUSTOM_OBJECT)
        assert status.error is not None
        assert "500" in status.error
        assert status.as_of == good.polled_at  # the age of the data still shown
        assert stale.families[Family.BOOKING_DATE].state == "ok"
        assert stale.families[Family.BOOKING_DATE].as_of == clock.now
        assert dict(stale.jobs) == co_jobs  # last data kept, nothing removed
        assert diff_snapshots(good, stale).removed == ()
        assert stale.fatal is None
        assert next_interval(stale, poller.settings) == poller.settings.active_s

        clock.now += 5
        recovered = await poller.poll_once()
        assert recovered.families[Family.CUSTOM_OBJECT].state == "ok"
        assert recovered.families[Family.CUSTOM_OBJECT].error is None
        assert recovered.families[Family.CUSTOM_OBJECT].as_of == clock.now

        clock.now += 5
        await ctl.fault(f"GET {BD_LIST}", "drop", times=2)
        dropped = await poller.poll_once()
        bd = dropped.families[Family.BOOKING_DATE]
        assert bd.state == "stale"
        assert bd.error is not None
        assert bd.error.startswith("Connection problem")
        assert bd.as_of == recovered.polled_at
        assert dropped.families[Family.CUSTOM_OBJECT].state == "ok"
        assert len(list(dropped.jobs_of(Family.BOOKING_DATE))) == len(
            list(recovered.jobs_of(Family.BOOKING_DATE))
        )

        clock.now += 5
        back = await poller.poll_once()
        assert all(s.state == "ok" for s in back.families.values())


async def test_429_holds_polling_for_retry_after(make_sim: Callable[..., Any]) -> None:
    server = make_sim()
    ctl = SimCtl(server)
    clock = Clock()
    async with open_client(server, max_retries=0) as client:
        await client.list_booking_date_jobs()  # get the token out of the way
        await ctl.fault(f"GET {BD_LIST}", "rate_limit", times=1)
        sleeps = SleepLog()
        seen: list[JobSnapshot] = []

        def on_snapshot(snapshot: JobSnapshot) -> None:
            seen.append(snapshot)
            if snapshot.families[Family.BOOKING_DATE].state == "ok":
                poller.stop()

        async def sleep_and_move(seconds: float) -> None:
            await sleeps(seconds)
            clock.now += seconds

        poller = JobPoller(
            client,
            families=[Family.BOOKING_DATE, Family.DATA_BACKFILL],
            on_snapshot=on_snapshot,
            # The 429 also says the budget is spent; keep that pace below Retry-After.
            settings=PollSettings(low_budget_s=10),
            clock=clock,
            sleep=sleep_and_move,
        )
        await ctl.mark()
        limited = await poller.poll_once()
        status = limited.families[Family.BOOKING_DATE]
        assert status.state == "rate_limited"
        assert status.retry_at is not None
        retry_after = status.retry_at - clock.now
        assert retry_after >= 1  # the Retry-After; a first jittered step is < 1 s
        assert status.error is not None
        assert "429" in status.error
        # Limits are per tenant: the other family was not even asked this tick.
        assert _api(await ctl.new_requests()) == [("GET", BD_LIST)]
        assert limited.families[Family.DATA_BACKFILL].state == "pending"
        assert next_interval(limited, poller.settings) == pytest.approx(retry_after)

        # A refresh inside the hold sends nothing.
        clock.now += 1
        held = await poller.poll_once()
        assert _api(await ctl.new_requests()) == []
        assert held.families[Family.BOOKING_DATE].state == "rate_limited"

        # The loop waits out the rest of the server's delay, then polls normally.
        seen.clear()
        await asyncio.wait_for(poller.run(), 5)
    assert sleeps.calls == [pytest.approx(retry_after - 1)]
    # Both families wait out the hold (the held tick already read what it could), then
    # one poll reads them both.
    assert len(seen) == 1
    assert seen[-1].families[Family.BOOKING_DATE].state == "ok"
    assert seen[-1].families[Family.DATA_BACKFILL].state == "ok"


async def test_low_budget_slows_polling(make_sim: Callable[..., Any]) -> None:
    server = make_sim(rate_limit_minute=20)
    async with open_client(server) as client:
        settings = PollSettings(active_s=5, idle_s=60, low_budget_s=300)
        poller = JobPoller(client, settings=settings, families=[Family.DATA_BACKFILL])
        first = await poller.poll_once()
        assert first.budget.limit == 20
        assert next_interval(first, settings) == 60
        snapshot = first
        while (snapshot.budget.remaining or 0) >= 2:
            snapshot = await poller.poll_once()
        assert snapshot.budget.fraction_remaining is not None
        assert snapshot.budget.fraction_remaining < 0.1
        # The minute window refills before low_budget_s: wait until just after that.
        reset_at = snapshot.budget.reset_at
        assert reset_at is not None
        wait = next_interval(snapshot, settings)
        assert 5 < wait <= 61
        assert wait == pytest.approx(reset_at - snapshot.polled_at + 1.0)


async def test_daily_call_budget_paces_polling(make_sim: Callable[..., Any]) -> None:
    """A profile's daily call budget: polls spaced so the projection stays within it."""
    server = make_sim(jobs=30)
    async with open_client(server) as client:
        settings = PollSettings(active_s=5, idle_s=60, daily_call_budget=17_280)
        poller = JobPoller(
            client, settings=settings, families=[Family.DATA_BACKFILL, Family.BOOKING_DATE]
        )
        for _ in range(3):
            snapshot = await poller.poll_once()
        per_poll = snapshot.budget.calls_per_poll
        assert per_poll is not None
        # One list call per family: the first poll's extra token call does not skew it.
        assert per_poll == 2
        interval = next_interval(snapshot, settings)
        assert interval == pytest.approx(per_poll * 86400 / 17_280)
        assert interval > settings.active_s
        projection = snapshot.budget.calls_per_day_projection
        assert projection is not None
        assert projection <= 17_280 + 1e-6


async def test_expired_token_is_refreshed_silently(make_sim: Callable[..., Any]) -> None:
    server = make_sim(jobs=10)
    ctl = SimCtl(server)
    async with open_client(server) as client:
        poller = JobPoller(client, families=[Family.DATA_BACKFILL], clock=Clock())
        await poller.poll_once()
        await ctl.fault("*", "expire_tokens")
        await ctl.mark()
        snapshot = await poller.poll_once()
        assert snapshot.families[Family.DATA_BACKFILL].state == "ok"
        assert snapshot.fatal is None
        assert ("POST", TOKEN) in await ctl.new_requests()


async def test_bad_credentials_stop_polling_with_one_message(
    make_sim: Callable[..., Any],
) -> None:
    server = make_sim(jobs=10)
    ctl = SimCtl(server)
    sleeps = SleepLog()
    async with open_client(server, client_secret=Secret("not-the-secret")) as client:
        seen: list[JobSnapshot] = []
        poller = JobPoller(client, on_snapshot=seen.append, clock=Clock(), sleep=sleeps)
        task = asyncio.create_task(poller.run())
        for _ in range(200):
            if seen:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # would be enough for a runaway loop to show
        assert not task.done()
        poller.stop()
        await asyncio.wait_for(task, 2)
    assert len(seen) == 1
    snapshot = seen[0]
    assert snapshot.fatal is not None
    assert "refused the client credentials" in snapshot.fatal
    assert "Fix the profile's client_id and secret" in snapshot.fatal
    assert "not-the-secret" not in snapshot.fatal
    assert all(s.state == "auth_error" for s in snapshot.families.values())
    assert sleeps.calls == []  # no paced retry: polling stopped
    requests = await ctl.requests()
    assert [(r["method"], r["path"]) for r in requests] == [("POST", TOKEN)]
    assert next_interval(snapshot, PollSettings()) == float("inf")


async def test_restricting_to_job_ids(make_sim: Callable[..., Any]) -> None:
    server = make_sim(jobs=30)
    async with open_client(server) as client:
        wanted = (await client.list_data_backfill_jobs())[0]
        poller = JobPoller(
            client,
            families=[Family.DATA_BACKFILL, Family.BOOKING_DATE],
            job_ids={wanted.id},
            clock=Clock(),
        )
        snapshot = await poller.poll_once()
        assert list(snapshot.jobs) == [wanted.key]
        assert set(snapshot.families) == {Family.DATA_BACKFILL, Family.BOOKING_DATE}


async def test_missing_permission_disables_only_that_family(
    make_sim: Callable[..., Any],
) -> None:
    server = make_sim(jobs=20, co_permissions=("edit", "delete"))
    ctl = SimCtl(server)
    async with open_client(server) as client:
        poller = JobPoller(
            client, families=[Family.BOOKING_DATE, Family.CUSTOM_OBJECT], clock=Clock()
        )
        first = await poller.poll_once()
        co = first.families[Family.CUSTOM_OBJECT]
        assert co.state == "auth_error"
        assert co.error is not None
        assert co.error.startswith("Permission denied")
        assert first.families[Family.BOOKING_DATE].state == "ok"
        assert first.fatal is None  # the rest of the board keeps working
        await ctl.mark()
        await poller.poll_once()
        assert _api(await ctl.new_requests()) == [("GET", BD_LIST)]


async def test_headless_style_ticks_until_watched_jobs_finish(
    make_sim: Callable[..., Any],
) -> None:
    """`ztui watch ID...`: one family set, a few ids, one tick at a time, same pacing."""
    server = make_sim()
    ctl = SimCtl(server)
    async with open_client(server) as client:
        booking = await client.create_booking_date_job()
        aqua = await client.create_aqua_job(AQUA_BODY)
        poller = JobPoller(
            client,
            families=[Family.BOOKING_DATE, Family.AQUA],
            aqua_ids=[aqua.id],
            job_ids={booking, aqua.id},
            clock=Clock(),
        )
        ticks = 0
        while True:
            snapshot = await poller.poll_once()
            ticks += 1
            if not snapshot.any_active:
                break
            await ctl.advance(next_interval(snapshot, poller.settings))
            assert ticks < 50
    assert {key[1] for key in snapshot.jobs} == {booking, aqua.id}
    assert all(job.state is JobState.SUCCEEDED for job in snapshot.jobs.values())
    assert next_interval(snapshot, poller.settings) == poller.settings.idle_s


async def test_first_poll_shows_a_first_page_before_anything_else(
    make_sim: Callable[..., Any],
) -> None:
    """With `shown`, the first poll reads the paged list first and publishes its first
    page at once, awaiting `shown` before it reads on; the board then fills as before."""
    server = make_sim(jobs=400)
    ctl = SimCtl(server)
    async with open_client(server) as client:
        seen: list[JobSnapshot] = []
        shown_at: list[int] = []

        async def shown() -> None:
            shown_at.append(len(seen))

        poller = JobPoller(client, on_snapshot=seen.append, clock=Clock(), shown=shown)
        await poller.poll_once()
        first = seen[0]
        assert shown_at == [1]
        assert {family for family, _ in first.jobs} == {Family.CUSTOM_OBJECT}
        assert len(first.jobs) == poller.settings.co_page_size
        assert not first.complete
        assert seen[-1].complete
        assert len(seen[-1].jobs) > len(first.jobs)
        paths = [path for _method, path in _api(await ctl.new_requests())]
        assert paths[0] == CO_LIST
        # Without `shown` the first poll keeps the usual order: short lists first.
        seen.clear()
        other = JobPoller(client, on_snapshot=seen.append, clock=Clock())
        await other.poll_once()
        assert {family for family, _ in seen[0].jobs} == {Family.BOOKING_DATE}
