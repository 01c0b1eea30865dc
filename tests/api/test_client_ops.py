"""Integration: every client operation end to end against the loopback simulator."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from ztui.api.client import ZuoraClient
from ztui.api.errors import BadRequest, NotFound, NotSupported
from ztui.api.models import Family, JobState
from ztui.families.custom_object import CustomObjectPage

from .helpers import OpenClient, SimControl

pytestmark = pytest.mark.anyio

KEY_COLUMNS = {
    "ProductRatePlanCharge": "ProductRatePlanChargeId",
    "RatePlanCharge": "RatePlanChargeId",
    "InvoiceDetail": "InvoiceItemId",
    "MemoDetail": "MemoItemId",
}


def backfill_csv(job_type: str, rows: int = 30) -> bytes:
    """A data backfill file: the type's id column plus one revenue field."""
    lines = [f"{KEY_COLUMNS[job_type]},ProductFamily"]
    lines += [f"{i:032x},Hardware" for i in range(1, rows + 1)]
    return ("\n".join(lines) + "\n").encode()


CSV = backfill_csv("ProductRatePlanCharge")


def _paths(log: list[dict[str, Any]]) -> list[str]:
    return [f"{e['method']} {e['path']}" for e in log]


# ---------------------------------------------------------------- data backfill


async def test_data_backfill_lifecycle(sim: Any, ctl: SimControl, open_client: OpenClient) -> None:
    async with open_client(sim) as client:
        filename, template = await client.get_data_backfill_template("ProductRatePlanCharge")
        assert filename == "ProductRatePlanCharge.csv"
        assert template.strip()

        job_id = await client.create_data_backfill_job("ProductRatePlanCharge", CSV)
        assert len(job_id) == 32
        job = await client.get_data_backfill_job(job_id)
        assert job.family is Family.DATA_BACKFILL
        assert job.kind == "ProductRatePlanCharge"
        assert job.state is JobState.QUEUED
        assert job.created_at is not None

        await ctl.advance(3)
        job = await client.get_job(Family.DATA_BACKFILL, job_id)
        assert job.state is JobState.RUNNING

        assert await client.stop_job(Family.DATA_BACKFILL, job_id) is None
        job = await client.get_data_backfill_job(job_id)
        assert job.state is JobState.STOPPING
        await ctl.advance(10)
        listed = {j.id: j for j in await client.list_data_backfill_jobs()}
        assert listed[job_id].state is JobState.STOPPED
        assert listed[job_id].kind == "ProductRatePlanCharge"  # from `type` on the list


async def test_data_backfill_checksum_sent_and_wrong_one_refused(
    sim: Any, open_client: OpenClient
) -> None:
    async with open_client(sim) as client:
        good = hashlib.md5(CSV).hexdigest()
        assert await client.create_data_backfill_job("ProductRatePlanCharge", CSV, checksum=good)
        with pytest.raises(BadRequest) as caught:
            await client.create_data_backfill_job("ProductRatePlanCharge", CSV, checksum="0" * 32)
    assert caught.value.status == 400
    assert caught.value.reasons
    assert caught.value.message == caught.value.reasons[0].message


async def test_data_backfill_list_falls_back_to_date_spelling(
    make_sim: Any, open_client: OpenClient
) -> None:
    server = make_sim(data_backfill_list_paths=("date",), jobs=10)
    ctl = SimControl(server)
    async with open_client(server) as client:
        first = await client.list_data_backfill_jobs()
        second = await client.list_data_backfill_jobs()
    assert {j.id for j in first} == {j.id for j in second}
    assert first
    lists = [p for p in _paths(await ctl.requests()) if p.endswith("listjobs")]
    # data- tried once, date- answers, then remembered.
    assert lists == [
        "GET /v1/uno/data-backfill/listjobs",
        "GET /v1/uno/date-backfill/listjobs",
        "GET /v1/uno/date-backfill/listjobs",
    ]


async def test_data_backfill_list_neither_spelling(make_sim: Any, open_client: OpenClient) -> None:
    server = make_sim(data_backfill_list_paths=())
    async with open_client(server) as client:
        with pytest.raises(NotFound):
            await client.list_data_backfill_jobs()


@pytest.mark.parametrize("timestamps", ["epoch", "iso"])
async def test_data_backfill_timestamps_and_type_keys(
    make_sim: Any, open_client: OpenClient, timestamps: str
) -> None:
    server = make_sim(timestamps=timestamps, type_keys="both")
    async with open_client(server) as client:
        content = backfill_csv("InvoiceDetail")
        job_id = await client.create_data_backfill_job("InvoiceDetail", content)
        job = await client.get_data_backfill_job(job_id)
        listed = await client.list_data_backfill_jobs()
    start = 1768478400.0  # the manual clock's start, 2026-01-15T12:00:00Z
    assert job.created_at is not None
    assert abs(job.created_at.timestamp() - start) < 5
    raw_uploaded = job.raw["uploadedOn"]
    assert raw_uploaded.isdigit() is (timestamps == "epoch")
    assert job.raw["importType"] == job.raw["type"] == "InvoiceDetail"
    assert [j.created_at for j in listed] == [job.created_at]


async def test_unknown_statuses_kept_raw(make_sim: Any, open_client: OpenClient) -> None:
    server = make_sim(unknown_statuses=True)
    async with open_client(server) as client:
        job_id = await client.create_data_backfill_job("MemoDetail", backfill_csv("MemoDetail"))
        job = await client.get_data_backfill_job(job_id)
    assert job.status == "Accepted"
    assert job.state is JobState.UNKNOWN


# ---------------------------------------------------------------- booking date


async def test_booking_date_lifecycle(sim: Any, ctl: SimControl, open_client: OpenClient) -> None:
    async with open_client(sim) as client:
        job_id = await client.create_booking_date_job()
        job = await client.get_booking_date_job(job_id)
        assert job.kind == "BookingDate"
        assert job.state is JobState.QUEUED
        await ctl.advance(5)
        job = await client.get_job(Family.BOOKING_DATE, job_id)
        assert job.state is JobState.RUNNING
        assert job.progress is not None
        assert 0 < job.progress < 1
        assert job.total
        assert [j.id for j in await client.list_booking_date_jobs()] == [job_id]
        await client.stop_booking_date_job(job_id)
        await ctl.advance(5)
        job = await client.get_booking_date_job(job_id)
    assert job.state is JobState.STOPPED
    assert job.created_at is not None
    assert job.created_at.tzinfo is not None


# ---------------------------------------------------------------- propagation


async def test_propagation_lifecycle(sim: Any, ctl: SimControl, open_client: OpenClient) -> None:
    async with open_client(sim) as client:
        job_id = await client.create_propagation_job("OrderLineItem", batch_size=500, dry_run=True)
        probed = [client.propagation_readable]
        job = await client.get_propagation_job(job_id)
        probed.append(client.propagation_readable)
        assert probed == [None, True]
        assert job.kind == "OrderLineItem"
        assert [j.id for j in await client.list_propagation_jobs()] == [job_id]
        await client.stop_propagation_job(job_id)
        with pytest.raises(NotFound):
            await client.get_propagation_job("0" * 32)
    log = await ctl.requests()
    create = next(e for e in log if e["path"] == "/v1/uno/data-backfill/propagation/jobs")
    assert create["idempotency_key"]


async def test_propagation_read_api_missing(make_sim: Any, open_client: OpenClient) -> None:
    server = make_sim(propagation_read_api=False)
    async with open_client(server) as client:
        job_id = await client.create_propagation_job("RatePlanCharge")
        with pytest.raises(NotSupported, match="not available"):
            await client.get_propagation_job(job_id)
        with pytest.raises(NotSupported):
            await client.list_propagation_jobs()
        with pytest.raises(NotSupported):
            await client.stop_job(Family.PROPAGATION, job_id)
        assert client.propagation_readable is False


@pytest.mark.parametrize("size", [0, 1001, -5])
async def test_propagation_batch_size_checked_locally(
    sim: Any, ctl: SimControl, open_client: OpenClient, size: int
) -> None:
    async with open_client(sim) as client:
        with pytest.raises(BadRequest, match="1-1000"):
            await client.create_propagation_job("RatePlanCharge", batch_size=size)
    assert await ctl.requests() == []


# ---------------------------------------------------------------- custom objects


async def test_custom_object_create_upload_errors(
    sim: Any, ctl: SimControl, open_client: OpenClient
) -> None:
    async with open_client(sim) as client:
        job = await client.submit_custom_object_job("vehicle", "default", "update")
        assert job.state is JobState.QUEUED
        assert job.status == "pending"
        assert job.kind == "vehicle:update"
        bad_rows = b"Id,brand__c\nnot-a-uuid,Tesla\n1b6e7f2a-9c7d-4e0e-8f5a-3a1c2b4d5e6f,VW\n"
        job = await client.upload_custom_object_file(job.id, bad_rows)
        assert job.status == "in_progress"
        await ctl.advance(30)
        job = await client.get_custom_object_job(job.id)
        assert job.state.is_terminal
        assert job.progress == 1.0
        errors = await client.list_custom_object_errors(job.id)
    assert errors
    assert errors[0].row == 2
    assert errors[0].code
    assert errors[0].message
    log = await ctl.requests()
    upload = next(e for e in log if e["path"].endswith("/files"))
    assert upload["idempotency_key"]


async def test_custom_object_cancel_and_conflict(sim: Any, open_client: OpenClient) -> None:
    async with open_client(sim) as client:
        job = await client.submit_custom_object_job(
            "vehicle",
            "default",
            "delete",
            {"conditions": [{"field": "CreatedDate", "operator": "LT", "value": "2020-01-01"}]},
        )
        assert job.status == "accepted"
        cancelled = await client.stop_job(Family.CUSTOM_OBJECT, job.id)
        assert cancelled is not None
        assert cancelled.state is JobState.CANCELLED
        with pytest.raises(BadRequest) as caught:
            await client.cancel_custom_object_job(job.id)
        assert caught.value.code == "71013620"
        with pytest.raises(NotFound):
            await client.get_custom_object_job("00000000-0000-4000-8000-000000000000")


async def test_custom_object_paging(make_sim: Any, open_client: OpenClient) -> None:
    server = make_sim(jobs=60)
    ctl = SimControl(server)
    wire = await ctl.jobs()
    expected = [j["Id"] for j in wire["custom_object"]]
    assert len(expected) > 3
    async with open_client(server) as client:
        pages = [p async for p in client.iter_custom_object_pages(page_size=3)]
        assert all(isinstance(p, CustomObjectPage) for p in pages)
        seen = [j.id for p in pages for j in p.jobs]
        assert sorted(seen) == sorted(expected)
        assert len(set(seen)) == len(seen)
        assert pages[-1].is_last
        # stop_when ends after the first page
        early = [p async for p in client.iter_custom_object_pages(page_size=3, stop_when=bool)]
        assert len(early) == 1
        # pageSize is never sent above 40
        big = await client.list_custom_object_jobs(page_size=100)
        assert big.page_size == 40
        everything = await client.list_jobs(Family.CUSTOM_OBJECT)
        assert sorted(j.id for j in everything) == sorted(expected)
    sizes = [e["query"] for e in await ctl.requests() if e["path"] == "/objects/jobs"]
    assert "pageSize=40" in sizes
    assert not any("pageSize=100" in q for q in sizes)


async def test_custom_object_status_filter(make_sim: Any, open_client: OpenClient) -> None:
    server = make_sim(jobs=60)
    async with open_client(server) as client:
        page = await client.list_custom_object_jobs(status="completed")
    assert page.jobs
    assert {j.status for j in page.jobs} == {"completed"}


# ---------------------------------------------------------------- AQuA


def _leftovers(folder: Path) -> list[Path]:
    return list(folder.glob("*.part"))


AQUA_BODY = {
    "format": "csv",
    "version": "1.1",
    "name": "nightly",
    "encrypted": "none",
    "queries": [
        {"name": "accounts", "query": "select Id, Name from Account", "type": "zoql"},
        {"name": "subs", "query": "select Id from Subscription", "type": "zoql"},
    ],
}


async def test_aqua_lifecycle_and_download(
    sim: Any, ctl: SimControl, open_client: OpenClient, tmp_path: Path
) -> None:
    async with open_client(sim) as client:
        job = await client.create_aqua_job(AQUA_BODY)
        assert job.family is Family.AQUA
        assert job.kind == "nightly"
        assert job.state is JobState.QUEUED
        assert job.progress == 0.0
        await ctl.advance(30)
        job = await client.get_job(Family.AQUA, job.id)
        assert job.state is JobState.SUCCEEDED
        assert job.progress == 1.0
        batches = await client.get_aqua_batches(job)
        assert [b.name for b in batches] == ["accounts", "subs"]
        assert batches == await client.get_aqua_batches(job.id)
        file_id = batches[0].file_id
        assert file_id
        target = await client.download_file(file_id, tmp_path / "accounts.csv")
        assert target == tmp_path / "accounts.csv"
        assert b"Id" in target.read_bytes().splitlines()[0]
        named = await client.download_file(file_id, tmp_path)
        assert named.parent == tmp_path
        assert named.read_bytes() == target.read_bytes()
        assert _leftovers(tmp_path) == []
        with pytest.raises(NotFound):
            await client.download_file("e" * 32, tmp_path / "missing.csv")
        assert not (tmp_path / "missing.csv").exists()
    creates = [e for e in await ctl.requests() if e["method"] == "POST"]
    assert [e["path"] for e in creates] == ["/oauth/token", "/v1/batch-query/"]


async def test_aqua_cancel(sim: Any, open_client: OpenClient) -> None:
    async with open_client(sim, aqua_trailing_slash=False) as client:
        job = await client.create_aqua_job(AQUA_BODY)
        cancelled = await client.stop_job(Family.AQUA, job.id)
        assert cancelled is not None
        assert cancelled.state is JobState.CANCELLED
        with pytest.raises(BadRequest) as caught:
            await client.cancel_aqua_job(job.id)
    assert caught.value.code == "90003"


@pytest.mark.parametrize("http_status", [200, 400])
async def test_aqua_validation_error(
    make_sim: Any, open_client: OpenClient, http_status: int
) -> None:
    server = make_sim(aqua_error_http_status=http_status)
    body = {**AQUA_BODY, "queries": [{"name": "x", "query": "select", "type": "sql"}]}
    async with open_client(server) as client:
        with pytest.raises(BadRequest) as caught:
            await client.create_aqua_job(body)
        with pytest.raises(NotSupported):
            await client.list_jobs(Family.AQUA)
    assert caught.value.status == http_status
    assert caught.value.code
    assert caught.value.message


# ---------------------------------------------------------------- gzip and budget


async def test_gzip_responses_are_decoded(make_sim: Any, open_client: OpenClient) -> None:
    server = make_sim(jobs=60)
    encodings: list[str | None] = []

    async def hook(response: httpx.Response) -> None:
        encodings.append(response.headers.get("Content-Encoding"))

    async with open_client(server) as client:
        client._http.event_hooks["response"].append(hook)
        jobs = await client.list_data_backfill_jobs()
    assert jobs
    assert "gzip" in encodings
    # The same list fetched raw really is gzip on the wire.
    async with httpx.AsyncClient() as raw:
        token = (
            await raw.post(
                f"{server.base_url}/oauth/token",
                data={
                    "client_id": server.sim.config.client_id,
                    "client_secret": server.sim.config.client_secret,
                    "grant_type": "client_credentials",
                },
            )
        ).json()["access_token"]
        stream = await raw.get(
            f"{server.base_url}/v1/uno/data-backfill/listjobs",
            headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"},
        )
    assert stream.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(gzip.compress(b"x")) == b"x"


async def test_budget_and_counters(make_sim: Any, open_client: OpenClient) -> None:
    server = make_sim(rate_limit_minute=100)
    async with open_client(server) as client:
        await client.list_booking_date_jobs()
        await client.list_booking_date_jobs()
        assert client.budget.limit == 100
        assert client.budget.remaining is not None
        assert client.budget.remaining < 100
        assert client.budget.reset_in() is not None
        assert client.calls_made == 3
        assert client.api_calls_made == 2
        assert client.last_request_id is not None
        assert len(client.last_request_id) == 36


async def test_client_rejects_bad_base_url() -> None:
    with pytest.raises(ValueError, match="http"):
        ZuoraClient("rest.zuora.com")
