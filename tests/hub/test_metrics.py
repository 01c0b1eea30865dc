"""The hub's `/metrics`: Prometheus text that prometheus-client's own parser reads, with
values that are the watcher's snapshot, behind the same token rule as every route."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families

from ztui.api.models import Family, Job, JobState
from ztui.hub.metrics import MAX_PROGRESS_SERIES, Readings, registry_for
from ztui.service.poller import PollTiming
from ztui.service.snapshot import BudgetView, FamilyStatus, JobSnapshot

from .conftest import TOKEN, Stepper, wait_for

NOW = 1_800_000_000.0

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _parse(text: str) -> tuple[Samples, dict[str, str]]:
    """Every sample by (name, labels), and each family's HELP text."""
    samples: Samples = {}
    helps: dict[str, str] = {}
    for family in text_string_to_metric_families(text):
        helps[family.name] = family.documentation
        for sample in family.samples:
            samples[sample.name, frozenset(sample.labels.items())] = sample.value
    return samples, helps


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples[name, frozenset(labels.items())]


def _of(samples: Samples, name: str) -> dict[frozenset[tuple[str, str]], float]:
    return {labels: value for (n, labels), value in samples.items() if n == name}


def _job(
    family: Family,
    number: int,
    state: JobState,
    *,
    progress: float | None = None,
    updated: float | None = None,
    created: float = NOW - 7200,
) -> Job:
    return Job(
        family=family,
        id=f"{number:032x}",
        kind="Kind",
        status=state.value,
        state=state,
        progress=progress,
        created_at=datetime.fromtimestamp(created, UTC),
        updated_at=datetime.fromtimestamp(updated, UTC) if updated is not None else None,
    )


def _known() -> Readings:
    jobs = [
        _job(Family.DATA_BACKFILL, 1, JobState.RUNNING, progress=0.5, created=NOW - 60),
        _job(Family.DATA_BACKFILL, 2, JobState.RUNNING, progress=0.25, created=NOW - 30),
        _job(Family.DATA_BACKFILL, 3, JobState.FAILED, updated=NOW - 600),
        _job(Family.CUSTOM_OBJECT, 4, JobState.FAILED, updated=NOW - 7200),
        _job(Family.CUSTOM_OBJECT, 5, JobState.QUEUED),
        _job(Family.BOOKING_DATE, 6, JobState.SUCCEEDED, progress=1.0, updated=NOW - 100),
        _job(Family.BOOKING_DATE, 7, JobState.FAILED, created=NOW - 1200),
    ]
    snapshot = JobSnapshot(
        seq=4,
        jobs={job.key: job for job in jobs},
        families={
            Family.DATA_BACKFILL: FamilyStatus(Family.DATA_BACKFILL, "ok", as_of=NOW - 30),
            Family.BOOKING_DATE: FamilyStatus(Family.BOOKING_DATE, "ok", as_of=NOW - 20),
            Family.CUSTOM_OBJECT: FamilyStatus(
                Family.CUSTOM_OBJECT, "stale", as_of=NOW - 400, error="HTTP 503"
            ),
            Family.AQUA: FamilyStatus(Family.AQUA, "pending"),
        },
        budget=BudgetView(
            limit=1000, remaining=900, calls_made=42, calls_per_day_projection=6000.0
        ),
        polled_at=NOW - 5,
    )
    return Readings(
        snapshot=snapshot,
        now=NOW,
        viewers=3,
        daily_call_budget=8000,
        timings={Family.DATA_BACKFILL: PollTiming(last_s=0.2, total_s=1.5, count=5)},
        intervals={Family.DATA_BACKFILL: 5.0, Family.AQUA: math.inf},
        reads=7,
        info={"version": "9.9", "profile": "demo", "environment": "simulator"},
    )


def test_a_known_snapshot_reads_back_through_the_parser() -> None:
    readings = _known()
    samples, helps = _parse(generate_latest(registry_for(lambda: readings)).decode())
    snapshot = readings.snapshot
    assert snapshot is not None
    by_state = _of(samples, "ztui_jobs")
    for family in snapshot.families:
        for state in JobState:
            expected = sum(1 for j in snapshot.jobs_of(family) if j.state is state)
            assert by_state[frozenset({("family", family.value), ("state", state.value)})] == (
                expected
            )
    totals: dict[str, float] = {}
    for labels, value in by_state.items():
        name = dict(labels)["state"]
        totals[name] = totals.get(name, 0) + value
    assert {k: v for k, v in totals.items() if v} == {
        state.value: count for state, count in snapshot.counts_by_state().items()
    }
    # Within the hour: data backfill's (updated 10 min ago) and booking date's (no update
    # time, created 20 min ago); custom object's failed two hours ago.
    assert _of(samples, "ztui_jobs_failed_last_hour") == {
        frozenset({("family", "data_backfill")}): 1,
        frozenset({("family", "booking_date")}): 1,
        frozenset({("family", "custom_object")}): 0,
        frozenset({("family", "aqua")}): 0,
    }
    assert _of(samples, "ztui_job_progress") == {
        frozenset({("family", "data_backfill"), ("job_id", f"{1:032x}")}): 0.5,
        frozenset({("family", "data_backfill"), ("job_id", f"{2:032x}")}): 0.25,
    }
    assert _value(samples, "ztui_api_calls_total") == 42
    assert _value(samples, "ztui_daily_call_budget") == 8000
    assert _value(samples, "ztui_calls_per_day_projected") == 6000
    assert _value(samples, "ztui_daily_call_budget_remaining") == 2000
    assert _value(samples, "ztui_rate_limit_remaining") == 900
    assert _value(samples, "ztui_rate_limit_limit") == 1000
    assert _value(samples, "ztui_poll_duration_seconds_count", family="data_backfill") == 5
    assert _value(samples, "ztui_poll_duration_seconds_sum", family="data_backfill") == 1.5
    assert _value(samples, "ztui_last_poll_duration_seconds", family="data_backfill") == 0.2
    assert _value(samples, "ztui_poll_interval_seconds", family="data_backfill") == 5
    assert _value(samples, "ztui_poll_interval_seconds", family="aqua") == math.inf
    assert _of(samples, "ztui_last_success_timestamp_seconds") == {
        frozenset({("family", "data_backfill")}): NOW - 30,
        frozenset({("family", "booking_date")}): NOW - 20,
        frozenset({("family", "custom_object")}): NOW - 400,
    }
    assert _value(samples, "ztui_family_stale", family="custom_object") == 1
    assert _value(samples, "ztui_family_stale", family="data_backfill") == 0
    assert _value(samples, "ztui_family_state", family="custom_object", state="stale") == 1
    assert _value(samples, "ztui_family_state", family="custom_object", state="ok") == 0
    assert _value(samples, "ztui_family_state", family="aqua", state="pending") == 1
    assert _value(samples, "ztui_last_poll_timestamp_seconds") == NOW - 5
    assert _value(samples, "ztui_watcher_up") == 1
    assert _value(samples, "ztui_viewers") == 3
    assert _value(samples, "ztui_hub_reads_total") == 7
    assert _value(
        samples, "ztui_hub_info", version="9.9", profile="demo", environment="simulator"
    ) == (1)
    assert all(name.startswith("ztui_") and text for name, text in helps.items())


def test_before_the_first_poll_the_watcher_is_down_and_nothing_is_made_up() -> None:
    samples, _ = _parse(generate_latest(registry_for(lambda: Readings(None, NOW))).decode())
    assert _value(samples, "ztui_watcher_up") == 0
    assert _value(samples, "ztui_api_calls_total") == 0
    assert not _of(samples, "ztui_jobs")
    assert not _of(samples, "ztui_last_success_timestamp_seconds")
    assert not _of(samples, "ztui_rate_limit_remaining")


def test_an_unreachable_tenant_puts_the_watcher_down() -> None:
    known = _known()
    assert known.snapshot is not None
    from dataclasses import replace

    down = replace(known, snapshot=replace(known.snapshot, unreachable="Cannot reach host"))
    samples, _ = _parse(generate_latest(registry_for(lambda: down)).decode())
    assert _value(samples, "ztui_watcher_up") == 0


def test_progress_series_are_bounded() -> None:
    jobs = [
        _job(Family.CUSTOM_OBJECT, n, JobState.RUNNING, progress=0.1, created=NOW - 10_000 + n)
        for n in range(MAX_PROGRESS_SERIES + 50)
    ]
    snapshot = JobSnapshot(
        seq=1,
        jobs={job.key: job for job in jobs},
        families={Family.CUSTOM_OBJECT: FamilyStatus(Family.CUSTOM_OBJECT, "ok", as_of=NOW)},
    )
    readings = Readings(snapshot, NOW)
    samples, _ = _parse(generate_latest(registry_for(lambda: readings)).decode())
    series = _of(samples, "ztui_job_progress")
    assert len(series) == MAX_PROGRESS_SERIES
    newest = f"{MAX_PROGRESS_SERIES + 49:032x}"
    assert frozenset({("family", "custom_object"), ("job_id", newest)}) in series


def test_each_hub_has_its_own_registry() -> None:
    one = registry_for(lambda: Readings(None, NOW, viewers=1))
    two = registry_for(lambda: Readings(None, NOW, viewers=2))
    assert _value(_parse(generate_latest(one).decode())[0], "ztui_viewers") == 1
    assert _value(_parse(generate_latest(two).decode())[0], "ztui_viewers") == 2
    assert b"ztui_" not in generate_latest(REGISTRY)


# ---------------------------------------------------------------------------- over HTTP


def test_metrics_of_a_running_hub_are_its_snapshot(make_hub: Callable[..., Any]) -> None:
    stepper = Stepper()
    hub = make_hub(sleep=stepper)
    wait_for(lambda: hub.hub.latest is not None and hub.hub.latest.complete, "a full poll")
    response = httpx.get(hub.url + "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples, _ = _parse(response.text)
    latest = hub.hub.latest
    for family in latest.families:
        for state in JobState:
            expected = sum(1 for j in latest.jobs_of(family) if j.state is state)
            assert _value(samples, "ztui_jobs", family=family.value, state=state.value) == (
                expected
            )
        status = latest.families[family]
        if status.as_of is not None:
            assert _value(
                samples, "ztui_last_success_timestamp_seconds", family=family.value
            ) == pytest.approx(status.as_of)
            assert _value(samples, "ztui_poll_duration_seconds_count", family=family.value) >= 1
    assert _value(samples, "ztui_api_calls_total") == latest.budget.calls_made > 0
    assert _value(samples, "ztui_watcher_up") == 1
    assert _value(samples, "ztui_viewers") == 0
    assert (
        _value(
            samples,
            "ztui_hub_info",
            version=_info(samples)["version"],
            profile="demo",
            environment="simulator",
        )
        == 1
    )


def _info(samples: Samples) -> dict[str, str]:
    return dict(next(labels for name, labels in samples if name == "ztui_hub_info"))


def test_connected_viewers_are_counted(make_hub: Callable[..., Any]) -> None:
    hub = make_hub()
    wait_for(lambda: hub.hub.latest is not None, "a poll")
    opened = threading.Event()
    done = threading.Event()

    def viewer() -> None:
        with (
            httpx.Client(timeout=30) as http,
            http.stream("GET", hub.url + "/api/events") as response,
        ):
            for line in response.iter_lines():
                if line.startswith("data:"):
                    opened.set()
                    done.wait(20)
                    return

    thread = threading.Thread(target=viewer)
    thread.start()
    try:
        assert opened.wait(10)

        def viewers() -> float:
            return _value(_parse(httpx.get(hub.url + "/metrics").text)[0], "ztui_viewers")

        assert viewers() == 1
    finally:
        done.set()
        thread.join(10)
    wait_for(lambda: viewers() == 0, "the viewer to be gone")


def test_openmetrics_when_the_scraper_asks_for_it(make_hub: Callable[..., Any]) -> None:
    hub = make_hub()
    wait_for(lambda: hub.hub.latest is not None, "a poll")
    response = httpx.get(
        hub.url + "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
    )
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")
    parsed = openmetrics_families(response.text)  # type: ignore[no-untyped-call]
    names = {family.name for family in parsed}
    assert {"ztui_jobs", "ztui_api_calls", "ztui_viewers"} <= names


def test_off_loopback_metrics_want_the_token(make_hub: Callable[..., Any]) -> None:
    hub = make_hub(token_required=True)
    wait_for(lambda: hub.hub.latest is not None, "a poll")
    for headers in ({}, {"Authorization": "Bearer not-the-token-" + "z" * 30}):
        refused = httpx.get(hub.url + "/metrics", headers=headers)
        assert refused.status_code == 401
        assert "ztui_" not in refused.text
        assert len(refused.content) < 100
    allowed = httpx.get(hub.url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert allowed.status_code == 200
    assert "ztui_jobs" in allowed.text


def test_on_loopback_metrics_need_no_token(make_hub: Callable[..., Any]) -> None:
    hub = make_hub()
    assert httpx.get(hub.url + "/metrics").status_code == 200
