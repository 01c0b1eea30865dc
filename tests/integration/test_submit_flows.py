"""`ztui.ops.submit` against the loopback simulator: each family, and every fault it can inject.

The rule under test: whatever fails, exactly one job exists afterwards (or none, when the
server said no), and every write is in the journal.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ztui.api.client import ZuoraClient
from ztui.core.secret import Secret
from ztui.ops.submit import (
    AquaSpec,
    BookingDateSpec,
    CustomObjectSpec,
    DataBackfillSpec,
    PropagationSpec,
    Submission,
    SubmitContext,
    UploadFile,
    cancel_pending,
    custom_object_slots,
    describe,
    parse_zoql,
    retry_upload,
    submit,
)
from ztui.store.journal import Journal

pytestmark = pytest.mark.anyio

CSV = b"ProductRatePlanChargeId,ProductFamily\n" + b"".join(
    f"{i:032x},Hardware\n".encode() for i in range(1, 6)
)
CO_CSV = b"name__c,brand__c\nA,x\nB,y\n"


async def _nosleep(_: float) -> None:
    return None


def _upload(data: bytes, name: str = "prpc.csv", rows: int = 5) -> UploadFile:
    return UploadFile(
        name=name,
        size=len(data),
        md5=hashlib.md5(data).hexdigest(),
        sha256=hashlib.sha256(data).hexdigest(),
        rows=rows,
        payload=data,
    )


class Ctl:
    """The simulator's control routes."""

    def __init__(self, server: Any) -> None:
        self.base = server.base_url

    async def _call(self, method: str, path: str, body: object = None) -> Any:
        async with httpx.AsyncClient(base_url=self.base) as http:
            response = await http.request(method, path, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    async def fault(self, route: str, kind: str, **extra: Any) -> None:
        await self._call("POST", "/_sim/faults", {"route": route, "kind": kind, **extra})

    async def configure(self, **changes: Any) -> None:
        await self._call("POST", "/_sim/config", changes)

    async def jobs(self, family: str) -> list[dict[str, Any]]:
        body = await self._call("GET", "/_sim/jobs")
        result: list[dict[str, Any]] = body[family]
        return result

    async def writes(self) -> list[dict[str, Any]]:
        body = await self._call("GET", "/_sim/requests")
        return [
            r
            for r in body["requests"]
            if r["method"] in ("POST", "PATCH", "PUT", "DELETE") and r["path"] != "/oauth/token"
        ]


@pytest.fixture
async def client(sim: Any) -> AsyncIterator[ZuoraClient]:
    from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    c = ZuoraClient(
        sim.base_url,
        client_id=DEMO_CLIENT_ID,
        client_secret=Secret(DEMO_CLIENT_SECRET),
        sleep=_nosleep,
        timeout=5.0,
    )
    yield c
    await c.aclose()


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "journal.jsonl")


@pytest.fixture
def ctx(journal: Journal, sim: Any) -> SubmitContext:
    return SubmitContext(
        journal=journal, profile="test", host=sim.base_url, reread_delay_s=0, sleep=_nosleep
    )


async def test_data_backfill_create_is_journalled(
    client: ZuoraClient, ctx: SubmitContext, journal: Journal, sim: Any
) -> None:
    sub = Submission(DataBackfillSpec("ProductRatePlanCharge", _upload(CSV)))
    outcome = await submit(client, sub, ctx)
    assert outcome.kind == "created", outcome.message
    jobs = await Ctl(sim).jobs("data_backfill")
    assert [j["id"] for j in jobs] == [outcome.job_id]
    assert jobs[0]["uploadedFileName"] == "prpc.csv"
    sending, entry = journal.read()
    assert (sending.outcome, sending.extra["attempt"]) == ("sending", entry.extra["attempt"])
    assert entry.action == "create"
    assert entry.family == "data_backfill"
    assert entry.job_id == outcome.job_id
    assert entry.md5 == hashlib.md5(CSV).hexdigest()
    assert entry.sha256 == hashlib.sha256(CSV).hexdigest()
    assert entry.size == len(CSV)
    assert entry.file_name == "prpc.csv"
    assert entry.outcome == "ok"
    assert entry.http_status == 200
    assert entry.idempotency_key is None  # the API takes none
    assert entry.host
    assert entry.host.startswith("127.0.0.1")


@pytest.mark.parametrize(
    ("spec", "family", "route"),
    [
        (
            DataBackfillSpec("ProductRatePlanCharge", _upload(CSV)),
            "data_backfill",
            "POST /v1/uno/data-backfill/jobs",
        ),
        (BookingDateSpec(), "booking_date", "POST /v1/uno/data-backfill/bookingdate/jobs"),
    ],
)
async def test_keyless_504_after_create_finds_the_job_and_sends_once(
    client: ZuoraClient,
    ctx: SubmitContext,
    journal: Journal,
    sim: Any,
    spec: Any,
    family: str,
    route: str,
) -> None:
    ctl = Ctl(sim)
    await ctl.fault(route, "status", status=504, times=1)
    outcome = await submit(client, Submission(spec), ctx)
    assert outcome.kind == "found", outcome.message
    jobs = await ctl.jobs(family)
    assert [j["id"] for j in jobs] == [outcome.job_id]
    creates = [w for w in await ctl.writes() if w["path"] == route.split(" ", 1)[1]]
    assert len(creates) == 1
    sending, entry = journal.read()
    assert (sending.outcome, sending.extra["attempt"]) == ("sending", entry.extra["attempt"])
    assert entry.outcome == "ok"
    assert entry.http_status == 504
    assert entry.job_id == outcome.job_id


async def test_keyless_drop_finds_nothing_then_resubmit_makes_one(
    client: ZuoraClient, ctx: SubmitContext, journal: Journal, sim: Any
) -> None:
    ctl = Ctl(sim)
    await ctl.fault("POST /v1/uno/data-backfill/bookingdate/jobs", "drop", times=1)
    sub = Submission(BookingDateSpec())
    outcome = await submit(client, sub, ctx)
    assert outcome.kind == "unknown"
    assert outcome.can_resubmit
    assert await ctl.jobs("booking_date") == []
    again = await submit(client, sub, ctx)
    assert again.kind == "created"
    assert len(await ctl.jobs("booking_date")) == 1
    assert [e.outcome for e in journal.read()] == ["sending", "unknown", "sending", "ok"]


async def test_keyless_504_with_a_foreign_job_of_another_type_is_not_taken(
    client: ZuoraClient, ctx: SubmitContext, sim: Any
) -> None:
    """A job of another type created meanwhile is not mistaken for ours."""
    ctl = Ctl(sim)
    await ctl.fault("POST /v1/uno/data-backfill/jobs", "status", status=500, times=1)
    outcome = await submit(
        client, Submission(DataBackfillSpec("RatePlanCharge", _upload(CSV, "rpc.csv"))), ctx
    )
    # HTTP 500 (unlike 504) is answered before the job is made: nothing to find.
    assert outcome.kind == "unknown"
    assert outcome.can_resubmit
    assert await ctl.jobs("data_backfill") == []


async def test_propagation_504_is_retried_with_the_same_key(
    client: ZuoraClient, ctx: SubmitContext, journal: Journal, sim: Any
) -> None:
    ctl = Ctl(sim)
    await ctl.fault("POST /v1/uno/data-backfill/propagation/jobs", "status", status=504, times=1)
    sub = Submission(PropagationSpec("RatePlanCharge", 500, dry_run=True))
    outcome = await submit(client, sub, ctx)
    assert outcome.ok, outcome.message
    assert len(await ctl.jobs("propagation")) == 1
    posts = [w for w in await ctl.writes() if w["path"].endswith("/propagation/jobs")]
    assert len(posts) == 2
    assert {p["idempotency_key"] for p in posts} == {sub.key}
    sending, entry = journal.read()
    assert (sending.outcome, sending.extra["attempt"]) == ("sending", entry.extra["attempt"])
    assert entry.idempotency_key == sub.key
    assert entry.extra["dry_run"] is True
    assert entry.extra["batch_size"] == 500


@pytest.mark.parametrize(
    ("spec", "family", "route"),
    [
        (
            PropagationSpec("OrderLineItem"),
            "propagation",
            "POST /v1/uno/data-backfill/propagation/jobs",
        ),
        (AquaSpec("q", ("select id from account",)), "aqua", "POST /v1/batch-query/"),
        (CustomObjectSpec("vehicle", "default", "delete"), "custom_object", "POST /objects/jobs"),
    ],
)
async def test_409_means_reread_then_same_key(
    client: ZuoraClient,
    ctx: SubmitContext,
    sim: Any,
    spec: Any,
    family: str,
    route: str,
) -> None:
    ctl = Ctl(sim)
    await ctl.fault(route, "status", status=409, times=1)
    sub = Submission(spec)
    outcome = await submit(client, sub, ctx)
    assert outcome.ok, outcome.message
    assert len(await ctl.jobs(family)) == 1
    posts = [w for w in await ctl.writes() if w["path"] == route.split(" ", 1)[1]]
    assert [p["idempotency_key"] for p in posts] == [sub.key, sub.key]


async def test_409_from_a_request_still_in_flight_finds_the_job(
    sim: Any, ctx: SubmitContext
) -> None:
    """The first request times out client-side while the server still works on it; the
    retry with the same key gets 409, and the re-read finds the job the first made."""
    from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    ctl = Ctl(sim)
    await ctl.configure(idempotency_inflight_delay=1.0)
    async with ZuoraClient(
        sim.base_url,
        client_id=DEMO_CLIENT_ID,
        client_secret=Secret(DEMO_CLIENT_SECRET),
        sleep=_nosleep,
        timeout=0.4,
        max_retries=1,
    ) as client:
        outcome = await submit(client, Submission(PropagationSpec("RatePlanCharge")), ctx)
    assert outcome.kind == "found", outcome.message
    assert len(await ctl.jobs("propagation")) == 1


async def test_custom_object_create_submits_then_uploads(
    client: ZuoraClient, ctx: SubmitContext, journal: Journal, sim: Any
) -> None:
    sub = Submission(CustomObjectSpec("vehicle", "default", "create", _upload(CO_CSV, "v.csv")))
    outcome = await submit(client, sub, ctx)
    assert outcome.kind == "created", outcome.message
    (job,) = await Ctl(sim).jobs("custom_object")
    assert job["status"] == "in_progress"
    entries = journal.read()
    assert [(e.action, e.outcome) for e in entries] == [
        ("create", "sending"),
        ("create", "pending"),
        ("upload", "ok"),
    ]
    assert entries[0].idempotency_key == entries[1].idempotency_key == sub.key
    assert entries[2].idempotency_key == sub.upload_key
    assert entries[2].sha256 == hashlib.sha256(CO_CSV).hexdigest()


async def test_dropped_upload_is_an_orphan_until_retried_with_its_key(
    client: ZuoraClient, ctx: SubmitContext, journal: Journal, sim: Any
) -> None:
    ctl = Ctl(sim)
    # More drops than the client's retries: the upload fails for good the first time.
    await ctl.fault("POST /objects/jobs/*/files", "drop", times=4)
    sub = Submission(CustomObjectSpec("vehicle", "default", "create", _upload(CO_CSV, "v.csv")))
    outcome = await submit(client, sub, ctx)
    assert outcome.kind == "orphan"
    assert outcome.can_retry
    assert outcome.job_id == sub.job_id
    (job,) = await ctl.jobs("custom_object")
    assert job["status"] == "pending"
    again = await retry_upload(client, sub, ctx)
    assert again.kind == "created", again.message
    (job,) = await ctl.jobs("custom_object")
    assert job["status"] == "in_progress"
    uploads = [w for w in await ctl.writes() if w["path"].endswith("/files")]
    assert {u["idempotency_key"] for u in uploads} == {sub.upload_key}
    assert [(e.action, e.outcome) for e in journal.read()] == [
        ("create", "sending"),
        ("create", "pending"),
        ("upload", "unknown"),
        ("upload", "ok"),
    ]


async def test_refused_upload_leads_to_cancel_not_a_silent_orphan(
    client: ZuoraClient, ctx: SubmitContext, journal: Journal, sim: Any
) -> None:
    ctl = Ctl(sim)
    await ctl.fault("POST /objects/jobs/*/files", "status", status=400, times=1)
    sub = Submission(CustomObjectSpec("vehicle", "default", "create", _upload(CO_CSV, "v.csv")))
    outcome = await submit(client, sub, ctx)
    assert outcome.kind == "orphan"
    assert not outcome.can_retry
    assert "retry the upload or cancel the job" in outcome.message
    cancelled = await cancel_pending(client, sub, ctx)
    assert cancelled.ok, cancelled.message
    (job,) = await ctl.jobs("custom_object")
    assert job["status"] == "cancelled"
    assert [(e.action, e.outcome) for e in journal.read()] == [
        ("create", "sending"),
        ("create", "pending"),
        ("upload", "error"),
        ("cancel", "ok"),
    ]


async def test_custom_object_504_on_submit_is_replayed_not_duplicated(
    client: ZuoraClient, ctx: SubmitContext, sim: Any
) -> None:
    ctl = Ctl(sim)
    await ctl.fault("POST /objects/jobs", "status", status=504, times=1)
    sub = Submission(CustomObjectSpec("vehicle", "default", "update", _upload(CO_CSV)))
    # An update file without id would be refused by the pre-flight; the server only
    # rejects the rows, which is not what this test is about.
    outcome = await submit(client, sub, ctx)
    assert outcome.ok or outcome.kind == "orphan", outcome.message
    assert len(await ctl.jobs("custom_object")) == 1


async def test_sixth_custom_object_job_is_a_limit_and_renews_the_key(
    client: ZuoraClient, ctx: SubmitContext, sim: Any
) -> None:
    for _ in range(5):
        assert (
            await submit(client, Submission(CustomObjectSpec("vehicle", "default", "delete")), ctx)
        ).ok
    assert await custom_object_slots(client) == 5
    sub = Submission(CustomObjectSpec("vehicle", "default", "delete"))
    first_key = sub.key
    outcome = await submit(client, sub, ctx)
    assert outcome.kind == "limit"
    assert sub.key != first_key
    assert len(await Ctl(sim).jobs("custom_object")) == 5


async def test_aqua_create_returns_the_job(client: ZuoraClient, ctx: SubmitContext) -> None:
    spec = AquaSpec("audit", ("select id from account", "select id from invoice"), "zip")
    outcome = await submit(client, Submission(spec), ctx)
    assert outcome.kind == "created", outcome.message
    assert outcome.job is not None
    assert outcome.job.status == "submitted"
    assert len(spec.body()["queries"]) == 2


async def test_aqua_refusal_is_reported_with_the_server_words(
    client: ZuoraClient, ctx: SubmitContext, journal: Journal
) -> None:
    outcome = await submit(client, Submission(AquaSpec("x", ())), ctx)
    assert outcome.kind == "refused"
    assert [e.outcome for e in journal.read()] == ["sending", "error"]


async def test_read_only_sends_nothing(sim: Any, ctx: SubmitContext, journal: Journal) -> None:
    from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    async with ZuoraClient(
        sim.base_url,
        client_id=DEMO_CLIENT_ID,
        client_secret=Secret(DEMO_CLIENT_SECRET),
        read_only=True,
    ) as client:
        outcome = await submit(client, Submission(BookingDateSpec()), ctx)
    assert outcome.kind == "not_sent"
    assert await Ctl(sim).writes() == []
    assert journal.read() == []


def test_describe_and_zoql() -> None:
    rows = dict(describe(DataBackfillSpec("InvoiceDetail", _upload(CSV))))
    assert rows["MD5"] == hashlib.md5(CSV).hexdigest()
    assert rows["Rows"] == "5"
    assert rows["File"] == "prpc.csv"
    assert dict(describe(PropagationSpec("OrderLineItem", dry_run=False)))["Dry run"].startswith(
        "NO"
    )
    assert parse_zoql("select a from b;\n-- note\nselect c\n from d;") == [
        "select a from b",
        "select c from d",
    ]
    assert parse_zoql("select a from b\n\nselect c from d\n") == [
        "select a from b",
        "select c from d",
    ]
