"""The hub's routes: facts, jobs, events, cached reads, and the token rule."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC
from typing import Any

import httpx
import pytest

from ztui.api.models import Family
from ztui.hub import protocol
from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from ztui.view.listing import jobs_listing

from .conftest import TOKEN, Stepper, wait_for

BEARER = {"Authorization": f"Bearer {TOKEN}"}


def _first_event(url: str, headers: dict[str, str] | None = None) -> str:
    """The data of the first `snapshot` event of `/api/events`."""
    with (
        httpx.Client(timeout=10) as http,
        http.stream("GET", url + "/api/events", headers=headers) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        event = ""
        for line in response.iter_lines():
            if line.startswith("event:"):
                event = line.partition(":")[2].strip()
            elif line.startswith("data:") and event == "snapshot":
                return line.partition(":")[2].strip()
    raise AssertionError("no snapshot event")


def _requests(sim: Any) -> list[tuple[str, str]]:
    body = httpx.get(sim.base_url + "/_sim/requests").json()
    return [(r["method"], r["path"]) for r in body["requests"]]


def test_hello_names_the_profile_and_no_secret(make_hub: Callable[..., Any]) -> None:
    hub = make_hub()
    response = httpx.get(hub.url + "/api/hello")
    assert response.status_code == 200
    info = protocol.decode_info(response.content)
    assert info.profile == "demo"
    assert info.environment == "simulator"
    assert info.read_only
    assert info.read_only_reason == "start it with --allow-writes"
    assert info.base_url.startswith("http://127.0.0.1:")
    assert DEMO_CLIENT_SECRET not in response.text
    assert DEMO_CLIENT_ID not in response.text


def test_events_start_with_the_current_snapshot(make_hub: Callable[..., Any]) -> None:
    hub = make_hub()
    wait_for(lambda: hub.hub.latest is not None and hub.hub.latest.complete, "a full poll")
    snapshot = protocol.decode_snapshot(_first_event(hub.url), UTC)
    assert snapshot.jobs
    assert snapshot.complete


def test_jobs_is_what_ztui_jobs_json_prints(make_hub: Callable[..., Any]) -> None:
    hub = make_hub()
    wait_for(lambda: hub.hub.latest is not None and hub.hub.latest.complete, "a full poll")
    listed = httpx.get(hub.url + "/api/jobs?all=1").json()
    latest = hub.hub.latest
    expected, _ = jobs_listing(latest.jobs.values(), hide_after_s=None, now=0.0)
    assert listed == expected
    assert {row["family"] for row in listed} >= {"data_backfill", "custom_object"}


def test_a_detail_read_by_many_viewers_is_fetched_once(
    make_sim: Callable[..., Any], make_hub: Callable[..., Any]
) -> None:
    sim = make_sim(jobs=12)
    hub = make_hub(sim)
    wait_for(lambda: hub.hub.latest is not None and hub.hub.latest.complete, "a full poll")
    job = next(j for j in hub.hub.latest.jobs.values() if j.family is Family.CUSTOM_OBJECT)
    path = f"/api/job/{job.family.value}/{job.id}"
    answers: list[httpx.Response] = []

    def read() -> None:
        answers.append(httpx.get(hub.url + path, timeout=10))

    threads = [threading.Thread(target=read) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answers.append(httpx.get(hub.url + path))
    assert all(a.status_code == 200 for a in answers)
    assert {protocol.decode_job_message(a.content, UTC) for a in answers} == {job}
    gets = [r for r in _requests(sim) if r == ("GET", f"/objects/jobs/{job.id}")]
    assert len(gets) == 1


def test_an_unknown_job_is_a_clear_404(make_hub: Callable[..., Any]) -> None:
    hub = make_hub()
    wait_for(lambda: hub.hub.latest is not None, "a poll")
    response = httpx.get(hub.url + "/api/job/custom_object/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404
    error = protocol.decode_failure(response.content)
    assert type(error).__name__ == "NotFound"
    assert httpx.get(hub.url + "/api/job/nonsense/x").status_code == 400


ROUTES = [
    ("GET", "/api/hello"),
    ("GET", "/api/events"),
    ("GET", "/api/jobs"),
    ("GET", "/api/job/aqua/0123"),
    ("GET", "/api/job/aqua/0123/errors"),
    ("GET", "/api/file/abc"),
    ("POST", "/api/refresh"),
    ("POST", "/api/aqua/0123"),
    ("POST", "/api/stop"),
    ("GET", "/api/nothing-here"),
]


@pytest.mark.parametrize("header", [None, "Bearer wrong-token-" + "y" * 30, f"Basic {TOKEN}"])
def test_off_loopback_every_route_wants_the_token(
    make_hub: Callable[..., Any], header: str | None
) -> None:
    hub = make_hub(token_required=True)
    headers = {"Authorization": header} if header else {}
    for method, path in ROUTES:
        response = httpx.request(method, hub.url + path, headers=headers, timeout=5)
        assert response.status_code == 401, (method, path)
        assert len(response.content) < 100
        assert "snapshot" not in response.text
    hello = httpx.get(hub.url + "/api/hello", headers=BEARER)
    assert hello.status_code == 200
    assert protocol.decode_info(hello.content).token_required
    assert _first_event(hub.url, BEARER)


def test_on_loopback_reads_are_open_and_writes_want_the_token(
    make_hub: Callable[..., Any],
) -> None:
    hub = make_hub(allow_writes=True)
    assert httpx.get(hub.url + "/api/hello").status_code == 200
    assert httpx.get(hub.url + "/api/jobs").status_code == 200
    body = protocol.stop_request((Family.AQUA, "0" * 32), None)
    for headers in ({}, {"Authorization": "Bearer nope"}):
        refused = httpx.post(hub.url + "/api/stop", content=body, headers=headers)
        assert refused.status_code == 401
    allowed = httpx.post(hub.url + "/api/stop", content=body, headers=BEARER)
    assert allowed.status_code == 200


def test_no_credential_of_the_tenant_reaches_the_wire(
    make_sim: Callable[..., Any], make_hub: Callable[..., Any]
) -> None:
    sim = make_sim(jobs=12)
    hub = make_hub(sim, allow_writes=True)
    wait_for(lambda: hub.hub.latest is not None and hub.hub.latest.complete, "a full poll")
    job = next(iter(hub.hub.latest.jobs.values()))
    wire = [
        httpx.get(hub.url + "/api/hello").text,
        httpx.get(hub.url + "/api/jobs?all=1").text,
        httpx.get(hub.url + f"/api/job/{job.family.value}/{job.id}").text,
        httpx.get(hub.url + f"/api/job/{job.family.value}/{job.id}/errors").text,
        httpx.post(
            hub.url + "/api/stop", content=protocol.stop_request(job.key, None), headers=BEARER
        ).text,
        _first_event(hub.url),
    ]
    tokens = list(sim.sim.tokens)
    assert tokens
    for text in wire:
        assert DEMO_CLIENT_SECRET not in text
        for token in tokens:
            assert token not in text
        assert TOKEN not in text


def _events(url: str, count: int, got: list[int], ready: threading.Event) -> None:
    with (
        httpx.Client(timeout=30) as http,
        http.stream("GET", url + "/api/events") as response,
    ):
        ready.set()
        for line in response.iter_lines():
            if line.startswith("data:"):
                got.append(protocol.decode_snapshot(line[5:].strip(), UTC).seq)
                if len(got) >= count:
                    return


def _seq_at_least(hub: Any, seq: int) -> Callable[[], bool]:
    return lambda: bool(hub.hub.latest.seq >= seq)


def _calls_with(make_sim: Callable[..., Any], make_hub: Callable[..., Any], viewers: int) -> int:
    """Zuora calls of a hub over a first poll and four paced ones, with `viewers` event
    streams open and each viewer reading one job's detail."""
    sim = make_sim(jobs=20, seed=3)
    stepper = Stepper()
    hub = make_hub(sim, sleep=stepper)
    wait_for(lambda: hub.hub.latest is not None and hub.hub.latest.complete, "a full poll")
    first = hub.hub.latest.seq
    polls = 4
    seen: list[list[int]] = [[] for _ in range(viewers)]
    readies = [threading.Event() for _ in range(viewers)]
    threads = [
        threading.Thread(target=_events, args=(hub.url, polls + 1, seen[n], readies[n]))
        for n in range(viewers)
    ]
    for thread in threads:
        thread.start()
    for ready in readies:
        assert ready.wait(10)
    wait_for(lambda: all(s for s in seen), "every viewer's first snapshot")
    job = next(j for j in hub.hub.latest.jobs.values() if j.family is Family.DATA_BACKFILL)
    for _ in range(viewers):
        assert httpx.get(hub.url + f"/api/job/data_backfill/{job.id}").status_code == 200
    for n in range(polls):
        stepper.step()
        wait_for(_seq_at_least(hub, first + n + 1), "the next poll")
    for thread in threads:
        thread.join(10)
    assert all(len(s) >= polls + 1 for s in seen)
    calls = [r for r in _requests(sim) if not r[1].startswith("/_sim")]
    assert len([r for r in calls if r[1].endswith(job.id)]) == 1
    return len(calls)


def test_viewers_cost_no_calls_beyond_one_watcher(
    make_sim: Callable[..., Any], make_hub: Callable[..., Any]
) -> None:
    """Over the same polls, three viewers cost the tenant what one does: one watcher's
    calls, and one fetch of a detail they all read."""
    one = _calls_with(make_sim, make_hub, 1)
    three = _calls_with(make_sim, make_hub, 3)
    assert one == three
    assert one > 5
