"""Unit tests for the job parsers: each family, timestamps, status tables, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ztui.api.errors import MalformedResponse
from ztui.api.models import Family, JobState
from ztui.api.parsing import parse_timestamp
from ztui.families import parse_job
from ztui.families.aqua import parse_aqua_batches, parse_aqua_job
from ztui.families.booking_date import parse_booking_date_job
from ztui.families.custom_object import parse_custom_object_job, parse_job_errors
from ztui.families.data_backfill import parse_data_backfill_job
from ztui.families.propagation import parse_propagation_job

HEX = "ff8080818bb300af018bb325fe0c58f3"


# ---------------------------------------------------------------- timestamps


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1699517693000, datetime(2023, 11, 9, 8, 14, 53, tzinfo=UTC)),
        ("1699517693000", datetime(2023, 11, 9, 8, 14, 53, tzinfo=UTC)),
        ("2021-03-10T00:05:54.207Z", datetime(2021, 3, 10, 0, 5, 54, 207000, tzinfo=UTC)),
        ("2021-03-15T06:47:18Z", datetime(2021, 3, 15, 6, 47, 18, tzinfo=UTC)),
        (
            "2023-12-14T16:03:26+0800",
            datetime(2023, 12, 14, 16, 3, 26, tzinfo=timezone(timedelta(hours=8))),
        ),
        (
            "2023-12-14T16:03:26-05:30",
            datetime(2023, 12, 14, 16, 3, 26, tzinfo=timezone(-timedelta(hours=5, minutes=30))),
        ),
        ("2014-09-03 08:20:07", datetime(2014, 9, 3, 8, 20, 7, tzinfo=UTC)),
        ("2014-09-03T08:20:07", datetime(2014, 9, 3, 8, 20, 7, tzinfo=UTC)),
        (None, None),
        ("", None),
    ],
)
def test_parse_timestamp_formats(value: object, expected: datetime | None) -> None:
    parsed = parse_timestamp(value)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is not None


def test_booking_readable_and_epoch_agree() -> None:
    assert parse_timestamp(1702541006000) == parse_timestamp("2023-12-14T16:03:26+0800")


@pytest.mark.parametrize("value", ["yesterday", True, [], {}, "2023-13-45T00:00:00Z", 10**30])
def test_parse_timestamp_rejects_garbage(value: object) -> None:
    with pytest.raises(MalformedResponse):
        parse_timestamp(value)


# ---------------------------------------------------------------- data backfill


def _backfill(**over: Any) -> dict[str, Any]:
    job: dict[str, Any] = {
        "id": HEX,
        "importType": "ProductRatePlanCharge",
        "status": "Processing",
        "uploadedOn": "1699517693000",
        "startedProcessingOn": "1699517694000",
        "completedOn": None,
        "totalCount": 10,
        "processedCount": 4,
        "successCount": 3,
        "failedCount": 1,
        "completedPercentage": 40,
        "failureMessage": "",
    }
    job.update(over)
    return job


def test_data_backfill_get_shape() -> None:
    job = parse_data_backfill_job(_backfill())
    assert job.family is Family.DATA_BACKFILL
    assert job.id == HEX
    assert job.kind == "ProductRatePlanCharge"
    assert job.state is JobState.RUNNING
    assert job.status == "Processing"
    assert job.progress == pytest.approx(0.4)
    assert (job.processed, job.succeeded, job.failed, job.total) == (4, 3, 1, 10)
    assert job.created_at == datetime(2023, 11, 9, 8, 14, 53, tzinfo=UTC)
    assert job.updated_at == datetime(2023, 11, 9, 8, 14, 54, tzinfo=UTC)
    assert job.message is None
    assert job.raw["importType"] == "ProductRatePlanCharge"


def test_data_backfill_list_shape_uses_type_and_iso() -> None:
    raw = _backfill(importType=None, type="InvoiceDetail", uploadedOn="2023-11-09T08:14:53Z")
    del raw["completedPercentage"]
    job = parse_data_backfill_job(raw)
    assert job.kind == "InvoiceDetail"
    assert job.created_at == datetime(2023, 11, 9, 8, 14, 53, tzinfo=UTC)
    # Without completedPercentage progress falls back to processed / total.
    assert job.progress == pytest.approx(0.4)


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("Pending", JobState.QUEUED),
        ("Processing", JobState.RUNNING),
        ("Completed", JobState.SUCCEEDED),
        ("Canceled", JobState.CANCELLED),
        ("Failed", JobState.FAILED),
        ("Stopping", JobState.STOPPING),
        ("Stopped", JobState.STOPPED),
        ("Accepted", JobState.UNKNOWN),
        ("Exploded", JobState.UNKNOWN),
    ],
)
def test_data_backfill_statuses(status: str, state: JobState) -> None:
    job = parse_data_backfill_job(_backfill(status=status))
    assert job.state is state
    assert job.status == status


def test_data_backfill_failure_message() -> None:
    job = parse_data_backfill_job(_backfill(status="Failed", failureMessage="Bad column X"))
    assert job.message == "Bad column X"
    assert job.state.is_terminal


# ---------------------------------------------------------------- booking / propagation


def _booking(**over: Any) -> dict[str, Any]:
    job: dict[str, Any] = {
        "id": HEX,
        "createdOn": 1702541006000,
        "createdOnReadable": "2023-12-14T16:03:26+0800",
        "updatedOn": 1702541066000,
        "updatedOnReadable": "2023-12-14T16:04:26+0800",
        "updatedByUsername": "a@b.c",
        "status": "PROCESSING",
        "type": "BookingDate",
        "batchSentCount": 8,
        "batchFinishedCount": 2,
        "errorCount": 0,
        "progress": "25.00%",
    }
    job.update(over)
    return job


def test_booking_job() -> None:
    job = parse_booking_date_job(_booking())
    assert job.family is Family.BOOKING_DATE
    assert job.kind == "BookingDate"
    assert job.state is JobState.RUNNING
    assert job.progress == pytest.approx(0.25)
    assert (job.processed, job.total, job.failed) == (2, 8, 0)
    assert job.created_at == datetime(2023, 12, 14, 8, 3, 26, tzinfo=UTC)
    assert job.updated_at == datetime(2023, 12, 14, 8, 4, 26, tzinfo=UTC)


def test_booking_without_type_or_progress() -> None:
    raw = _booking()
    del raw["type"], raw["progress"], raw["createdOn"]
    job = parse_booking_date_job(raw)
    assert job.kind == "BookingDate"
    assert job.progress == pytest.approx(0.25)
    assert job.created_at == datetime(2023, 12, 14, 8, 3, 26, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("ACCEPTED", JobState.QUEUED),
        ("COMPLETED", JobState.SUCCEEDED),
        ("FAILED", JobState.FAILED),
        ("STOPPED", JobState.STOPPED),
        ("STOPPING", JobState.UNKNOWN),
    ],
)
def test_booking_statuses(status: str, state: JobState) -> None:
    assert parse_booking_date_job(_booking(status=status)).state is state


def test_booking_bad_progress() -> None:
    with pytest.raises(MalformedResponse, match="progress"):
        parse_booking_date_job(_booking(progress="lots"))


def test_propagation_job() -> None:
    job = parse_propagation_job(_booking(type="OrderLineItem", status="COMPLETED", progress="100%"))
    assert job.family is Family.PROPAGATION
    assert job.kind == "OrderLineItem"
    assert job.state is JobState.SUCCEEDED
    assert job.progress == 1.0


# ---------------------------------------------------------------- custom objects


def _co(**over: Any) -> dict[str, Any]:
    job: dict[str, Any] = {
        "Id": "a9e9a58d-0a11-4685-b1ab-99521dbc20a1",
        "CreatedById": "u1",
        "CreatedDate": "2021-03-10T00:05:54.207Z",
        "UpdatedById": "u1",
        "UpdatedDate": "2021-03-15T06:47:18Z",
        "namespace": "default",
        "object": "vehicle",
        "operation": "create",
        "status": "in_progress",
        "processingTime": 0,
        "recordsProcessed": 12,
    }
    job.update(over)
    return job


def test_custom_object_job() -> None:
    job = parse_custom_object_job(_co())
    assert job.family is Family.CUSTOM_OBJECT
    assert job.id == "a9e9a58d-0a11-4685-b1ab-99521dbc20a1"
    assert job.kind == "vehicle:create"
    assert job.raw["namespace"] == "default"
    assert job.state is JobState.RUNNING
    assert job.progress is None
    assert job.processed == 12
    assert job.created_at == datetime(2021, 3, 10, 0, 5, 54, 207000, tzinfo=UTC)
    assert job.updated_at == datetime(2021, 3, 15, 6, 47, 18, tzinfo=UTC)


def test_custom_object_failed_with_error() -> None:
    job = parse_custom_object_job(
        _co(status="failed", error={"code": 71012560, "message": "Service limit reached"})
    )
    assert job.state is JobState.FAILED
    assert job.progress == 1.0
    assert job.message == "Service limit reached"


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("pending", JobState.QUEUED),
        ("accepted", JobState.QUEUED),
        ("completed", JobState.SUCCEEDED),
        ("cancelled", JobState.CANCELLED),
        ("paused", JobState.UNKNOWN),
    ],
)
def test_custom_object_statuses(status: str, state: JobState) -> None:
    assert parse_custom_object_job(_co(status=status)).state is state


def test_job_errors() -> None:
    errors = parse_job_errors(
        {
            "errors": [
                {"code": 71012520, "message": "not a UUID", "row": 3, "record": {"Id": "x"}},
                {"code": "71012520", "message": "m"},
            ]
        }
    )
    assert [(e.row, e.code, e.message) for e in errors] == [
        (3, "71012520", "not a UUID"),
        (None, "71012520", "m"),
    ]
    assert errors[0].record == {"Id": "x"}
    assert parse_job_errors({}) == []


# ---------------------------------------------------------------- AQuA


def _aqua(**over: Any) -> dict[str, Any]:
    job: dict[str, Any] = {
        "id": HEX,
        "name": "nightly",
        "status": "executing",
        "version": "1.1",
        "format": "CSV",
        "startTime": "2014-09-03 08:20:07",
        "batches": [
            {
                "batchId": "b" * 32,
                "name": "accounts",
                "query": "select Id from Account",
                "status": "completed",
                "recordCount": "12",
                "fileId": "f" * 32,
            },
            {"batchId": "c" * 32, "name": "subs", "query": "q2", "status": "pending"},
        ],
    }
    job.update(over)
    return job


def test_aqua_job() -> None:
    job = parse_aqua_job(_aqua())
    assert job.family is Family.AQUA
    assert job.kind == "nightly"
    assert job.state is JobState.RUNNING
    assert job.progress == pytest.approx(0.5)
    assert (job.processed, job.total) == (1, 2)
    assert job.created_at == datetime(2014, 9, 3, 8, 20, 7, tzinfo=UTC)
    batches = parse_aqua_batches(job.raw)
    assert batches[0].record_count == 12
    assert batches[0].file_id == "f" * 32
    assert batches[1].file_id is None
    assert batches[1].record_count is None


def test_aqua_unnamed_error_message() -> None:
    job = parse_aqua_job(
        _aqua(name=None, status="aborted", message="query failed", errorCode="90005", batches=[])
    )
    assert job.kind == "(unnamed)"
    assert job.state is JobState.FAILED
    assert job.message == "query failed (error 90005)"
    assert job.progress is None


def test_aqua_null_id_is_malformed() -> None:
    with pytest.raises(MalformedResponse, match="id"):
        parse_aqua_job(_aqua(id=None, status="error"))


# ---------------------------------------------------------------- dispatch and bad input


def test_parse_job_dispatches() -> None:
    assert parse_job(Family.AQUA, _aqua()).family is Family.AQUA
    assert parse_job(Family.CUSTOM_OBJECT, _co()).family is Family.CUSTOM_OBJECT


@pytest.mark.parametrize(
    "raw",
    [
        None,
        [],
        "job",
        {},
        {"id": ""},
        {"id": HEX, "totalCount": "many"},
        {"id": HEX, "completedPercentage": True},
        {"id": HEX, "status": {"x": 1}},
        {"id": HEX, "uploadedOn": "not a date"},
        {"id": [HEX]},
    ],
)
def test_data_backfill_malformed(raw: object) -> None:
    with pytest.raises(MalformedResponse):
        parse_data_backfill_job(raw)


PARSERS = [
    parse_data_backfill_job,
    parse_booking_date_job,
    parse_propagation_job,
    parse_custom_object_job,
    parse_aqua_job,
    parse_job_errors,
    parse_aqua_batches,
]

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)
field_names = st.sampled_from(
    [
        "id",
        "Id",
        "status",
        "type",
        "importType",
        "object",
        "operation",
        "progress",
        "completedPercentage",
        "totalCount",
        "processedCount",
        "batchSentCount",
        "batchFinishedCount",
        "recordsProcessed",
        "uploadedOn",
        "createdOn",
        "createdOnReadable",
        "CreatedDate",
        "startTime",
        "error",
        "errors",
        "batches",
        "message",
        "errorCode",
        "failureMessage",
        "row",
        "record",
        "recordCount",
        "segments",
        "fileId",
    ]
)
# Objects whose keys are the ones parsers look at, so the type checks really get exercised.
job_like = st.dictionaries(field_names, json_values | st.lists(json_values, max_size=3))


@settings(max_examples=150, deadline=None)
@given(raw=json_values | job_like)
def test_parsers_raise_only_malformed(raw: object) -> None:
    for parser in PARSERS:
        try:
            parser(raw)
        except MalformedResponse:
            pass


@settings(max_examples=150, deadline=None)
@given(value=json_values)
def test_parse_timestamp_raises_only_malformed(value: object) -> None:
    try:
        result = parse_timestamp(value)
    except MalformedResponse:
        return
    assert result is None or result.tzinfo is not None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), ("true", True), ("FALSE", False), ("maybe", None), (1, None)],
)
def test_propagation_dry_run_is_read_when_the_job_says(
    value: object, expected: bool | None
) -> None:
    job = parse_propagation_job(_booking(type="RatePlanCharge", status="COMPLETED", dryRun=value))
    assert job.dry_run is expected
    silent = parse_propagation_job(_booking(type="RatePlanCharge", status="COMPLETED"))
    assert silent.dry_run is None
