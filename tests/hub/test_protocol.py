"""The hub's wire format: a snapshot survives the trip, and a bad message is refused in one
clear line (`HubProtocolError`), never with a traceback."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.service.simctl import open_client
from ztui.api.jsontext import MAX_DEPTH
from ztui.api.models import Family, Job, JobError, JobState, unreadable_job
from ztui.families.base import ActionKind
from ztui.hub import protocol
from ztui.hub.protocol import HubInfo, HubProtocolError
from ztui.ops.job_errors import FetchedErrors
from ztui.ops.stop import ActionOutcome
from ztui.service.poller import JobPoller
from ztui.service.snapshot import BudgetView, FamilyStatus, JobSnapshot

pytestmark = pytest.mark.anyio


async def _snapshot(server: Any, *, timezone: str | None = None) -> JobSnapshot:
    async with open_client(server, timezone=timezone) as client:
        poller = JobPoller(client, aqua_ids=server.recent_aqua_job_ids(5))
        return await poller.poll_once()


@pytest.mark.parametrize("quirks", [False, True])
async def test_a_simulator_snapshot_survives_the_trip(
    make_sim: Callable[..., Any], quirks: bool
) -> None:
    server = make_sim(jobs=80, quirks=quirks)
    snapshot = await _snapshot(server)
    assert len(snapshot.jobs) > 40
    assert {f for f, _ in snapshot.jobs} >= {Family.DATA_BACKFILL, Family.CUSTOM_OBJECT}
    back = protocol.decode_snapshot(protocol.encode_snapshot(snapshot), None)
    assert protocol.same_view(snapshot, back)
    assert back == snapshot or protocol.same_view(back, snapshot)
    for key, job in snapshot.jobs.items():
        assert back.jobs[key] == job
        assert json.dumps(back.jobs[key].raw, sort_keys=True) == json.dumps(
            dict(job.raw), sort_keys=True, default=str
        )


async def test_timestamps_without_a_zone_are_read_in_the_tenant_zone(
    make_sim: Callable[..., Any],
) -> None:
    server = make_sim(jobs=30, quirks=True)
    zone = "America/Los_Angeles"
    snapshot = await _snapshot(server, timezone=zone)
    back = protocol.decode_snapshot(protocol.encode_snapshot(snapshot), ZoneInfo(zone))
    assert all(back.jobs[k] == j for k, j in snapshot.jobs.items())


def _handmade() -> JobSnapshot:
    good = Job(
        family=Family.BOOKING_DATE,
        id="a" * 32,
        kind="BookingDate",
        status="Completed",
        state=JobState.SUCCEEDED,
        raw={"id": "a" * 32, "status": "Completed", "nested": {"deep": [1, 2.5, None]}},
    )
    parsed = protocol.decode_job(protocol.job_to_wire(good), UTC)
    bad = unreadable_job(Family.CUSTOM_OBJECT, {"id": 7, "status": ["odd"]}, "status is a list")
    odd = unreadable_job(Family.AQUA, ["not", "an", "object"], "not an object")
    return JobSnapshot(
        seq=9,
        jobs={parsed.key: parsed, bad.key: bad, odd.key: odd},
        families={
            Family.BOOKING_DATE: FamilyStatus(Family.BOOKING_DATE, "ok", as_of=100.0),
            Family.CUSTOM_OBJECT: FamilyStatus(
                Family.CUSTOM_OBJECT, "stale", as_of=90.0, error="HTTP 503", unreadable=1
            ),
            Family.AQUA: FamilyStatus(Family.AQUA, "rate_limited", retry_at=200.0),
        },
        budget=BudgetView(limit=100, remaining=40, reset_at=300.0, calls_made=12),
        polled_at=101.5,
        paused=True,
        fatal=None,
        unreachable="Cannot reach rest.example.com",
        started_at=50.0,
    )


def test_every_field_of_a_snapshot_survives_the_trip() -> None:
    snapshot = _handmade()
    back = protocol.decode_snapshot(protocol.encode_snapshot(snapshot), UTC)
    assert protocol.same_view(snapshot, back)
    assert back.budget == snapshot.budget
    assert back.unreachable == snapshot.unreachable
    assert back.paused
    assert back.seq == 9
    assert back.started_at == 50.0
    unreadable = [j for j in back.jobs.values() if j.state is JobState.UNREADABLE]
    assert len(unreadable) == 2
    assert {j.unreadable.reason for j in unreadable if j.unreadable} == {
        "status is a list",
        "not an object",
    }
    assert {j.unreadable.excerpt for j in unreadable if j.unreadable} == {
        j.unreadable.excerpt for j in snapshot.jobs.values() if j.unreadable
    }


def test_hub_info_and_outcomes_survive_the_trip() -> None:
    info = HubInfo(
        version="1.0",
        profile="prod",
        base_url="https://rest.zuora.com",
        environment="us-production",
        production=True,
        tenant_name="acme",
        timezone="Europe/Paris",
        read_only=False,
        read_only_reason=None,
        daily_call_budget=5000,
        poll_active_s=5.0,
        token_required=True,
    )
    assert protocol.decode_info(protocol.encode_info(info)) == info
    job = next(iter(_handmade().jobs.values()))
    outcome = ActionOutcome(
        job.key,
        ActionKind.STOP,
        sent=True,
        ok=True,
        message="Stop requested.",
        job=job,
        request_id="r-1",
        http_status=200,
    )
    assert protocol.decode_stop_outcome(protocol.encode_stop_outcome(outcome), UTC) == outcome
    fetched = FetchedErrors(
        job, [JobError(row=2, code="E1", message="bad", record={"a": "1"})], "the job's list"
    )
    back = protocol.decode_errors(protocol.encode_errors(fetched), UTC)
    assert back == fetched
    assert dict(back.errors[0].record) == {"a": "1"}
    key, confirm = protocol.decode_stop_request(protocol.stop_request(job.key, "acme"))
    assert key == job.key
    assert confirm == "acme"


def _message(**snapshot_changes: Any) -> str:
    value = json.loads(protocol.encode_snapshot(_handmade()))
    value["snapshot"].update(snapshot_changes)
    return json.dumps(value)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "JSON list"),
        ('{"v": 1, "type": "snapshot", "snapshot": {"seq": NaN}}', "JSON does not allow"),
        (json.dumps({"v": 2, "type": "snapshot"}), "protocol version 2"),
        (json.dumps({"type": "snapshot"}), "protocol version None"),
        (json.dumps({"v": 1, "type": "hello"}), "'hello' message where a 'snapshot'"),
        (_message(seq="nine"), "snapshot number that is not a whole number"),
        (_message(jobs={"a": 1}), "jobs that is not a list"),
        (_message(jobs=[{"family": "nope", "id": "x", "raw": {}}]), "no job family"),
        (_message(jobs=[{"family": "aqua", "id": 5, "raw": {}}]), "job id that is not text"),
        (_message(families=[{"family": "aqua", "state": "great"}]), "no family state"),
        (_message(paused="yes"), "paused flag that is not true or false"),
        (_message(budget=[]), "budget that is not an object"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_a_malformed_snapshot_is_refused_clearly(data: str | bytes, words: str) -> None:
    with pytest.raises(HubProtocolError) as caught:
        protocol.decode_snapshot(data, UTC)
    assert words in caught.value.message
    assert "\n" not in caught.value.message


def test_a_job_sent_as_another_is_refused() -> None:
    wire = protocol.job_to_wire(next(iter(_handmade().jobs.values())))
    wire["id"] = "b" * 32
    with pytest.raises(HubProtocolError, match="whose JSON is job"):
        protocol.decode_job(wire, UTC)


def test_a_job_its_parser_cannot_read_is_an_unreadable_row() -> None:
    raw = {"id": "x", "status": ["a list"]}
    job = protocol.decode_job({"family": "booking_date", "id": "x", "raw": raw}, UTC)
    assert job.state is JobState.UNREADABLE
    assert job.id == "x"


def test_too_large_and_too_deep_messages_are_refused() -> None:
    with pytest.raises(HubProtocolError, match="more than the 100 a viewer reads"):
        protocol.loads(" " * 101, limit=100)
    deep = '{"v": 1, "x": ' + "[" * (MAX_DEPTH + 20) + "]" * (MAX_DEPTH + 20) + "}"
    with pytest.raises(HubProtocolError, match="levels deep"):
        protocol.loads(deep)
    deeper = "[" * 200_000 + "]" * 200_000
    with pytest.raises(HubProtocolError, match="levels deep"):
        protocol.loads(deeper)


def test_screen_text_loses_terminal_controls() -> None:
    message = _message(unreachable="down\x1b]52;c;aGk=\x07 now", fatal="x\u202ey")
    back = protocol.decode_snapshot(message, UTC)
    assert back.unreachable == "down]52;c;aGk= now"
    assert back.fatal == "xy"


def test_an_unchanged_job_is_taken_from_the_previous_snapshot() -> None:
    snapshot = _handmade()
    first = protocol.decode_snapshot(protocol.encode_snapshot(snapshot), UTC)
    value = json.loads(protocol.encode_snapshot(snapshot))
    booking = next(j for j in value["snapshot"]["jobs"] if j["family"] == "booking_date")
    booking["raw"]["status"] = "Processing"
    second = protocol.decode_snapshot(json.dumps(value), UTC, first)
    unchanged = [
        k for k, j in first.jobs.items() if j.unreadable is None and k[0] != Family.BOOKING_DATE
    ]
    for key in unchanged:
        assert second.jobs[key] is first.jobs[key]
    changed = next(j for j in second.jobs.values() if j.family is Family.BOOKING_DATE)
    assert changed.status == "Processing"
    assert changed.state is JobState.RUNNING
