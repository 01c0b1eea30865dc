"""The simulator's real-tenant mode (`SimConfig.quirks`): every untidy variant it promises.

The default mode is covered by the other simulator tests (strict, SDK-typed answers);
these check that, with quirks on, each variant of docs/tolerance.md really reaches the
wire, and that the same job looks the same on every poll.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.sim.support import Api
from ztui.sim import quirks

UNO = "/v1/uno/data-backfill"
READABLE_US = re.compile(r"^[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2} [AP]M$")
ISO_NO_ZONE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
SPACE_FORM = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def _quirky(make_api: Callable[..., Api], jobs: int = 300) -> Api:
    return make_api(jobs=jobs, quirks=True)


def test_default_mode_is_strict(make_api: Callable[..., Api]) -> None:
    """Without quirks: every listed entry is a job object with an id; `data-` answers."""
    api = make_api(jobs=120)
    listed = api.get(f"{UNO}/listjobs").json()["jobs"]
    assert listed
    assert all(isinstance(j, dict) and j.get("id") for j in listed)
    for job in api.get(f"{UNO}/bookingdate/jobs").json()["jobs"]:
        assert isinstance(job["progress"], str)
        assert job["progress"].endswith("%")


def test_data_backfill_spelling_405_and_date_spelling_lists(make_api: Callable[..., Api]) -> None:
    api = _quirky(make_api)
    refused = api.get(f"{UNO}/listjobs")
    assert refused.status_code == 405
    listed = api.get("/v1/uno/date-backfill/listjobs")
    assert listed.status_code == 200
    assert listed.json()["success"] is True


def test_each_listed_family_has_one_unreadable_entry(make_api: Callable[..., Api]) -> None:
    api = _quirky(make_api)
    db = api.get("/v1/uno/date-backfill/listjobs").json()["jobs"]
    assert sum(1 for j in db if isinstance(j, dict) and "id" not in j) == 1
    booking = api.get(f"{UNO}/bookingdate/jobs").json()["jobs"]
    bad = [j for j in booking if j.get("id") == quirks.UNREADABLE_BOOKING_ID]
    assert len(bad) == 1
    assert isinstance(bad[0]["batchSentCount"], dict)
    propagation = api.get(f"{UNO}/propagation/jobs").json()["jobs"]
    assert sum(1 for j in propagation if not isinstance(j, dict)) == 1
    first_page = api.get("/objects/jobs", params={"pageSize": 40}).json()
    assert first_page["jobs"][0]["Id"] == quirks.UNREADABLE_CO_ID
    assert isinstance(first_page["jobs"][0]["status"], list)


def test_odd_types_and_timestamps_appear(make_api: Callable[..., Api]) -> None:
    api = _quirky(make_api)
    db = [j for j in api.get("/v1/uno/date-backfill/listjobs").json()["jobs"] if "id" in j]
    uploaded = [j.get("uploadedOn") for j in db]
    assert any(isinstance(v, str) and READABLE_US.match(v) for v in uploaded)
    assert any(isinstance(v, str) and ISO_NO_ZONE.match(v) for v in uploaded)
    assert any(isinstance(v, str) and SPACE_FORM.match(v) for v in uploaded)
    assert any(isinstance(j.get("totalCount"), str) for j in db)
    assert any(isinstance(j.get("totalCount"), float) for j in db)
    booking = [
        j
        for j in api.get(f"{UNO}/bookingdate/jobs").json()["jobs"]
        if j.get("id") != quirks.UNREADABLE_BOOKING_ID
    ]
    assert any(isinstance(j.get("progress"), float) for j in booking)
    assert any(isinstance(j.get("progress"), str) for j in booking)


def test_same_job_same_shape_on_every_poll(make_api: Callable[..., Api]) -> None:
    api = _quirky(make_api)
    first = api.get("/v1/uno/date-backfill/listjobs").json()["jobs"]
    second = api.get("/v1/uno/date-backfill/listjobs").json()["jobs"]
    assert first == second


def _walk_pages(api: Api, page_size: int) -> tuple[list[dict[str, Any]], list[int]]:
    jobs: list[dict[str, Any]] = []
    counts: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"pageSize": page_size}
        if cursor:
            params["cursor"] = cursor
        body = api.get("/objects/jobs", params=params).json()
        counts.append(body["count"])
        if not body["jobs"]:
            return jobs, counts
        jobs.extend(body["jobs"])
        cursor = body.get("cursor")
        if not cursor:
            return jobs, counts


def test_custom_object_pages_capped_at_20_and_cursor_reaches_every_job(
    make_api: Callable[..., Api],
) -> None:
    api = _quirky(make_api, jobs=600)
    expected = {j["Id"] for j in api.control("GET", "/_sim/jobs")["custom_object"]}
    assert len(expected) > 40
    jobs, counts = _walk_pages(api, 40)
    assert max(counts) <= 21  # 20 jobs, plus the unreadable entry on the first page
    assert {j["Id"] for j in jobs} - {quirks.UNREADABLE_CO_ID} == expected


def test_failed_custom_object_error_is_plain_text(make_api: Callable[..., Api]) -> None:
    api = _quirky(make_api, jobs=600)
    jobs, _ = _walk_pages(api, 40)
    errors = [j["error"] for j in jobs if "error" in j]
    assert errors
    assert all(isinstance(e, str) and e for e in errors)


def test_429_carries_rate_limit_reset_but_no_retry_after(make_api: Callable[..., Api]) -> None:
    api = make_api(quirks=True, rate_limit_minute=2)
    statuses = [api.get(f"{UNO}/bookingdate/jobs") for _ in range(4)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited
    assert "retry-after" not in limited[0].headers
    assert int(limited[0].headers["ratelimit-reset"]) >= 1


def test_comma_joined_entity_ids_refused_one_accepted(make_api: Callable[..., Api]) -> None:
    api = _quirky(make_api, jobs=0)
    two = "1a2b7a37-3e7d-4cb3-b0e2-883de9e766cc,2b3c7a37-3e7d-4cb3-b0e2-883de9e766cc"
    refused = api.get(f"{UNO}/bookingdate/jobs", headers={"Zuora-Entity-Ids": two})
    assert refused.status_code == 400
    body = refused.json()
    assert body["Success"] is False
    assert "one entity id" in body["Errors"][0]["Message"]
    one = api.get(f"{UNO}/bookingdate/jobs", headers={"Zuora-Entity-Ids": two.split(",")[0]})
    assert one.status_code == 200


def test_uno_refusals_use_the_v1_errors_shape(make_api: Callable[..., Api]) -> None:
    api = _quirky(make_api, jobs=0)
    missing = api.get(f"{UNO}/bookingdate/jobs/{'a' * 32}")
    assert missing.status_code == 404
    body = missing.json()
    assert body["Success"] is False
    assert body["Errors"][0]["Code"].endswith("40")
    assert body["Errors"][0]["Message"]


def test_aqua_cancel_of_a_just_finished_job_answers_200_with_error_code(
    make_api: Callable[..., Api],
) -> None:
    api = _quirky(make_api, jobs=0)
    created = api.post(
        "/v1/batch-query/",
        json={
            "format": "csv",
            "version": "1.2",
            "queries": [{"query": "select Id from Account", "type": "zoql"}],
        },
    )
    assert created.status_code == 200, created.text
    job_id = created.json()["id"]
    api.advance(60)
    assert api.get(f"/v1/batch-query/jobs/{job_id}").json()["status"] == "completed"
    late = api.delete(f"/v1/batch-query/jobs/{job_id}")
    assert late.status_code == 200
    assert late.json()["status"] == "completed"
    assert late.json()["errorCode"] == "90003"
    api.advance(quirks.AQUA_JUST_FINISHED_S + 60)
    assert api.delete(f"/v1/batch-query/jobs/{job_id}").status_code == 400


def test_aqua_version_12_refused_in_default_mode(make_api: Callable[..., Api]) -> None:
    api = make_api()
    answer = api.post(
        "/v1/batch-query/",
        json={"version": "1.2", "queries": [{"query": "select Id from Account", "type": "zoql"}]},
    )
    assert answer.json()["status"] == "error"


def test_aqua_results_split_into_downloadable_segments(make_api: Callable[..., Api]) -> None:
    api = _quirky(make_api, jobs=0)
    queries = [{"query": f"select Id from Account where n = {i}", "type": "zoql"} for i in range(9)]
    created = api.post("/v1/batch-query/", json={"queries": queries})
    job_id = created.json()["id"]
    api.advance(600)
    batches = api.get(f"/v1/batch-query/jobs/{job_id}").json()["batches"]
    split = [b for b in batches if "segments" in b]
    assert split, "some batch results are split into segments"
    for batch in split:
        assert "fileId" not in batch
        rows = 0
        for file_id in batch["segments"]:
            response = api.get(f"/v1/files/{file_id}")
            assert response.status_code == 200
            lines = response.text.splitlines()
            assert lines[0]  # each segment carries the header
            rows += len(lines) - 1
        assert rows == int(batch["recordCount"])


def test_quirks_can_be_switched_at_runtime(make_api: Callable[..., Api]) -> None:
    api = make_api(jobs=50)
    assert api.get(f"{UNO}/listjobs").status_code == 200
    assert api.configure(quirks=True)["quirks"] is True
    assert api.get(f"{UNO}/listjobs").status_code == 405
    api.configure(quirks=False)
    assert api.get(f"{UNO}/listjobs").status_code == 200


def test_cli_and_demo_child_pass_the_quirks_flag() -> None:
    from ztui.sim.cli import build_parser
    from ztui.sim.process import SimProcess

    assert build_parser().parse_args(["--quirks"]).quirks is True
    assert build_parser().parse_args([]).quirks is False
    assert "--quirks" in SimProcess(quirks=True).command
    assert "--quirks" not in SimProcess().command


def test_demo_sim_quirks_reaches_the_demo_simulator() -> None:
    from ztui.cli.launch import build_app_parser
    from ztui.demo import DemoOptions

    args = build_app_parser().parse_args(["--demo", "--sim-quirks"])
    assert args.sim_quirks is True
    assert build_app_parser().parse_args(["--demo"]).sim_quirks is False
    assert "--quirks" in DemoOptions(quirks=True).simulator().command
    assert "--quirks" not in DemoOptions().simulator().command
