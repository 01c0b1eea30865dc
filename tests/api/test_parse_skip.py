"""A poll that returns the same jobs as the last one does not parse them again (issue #17).

Each list keeps its jobs by the text of their JSON (`JobParseCache`): an unchanged job
object comes back as the very `Job` of the last answer, and its `raw` is that text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import ztui.api.endpoints.custom_objects as co_endpoints
import ztui.api.endpoints.uno as uno_endpoints
from ztui.api.endpoints.common import JobParseCache
from ztui.api.models import Family, Job, JobState, RawJson
from ztui.families.booking_date import parse_booking_date_job
from ztui.families.custom_object import parse_custom_object_job
from ztui.families.data_backfill import parse_data_backfill_job

from .helpers import OpenClient, SimControl

pytestmark = pytest.mark.anyio


class Counting:
    """Wraps a family parser and counts its calls."""

    def __init__(self, parser: Callable[[object], Job]) -> None:
        self.parser = parser
        self.calls = 0

    def __call__(self, data: object) -> Job:
        self.calls += 1
        return self.parser(data)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, Counting]:
    parsers = {
        "data_backfill": Counting(parse_data_backfill_job),
        "booking_date": Counting(parse_booking_date_job),
        "custom_object": Counting(parse_custom_object_job),
    }
    monkeypatch.setattr(uno_endpoints, "parse_data_backfill_job", parsers["data_backfill"])
    monkeypatch.setattr(uno_endpoints, "parse_booking_date_job", parsers["booking_date"])
    monkeypatch.setattr(co_endpoints, "parse_custom_object_job", parsers["custom_object"])
    return parsers


async def test_second_identical_poll_parses_nothing(
    make_sim: Callable[..., Any], open_client: OpenClient, counted: dict[str, Counting]
) -> None:
    sim = make_sim(jobs=200, running=3)
    async with open_client(sim) as client:
        first = await client.list_data_backfill_jobs()
        assert counted["data_backfill"].calls == len(first) == 50
        second = await client.list_data_backfill_jobs()
        assert counted["data_backfill"].calls == 50  # not one job parsed again
        assert all(a is b for a, b in zip(first, second, strict=True))

        bookings = await client.list_booking_date_jobs()
        again = await client.list_booking_date_jobs()
        assert counted["booking_date"].calls == len(bookings) == 20
        assert [j.id for j in again] == [j.id for j in bookings]


async def test_changed_jobs_alone_are_parsed_again(
    make_sim: Callable[..., Any],
    open_client: OpenClient,
    counted: dict[str, Counting],
) -> None:
    sim = make_sim(jobs=200, running=3)
    async with open_client(sim) as client:
        first = {job.id: job for job in await client.list_data_backfill_jobs()}
        running = [job for job in first.values() if job.state is JobState.RUNNING]
        assert len(running) == 1
        await SimControl(sim).advance(5)
        second = {job.id: job for job in await client.list_data_backfill_jobs()}
        assert counted["data_backfill"].calls == 51  # the running job, once more
        moved = second[running[0].id]
        assert moved is not running[0]
        assert (moved.processed or 0) > (running[0].processed or 0)
        assert all(second[k] is job for k, job in first.items() if k != running[0].id)


async def test_custom_object_pages_skip_known_jobs(
    make_sim: Callable[..., Any], open_client: OpenClient, counted: dict[str, Counting]
) -> None:
    sim = make_sim(jobs=200, running=0)
    async with open_client(sim) as client:
        page = await client.list_custom_object_jobs(page_size=20)
        deeper = await client.list_custom_object_jobs(page_size=20, cursor=page.cursor)
        assert counted["custom_object"].calls == 40
        again = await client.list_custom_object_jobs(page_size=20)
        again_deeper = await client.list_custom_object_jobs(page_size=20, cursor=again.cursor)
        assert counted["custom_object"].calls == 40
        assert [j.id for j in again.jobs + again_deeper.jobs] == [
            j.id for j in page.jobs + deeper.jobs
        ]


async def test_listed_jobs_keep_their_json_text(
    make_sim: Callable[..., Any], open_client: OpenClient
) -> None:
    sim = make_sim(jobs=40)
    async with open_client(sim) as client:
        job = (await client.list_data_backfill_jobs())[0]
        assert isinstance(job.raw, RawJson)
        assert job.raw["id"] == job.id
        fetched = await client.get_data_backfill_job(job.id)
        # The list shape names the type `type`, the get shape `importType`.
        assert job.raw["type"] == fetched.raw["importType"] == job.kind
        assert job.raw == dict(job.raw) != {}


def test_cache_forgets_jobs_after_two_walks_and_on_a_zone_change() -> None:
    cache = JobParseCache()
    job = Job(
        family=Family.DATA_BACKFILL,
        id="a",
        kind="k",
        status="s",
        state=JobState.UNKNOWN,
    )
    cache.start_walk(None)
    cache.put("{}", job)
    cache.end_walk()
    cache.start_walk(None)
    assert cache.get("{}") is job
    cache.end_walk()
    cache.start_walk(None)
    cache.end_walk()
    cache.start_walk(None)
    assert cache.get("{}") is None
    cache.put("{}", job)
    cache.start_walk("Europe/Paris")
    assert cache.get("{}") is None
