"""Measures the watcher's API calls per hour against the simulator (no terminal involved).

One simulated hour of the real `JobPoller.run()` loop, with the real `ZuoraClient`, against
a manual-clock simulator seeded with `--jobs` jobs: the poller's sleep advances the
simulator clock instead of waiting, so the hour takes seconds. Requests are counted from
the simulator's own request log, so nothing on the client side can hide a call.

`python benchmarks/api_calls.py --jobs 1000` prints the figures; `run.py` calls `measure`.

`--busy-day` simulates 24 hours the same way, with the poll settings of a sandbox profile
left at its defaults (`daily_call_budget = 8000`): every 20 minutes a new job starts in a
random family (data backfill, booking date, propagation, custom objects), each running
10 to 40 minutes. It prints the calls of the day, by family, and the delay between each
job's end in the simulator and the first snapshot that shows it ended (median, p95);
`run.py` calls `measure_busy_day`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ApiCallFigures:
    """What one simulated hour of polling cost."""

    jobs: int
    """Jobs seeded in the simulator."""
    active_at_start: int
    """Jobs queued or running in the first snapshot."""
    sim_seconds: float
    """Simulated time covered."""
    ticks: int
    """Polls made."""
    calls: int
    """Every request the simulator saw (token calls included)."""
    by_kind: dict[str, int] = field(default_factory=dict)
    """Requests by kind: token, one per family list, custom-object pages, AQuA gets, other."""
    max_list_calls_per_family_tick: float = 0.0
    """The most list calls any one family (custom objects excepted) made per tick."""
    co_pages_per_tick: float = 0.0
    """Custom-object list requests (pages) per tick."""
    detail_calls: int = 0
    """Detail (GET one job) requests; none are expected while only the board runs."""
    refused: int = 0
    """Requests answered 401 (an expired token), each retried once after a refresh."""

    @property
    def calls_per_hour(self) -> float:
        """Requests per hour of simulated time."""
        return self.calls * 3600.0 / max(self.sim_seconds, 1.0)


def _kind(method: str, path: str) -> str:
    """Classify one logged request (API doc §3-§7 paths)."""
    if path.endswith("/oauth/token"):
        return "token"
    if method != "GET":
        return "write"
    if path.endswith("/data-backfill/listjobs"):
        return "list:data_backfill"
    if path.endswith("/data-backfill/bookingdate/jobs"):
        return "list:booking_date"
    if path.endswith("/v1/uno/auto-backfill/jobs") or "propagation" in path:
        return "list:propagation"
    if path.endswith("/objects/jobs"):
        return "list:custom_object"
    if "/v1/batch-query/jobs/" in path:
        return "aqua:get"
    if "/objects/jobs/" in path or "/jobs/" in path:
        return "detail"
    return f"other:{path}"


async def measure(jobs: int = 1000, seconds: float = 3600.0, seed: int = 1) -> ApiCallFigures:
    """Run the watcher for `seconds` of simulated time and count its requests.

    Args:
        jobs: Jobs to seed.
        seconds: Simulated time to cover.
        seed: Scenario seed.

    Returns:
        The figures.
    """
    from ztui.api.client import ZuoraClient
    from ztui.core.secret import Secret
    from ztui.service.pacing import PollSettings
    from ztui.service.poller import JobPoller
    from ztui.service.snapshot import JobSnapshot
    from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SimConfig, SimServer

    server = SimServer(SimConfig(jobs=jobs, seed=seed, clock="manual"))
    await asyncio.to_thread(server.start)
    sim = server.sim
    start = sim.now()
    first_seq = sim.request_log()[-1]["seq"] if sim.request_log() else 0
    snapshots: list[JobSnapshot] = []
    client = ZuoraClient(
        server.base_url,
        client_id=DEMO_CLIENT_ID,
        client_secret=Secret(DEMO_CLIENT_SECRET),
    )
    poller: JobPoller | None = None

    async def sim_sleep(delay: float) -> None:
        # The poller's pause between polls moves the simulator clock instead of waiting.
        sim.advance(min(delay, seconds))
        await asyncio.sleep(0)

    def on_snapshot(snapshot: JobSnapshot) -> None:
        snapshots.append(snapshot)
        if sim.now() - start >= seconds and poller is not None:
            poller.stop()

    try:
        poller = JobPoller(
            client,
            settings=PollSettings(),
            on_snapshot=on_snapshot,
            aqua_ids=sim.aqua_job_ids(),
            clock=sim.now,
            sleep=sim_sleep,
        )
        await asyncio.wait_for(poller.run(), timeout=300)
    finally:
        await client.aclose()
        await asyncio.to_thread(server.stop)

    log = sim.request_log(first_seq)
    # A request refused for an expired token is sent again after the silent refresh;
    # the per-tick figures count the answered ones.
    answered = [e for e in log if e.get("status") != 401]
    kinds = Counter(_kind(e["method"], e["path"].split("?")[0]) for e in answered)
    ticks = len(snapshots)
    per_family = [
        count / max(ticks, 1)
        for kind, count in kinds.items()
        if kind.startswith("list:") and kind != "list:custom_object"
    ]
    active = sum(1 for job in snapshots[0].jobs.values() if job.state.is_active) if snapshots else 0
    return ApiCallFigures(
        jobs=jobs,
        active_at_start=active,
        sim_seconds=sim.now() - start,
        ticks=ticks,
        calls=len(log),
        by_kind=dict(sorted(kinds.items())),
        max_list_calls_per_family_tick=max(per_family, default=0.0),
        co_pages_per_tick=kinds.get("list:custom_object", 0) / max(ticks, 1),
        detail_calls=kinds.get("detail", 0),
        refused=len(log) - len(answered),
    )


@dataclass
class BusyDayFigures:
    """What a simulated busy day of polling cost, and how late each end was seen."""

    sim_seconds: float
    """Simulated time covered."""
    calls: int
    """Every request the simulator saw (token calls included)."""
    by_kind: dict[str, int]
    """Requests by kind, as `ApiCallFigures.by_kind`."""
    jobs: int
    """Jobs started during the day."""
    ended: int
    """Of those, jobs that ended before the day was over."""
    delays: list[float]
    """For each ended job, seconds from its end in the simulator to the first snapshot
    showing it ended (a job ended but never shown counts up to the end of the day)."""
    daily_call_budget: int | None
    """The budget the poller ran with."""

    @property
    def calls_per_day(self) -> float:
        """Requests per 24 hours of simulated time."""
        return self.calls * 86400.0 / max(self.sim_seconds, 1.0)

    @property
    def median_delay_s(self) -> float | None:
        """Median end-to-board delay."""
        return float(statistics.median(self.delays)) if self.delays else None

    @property
    def p95_delay_s(self) -> float | None:
        """95th percentile of the end-to-board delay (nearest rank)."""
        if not self.delays:
            return None
        ordered = sorted(self.delays)
        return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


BUSY_FAMILIES = ("data_backfill", "booking_date", "propagation", "custom_object")


def _busy_job(family: str, created: float, duration: float, rng: random.Random, cfg: Any) -> Any:
    """A simulator job of `family` created at `created` that runs about `duration` s."""
    from ztui.sim.custom_objects import CustomObjectJob
    from ztui.sim.uno import BatchJob, DataBackfillJob
    from ztui.sim.util import IdMaker

    ids = IdMaker(rng)
    tick = cfg.tick_s
    ticks = max(1, int(duration / tick))
    if family == "data_backfill":
        return DataBackfillJob(
            id=ids.uno(),
            import_type="RatePlanCharge",
            uploaded_file_id=ids.hex32(),
            uploaded_file_name="busy_day.csv",
            input_size=120 + ticks * 86,
            uploaded_by="bench@example.com",
            uploaded_on=created,
            total=ticks,
            rows_per_tick=1,
            validation_s=cfg.db_validation_s,
            tick_s=tick,
            stop_s=cfg.db_stop_s,
        )
    if family in ("booking_date", "propagation"):
        return BatchJob(
            family=family,
            id=ids.uno(),
            type="BookingDate" if family == "booking_date" else "RatePlanCharge",
            created_on=created,
            updated_by="bench@example.com",
            total_batches=ticks,
            per_tick=1,
            accept_s=cfg.bd_accept_s,
            tick_s=tick,
            stop_s=cfg.bd_stop_s,
            batch_size=None if family == "booking_date" else 100,
        )
    return CustomObjectJob(
        id=ids.uuid4(),
        created_by="bench@example.com",
        created=created,
        namespace="default",
        object="booking",
        operation="delete",
        status="accepted",
        tick_s=tick,
        rows_per_tick=1,
        accept_s=cfg.co_accept_s,
        total=ticks,
    )


def _ended_at(job: Any, now: float) -> float:
    """When a simulator job that is no longer active ended (its own record of it)."""
    for name in ("completed_on", "updated_on", "updated"):
        value = getattr(job, name, None)
        if isinstance(value, int | float) and value > 0:
            return min(float(value), now)
    return now


async def measure_busy_day(
    hours: float = 24.0,
    every_s: float = 1200.0,
    min_s: float = 600.0,
    max_s: float = 2400.0,
    seed: int = 1,
    daily_call_budget: int | None = None,
) -> BusyDayFigures:
    """Run the watcher through a busy simulated day and count its requests.

    Args:
        hours: Simulated hours.
        every_s: A new job starts every this many seconds, in a random family.
        min_s: Shortest job.
        max_s: Longest job.
        seed: Seed of the families and durations.
        daily_call_budget: The poller's budget; the API Sandbox default when None, no
            budget when 0.

    Returns:
        The figures.
    """
    from ztui.api.client import ZuoraClient
    from ztui.config.environments import SANDBOX_DAILY_CALL_BUDGET
    from ztui.core.secret import Secret
    from ztui.service.pacing import PollSettings
    from ztui.service.poller import JobPoller
    from ztui.service.snapshot import JobSnapshot
    from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SimConfig, SimServer

    budget: int | None = daily_call_budget or None
    if daily_call_budget is None:
        budget = SANDBOX_DAILY_CALL_BUDGET
    seconds = hours * 3600.0
    rng = random.Random(seed)
    server = SimServer(SimConfig(jobs=0, seed=seed, clock="manual"))
    await asyncio.to_thread(server.start)
    sim = server.sim
    start = sim.now()
    first_seq = sim.request_log()[-1]["seq"] if sim.request_log() else 0
    starts = [start + k * every_s for k in range(int(seconds // every_s))]
    running: dict[str, Any] = {}
    ended: dict[str, float] = {}
    shown: dict[str, float] = {}
    client = ZuoraClient(
        server.base_url,
        client_id=DEMO_CLIENT_ID,
        client_secret=Secret(DEMO_CLIENT_SECRET),
    )
    poller: JobPoller | None = None

    def step(to: float) -> None:
        """Move the simulator clock to `to`, a second at a time, starting jobs on time."""
        while sim.now() < to:
            target = min(to, sim.now() + 1.0)
            while starts and starts[0] <= target:
                at = starts.pop(0)
                if at > sim.now():
                    sim.advance(at - sim.now())
                job = _busy_job(
                    rng.choice(BUSY_FAMILIES), sim.now(), rng.uniform(min_s, max_s), rng, sim.config
                )
                sim.add_job(job)
                running[job.id] = job
            sim.advance(max(0.0, target - sim.now()))
            for job_id, job in list(running.items()):
                if not job.active:
                    ended[job_id] = _ended_at(job, sim.now())
                    del running[job_id]

    async def sim_sleep(delay: float) -> None:
        # The poller's pause between polls moves the simulator clock instead of waiting.
        step(min(sim.now() + delay, start + seconds))
        await asyncio.sleep(0)

    def on_snapshot(snapshot: JobSnapshot) -> None:
        for (_, job_id), job in snapshot.jobs.items():
            if job.state.is_terminal and job_id not in shown:
                shown[job_id] = snapshot.polled_at
        if sim.now() - start >= seconds and poller is not None:
            poller.stop()

    try:
        poller = JobPoller(
            client,
            settings=PollSettings(daily_call_budget=budget),
            on_snapshot=on_snapshot,
            clock=sim.now,
            sleep=sim_sleep,
        )
        await asyncio.wait_for(poller.run(), timeout=600)
    finally:
        await client.aclose()
        await asyncio.to_thread(server.stop)

    log = sim.request_log(first_seq)
    kinds = Counter(_kind(e["method"], e["path"].split("?")[0]) for e in log)
    end_of_day = sim.now()
    delays = [max(0.0, shown.get(job_id, end_of_day) - at) for job_id, at in ended.items()]
    return BusyDayFigures(
        sim_seconds=end_of_day - start,
        calls=len(log),
        by_kind=dict(sorted(kinds.items())),
        jobs=len(ended) + len(running),
        ended=len(ended),
        delays=delays,
        daily_call_budget=budget,
    )


def main() -> None:
    """Print the figures for one simulated hour, or a busy day, as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=3600.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--busy-day", action="store_true", help="24 busy simulated hours")
    parser.add_argument(
        "--budget", type=int, help="daily call budget for --busy-day (0: none; default 8000)"
    )
    args = parser.parse_args()
    out: dict[str, Any]
    if args.busy_day:
        day = asyncio.run(measure_busy_day(seed=args.seed, daily_call_budget=args.budget))
        out = {
            "daily_call_budget": day.daily_call_budget,
            "calls_per_day": round(day.calls_per_day),
            "by_kind": day.by_kind,
            "jobs": day.jobs,
            "ended": day.ended,
            "median_end_delay_s": day.median_delay_s,
            "p95_end_delay_s": day.p95_delay_s,
        }
        print(json.dumps(out, indent=2))
        return
    figures = asyncio.run(measure(args.jobs, args.seconds, args.seed))
    out = dict(figures.__dict__)
    out["calls_per_hour"] = round(figures.calls_per_hour, 1)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
