"""Writes an earlier run left open are settled against the simulator and journalled."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ztui.api.client import ZuoraClient
from ztui.api.models import Family
from ztui.core.secret import Secret
from ztui.ops.reconcile import reconcile
from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from ztui.store.journal import Journal, JournalEntry

pytestmark = pytest.mark.anyio

AQUA_BODY: dict[str, Any] = {
    "format": "csv",
    "version": "1.1",
    "name": "settle-me",
    "encrypted": "none",
    "queries": [{"name": "q1", "query": "select Id from Account", "type": "zoql"}],
}


class Tenant:
    """A loopback simulator whose manual clock starts at the real time, and a client."""

    def __init__(self, server: Any, client: ZuoraClient, journal: Journal) -> None:
        self.server = server
        self.client = client
        self.journal = journal
        self.host = server.base_url.split("://", 1)[1]
        self.http = httpx.Client(base_url=server.base_url, timeout=10)

    def now(self) -> datetime:
        seconds = self.http.get("/_sim/clock").json()["now"]
        return datetime.fromtimestamp(seconds, UTC)

    def advance(self, seconds: float) -> None:
        self.http.post("/_sim/clock", json={"advance": seconds}).raise_for_status()

    def jobs(self, family: str) -> list[dict[str, Any]]:
        data: dict[str, list[dict[str, Any]]] = self.http.get("/_sim/jobs").json()
        return data[family]

    def open_write(self, at: datetime, outcome: str = "sending", **fields: Any) -> str:
        attempt = uuid.uuid4().hex
        extra = {"attempt": attempt, **fields.pop("extra", {})}
        self.journal.append(
            JournalEntry(
                at=at.isoformat(timespec="seconds"),
                profile="p",
                host=self.host,
                outcome=outcome,
                extra=extra,
                **fields,
            )
        )
        return attempt

    def lines(self, attempt: str) -> list[JournalEntry]:
        return [e for e in self.journal.read() if e.extra.get("attempt") == attempt]


@pytest.fixture
async def tenant(make_sim: Callable[..., Any], tmp_path: Path) -> AsyncIterator[Tenant]:
    server = make_sim(
        start_epoch=time.time(),
        db_rows_per_tick=1,
        bd_batches=100_000,
        aqua_batch_s=10.0,
    )
    async with ZuoraClient(
        server.base_url, client_id=DEMO_CLIENT_ID, client_secret=Secret(DEMO_CLIENT_SECRET)
    ) as client:
        here = Tenant(server, client, Journal(tmp_path / "journal.jsonl"))
        yield here
        here.http.close()


async def _settle(tenant: Tenant, *, allow_replay: bool = True, late: float = 0) -> list[Any]:
    entries = tenant.journal.unsettled("p", tenant.host)
    now = tenant.now() + timedelta(seconds=late)
    return await reconcile(
        tenant.client, tenant.journal, entries, allow_replay=allow_replay, now=now
    )


async def test_a_stop_that_reached_zuora_is_settled_from_the_job(tenant: Tenant) -> None:
    job_id = await tenant.client.create_booking_date_job()
    tenant.advance(5)
    sent = tenant.now()
    attempt = tenant.open_write(sent, family="booking_date", action="stop", job_id=job_id)
    await tenant.client.stop_job(Family.BOOKING_DATE, job_id)  # it did arrive
    (result,) = await _settle(tenant)
    assert result.outcome == "ok"
    assert "reached Zuora" in result.message
    last = tenant.lines(attempt)[-1]
    assert last.outcome == "ok"
    assert last.extra["settled"] == "re-read"
    assert last.message.startswith("settled at start-up (re-read)")
    assert tenant.journal.unsettled("p", tenant.host) == []


async def test_a_stop_that_never_arrived_is_settled_as_not_taken_effect(tenant: Tenant) -> None:
    job_id = await tenant.client.create_booking_date_job()
    tenant.advance(5)
    attempt = tenant.open_write(
        tenant.now() - timedelta(minutes=5), family="booking_date", action="stop", job_id=job_id
    )
    (result,) = await _settle(tenant)
    assert result.outcome == "error"
    assert "did not take effect" in result.message
    assert "refused" not in result.message
    assert tenant.lines(attempt)[-1].outcome == "error"


async def test_a_stop_just_sent_is_left_open(tenant: Tenant) -> None:
    job_id = await tenant.client.create_booking_date_job()
    tenant.advance(5)
    attempt = tenant.open_write(tenant.now(), family="booking_date", action="stop", job_id=job_id)
    (result,) = await _settle(tenant)
    assert result.outcome is None
    assert [e.outcome for e in tenant.lines(attempt)] == ["sending"]


async def _create_db(tenant: Tenant, name: str) -> str:
    from ztui.sim.uno import synth_rows
    from ztui.sim.util import csv_bytes

    header, rows = synth_rows("RatePlanCharge", 20, name)
    return await tenant.client.create_data_backfill_job(
        "RatePlanCharge", csv_bytes(header, rows), filename=name
    )


async def test_a_create_in_flight_is_found_in_the_list(tenant: Tenant) -> None:
    sent = tenant.now()
    # Another write of the same kind, already on record, is not taken for this one.
    other = await _create_db(tenant, "orders.csv")
    tenant.journal.append(
        JournalEntry(
            family="data_backfill",
            action="create",
            profile="p",
            host=tenant.host,
            job_id=other,
            file_name="orders.csv",
            outcome="ok",
        )
    )
    attempt = tenant.open_write(
        sent,
        family="data_backfill",
        action="create",
        file_name="orders.csv",
        extra={"type": "RatePlanCharge"},
    )
    tenant.advance(30)
    made = await _create_db(tenant, "orders.csv")  # what the request in flight made
    await _create_db(tenant, "other-file.csv")  # made then too, but not like it
    (result,) = await _settle(tenant)
    assert (result.outcome, result.job_id) == ("ok", made)
    last = tenant.lines(attempt)[-1]
    assert (last.outcome, last.job_id, last.extra["settled"]) == ("ok", made, "list")
    assert last.file_name == "orders.csv"


async def test_a_create_that_never_arrived_is_settled_as_not_created(tenant: Tenant) -> None:
    await _create_db(tenant, "older.csv")  # the list covers the time before the write
    tenant.advance(600)
    attempt = tenant.open_write(
        tenant.now(),
        family="data_backfill",
        action="create",
        file_name="lost.csv",
        extra={"type": "RatePlanCharge"},
    )
    early = await _settle(tenant)
    assert early[0].outcome is None  # the server may still make it
    (result,) = await _settle(tenant, late=20 * 60)
    assert result.outcome == "error"
    assert "did not reach Zuora" in result.message
    assert tenant.lines(attempt)[-1].message.startswith("settled at start-up (list): not created")


async def test_two_lookalikes_leave_the_create_open(tenant: Tenant) -> None:
    attempt = tenant.open_write(tenant.now(), family="booking_date", action="create")
    await tenant.client.create_booking_date_job()
    await tenant.client.create_booking_date_job()
    (result,) = await _settle(tenant)
    assert result.outcome is None
    assert "2 jobs like it" in result.message
    assert len(tenant.lines(attempt)) == 1


async def test_an_aqua_create_that_arrived_is_settled_by_its_replay(tenant: Tenant) -> None:
    key = str(uuid.uuid4())
    attempt = tenant.open_write(
        tenant.now(),
        family="aqua",
        action="create",
        idempotency_key=key,
        extra={"name": "settle-me", "request": AQUA_BODY},
    )
    made = await tenant.client.create_aqua_job(AQUA_BODY, idempotency_key=key)
    before = len(tenant.jobs("aqua"))
    (result,) = await _settle(tenant)
    assert (result.outcome, result.job_id, result.follow) == ("ok", made.id, True)
    assert len(tenant.jobs("aqua")) == before  # answered from the key, not made again
    last = tenant.lines(attempt)[-1]
    assert (last.job_id, last.extra["settled"]) == (made.id, "replay")
    assert "request" not in last.extra
    assert tenant.journal.known_aqua_ids("p", tenant.host) == [made.id]


async def test_an_aqua_create_is_not_replayed_when_it_may_not_be(tenant: Tenant) -> None:
    def write(at: datetime, **extra: Any) -> None:
        key = str(uuid.uuid4())
        tenant.open_write(at, family="aqua", action="create", idempotency_key=key, extra=extra)

    write(tenant.now(), request=AQUA_BODY)  # never arrived: the replay makes it, once
    write(tenant.now() - timedelta(hours=30), request=AQUA_BODY)  # its key has expired
    write(tenant.now())  # an older ztui: no request on record
    before = len(tenant.jobs("aqua"))
    results = await _settle(tenant, allow_replay=False)
    assert [r.outcome for r in results] == [None, None, None]
    assert "the app settles it" in results[0].message
    assert len(tenant.jobs("aqua")) == before
    results = await _settle(tenant)
    assert [r.outcome for r in results] == ["ok", None, None]
    assert "too old" in results[1].message
    assert "not on record" in results[2].message
    assert len(tenant.jobs("aqua")) == before + 1
