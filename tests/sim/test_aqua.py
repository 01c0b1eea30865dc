"""Checklist items 23-26: AQuA batch-query jobs and result files."""

from __future__ import annotations

import csv
import gzip
import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest

from tests.sim.support import Api

AQ = "/v1/batch-query/"
BATCH_STATUSES = {"submitted", "pending", "executing", "completed", "aborted", "deleted_notallowed"}


def _q(query: str = "select Id, Name, Balance from Account", **extra: Any) -> dict[str, Any]:
    return {"name": "q1", "query": query, "type": "zoql", **extra}


def _create(api: Api, queries: list[dict[str, Any]] | None = None, **fields: Any) -> Any:
    return api.post(AQ, json={"format": "csv", "queries": queries or [_q()], **fields})


def _get(api: Api, job_id: str) -> dict[str, Any]:
    response = api.get(f"/v1/batch-query/jobs/{job_id}")
    assert response.status_code == 200
    job: dict[str, Any] = response.json()
    return job


# 23. Create validation ---
@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"queries": []}, "90016"),
        ({"queries": [_q()] * 51}, "90004"),
        ({"queries": [_q("delete from Account")]}, "90005"),
        ({"queries": [{"query": "select Id from Account", "type": "sql"}]}, "90010"),
        ({"queries": [{"type": "zoql"}]}, "90005"),
        ({"format": "xml", "queries": [_q()]}, "90010"),
        ({"name": "n" * 33, "queries": [_q()]}, "90010"),
        ({"notifyUrl": "h" * 5000, "queries": [_q()]}, "90014"),
        ({"queries": [_q("select distinct Name from Account")]}, "90020"),
        ({"queries": [_q(convertToCurrencies="EURO")]}, "90021"),
        ({"queries": [_q(deleted={"column": "IsDeleted", "format": "Boolean"})]}, "90012"),
    ],
)
def test_create_validation(api: Api, body: dict[str, Any], code: str) -> None:
    """Invalid requests return a job with id null, status error, errorCode and message."""
    response = api.post(AQ, json=body)
    assert response.status_code == 200  # configurable, default 200
    job = response.json()
    assert job["id"] is None
    assert job["status"] == "error"
    assert job["errorCode"] == code
    assert job["message"]


def test_error_http_status_is_configurable(make_api: Callable[..., Api]) -> None:
    """aqua_error_http_status=400 makes validation errors HTTP 400."""
    api = make_api(aqua_error_http_status=400)
    response = api.post(AQ, json={"queries": []})
    assert response.status_code == 400
    assert response.json()["errorCode"] == "90016"


def test_create_response_wire_types(api: Api) -> None:
    """format upper case, version a string, offset/recordCount integers, SDK enums."""
    job = _create(api, [_q(), _q("select Id from Invoice")], format="gzip", version=1.1).json()
    assert re.fullmatch(r"[0-9a-f]{32}", job["id"])
    assert job["status"] == job["localizedStatus"] == "submitted"
    assert job["format"] == "GZIP"
    assert job["version"] == "1.1"
    assert job["encrypted"] == "none"
    assert isinstance(job["offset"], int)
    assert len(job["batches"]) == 2
    for batch in job["batches"]:
        assert re.fullmatch(r"[0-9a-f]{32}", batch["batchId"])
        assert batch["status"] == "pending"
        assert batch["batchType"] == "zoql"
        assert isinstance(batch["recordCount"], int)
        assert isinstance(batch["apiVersion"], str)


def test_too_many_active_jobs_is_90028(make_api: Callable[..., Api]) -> None:
    """Past the active-job limit: errorCode 90028."""
    api = make_api(aqua_max_active=2)
    assert _create(api).json()["id"]
    assert _create(api).json()["id"]
    third = _create(api).json()
    assert third["id"] is None
    assert third["errorCode"] == "90028"


# 24. State machine ---
def test_batches_run_in_sequence(make_api: Callable[..., Api]) -> None:
    """submitted -> executing (batches one by one, recordCount + fileId) -> completed."""
    api = make_api(aqua_submit_s=1, aqua_batch_s=2)
    job_id = _create(api, [_q(), _q("select Id from Invoice")]).json()["id"]
    api.advance(1)
    job = _get(api, job_id)
    assert job["status"] == "executing"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", job["startTime"])
    assert [b["status"] for b in job["batches"]] == ["executing", "pending"]
    api.advance(2)
    job = _get(api, job_id)
    assert [b["status"] for b in job["batches"]] == ["completed", "executing"]
    assert re.fullmatch(r"[0-9a-f]{32}", job["batches"][0]["fileId"])
    assert "fileId" not in job["batches"][1]
    api.advance(2)
    job = _get(api, job_id)
    assert job["status"] == job["localizedStatus"] == "completed"
    assert all(b["status"] == b["localizedStatus"] == "completed" for b in job["batches"])


@pytest.mark.parametrize(
    ("outcome", "batch_status"),
    [("aborted", "aborted"), ("deleted_notallowed", "deleted_notallowed")],
)
def test_abort_hook(api: Api, outcome: str, batch_status: str) -> None:
    """The hook aborts the running batch and the job, with messages."""
    job_id = _create(api, [_q(), _q()]).json()["id"]
    api.advance(1)
    api.outcome(job_id, outcome)
    api.advance(3)
    job = _get(api, job_id)
    assert job["status"] == "aborted"
    assert job["message"]
    assert job["batches"][0]["status"] == batch_status
    assert job["batches"][0]["message"]
    assert job["batches"][1]["status"] == "pending"


# 25. Cancel ---
def test_cancel_keeps_finished_batches(make_api: Callable[..., Api]) -> None:
    """DELETE while executing: job cancelled, done batches keep fileId, unrun stay pending."""
    api = make_api(aqua_submit_s=1, aqua_batch_s=2)
    job_id = _create(api, [_q(), _q(), _q()]).json()["id"]
    api.advance(3.5)
    response = api.delete(f"/v1/batch-query/jobs/{job_id}")
    assert response.status_code == 200
    job = response.json()
    assert job["status"] == "cancelled"
    statuses = [b["status"] for b in job["batches"]]
    assert statuses == ["completed", "submitted", "pending"]
    assert "fileId" in job["batches"][0]
    for batch in job["batches"]:
        assert batch["status"] in BATCH_STATUSES
    again = api.delete(f"/v1/batch-query/jobs/{job_id}")
    assert again.status_code == 400
    assert again.json()["errorCode"] == "90003"


def test_unknown_job_and_post_to_job_path(api: Api) -> None:
    """An unknown id is 404 (90002); POST on the job path is 405."""
    missing = api.get("/v1/batch-query/jobs/" + "ab" * 16)
    assert missing.status_code == 404
    assert missing.json()["errorCode"] == "90002"
    job_id = _create(api).json()["id"]
    response = api.post(f"/v1/batch-query/jobs/{job_id}")
    assert response.status_code == 405
    assert "DELETE" in response.headers["allow"]


def test_last_completed_stateful_job(api: Api) -> None:
    """The partner/project route returns the newest completed stateful job."""
    body = {"version": "1.1", "partner": "Salesforce", "project": "00170000011K3Ub"}
    route = "/v1/batch-query/jobs/partner/Salesforce/project/00170000011K3Ub"
    assert api.get(route).status_code == 404
    job_id = _create(api, [_q()], **body).json()["id"]
    api.advance(60)
    assert api.get(route).json()["id"] == job_id
    second = _create(api, [_q()], **body).json()
    assert second["batches"][0]["full"] is False  # later loads are incremental
    stateless = _create(api, partner="Salesforce", project="p").json()
    assert stateless["errorCode"] == "90010"  # stateful needs version 1.1


# 26. Result files ---
@pytest.mark.parametrize("fmt", ["csv", "gzip", "zip"])
def test_result_file_formats(api: Api, fmt: str) -> None:
    """fileId downloads CSV, gzipped or zipped per the job's format."""
    job_id = _create(api, [_q("select Id, Name, Balance from Account")], format=fmt).json()["id"]
    api.advance(60)
    batch = _get(api, job_id)["batches"][0]
    response = api.get(f"/v1/files/{batch['fileId']}")
    assert response.status_code == 200
    data = response.content
    if fmt == "gzip":
        data = gzip.decompress(data)
    elif fmt == "zip":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            data = zf.read(zf.namelist()[0])
    rows = list(csv.reader(io.StringIO(data.decode())))
    assert rows[0] == ["Account.Id", "Account.Name", "Account.Balance"]
    assert len(rows) - 1 == batch["recordCount"]


def test_files_expire_after_ttl(make_api: Callable[..., Api]) -> None:
    """A result file 404s once older than file_ttl."""
    api = make_api(file_ttl=100)
    job_id = _create(api).json()["id"]
    api.advance(20)
    file_id = _get(api, job_id)["batches"][0]["fileId"]
    assert api.get(f"/v1/files/{file_id}").status_code == 200
    api.advance(100)
    gone = api.get(f"/v1/files/{file_id}")
    assert gone.status_code == 404
    assert gone.json()["success"] is False


def test_seeded_aqua_ids_are_discoverable(make_api: Callable[..., Api]) -> None:
    """Simulator.aqua_job_ids() lists seeded AQuA jobs, each gettable, several batches."""
    api = make_api(jobs=60)
    ids = api.server.sim.aqua_job_ids()
    assert len(ids) == 15
    jobs = [_get(api, i) for i in ids]
    assert max(len(j["batches"]) for j in jobs) >= 3
    assert any(b.get("fileId") for j in jobs for b in j["batches"])
    for job in jobs:
        assert isinstance(job["version"], str)
        assert job["format"] in {"CSV", "ZIP", "GZIP"}
        for batch in job["batches"]:
            assert batch["status"] in BATCH_STATUSES
