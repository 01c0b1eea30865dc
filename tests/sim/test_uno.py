"""Checklist items 10-16, 27 and 29: data-backfill, booking-date and propagation jobs."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from tests.sim.support import Api

DB = "/v1/uno/data-backfill"
KEY = "RatePlanChargeId"
HEADER = f"{KEY},RevenueRecognitionTiming,ProductFamily\n"


def _csv(rows: int, bad: tuple[int, ...] = ()) -> bytes:
    lines = [HEADER]
    for i in range(rows):
        timing = "INVALID" if i in bad else "Upon Booking"
        lines.append(f"{i:032x},{timing},Cloud\n")
    return "".join(lines).encode()


def _create(api: Api, data: bytes, name: str = "rpc.csv", **fields: Any) -> Any:
    form = {"type": "RatePlanCharge", **fields}
    return api.post(f"{DB}/jobs", data=form, files={"file": (name, data, "text/csv")})


def _job(api: Api, job_id: str) -> dict[str, Any]:
    body = api.get(f"{DB}/jobs/{job_id}").json()
    assert body["success"] is True
    job: dict[str, Any] = body["job"]
    return job


# 10. IDs ---
def test_ids_are_32_hex_and_bad_ids_rejected(api: Api) -> None:
    """Uno ids are 32 lowercase hex; unknown ids 404; wrong-length ids 400 success:false."""
    job_id = _create(api, _csv(3)).json()["jobId"]
    assert re.fullmatch(r"[0-9a-f]{32}", job_id)
    unknown = api.get(f"{DB}/jobs/{'0' * 32}")
    assert unknown.status_code == 404
    assert unknown.json()["success"] is False
    short = api.get(f"{DB}/jobs/abc")
    assert short.status_code == 400
    body = short.json()
    assert body["success"] is False
    assert isinstance(body["reasons"][0]["code"], str)
    assert isinstance(body["processId"], str)
    assert body["requestId"] == short.headers["zuora-request-id"]
    assert api.get(f"{DB}/bookingdate/jobs/{'1' * 31}").status_code == 400
    assert api.get(f"{DB}/bookingdate/jobs/{'1' * 32}").status_code == 404


# 11. Create validation ---
@pytest.mark.parametrize(
    ("form", "files", "category"),
    [
        ({"type": "Nope"}, {"file": ("a.csv", b"x\n1\n", "text/csv")}, "20"),
        ({}, {"file": ("a.csv", b"x\n1\n", "text/csv")}, "22"),
        ({"type": "RatePlanCharge"}, {"other": ("a.csv", b"x", "text/csv")}, "22"),
        ({"type": "RatePlanCharge"}, {"file": ("a.txt", b"x\n1\n", "text/plain")}, "20"),
        ({"type": "RatePlanCharge"}, {"file": ("a.csv", b"", "text/csv")}, "22"),
        (
            {"type": "RatePlanCharge", "checksum": "abc"},
            {"file": ("a.csv", b"x", "text/csv")},
            "20",
        ),
        (
            {"type": "RatePlanCharge", "checksum": "0" * 32},
            {"file": ("a.csv", b"x", "text/csv")},
            "20",
        ),
        (
            {"type": "RatePlanCharge"},
            {"file": ("a.csv", b"x" * (4 * 1024 * 1024 + 1), "text/csv")},
            "20",
        ),
    ],
)
def test_create_validation(
    api: Api, form: dict[str, str], files: dict[str, Any], category: str
) -> None:
    """Each bad upload is 400 with success:false and a category-20/22 string code."""
    response = api.post(f"{DB}/jobs", data=form, files=files)
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert body["reasons"][0]["code"].endswith(category)
    assert len(body["reasons"][0]["code"]) == 8


def test_create_needs_multipart(api: Api) -> None:
    """A JSON create is refused."""
    response = api.post(f"{DB}/jobs", json={"type": "RatePlanCharge"})
    assert response.status_code == 400


def test_create_accepts_good_checksum_quoted_type_and_zip(api: Api) -> None:
    """MD5 checksum matches, a quoted type value (REF curl) and a zipped CSV all work."""
    data = _csv(4)
    ok = _create(api, data, checksum=hashlib.md5(data).hexdigest())
    assert ok.json() == {"success": True, "jobId": ok.json()["jobId"]}
    quoted = api.post(
        f"{DB}/jobs",
        data={"type": '"RatePlanCharge"'},
        files={"file": ("a.csv", data, "text/csv")},
    )
    assert quoted.status_code == 200
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("inner.csv", data)
    zipped = _create(api, buf.getvalue(), name="rpc.zip")
    assert zipped.status_code == 200
    api.advance(60)
    assert _job(api, zipped.json()["jobId"])["totalCount"] == 4


# 12 + 13. Job model and state machine ---
def test_data_backfill_lifecycle_and_fields(api: Api) -> None:
    """Pending (validation) -> Processing (counters rise) -> Completed, every field present."""
    job_id = _create(api, _csv(25, bad=(3, 17))).json()["jobId"]
    job = _job(api, job_id)
    assert job["status"] == "Pending"
    assert job["importType"] == "RatePlanCharge"
    assert "type" not in job
    assert job["uploadedOn"].isdigit()
    assert "startedProcessingOn" not in job
    api.advance(2)  # default validation delay
    job = _job(api, job_id)
    assert job["status"] == "Processing"
    assert job["processedCount"] == 0
    api.advance(1)
    job = _job(api, job_id)
    assert job["processedCount"] == 10
    assert job["successCount"] + job["failedCount"] == job["processedCount"]
    assert job["failedCount"] == 1
    assert job["completedPercentage"] == 40
    assert job["remainingTime"] > 0
    api.advance(5)
    job = _job(api, job_id)
    assert job["status"] == "Completed"
    assert (job["totalCount"], job["processedCount"], job["failedCount"]) == (25, 25, 2)
    assert job["completedPercentage"] == 100
    assert int(job["completedOn"]) >= int(job["startedProcessingOn"]) > int(job["uploadedOn"])
    for key in (
        "uploadedFileId",
        "uploadedFileName",
        "uploadedFileUrl",
        "uploadedFileSize",
        "inputFileSize",
        "outputSize",
        "outputType",
        "outputFileSize",
        "uploadedBy",
        "resultFileId",
        "resultFileName",
        "resultFileUrl",
        "failureMessage",
        "remainingTime",
        "remainingTimeText",
    ):
        assert key in job, key
    assert re.fullmatch(r"\d+(\.\d)?(Byte|KB|MB)", job["uploadedFileSize"])
    assert isinstance(job["inputFileSize"], int)
    assert job["failureMessage"] == ""


def test_result_file_has_success_and_error_columns(api: Api) -> None:
    """The result zip holds the uploaded rows plus Success and Error Message columns."""
    job_id = _create(api, _csv(5, bad=(1,))).json()["jobId"]
    api.advance(30)
    job = _job(api, job_id)
    assert job["resultFileUrl"] == f"{api.server.base_url}/v1/files/{job['resultFileId']}"
    download = api.get(f"/v1/files/{job['resultFileId']}")
    assert download.status_code == 200
    assert len(download.content) == job["outputFileSize"]
    with zipfile.ZipFile(io.BytesIO(download.content)) as zf:
        rows = list(csv.reader(io.StringIO(zf.read(zf.namelist()[0]).decode())))
    assert rows[0][-2:] == ["Success", "Error Message"]
    assert [r[-2] for r in rows[1:]] == ["true", "false", "true", "true", "true"]
    assert "INVALID" in rows[2][-1]
    uploaded = api.get(f"/v1/files/{job['uploadedFileId']}")
    assert uploaded.content == _csv(5, bad=(1,))


def test_list_shape_type_key_and_both_flag(api: Api) -> None:
    """List uses `type`, get uses `importType`; type_keys=both sends both everywhere."""
    _create(api, _csv(2))
    listed = api.get(f"{DB}/listjobs").json()["jobs"][0]
    assert listed["type"] == "RatePlanCharge"
    assert "importType" not in listed
    api.configure(type_keys="both")
    listed = api.get(f"{DB}/listjobs").json()["jobs"][0]
    got = _job(api, listed["id"])
    assert listed["type"] == listed["importType"] == got["type"] == got["importType"]


def test_iso_timestamps_flag(api: Api) -> None:
    """timestamps=iso emits ISO 8601 with a zone instead of epoch-ms strings."""
    job_id = _create(api, _csv(2)).json()["jobId"]
    api.configure(timestamps="iso")
    stamp = _job(api, job_id)["uploadedOn"]
    assert datetime.fromisoformat(stamp).tzinfo is not None
    api.configure(timestamps="epoch")
    assert _job(api, job_id)["uploadedOn"].isdigit()


def test_validation_failure_ends_pending_as_failed(api: Api) -> None:
    """A file without the template's key column fails during Pending with a message."""
    job_id = _create(api, b"Foo,Bar\n1,2\n").json()["jobId"]
    api.advance(2)
    job = _job(api, job_id)
    assert job["status"] == "Failed"
    assert KEY in job["failureMessage"]


def test_stop_pending_and_processing(api: Api) -> None:
    """PUT Stopping -> Stopping, then Stopped after the stop delay; CommonResponse body."""
    job_id = _create(api, _csv(100)).json()["jobId"]
    api.advance(3)
    response = api.put(f"{DB}/jobs/{job_id}", json={"status": "Stopping"})
    body = response.json()
    assert response.status_code == 200
    assert body["success"] is True
    assert isinstance(body["processId"], str)
    assert len(body["requestId"]) == 36
    assert _job(api, job_id)["status"] == "Stopping"
    api.advance(3)
    job = _job(api, job_id)
    assert job["status"] == "Stopped"
    assert job["processedCount"] == 10


def test_stop_rules(api: Api) -> None:
    """Only {"status":"Stopping"} is accepted; a terminal job is 400 category 30."""
    job_id = _create(api, _csv(1)).json()["jobId"]
    bad = api.put(f"{DB}/jobs/{job_id}", json={"status": "Stopped"})
    assert bad.status_code == 400
    assert api.put(f"{DB}/jobs/{job_id}", json={}).status_code == 400
    api.advance(10)
    done = api.put(f"{DB}/jobs/{job_id}", json={"status": "Stopping"})
    assert done.status_code == 400
    assert done.json()["reasons"][0]["code"].endswith("30")


@pytest.mark.parametrize(
    ("outcome", "status"),
    [("failed", "Failed"), ("cancelled", "Canceled"), ("completed", "Completed")],
)
def test_outcome_hook(api: Api, outcome: str, status: str) -> None:
    """/_sim/outcome ends the job that way at its next transition (Canceled only by hook)."""
    job_id = _create(api, _csv(200)).json()["jobId"]
    api.advance(3)
    api.outcome(job_id, outcome)
    assert _job(api, job_id)["status"] == "Processing"
    api.advance(1)
    job = _job(api, job_id)
    assert job["status"] == status
    if status == "Failed":
        assert job["failureMessage"]


# 14. Template ---
@pytest.mark.parametrize(
    "kind",
    [
        "ProductRatePlanCharge",
        "RatePlanCharge",
        "InvoiceDetail",
        "MemoDetail",
        "InvoiceItemAdjustment",
    ],
)
def test_template_per_type(api: Api, kind: str) -> None:
    """CSV with an attachment filename and a header labelled as simulated."""
    response = api.get(f"{DB}/jobs/{kind}/template", headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == f'attachment; filename="{kind}.csv"'
    header = next(csv.reader(io.StringIO(response.text)))
    assert header[0].startswith("#")
    assert "SIMULATED" in header[0]
    assert not header[1].startswith("#")


def test_template_unknown_type_is_400(api: Api) -> None:
    """An unknown JobType is a 400."""
    response = api.get(f"{DB}/jobs/Nope/template")
    assert response.status_code == 400
    assert response.json()["success"] is False


# 15. Booking-date ---
def test_booking_lifecycle(make_api: Callable[..., Any]) -> None:
    """ACCEPTED -> PROCESSING (batches advance, NN.NN% progress) -> COMPLETED."""
    api = make_api(bd_batches=6, bd_batches_per_tick=2)
    created = api.post(f"{DB}/bookingdate/jobs")
    assert created.json()["success"] is True
    job_id = created.json()["jobId"]
    job = api.get(f"{DB}/bookingdate/jobs/{job_id}").json()["job"]
    assert job["status"] == "ACCEPTED"
    assert job["type"] == "BookingDate"
    assert isinstance(job["createdOn"], int)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", job["createdOnReadable"])
    api.advance(3)
    job = api.get(f"{DB}/bookingdate/jobs/{job_id}").json()["job"]
    assert job["status"] == "PROCESSING"
    assert 0 < job["batchFinishedCount"] < job["batchSentCount"] <= 6
    assert re.fullmatch(r"\d{1,3}\.\d\d%", job["progress"])
    assert job["updatedOn"] > job["createdOn"]
    api.advance(5)
    job = api.get(f"{DB}/bookingdate/jobs/{job_id}").json()["job"]
    assert job["status"] == "COMPLETED"
    assert job["batchSentCount"] == job["batchFinishedCount"] == 6
    assert job["progress"] == "100.00%"
    assert [j["id"] for j in api.get(f"{DB}/bookingdate/jobs").json()["jobs"]] == [job_id]


def test_booking_stop_and_unknown_status(api: Api) -> None:
    """Stop gives STOPPED; with unknown_statuses it shows STOPPING first."""
    job_id = api.post(f"{DB}/bookingdate/jobs").json()["jobId"]
    assert (
        api.put(f"{DB}/bookingdate/jobs/{job_id}", json={"status": "Stopping"}).status_code == 200
    )
    assert api.get(f"{DB}/bookingdate/jobs/{job_id}").json()["job"]["status"] == "STOPPED"
    again = api.put(f"{DB}/bookingdate/jobs/{job_id}", json={"status": "Stopping"})
    assert again.status_code == 400
    api.configure(unknown_statuses=True)
    other = api.post(f"{DB}/bookingdate/jobs").json()["jobId"]
    api.put(f"{DB}/bookingdate/jobs/{other}", json={"status": "Stopping"})
    assert api.get(f"{DB}/bookingdate/jobs/{other}").json()["job"]["status"] == "STOPPING"
    api.advance(3)
    assert api.get(f"{DB}/bookingdate/jobs/{other}").json()["job"]["status"] == "STOPPED"


# 16. Propagation ---
@pytest.mark.parametrize(
    "body",
    [
        {},
        {"type": "Account"},
        {"type": "RatePlanCharge", "batchSize": 0},
        {"type": "RatePlanCharge", "batchSize": 1001},
        {"type": "RatePlanCharge", "batchSize": "10"},
        {"type": "OrderLineItem", "dryRun": "yes"},
    ],
)
def test_propagation_validation(api: Api, body: dict[str, Any]) -> None:
    """Bad bodies are 400 in the uno shape."""
    response = api.post(f"{DB}/propagation/jobs", json=body)
    assert response.status_code == 400
    assert response.json()["success"] is False


def test_propagation_batches_and_lifecycle(make_api: Callable[..., Any]) -> None:
    """batchSentCount reaches ceil(records / batchSize); the job completes."""
    api = make_api(prop_records=2500)
    job_id = api.post(
        f"{DB}/propagation/jobs", json={"type": "OrderLineItem", "batchSize": 1000, "dryRun": True}
    ).json()["jobId"]
    api.advance(60)
    job = api.get(f"{DB}/propagation/jobs/{job_id}").json()["job"]
    assert job["status"] == "COMPLETED"
    assert job["type"] == "OrderLineItem"
    assert job["batchSentCount"] == 3
    stop = api.put(f"{DB}/propagation/jobs/{job_id}", json={"status": "Stopping"})
    assert stop.status_code == 400


def test_propagation_read_api_flag(make_api: Callable[..., Any]) -> None:
    """With the REF-only calls off, list/get/stop 404 but create still works."""
    api = make_api(propagation_read_api=False)
    created = api.post(f"{DB}/propagation/jobs", json={"type": "RatePlanCharge"})
    assert created.status_code == 200
    job_id = created.json()["jobId"]
    assert api.get(f"{DB}/propagation/jobs").status_code == 404
    assert api.get(f"{DB}/propagation/jobs/{job_id}").status_code == 404
    assert (
        api.put(f"{DB}/propagation/jobs/{job_id}", json={"status": "Stopping"}).status_code == 404
    )


# 27. success:false with HTTP 200 ---
def test_success_false_with_http_200(make_api: Callable[..., Any]) -> None:
    """The switch turns uno 400s into HTTP 200 with success:false."""
    api = make_api(success_false_http_200=True)
    response = api.get(f"{DB}/jobs/Nope/template")
    assert response.status_code == 200
    assert response.json()["success"] is False
    fault_api = make_api()
    fault_api.fault(route=f"GET {DB}/bookingdate/jobs", kind="success_false", times=1)
    once = fault_api.get(f"{DB}/bookingdate/jobs")
    assert (once.status_code, once.json()["success"]) == (200, False)
    assert fault_api.get(f"{DB}/bookingdate/jobs").json()["success"] is True


# 29. Unknown values ---
def test_unknown_statuses_switch(make_api: Callable[..., Any]) -> None:
    """unknown_statuses shows a pending data-backfill job as `Accepted`."""
    api = make_api(unknown_statuses=True)
    job_id = _create(api, _csv(2)).json()["jobId"]
    assert _job(api, job_id)["status"] == "Accepted"
    api.advance(2)
    assert _job(api, job_id)["status"] == "Processing"
