"""Creates through a hub: the viewer confirms and makes the keys, the hub sends once."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.hub.conftest import TOKEN
from tests.hub.test_viewer import _attached, viewer
from tests.ui.test_detail_support import notes, requests_log, wait_until
from ztui.hub import VIEWER_HEADER
from ztui.hub.creates import CreateStep, create_request, decode_create_outcome
from ztui.ops.submit import BookingDateSpec, DataBackfillSpec, Submission, UploadFile
from ztui.store.journal import Journal

pytestmark = pytest.mark.anyio

HEADERS = {"Authorization": f"Bearer {TOKEN}", VIEWER_HEADER: "ops@desk"}
CSV = b"ProductRatePlanChargeId,ProductFamily\n" + b"".join(
    f"{i:032x},Hardware\n".encode() for i in range(1, 4)
)


def _post(
    hub: Any, sub: Submission, step: CreateStep = "submit", confirm: str | None = None
) -> Any:
    response = httpx.post(
        hub.url + "/api/create",
        content=create_request(sub, step, confirm),
        headers=HEADERS,
        timeout=30,
    )
    return response


async def _creates(sim: Any, path: str) -> list[dict[str, Any]]:
    return [r for r in await requests_log(sim) if r["method"] == "POST" and r["path"] == path]


async def test_a_create_is_made_once_and_journalled_with_the_viewer(
    make_sim: Callable[..., Any], make_hub: Callable[..., Any], tmp_path: Path
) -> None:
    sim = make_sim(jobs=0)
    hub = make_hub(sim, allow_writes=True)
    sub = Submission(BookingDateSpec())
    response = _post(hub, sub)
    assert response.status_code == 200
    outcome = decode_create_outcome(response.content, sub, None)
    assert outcome.kind == "created"
    assert outcome.job_id
    again = decode_create_outcome(_post(hub, sub).content, sub, None)
    assert again.job_id == outcome.job_id
    assert again.message.startswith("Already sent once")
    assert len(await _creates(sim, "/v1/uno/data-backfill/bookingdate/jobs")) == 1
    entries = Journal(tmp_path / "hub-journal.jsonl").read()
    assert [(e.action, e.outcome) for e in entries] == [("create", "sending"), ("create", "ok")]
    assert {e.extra["viewer"] for e in entries} == {"ops@desk"}
    assert {e.extra["attempt"] for e in entries} == {sub.attempt}


async def test_an_upload_arrives_intact_or_not_at_all(
    make_sim: Callable[..., Any], make_hub: Callable[..., Any]
) -> None:
    sim = make_sim(jobs=0)
    hub = make_hub(sim, allow_writes=True)
    upload = UploadFile(
        name="prpc.csv",
        size=len(CSV),
        md5=hashlib.md5(CSV).hexdigest(),
        sha256=hashlib.sha256(CSV).hexdigest(),
        rows=3,
        payload=CSV,
    )
    sub = Submission(DataBackfillSpec("ProductRatePlanCharge", upload))
    body = json.loads(create_request(sub, "submit", None))
    body["spec"]["file"]["payload"] = body["spec"]["file"]["payload"][:-8] + "AAAAAAA="
    tampered = httpx.post(hub.url + "/api/create", json=body, headers=HEADERS)
    assert tampered.status_code == 400
    assert "not the file that was checked" in tampered.text
    assert await _creates(sim, "/v1/uno/data-backfill/jobs") == []
    outcome = decode_create_outcome(_post(hub, sub).content, sub, None)
    assert outcome.kind == "created", outcome.message
    assert len(await _creates(sim, "/v1/uno/data-backfill/jobs")) == 1


async def test_creates_need_allow_writes_and_the_token(
    make_sim: Callable[..., Any], make_hub: Callable[..., Any]
) -> None:
    sim = make_sim(jobs=0)
    read_only = make_hub(sim)
    sub = Submission(BookingDateSpec())
    outcome = decode_create_outcome(_post(read_only, sub).content, sub, None)
    assert outcome.kind == "not_sent"
    assert "--allow-writes" in outcome.message
    writable = make_hub(sim, allow_writes=True)
    no_token = httpx.post(writable.url + "/api/create", content=create_request(sub, "submit", None))
    assert no_token.status_code == 401
    production = make_hub(sim, allow_writes=True, production=True)
    refused = decode_create_outcome(_post(production, sub).content, sub, None)
    assert "typed tenant name" in refused.message
    assert await _creates(sim, "/v1/uno/data-backfill/bookingdate/jobs") == []


async def test_a_viewer_creates_through_the_hub(
    make_sim: Callable[..., Any], make_hub: Callable[..., Any], tmp_path: Path
) -> None:
    sim = make_sim(jobs=0)
    hub = make_hub(sim, allow_writes=True)
    app = viewer(hub, token=TOKEN)
    seen: list[Any] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await _attached(pilot, hub)
        app.submissions.start(Submission(BookingDateSpec()))
        await wait_until(pilot, lambda: any("created" in n for n in notes(seen)), "the create")
        await wait_until(
            pilot, lambda: app.jobs is not None and len(app.jobs.jobs) == 1, "the new job"
        )
    assert len(await _creates(sim, "/v1/uno/data-backfill/bookingdate/jobs")) == 1
    entries = Journal(tmp_path / "hub-journal.jsonl").read()
    assert {e.extra["viewer"] for e in entries} == {"tester@box"}
    assert not Journal().read()


async def test_a_read_only_hub_offers_no_new_job(make_hub: Callable[..., Any]) -> None:
    hub = make_hub()
    app = viewer(hub)
    seen: list[Any] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await _attached(pilot, hub)
        await pilot.press("u")
        await pilot.pause(0.2)
        assert any(
            f"The hub at {hub.url} is read-only; start it with --allow-writes" in n
            for n in notes(seen)
        )
