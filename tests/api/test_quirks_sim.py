"""The client against both simulator modes: the strict default and the real-tenant mode.

In real-tenant mode (`ztui sim --quirks`) every list holds odd types and timestamps and
one unreadable entry; the client lists every readable job of every family, the
unreadable entry as a job of its own, and reads the refusals the mode sends.
"""

from __future__ import annotations

from typing import Any

import pytest

from ztui.api.errors import BadRequest, RateLimited
from ztui.api.models import Family, JobState
from ztui.sim import quirks

from .helpers import OpenClient, SimControl, SleepRecorder

pytestmark = pytest.mark.anyio

LISTED = (Family.DATA_BACKFILL, Family.BOOKING_DATE, Family.PROPAGATION, Family.CUSTOM_OBJECT)


def _wire_id(job: dict[str, Any]) -> str:
    return str(job.get("id") or job.get("Id"))


@pytest.mark.parametrize("mode", ["strict", "quirks"])
async def test_every_readable_job_of_every_family(
    make_sim: Any, open_client: OpenClient, mode: str
) -> None:
    server = make_sim(jobs=300, quirks=mode == "quirks")
    wire = await SimControl(server).jobs()
    async with open_client(server) as client:
        for family in LISTED:
            jobs = await client.list_jobs(family)
            readable = {j.id for j in jobs if j.state is not JobState.UNREADABLE}
            unreadable = [j for j in jobs if j.state is JobState.UNREADABLE]
            assert readable == {_wire_id(j) for j in wire[family.value]}, family
            assert len(unreadable) == (1 if mode == "quirks" else 0), family
            # Every readable job has its times (odd forms included) and counters read.
            assert all(j.created_at is not None for j in jobs if j.id in readable), family


async def test_the_unreadable_entries_keep_their_ids(
    make_sim: Any, open_client: OpenClient
) -> None:
    server = make_sim(jobs=60, quirks=True)
    async with open_client(server) as client:
        booking = await client.list_jobs(Family.BOOKING_DATE)
        custom = await client.list_jobs(Family.CUSTOM_OBJECT)
        data = await client.list_jobs(Family.DATA_BACKFILL)
    [odd_booking] = [j for j in booking if j.unreadable is not None]
    assert odd_booking.id == quirks.UNREADABLE_BOOKING_ID
    [odd_co] = [j for j in custom if j.unreadable is not None]
    assert odd_co.id == quirks.UNREADABLE_CO_ID
    [odd_db] = [j for j in data if j.unreadable is not None]
    assert odd_db.unreadable is not None
    assert odd_db.unreadable.job_id is None
    assert odd_db.unreadable.value == quirks.UNREADABLE["data_backfill"]


async def test_the_data_backfill_list_uses_the_spelling_that_answers(
    make_sim: Any, open_client: OpenClient
) -> None:
    server = make_sim(jobs=20, quirks=True)
    ctl = SimControl(server)
    async with open_client(server) as client:
        await client.list_data_backfill_jobs()
        await client.list_data_backfill_jobs()
    lists = [f"{r['method']} {r['path']}" for r in await ctl.requests() if "listjobs" in r["path"]]
    assert lists == [
        "GET /v1/uno/data-backfill/listjobs",
        "GET /v1/uno/date-backfill/listjobs",
        "GET /v1/uno/date-backfill/listjobs",
    ]


async def test_a_v1_refusal_shows_the_server_message(
    make_sim: Any, open_client: OpenClient
) -> None:
    server = make_sim(jobs=0, quirks=True)
    async with open_client(server) as client:
        job_id = await client.create_booking_date_job()
        await SimControl(server).outcome(job_id, "completed")
        await SimControl(server).advance(3600)
        with pytest.raises(BadRequest) as caught:
            await client.stop_booking_date_job(job_id)
    error = caught.value
    assert error.code is not None
    assert error.code.endswith("30")
    assert error.message
    assert "{" not in error.message  # the server's words, not a JSON excerpt
    assert error.body_excerpt is None


async def test_a_429_with_only_rate_limit_reset_waits_that_long(
    make_sim: Any, open_client: OpenClient
) -> None:
    server = make_sim(jobs=0, quirks=True, rate_limit_minute=2)
    sleep = SleepRecorder(SimControl(server))
    async with open_client(server, sleep=sleep, max_retry_wait=120.0) as client:
        for _ in range(3):
            await client.list_booking_date_jobs()
    assert sleep.calls
    assert sleep.calls[0] >= 1  # RateLimit-Reset seconds, not an immediate retry


async def test_aqua_segments_and_version_12(
    make_sim: Any, open_client: OpenClient, tmp_path: Any
) -> None:
    server = make_sim(jobs=0, quirks=True)
    queries = [{"query": f"select Id from Account where n = {i}", "type": "zoql"} for i in range(9)]
    body = {"format": "csv", "version": "1.2", "queries": queries}
    async with open_client(server) as client:
        job = await client.create_aqua_job(body)
        await SimControl(server).advance(600)
        done = await client.get_aqua_job(job.id)
        batches = await client.get_aqua_batches(done)
        split = [b for b in batches if b.segments]
        assert split
        for index, file_id in enumerate(split[0].segments):
            path = await client.download_file(file_id, tmp_path / f"part{index}.csv")
            assert path.read_text().splitlines()[0]
    assert done.state is JobState.SUCCEEDED


async def test_rate_limited_is_still_raised_past_the_wait_cap(
    make_sim: Any, open_client: OpenClient
) -> None:
    server = make_sim(jobs=0, quirks=True, rate_limit_minute=1)
    async with open_client(server, max_retry_wait=0.0) as client:
        await client.list_booking_date_jobs()
        with pytest.raises(RateLimited) as caught:
            await client.list_booking_date_jobs()
    assert caught.value.retry_after is None
    assert caught.value.reset is not None
