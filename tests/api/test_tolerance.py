"""The client's tolerance rules (docs/tolerance.md), each against a scripted tenant.

Every test sends an answer a real tenant may send and checks what the client makes of it:
a job object that cannot be read never hides the others (rule 1), only transient failures
are retried (rule 2), and so on, rule by rule.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ztui.api.errors import MalformedResponse
from ztui.api.models import Family, JobState

from .mock_tenant import answer, tenant

pytestmark = pytest.mark.anyio

UNO = "/v1/uno/data-backfill"
HEX_A = "a" * 32
HEX_B = "b" * 32


def _booking(job_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": job_id,
        "status": "PROCESSING",
        "type": "BookingDate",
        "progress": "50.00%",
        "batchSentCount": 10,
        "batchFinishedCount": 5,
        "createdOn": 1702541006000,
        **extra,
    }


# ---------------------------------------------------------------- rule 1: isolation


async def test_one_unreadable_job_never_hides_the_others() -> None:
    bad = _booking(HEX_B, batchSentCount={"value": 12})
    body = {"success": True, "jobs": [_booking(HEX_A), bad]}
    async with tenant(lambda _r: answer(200, body)) as (client, _rec):
        jobs = await client.list_booking_date_jobs()
    by_id = {job.id: job for job in jobs}
    assert by_id[HEX_A].state is JobState.RUNNING
    odd = by_id[HEX_B]
    assert odd.state is JobState.UNREADABLE
    assert odd.unreadable is not None
    assert odd.unreadable.job_id == HEX_B
    assert odd.unreadable.value == bad
    assert "batchSentCount" in odd.unreadable.reason
    assert "batchSentCount" in odd.unreadable.excerpt


async def test_an_unreadable_job_without_an_id_keeps_a_stable_key() -> None:
    no_id = {"importType": "RatePlanCharge", "status": "Completed", "uploadedOn": "yesterday"}
    good = {"id": HEX_A, "status": "Completed", "importType": "RatePlanCharge"}
    body = {"success": True, "jobs": [good, no_id, "not a job"]}
    async with tenant(lambda _r: answer(200, body)) as (client, _rec):
        first = await client.list_data_backfill_jobs()
        second = await client.list_data_backfill_jobs()
    assert [j.state for j in first] == [
        JobState.SUCCEEDED,
        JobState.UNREADABLE,
        JobState.UNREADABLE,
    ]
    assert [j.id for j in first] == [j.id for j in second]
    odd = first[1]
    assert odd.unreadable is not None
    assert odd.unreadable.job_id is None
    assert odd.id.startswith("unreadable-")
    assert odd.kind == "RatePlanCharge"
    not_object = first[2]
    assert not_object.unreadable is not None
    assert not_object.unreadable.value == "not a job"
    assert not_object.id != odd.id


async def test_custom_object_page_keeps_readable_jobs_beside_a_broken_one() -> None:
    good = {"Id": "11111111-1111-4111-8111-111111111111", "status": "completed"}
    bad = {"Id": "22222222-2222-4222-8222-222222222222", "status": ["completed"]}
    body = {"count": 2, "cursor": None, "jobs": [bad, good]}
    async with tenant(lambda _r: answer(200, body)) as (client, _rec):
        jobs = await client.list_all_custom_object_jobs()
    assert [j.state for j in jobs] == [JobState.UNREADABLE, JobState.SUCCEEDED]
    assert jobs[0].id == bad["Id"]
    assert jobs[0].family is Family.CUSTOM_OBJECT


# ---------------------------------------------------------------- rule 2: retries


async def test_a_malformed_answer_is_raised_once_and_not_retried() -> None:
    page = b"<html><body>Service temporarily unavailable</body></html>"
    async with tenant(lambda _r: answer(200, page)) as (client, rec):
        with pytest.raises(MalformedResponse):
            await client.list_booking_date_jobs()
    assert rec.paths() == [f"GET {UNO}/bookingdate/jobs"]


async def test_a_list_without_jobs_is_malformed_and_not_retried() -> None:
    async with tenant(lambda _r: answer(200, {"success": True})) as (client, rec):
        with pytest.raises(MalformedResponse, match="jobs"):
            await client.list_booking_date_jobs()
    assert len(rec.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
async def test_transient_answers_are_retried(status: int) -> None:
    calls = {"n": 0}

    def handler(_request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return answer(status, {"message": "busy"}, **{"Retry-After": "0"})
        return answer(200, {"success": True, "jobs": [_booking(HEX_A)]})

    async with tenant(handler) as (client, rec):
        jobs = await client.list_booking_date_jobs()
    assert [j.id for j in jobs] == [HEX_A]
    assert len(rec.requests) == 2


async def test_dropped_connections_are_retried() -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.RemoteProtocolError("peer closed connection", request=request)
        return answer(200, {"success": True, "jobs": []})

    async with tenant(handler) as (client, rec):
        assert await client.list_booking_date_jobs() == []
    assert len(rec.requests) == 2


@pytest.mark.parametrize("status", [400, 404, 409])
async def test_refusals_are_not_retried(status: int) -> None:
    body = {"success": False, "reasons": [{"code": "53100020", "message": "no"}]}
    async with tenant(lambda _r: answer(status, body)) as (client, rec):
        with pytest.raises(Exception, match="no"):
            await client.list_booking_date_jobs()
    assert len(rec.requests) == 1


# ---------------------------------------------------------------- rule 8: paging


def _co_id(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def _co_pages(total: int, cap: int, repeat_at: int | None = None) -> Any:
    """A tenant listing `total` jobs newest first, at most `cap` a page."""
    jobs = [{"Id": _co_id(n), "status": "completed"} for n in range(total, 0, -1)]

    def handler(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        start = 0 if cursor is None else [j["Id"] for j in jobs].index(cursor) + 1
        page = jobs[start : start + cap]
        next_cursor = page[-1]["Id"] if page else None
        if repeat_at is not None and start >= repeat_at:
            next_cursor = cursor  # the same cursor again
        return answer(200, {"count": len(page), "cursor": next_cursor, "jobs": page})

    return handler


async def test_short_pages_never_end_the_walk() -> None:
    async with tenant(_co_pages(95, cap=20)) as (client, rec):
        jobs = await client.list_all_custom_object_jobs()
    assert len(jobs) == 95
    assert len({j.id for j in jobs}) == 95
    # 5 pages of jobs, then the empty page that ends the list.
    assert len(rec.requests) == 6
    assert all(r.url.params["pageSize"] == "40" for r in rec.requests)


async def test_a_repeated_cursor_stops_the_walk_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with tenant(_co_pages(95, cap=20, repeat_at=40)) as (client, rec):
        first = await client.list_all_custom_object_jobs()
        second = await client.list_all_custom_object_jobs()
    assert len(first) == len(second) == 60
    warnings = [r for r in caplog.records if "a second time" in r.getMessage()]
    assert len(warnings) == 1
    assert client.error_log[-1].kind == "MalformedResponse"
    # Pages at 0, 20 and 40 (whose cursor is the one sent): three calls a walk.
    assert len(rec.requests) == 6


# ---------------------------------------------------------------- rule 7: spellings

DATA_LIST = "/v1/uno/data-backfill/listjobs"
DATE_LIST = "/v1/uno/date-backfill/listjobs"
GOOD_LIST = {"success": True, "jobs": [{"id": HEX_A, "status": "Completed"}]}
REFUSALS = {
    "404": (404, {"message": "Not Found"}),
    "405": (405, {"message": "Method Not Allowed"}),
    "400": (400, {"success": False, "reasons": [{"code": "50000020", "message": "bad"}]}),
    "403": (403, {"message": "Forbidden"}),
    "200 success:false": (
        200,
        {"success": False, "reasons": [{"code": "50000040", "message": "no such path"}]},
    ),
    "200 without jobs": (200, {"success": True}),
}


@pytest.mark.parametrize("refusal", list(REFUSALS))
async def test_data_backfill_list_falls_back_on_any_unsuccessful_answer(refusal: str) -> None:
    status, body = REFUSALS[refusal]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == DATA_LIST:
            return answer(status, body)
        return answer(200, GOOD_LIST)

    async with tenant(handler) as (client, rec):
        first = await client.list_data_backfill_jobs()
        second = await client.list_data_backfill_jobs()
    assert [j.id for j in first] == [j.id for j in second] == [HEX_A]
    # The spelling that worked is remembered for the connection.
    assert rec.paths() == [f"GET {DATA_LIST}", f"GET {DATE_LIST}", f"GET {DATE_LIST}"]


async def test_the_other_spelling_is_tried_again_only_when_the_remembered_one_stops() -> None:
    broken = {"date": False}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == DATE_LIST and broken["date"]:
            return answer(405, {"message": "Method Not Allowed"})
        if request.url.path == DATA_LIST and not broken["date"]:
            return answer(404, {"message": "Not Found"})
        return answer(200, GOOD_LIST)

    async with tenant(handler) as (client, rec):
        await client.list_data_backfill_jobs()
        await client.list_data_backfill_jobs()
        broken["date"] = True
        await client.list_data_backfill_jobs()
        await client.list_data_backfill_jobs()
    assert rec.paths() == [
        f"GET {DATA_LIST}",
        f"GET {DATE_LIST}",
        f"GET {DATE_LIST}",
        f"GET {DATE_LIST}",
        f"GET {DATA_LIST}",
        f"GET {DATA_LIST}",
    ]


async def test_transient_failures_do_not_switch_spelling() -> None:
    async with tenant(lambda _r: answer(503, {"message": "down"}), max_retries=0) as (
        client,
        rec,
    ):
        with pytest.raises(Exception, match="down"):
            await client.list_data_backfill_jobs()
    assert rec.paths() == [f"GET {DATA_LIST}"]


async def test_both_spellings_failing_raise_the_more_telling_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == DATA_LIST:
            return answer(404, {"message": "Not Found"})
        return answer(403, {"message": "You lack the Data Backfill permission"})

    async with tenant(handler) as (client, _rec):
        with pytest.raises(Exception, match="Data Backfill permission"):
            await client.list_data_backfill_jobs()


# ---------------------------------------------------------------- rule 9: one entity

ENTITY = "0e5c1b2a-3d4f-4a6b-8c7d-9e0f1a2b3c4d"


async def test_zuora_entity_ids_carries_the_one_entity_on_every_call() -> None:
    from ztui.core.secret import Secret

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return answer(200, {"access_token": "tok", "token_type": "bearer", "expires_in": 3599})
        return answer(200, {"success": True, "jobs": []})

    async with tenant(
        handler,
        bearer_token=None,
        client_id="c" * 36,
        client_secret=Secret("s3cret"),
        entity_id=ENTITY,
    ) as (client, rec):
        await client.list_booking_date_jobs()
    assert rec.paths() == ["POST /oauth/token", f"GET {UNO}/bookingdate/jobs"]
    assert [r.headers.get("Zuora-Entity-Ids") for r in rec.requests] == [ENTITY, ENTITY]


async def test_no_entity_no_header() -> None:
    async with tenant(lambda _r: answer(200, {"success": True, "jobs": []})) as (client, rec):
        await client.list_booking_date_jobs()
    assert "Zuora-Entity-Ids" not in rec.requests[0].headers


# ---------------------------------------------------------------- rule 10: AQuA cancel


def _aqua(status: str, **extra: Any) -> dict[str, Any]:
    return {"id": HEX_A, "status": status, "name": "q", "version": "1.1", "batches": [], **extra}


LATE = _aqua("completed", errorCode="90003", message=f"Job {HEX_A} is completed.")


@pytest.mark.parametrize(
    ("status", "body", "finished"),
    [
        (200, LATE, True),
        (400, LATE, True),
        (200, _aqua("executing", errorCode="90010", message="busy"), False),
        (200, _aqua("executing"), False),
    ],
)
async def test_an_aqua_cancel_that_did_not_cancel_is_a_refusal(
    status: int, body: dict[str, Any], finished: bool
) -> None:
    from ztui.api.errors import CancelRefused

    async with tenant(lambda _r: answer(status, body)) as (client, rec):
        with pytest.raises(CancelRefused) as caught:
            await client.cancel_aqua_job(HEX_A)
    assert rec.paths() == [f"DELETE /v1/batch-query/jobs/{HEX_A}"]  # sent once
    error = caught.value
    assert error.status == status
    if status == 200:
        assert error.finished is finished
    if "errorCode" in body:
        assert error.code == body["errorCode"]
        assert body["message"] in error.message


async def test_an_aqua_cancel_that_cancelled_returns_the_job() -> None:
    async with tenant(lambda _r: answer(200, _aqua("cancelled"))) as (client, _rec):
        job = await client.cancel_aqua_job(HEX_A)
    assert job.state is JobState.CANCELLED


async def test_a_late_cancel_is_journalled_as_refused_with_the_server_words() -> None:
    from ztui.ops.stop import perform_stop

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return answer(200, _aqua("executing"))
        return answer(200, LATE)

    class Recorded:
        def __init__(self) -> None:
            self.entries: list[Any] = []

        def append(self, entry: Any) -> None:
            self.entries.append(entry)

    journal = Recorded()
    async with tenant(handler) as (client, _rec):
        outcome = await perform_stop(client, (Family.AQUA, HEX_A), journal=journal)
    assert outcome.sent
    assert not outcome.ok
    assert "finished (completed) before the cancel reached it" in outcome.message
    assert "90003" in outcome.message
    assert outcome.http_status == 200
    # The intent before sending, then how it ended, tied by the attempt id.
    intent, entry = journal.entries
    assert intent.outcome == "sending"
    assert intent.extra["attempt"] == entry.extra["attempt"]
    assert entry.outcome == "refused"
    assert entry.action == "cancel"
    assert "90003" in entry.message
    assert f"Job {HEX_A} is completed." in entry.message


# ---------------------------------------------------------------- rule 11: v1 Errors[]


def _v1(code: str, message: str) -> dict[str, Any]:
    return {"Success": False, "Errors": [{"Code": code, "Message": message}]}


@pytest.mark.parametrize("status", [200, 400, 404, 500])
async def test_the_v1_errors_body_is_read_at_any_status(status: int) -> None:
    from ztui.api.errors import ApiError

    body = _v1("MISSING_REQUIRED_VALUE", "Job type is required")
    async with tenant(lambda _r: answer(status, body), max_retries=0) as (client, _rec):
        with pytest.raises(ApiError) as caught:
            await client.list_booking_date_jobs()
    error = caught.value
    assert error.message == "Job type is required"
    assert error.code == "MISSING_REQUIRED_VALUE"
    assert error.status == status
    assert error.body_excerpt is None  # the server's words, not a raw excerpt
    assert "success" not in error.message


@pytest.mark.parametrize(
    ("path_call", "shape_body"),
    [
        ("custom_object", _v1("71013040", "Not Found.")),
        ("aqua", _v1("90002", "Invalid job id")),
    ],
)
async def test_the_v1_errors_body_on_other_routes(path_call: str, shape_body: Any) -> None:
    from ztui.api.errors import ApiError

    async with tenant(lambda _r: answer(200, shape_body)) as (client, _rec):
        family = Family.CUSTOM_OBJECT if path_call == "custom_object" else Family.AQUA
        job_id = "11111111-1111-4111-8111-111111111111" if path_call == "custom_object" else HEX_A
        with pytest.raises(ApiError) as caught:
            await client.get_job(family, job_id)
    assert caught.value.message == shape_body["Errors"][0]["Message"]
    assert caught.value.code == shape_body["Errors"][0]["Code"]


async def test_a_v1_uno_code_keeps_its_category() -> None:
    from ztui.api.errors import NotFound

    body = _v1("53100040", "The job does not exist")
    async with tenant(lambda _r: answer(200, body)) as (client, _rec):
        with pytest.raises(NotFound, match="does not exist"):
            await client.get_booking_date_job(HEX_A)


async def test_the_v1_success_flag_counts_as_success_on_uno_routes() -> None:
    body = {"Success": True, "jobs": []}
    async with tenant(lambda _r: answer(200, body)) as (client, _rec):
        assert await client.list_booking_date_jobs() == []


# ---------------------------------------------------------------- rules 3-6: types, times


@pytest.mark.parametrize(
    ("progress", "expected"),
    [("100.00%", 1.0), (100.0, 1.0), (45, 0.45), ("45", 0.45), (" 12.5 % ", 0.125), ("", 0.5)],
)
def test_booking_progress_as_text_or_number(progress: object, expected: float) -> None:
    from ztui.families.booking_date import parse_booking_date_job

    job = parse_booking_date_job(_booking(HEX_A, progress=progress))
    assert job.progress == pytest.approx(expected)


def test_counts_and_percentages_as_text_or_numbers() -> None:
    from ztui.families.data_backfill import parse_data_backfill_job

    job = parse_data_backfill_job(
        {
            "id": HEX_A,
            "status": "Processing",
            "totalCount": "200",
            "processedCount": 50.0,
            "successCount": "45.0",
            "failedCount": 5,
            "completedPercentage": "25.5%",
        }
    )
    assert (job.total, job.processed, job.succeeded, job.failed) == (200, 50, 45, 5)
    assert job.progress == pytest.approx(0.255)


@pytest.mark.parametrize(
    ("error", "message"),
    [
        ("Row 2: Id is not a UUID", "Row 2: Id is not a UUID"),
        ({"code": 71012560, "message": "Service limit reached"}, "Service limit reached"),
        ({"code": "71013020"}, "error 71013020"),
    ],
)
def test_custom_object_error_as_object_or_string(error: object, message: str) -> None:
    from ztui.families.custom_object import parse_custom_object_job

    job = parse_custom_object_job(
        {"Id": "11111111-1111-4111-8111-111111111111", "status": "failed", "error": error}
    )
    assert job.state is JobState.FAILED
    assert job.message == message


LA = "America/Los_Angeles"


@pytest.mark.parametrize(
    ("value", "utc", "zoneless"),
    [
        (1699517693000, "2023-11-09T08:14:53", False),
        ("1699517693000", "2023-11-09T08:14:53", False),
        ("2023-11-09T08:14:53.207Z", "2023-11-09T08:14:53.207000", False),
        ("2023-11-09T08:14:53Z", "2023-11-09T08:14:53", False),
        ("2023-11-09T16:14:53+0800", "2023-11-09T08:14:53", False),
        ("2023-11-09T16:14:53+08:00", "2023-11-09T08:14:53", False),
        # No zone: read in the tenant's (Los Angeles, UTC-8 in November).
        ("2023-11-09T00:14:53", "2023-11-09T08:14:53", True),
        ("2023-11-09T00:14:53.5", "2023-11-09T08:14:53.500000", True),
        ("2023-11-09 00:14:53", "2023-11-09T08:14:53", True),
        ("Nov 9, 2023 12:14 AM", "2023-11-09T08:14:00", True),
        ("Nov 9, 2023 8:14 AM", "2023-11-09T16:14:00", True),
        ("Nov 9, 2023 12:05 PM", "2023-11-09T20:05:00", True),
        ("Nov 9, 2023 8:14:53 PM", "2023-11-10T04:14:53", True),
        ("November 9, 2023 8:14 pm", "2023-11-10T04:14:00", True),
    ],
)
def test_every_timestamp_form(value: object, utc: str, zoneless: bool) -> None:
    from datetime import UTC

    from ztui.api.parsing import load_zone, parse_timestamp_zone

    zone = load_zone(LA)
    parsed, assumed = parse_timestamp_zone(value, zone)
    assert parsed is not None
    assert parsed.astimezone(UTC).replace(tzinfo=None).isoformat() == utc
    assert assumed is (zone if zoneless else None)


@pytest.mark.parametrize("value", ["Nov 31, 2023 8:14 AM", "Foo 9, 2023 8:14 AM", "13:00 PM"])
def test_impossible_readable_forms_are_malformed(value: str) -> None:
    from ztui.api.parsing import parse_timestamp

    with pytest.raises(MalformedResponse):
        parse_timestamp(value)


async def test_the_client_reads_zoneless_times_in_the_profile_zone() -> None:
    from datetime import UTC, datetime

    body = {"success": True, "jobs": [_booking(HEX_A, createdOn="Nov 9, 2023 8:14 AM")]}
    async with tenant(lambda _r: answer(200, body), timezone=LA) as (client, _rec):
        [job] = await client.list_booking_date_jobs()
    assert job.created_at == datetime(2023, 11, 9, 16, 14, tzinfo=UTC)
    async with tenant(lambda _r: answer(200, body)) as (client, _rec):
        [job] = await client.list_booking_date_jobs()
    assert job.created_at == datetime(2023, 11, 9, 8, 14, tzinfo=UTC)


def test_an_unknown_zone_is_refused_by_the_client() -> None:
    from ztui.api.client import ZuoraClient

    with pytest.raises(ValueError, match="time zone"):
        ZuoraClient("https://tenant.example", timezone="Mars/Olympus")


def test_the_detail_view_says_which_zone_was_assumed() -> None:
    from ztui.api.parsing import load_zone
    from ztui.screens.job_detail import time_text

    text = time_text("Nov 9, 2023 8:14 AM", 1_700_000_000.0, load_zone(LA))
    assert text is not None
    assert text.startswith("2023-11-09 16:14:00 UTC")
    assert "without a zone, read as America/Los_Angeles" in text
    plain = time_text("Nov 9, 2023 8:14 AM", 1_700_000_000.0)
    assert plain is not None
    assert "read as UTC" in plain
    zoned = time_text("2023-11-09T08:14:53Z", 1_700_000_000.0, load_zone(LA))
    assert zoned is not None
    assert "without a zone" not in zoned
