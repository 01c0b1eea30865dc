"""Provides the hub's `/metrics`: what its watcher sees, in the Prometheus text format.

Every scrape reads the hub as it is now (`read_hub`): the latest `JobSnapshot`, the
watcher's poll timings and pace, and the viewers connected. Nothing is kept between
scrapes and nothing is registered globally: each app gets its own `CollectorRegistry`
(`metrics_route`), so two hubs in one process never share a metric. The route sits
behind the hub's token gate like every other route.

Metrics (all prefixed `ztui_`):

| metric | type | labels | what |
|---|---|---|---|
| `ztui_hub_info` | info | version, profile, environment | the hub's facts |
| `ztui_jobs` | gauge | family, state | jobs the watcher knows, by family and state |
| `ztui_job_progress` | gauge | family, job_id | 0..1, queued/running/stopping jobs that report it |
| `ztui_jobs_failed_last_hour` | gauge | family | failed jobs last updated within the hour |
| `ztui_api_calls_total` | counter | | HTTP calls the watcher made (token calls included) |
| `ztui_daily_call_budget` | gauge | | the profile's `daily_call_budget`, when set |
| `ztui_calls_per_day_projected` | gauge | | calls a day at the current pace |
| `ztui_daily_call_budget_remaining` | gauge | | the budget less the projected calls a day |
| `ztui_rate_limit_remaining` | gauge | | `RateLimit-Remaining` of the last answer |
| `ztui_rate_limit_limit` | gauge | | `RateLimit-Limit` of the last answer |
| `ztui_poll_duration_seconds` | summary | family | polls and the seconds they took |
| `ztui_last_poll_duration_seconds` | gauge | family | seconds the family's last poll took |
| `ztui_poll_interval_seconds` | gauge | family | the family's current pace (+Inf: not polled) |
| `ztui_last_success_timestamp_seconds` | gauge | family | epoch seconds of its last good poll |
| `ztui_family_stale` | gauge | family | 1 while its last poll failed |
| `ztui_family_state` | gauge | family, state | 1 for the state the family is in |
| `ztui_last_poll_timestamp_seconds` | gauge | | epoch seconds of the latest snapshot |
| `ztui_watcher_up` | gauge | | 1 while the watcher polls and reaches the tenant |
| `ztui_viewers` | gauge | | viewers connected to `/api/events` now |
| `ztui_hub_reads_total` | counter | | detail, error and file reads the hub made for viewers |

Gauges of the rate-limit headers and the budget are left out while unknown, and a
family's last success is left out until it had one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, get_args

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector, CollectorRegistry
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ztui.api.models import Family, Job, JobState
from ztui.service.snapshot import FamilyState

if TYPE_CHECKING:
    from ztui.hub.state import Hub
    from ztui.service.poller import PollTiming
    from ztui.service.snapshot import JobSnapshot

FAILED_WINDOW_S: Final = 3600.0
"""`ztui_jobs_failed_last_hour` counts failed jobs updated within this many seconds."""

MAX_PROGRESS_SERIES: Final = 200
"""The most `ztui_job_progress` series a scrape carries (the newest active jobs first),
so a tenant with many running jobs cannot blow up the label cardinality."""

FAILING_STATES: Final[frozenset[str]] = frozenset({"stale", "rate_limited", "error", "auth_error"})
"""Family states in which its last poll failed (`ztui_family_stale` is 1)."""

_FAMILY_STATES: Final = get_args(FamilyState)

_EMPTY_TIMINGS: Final[Mapping[Family, PollTiming]] = MappingProxyType({})
_EMPTY_INTERVALS: Final[Mapping[Family, float]] = MappingProxyType({})


@dataclass(frozen=True)
class Readings:
    """Everything one scrape reports, read from the hub at once."""

    snapshot: JobSnapshot | None
    """The watcher's latest snapshot; None before the first poll."""
    now: float
    """Epoch seconds of the scrape, on the watcher's clock."""
    viewers: int = 0
    """Viewers connected to `/api/events`."""
    daily_call_budget: int | None = None
    """The profile's `daily_call_budget`."""
    timings: Mapping[Family, PollTiming] = field(default_factory=dict)
    """How long each family's polls took."""
    intervals: Mapping[Family, float] = field(default_factory=dict)
    """Each family's current pace, in seconds."""
    reads: int = 0
    """Reads the hub made for viewers (detail, errors, files)."""
    info: Mapping[str, str] = field(default_factory=dict)
    """`ztui_hub_info`'s labels."""


def read_hub(hub: Hub) -> Readings:
    """What the hub's metrics say now (call it in the hub's event loop)."""
    poller = hub.poller
    info = hub.info()
    return Readings(
        snapshot=hub.latest,
        now=hub.options.clock(),
        viewers=hub.viewers,
        daily_call_budget=hub.profile.daily_call_budget,
        timings=poller.timings if poller is not None else _EMPTY_TIMINGS,
        intervals=poller.intervals if poller is not None else _EMPTY_INTERVALS,
        reads=hub.read_cache.fetches,
        info={
            "version": info.version,
            "profile": info.profile,
            "environment": info.environment or "",
        },
    )


def _changed_at(job: Job) -> float | None:
    """Epoch seconds of the job's last change the server reports (its creation when it
    reports no update time)."""
    moment = job.updated_at or job.created_at
    return moment.timestamp() if moment is not None else None


def _families(readings: Readings) -> tuple[Family, ...]:
    snapshot = readings.snapshot
    return tuple(snapshot.families) if snapshot is not None else ()


def _job_metrics(readings: Readings) -> Iterator[Metric]:
    snapshot = readings.snapshot
    families = _families(readings)
    jobs = GaugeMetricFamily(
        "ztui_jobs",
        "Jobs the watcher knows, by family and normalised state.",
        labels=["family", "state"],
    )
    counts: dict[tuple[Family, JobState], int] = {}
    failed_recently: dict[Family, int] = dict.fromkeys(families, 0)
    active: list[Job] = []
    since = readings.now - FAILED_WINDOW_S
    for job in snapshot.jobs.values() if snapshot is not None else ():
        counts[job.family, job.state] = counts.get((job.family, job.state), 0) + 1
        if job.state is JobState.FAILED:
            changed = _changed_at(job)
            if changed is not None and changed >= since:
                failed_recently[job.family] = failed_recently.get(job.family, 0) + 1
        elif job.state.is_active and job.progress is not None:
            active.append(job)
    seen = dict.fromkeys((*families, *(family for family, _ in counts)))
    for family in seen:
        for state in JobState:
            jobs.add_metric([family.value, state.value], counts.get((family, state), 0))
    yield jobs

    progress = GaugeMetricFamily(
        "ztui_job_progress",
        "Progress of queued, running and stopping jobs that report it, 0 to 1 "
        f"(the {MAX_PROGRESS_SERIES} newest at most).",
        labels=["family", "job_id"],
    )
    active.sort(key=lambda job: job.created_at.timestamp() if job.created_at else 0.0)
    for job in reversed(active[-MAX_PROGRESS_SERIES:]):
        progress.add_metric([job.family.value, job.id], max(0.0, min(1.0, job.progress or 0.0)))
    yield progress

    failed = GaugeMetricFamily(
        "ztui_jobs_failed_last_hour",
        "Failed jobs whose last change (else their creation) is within the last hour.",
        labels=["family"],
    )
    for family, count in failed_recently.items():
        failed.add_metric([family.value], count)
    yield failed


def _budget_metrics(readings: Readings) -> Iterator[Metric]:
    snapshot = readings.snapshot
    budget = snapshot.budget if snapshot is not None else None
    yield CounterMetricFamily(
        "ztui_api_calls",
        "HTTP calls the hub's watcher made to the tenant, token calls included.",
        value=budget.calls_made if budget is not None else 0,
    )
    projected = budget.calls_per_day_projection if budget is not None else None
    if readings.daily_call_budget is not None:
        yield GaugeMetricFamily(
            "ztui_daily_call_budget",
            "The profile's daily_call_budget: calls a day the watcher paces itself to.",
            value=readings.daily_call_budget,
        )
    if projected is not None:
        yield GaugeMetricFamily(
            "ztui_calls_per_day_projected",
            "Calls a day if polling carries on at its current pace.",
            value=projected,
        )
        if readings.daily_call_budget is not None:
            yield GaugeMetricFamily(
                "ztui_daily_call_budget_remaining",
                "The daily call budget less the projected calls a day (negative: over it).",
                value=readings.daily_call_budget - projected,
            )
    if budget is not None and budget.remaining is not None:
        yield GaugeMetricFamily(
            "ztui_rate_limit_remaining",
            "Requests left in the tenant's tightest rate-limit window (RateLimit-Remaining).",
            value=budget.remaining,
        )
    if budget is not None and budget.limit is not None:
        yield GaugeMetricFamily(
            "ztui_rate_limit_limit",
            "Requests allowed in that window (RateLimit-Limit).",
            value=budget.limit,
        )


def _family_metrics(readings: Readings) -> Iterator[Metric]:
    snapshot = readings.snapshot
    families = _families(readings)
    durations = SummaryMetricFamily(
        "ztui_poll_duration_seconds",
        "Polls of each family since the hub started, and the seconds they took.",
        labels=["family"],
    )
    last = GaugeMetricFamily(
        "ztui_last_poll_duration_seconds",
        "Seconds the family's last poll took, whatever its outcome.",
        labels=["family"],
    )
    for family, timing in readings.timings.items():
        durations.add_metric([family.value], count_value=timing.count, sum_value=timing.total_s)
        last.add_metric([family.value], timing.last_s)
    yield durations
    yield last

    interval = GaugeMetricFamily(
        "ztui_poll_interval_seconds",
        "Seconds from one poll of the family to its next at the current pace "
        "(+Inf: not polled by itself: refused, unsupported or stopped).",
        labels=["family"],
    )
    for family, seconds in readings.intervals.items():
        interval.add_metric([family.value], seconds)
    yield interval

    success = GaugeMetricFamily(
        "ztui_last_success_timestamp_seconds",
        "Epoch seconds of the family's last successful poll.",
        labels=["family"],
    )
    stale = GaugeMetricFamily(
        "ztui_family_stale",
        "1 while the family's last poll failed (its jobs are those of its last success).",
        labels=["family"],
    )
    state = GaugeMetricFamily(
        "ztui_family_state",
        "1 for the state the family's data is in (ok, stale, error, rate_limited, "
        "auth_error, unsupported, pending), 0 for the others.",
        labels=["family", "state"],
    )
    for family in families:
        assert snapshot is not None
        status = snapshot.families[family]
        if status.as_of is not None:
            success.add_metric([family.value], status.as_of)
        stale.add_metric([family.value], 1 if status.state in FAILING_STATES else 0)
        for name in _FAMILY_STATES:
            state.add_metric([family.value, name], 1 if status.state == name else 0)
    yield success
    yield stale
    yield state


def _hub_metrics(readings: Readings) -> Iterator[Metric]:
    snapshot = readings.snapshot
    yield InfoMetricFamily(
        "ztui_hub", "The hub's version and what it watches.", dict(readings.info)
    )
    if snapshot is not None:
        yield GaugeMetricFamily(
            "ztui_last_poll_timestamp_seconds",
            "Epoch seconds when the watcher's latest snapshot was made.",
            value=snapshot.polled_at,
        )
    up = snapshot is not None and snapshot.fatal is None and snapshot.unreachable is None
    yield GaugeMetricFamily(
        "ztui_watcher_up",
        "1 while the watcher polls and its last poll reached the tenant; 0 before the "
        "first poll, while the tenant is unreachable and after refused credentials.",
        value=1 if up else 0,
    )
    yield GaugeMetricFamily(
        "ztui_viewers",
        "Viewers (terminals and browser sessions) connected to the hub's event stream.",
        value=readings.viewers,
    )
    yield CounterMetricFamily(
        "ztui_hub_reads",
        "Job details, errors and files the hub read from the tenant for its viewers.",
        value=readings.reads,
    )


def metric_families(readings: Readings) -> Iterator[Metric]:
    """Every metric of one scrape (see the module's table)."""
    yield from _hub_metrics(readings)
    yield from _job_metrics(readings)
    yield from _budget_metrics(readings)
    yield from _family_metrics(readings)


class HubCollector(Collector):
    """A Prometheus collector reading the hub afresh on every `collect()`."""

    def __init__(self, read: Callable[[], Readings]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        """The metrics as the hub is now."""
        yield from metric_families(self._read())


def registry_for(read: Callable[[], Readings]) -> CollectorRegistry:
    """A registry of its own holding only the hub's collector."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HubCollector(read))
    return registry


def metrics_route(hub: Hub) -> Route:
    """`GET /metrics` for `hub` (the Prometheus text format, or OpenMetrics when the
    scraper asks for it)."""
    registry = registry_for(lambda: read_hub(hub))

    async def metrics(request: Request) -> Response:
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encoder(registry), media_type=content_type)

    return Route("/metrics", metrics)
