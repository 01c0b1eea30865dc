"""The watcher under docs/tolerance.md: unreadable jobs and unusable answers.

The real client runs against a scripted tenant (`tests.api.mock_tenant`), so every
answer is exactly what a test chose.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.mock_tenant import answer, tenant
from ztui.api.models import Family, JobState
from ztui.service.pacing import PollSettings, next_interval
from ztui.service.poller import JobPoller

pytestmark = pytest.mark.anyio

HEX_A = "a" * 32
HEX_B = "b" * 32
SETTINGS = PollSettings(active_s=5.0, idle_s=60.0)


def _booking(job_id: str, status: str = "COMPLETED", **extra: Any) -> dict[str, Any]:
    return {"id": job_id, "status": status, "type": "BookingDate", **extra}


async def test_family_is_ok_and_counts_its_unreadable_jobs() -> None:
    body = {
        "success": True,
        "jobs": [_booking(HEX_A), _booking(HEX_B, batchSentCount=[1]), {"status": "odd"}],
    }
    async with tenant(lambda _r: answer(200, body)) as (client, _rec):
        poller = JobPoller(client, families=[Family.BOOKING_DATE], settings=SETTINGS)
        snapshot = await poller.poll_once()
        status = snapshot.families[Family.BOOKING_DATE]
        assert status.state == "ok"
        assert status.unreadable == 2
        states = sorted(job.state.value for job in snapshot.jobs.values())
        assert states == ["succeeded", "unreadable", "unreadable"]
        # Unreadable jobs do not keep the watcher at its fast pace.
        assert next_interval(snapshot, SETTINGS) == SETTINGS.idle_s
        # Their detail is their list entry: nothing to fetch.
        before = len(_rec.requests)
        odd = await poller.fetch_detail(Family.BOOKING_DATE, HEX_B)
        assert odd.state is JobState.UNREADABLE
        assert len(_rec.requests) == before


async def test_an_unusable_answer_marks_the_family_error_at_the_usual_pace() -> None:
    answers = [answer(200, {"success": True, "jobs": [_booking(HEX_A, "PROCESSING")]})]

    def handler(_request: httpx.Request) -> httpx.Response:
        return answers.pop(0) if answers else answer(200, b"<html>maintenance</html>")

    async with tenant(handler) as (client, rec):
        poller = JobPoller(client, families=[Family.BOOKING_DATE], settings=SETTINGS)
        await poller.poll_once()
        snapshot = await poller.poll_once()
        status = snapshot.families[Family.BOOKING_DATE]
        assert status.state == "error"
        assert not status.is_stale
        assert status.error
        assert "JSON" in status.error
        # The last good data is kept.
        assert snapshot.get(Family.BOOKING_DATE, HEX_A) is not None
        # One request per poll: the malformed answer was not asked again.
        assert len(rec.requests) == 2


async def test_server_errors_still_make_the_family_stale() -> None:
    async with tenant(lambda _r: answer(503, {"message": "down"}), max_retries=0) as (
        client,
        _rec,
    ):
        poller = JobPoller(client, families=[Family.BOOKING_DATE], settings=SETTINGS)
        snapshot = await poller.poll_once()
    assert snapshot.families[Family.BOOKING_DATE].state == "stale"


async def test_an_aqua_job_that_cannot_be_read_is_its_own_row() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(HEX_A):
            return answer(200, {"id": HEX_A, "status": "executing", "batches": "?"})
        return answer(200, {"id": HEX_B, "status": "completed", "batches": []})

    async with tenant(handler) as (client, _rec):
        poller = JobPoller(client, families=[Family.AQUA], aqua_ids=[HEX_A, HEX_B])
        snapshot = await poller.poll_once()
    assert snapshot.families[Family.AQUA].state == "ok"
    assert snapshot.families[Family.AQUA].unreadable == 1
    odd = snapshot.get(Family.AQUA, HEX_A)
    assert odd is not None
    assert odd.state is JobState.UNREADABLE
    done = snapshot.get(Family.AQUA, HEX_B)
    assert done is not None
    assert done.state is JobState.SUCCEEDED


def _co_id(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def _capped_pages(total: int, cap: int, repeat: bool = False) -> Any:
    jobs = [{"Id": _co_id(n), "status": "completed"} for n in range(total, 0, -1)]

    def handler(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        start = 0 if cursor is None else [j["Id"] for j in jobs].index(cursor) + 1
        page = jobs[start : start + cap]
        next_cursor = page[-1]["Id"] if page else None
        if repeat and cursor is not None:
            next_cursor = cursor
        return answer(200, {"count": len(page), "cursor": next_cursor, "jobs": page})

    return handler


async def test_the_watcher_reads_every_page_of_a_tenant_capping_pages_at_20() -> None:
    async with tenant(_capped_pages(130, cap=20)) as (client, _rec):
        poller = JobPoller(client, families=[Family.CUSTOM_OBJECT], settings=SETTINGS)
        snapshot = await poller.poll_once()
    assert len(list(snapshot.jobs_of(Family.CUSTOM_OBJECT))) == 130
    assert snapshot.families[Family.CUSTOM_OBJECT].warning is None


async def test_the_watcher_stops_at_a_repeated_cursor_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with tenant(_capped_pages(130, cap=20, repeat=True)) as (client, rec):
        poller = JobPoller(client, families=[Family.CUSTOM_OBJECT], settings=SETTINGS)
        first = await poller.poll_once()
        second = await poller.poll_once()
    status = first.families[Family.CUSTOM_OBJECT]
    assert status.state == "ok"
    assert status.warning is not None
    assert "second time" in status.warning
    assert len(list(first.jobs_of(Family.CUSTOM_OBJECT))) == 40
    # The next poll finds nothing new on page 1 and stops there; the jobs are kept.
    assert len(list(second.jobs_of(Family.CUSTOM_OBJECT))) == 40
    assert sum("second time" in r.getMessage() for r in caplog.records) == 1
    assert len(rec.requests) == 3


@pytest.mark.parametrize("mode", ["strict", "quirks"])
async def test_the_watcher_against_both_simulator_modes(make_sim: Any, mode: str) -> None:
    """Every readable job of every listed family; no family failing; unreadable counted."""
    from tests.api.helpers import SimControl, demo_credentials
    from ztui.api.client import ZuoraClient

    server = make_sim(jobs=300, quirks=mode == "quirks")
    wire = await SimControl(server).jobs()
    async with ZuoraClient(server.base_url, **demo_credentials()) as client:
        poller = JobPoller(client, aqua_ids=server.sim.aqua_job_ids())
        snapshot = await poller.poll_once()
    for family, status in snapshot.families.items():
        assert status.state == "ok", (family, status)
        expected = 1 if mode == "quirks" and family is not Family.AQUA else 0
        assert status.unreadable == expected, family
        readable = {j.id for j in snapshot.jobs_of(family) if j.state is not JobState.UNREADABLE}
        assert readable == {str(j.get("id") or j.get("Id")) for j in wire[family.value]}


def test_a_family_in_error_is_polled_at_the_usual_pace() -> None:
    from .helpers import snap

    error = snap(state="error")
    stale = snap(state="stale")
    assert next_interval(error, SETTINGS) == SETTINGS.idle_s
    assert next_interval(stale, SETTINGS) == SETTINGS.active_s


def test_an_unreadable_job_is_never_offered_for_stop() -> None:
    from ztui.api.models import unreadable_job
    from ztui.ops.stop import refusal_reason

    odd = unreadable_job(Family.BOOKING_DATE, {"id": HEX_A, "status": "PROCESSING", "x": []}, "?")
    assert refusal_reason(odd) == "ztui could not read this job, so it will not send a stop."
