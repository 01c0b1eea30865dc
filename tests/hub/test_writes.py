"""Writes through a hub: allowed only with --allow-writes and the token, made once by the
hub through `ztui.ops`, journalled in the hub's journal with the viewer that asked."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.hub.conftest import TOKEN
from tests.hub.test_viewer import _attached, _new_booking_job, viewer
from tests.service.simctl import open_client
from tests.ui.test_detail_support import notes, wait_until, writes_to
from ztui.api.models import Family
from ztui.dialogs.confirm import ConfirmDialog
from ztui.hub import VIEWER_HEADER, protocol
from ztui.store.journal import Journal
from ztui.widgets.job_table import JobTable

pytestmark = pytest.mark.anyio

BEARER = {"Authorization": f"Bearer {TOKEN}"}


async def test_a_stop_through_the_hub_is_sent_once_and_journalled_with_the_viewer(
    make_sim: Callable[..., Any], make_hub: Callable[..., Any], tmp_path: Path
) -> None:
    sim = make_sim(jobs=0)
    hub = make_hub(sim, allow_writes=True)
    app = viewer(hub, token=TOKEN)
    seen: list[Any] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await _attached(pilot, hub)
        assert not app.profile.read_only
        key = await _new_booking_job(pilot, sim, hub)
        table = app.screen.query_one(JobTable)
        await wait_until(pilot, lambda: table.cursor_key == key, "the cursor on the job")
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the dialog")
        await pilot.press("y", "y")
        await wait_until(pilot, lambda: key not in app.stops.pending_keys, "the stop")
        writes = await writes_to(sim, key[1])
        assert [(w["method"], w["status"]) for w in writes] == [("PUT", 200)]
        assert any("Stop requested" in n for n in notes(seen))
        await wait_until(
            pilot,
            lambda: app.jobs is not None and app.jobs.jobs[key].status != "ACCEPTED",
            "the stopped job on the board",
        )
    entries = [e for e in Journal(tmp_path / "hub-journal.jsonl").read() if e.job_id == key[1]]
    assert [(e.action, e.outcome) for e in entries] == [("stop", "sending"), ("stop", "ok")]
    assert {e.extra["viewer"] for e in entries} == {"tester@box"}
    assert {e.extra["viewer_address"] for e in entries} == {"127.0.0.1"}
    assert len({e.extra["attempt"] for e in entries}) == 1
    assert not Journal().read()  # the viewer's own journal holds nothing


async def test_a_stop_without_the_token_is_refused_and_sends_nothing(
    make_sim: Callable[..., Any], make_hub: Callable[..., Any]
) -> None:
    sim = make_sim(jobs=0)
    hub = make_hub(sim, allow_writes=True)
    app = viewer(hub)
    seen: list[Any] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await _attached(pilot, hub)
        key = await _new_booking_job(pilot, sim, hub)
        app.request_stop(key)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the dialog")
        await pilot.press("y")
        await wait_until(pilot, lambda: key not in app.stops.pending_keys, "the answer")
        assert any("refused this viewer's token" in n for n in notes(seen))
        assert await writes_to(sim, key[1]) == []


def _stop(hub: Any, key: tuple[Family, str], confirm: str | None) -> Any:
    response = httpx.post(
        hub.url + "/api/stop",
        content=protocol.stop_request(key, confirm),
        headers={**BEARER, VIEWER_HEADER: "ops@bastion\x1b[2J"},
        timeout=30,
    )
    assert response.status_code == 200
    return protocol.decode_stop_outcome(response.content, None)


async def _booking_job(sim: Any, hub: Any) -> tuple[Family, str]:
    async with open_client(sim) as client:
        job_id = await client.create_booking_date_job()
    key = (Family.BOOKING_DATE, job_id)
    hub.loop.call_soon_threadsafe(hub.hub.poller.refresh_now)
    return key


async def test_a_production_write_needs_the_typed_tenant_name(
    make_sim: Callable[..., Any], make_hub: Callable[..., Any], tmp_path: Path
) -> None:
    sim = make_sim(jobs=0)
    hub = make_hub(sim, allow_writes=True, production=True)
    info = protocol.decode_info(httpx.get(hub.url + "/api/hello").content)
    assert info.production
    assert info.tenant_name == "acme-prod"
    key = await _booking_job(sim, hub)
    for wrong in (None, "", "demo", "ACME-PROD"):
        outcome = _stop(hub, key, wrong)
        assert not outcome.sent
        assert "typed tenant name 'acme-prod'" in outcome.message
    assert await writes_to(sim, key[1]) == []
    outcome = _stop(hub, key, "acme-prod")
    assert outcome.sent
    assert outcome.ok
    assert len(await writes_to(sim, key[1])) == 1
    entries = [e for e in Journal(tmp_path / "hub-journal.jsonl").read() if e.job_id == key[1]]
    assert {e.extra["viewer"] for e in entries} == {"ops@bastion␛[2J"}


async def test_a_read_only_hub_refuses_a_posted_stop(
    make_sim: Callable[..., Any], make_hub: Callable[..., Any]
) -> None:
    sim = make_sim(jobs=0)
    hub = make_hub(sim)
    key = await _booking_job(sim, hub)
    outcome = _stop(hub, key, None)
    assert not outcome.sent
    assert "start it with --allow-writes" in outcome.message
    assert await writes_to(sim, key[1]) == []


async def test_two_viewers_stopping_one_job_send_one_stop(
    make_sim: Callable[..., Any], make_hub: Callable[..., Any]
) -> None:
    sim = make_sim(jobs=0)
    hub = make_hub(sim, allow_writes=True)
    key = await _booking_job(sim, hub)
    outcomes: list[Any] = []
    threads = [
        threading.Thread(target=lambda: outcomes.append(_stop(hub, key, None))) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(o.sent for o in outcomes) == 1
    assert len(await writes_to(sim, key[1])) == 1
