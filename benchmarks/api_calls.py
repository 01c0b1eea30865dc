"""Measures the watcher's API calls per hour against the simulator (no terminal involved).

One simulated hour of the real `JobPoller.run()` loop, with the real `ZuoraClient`, against
a manual-clock simulator seeded with `--jobs` jobs: the poller's sleep advances the
simulator clock instead of waiting, so the hour takes seconds. Requests are counted from
the simulator's own request log, so nothing on the client side can hide a call.

`python benchmarks/api_calls.py --jobs 1000` prints the figures; `run.py` calls `measure`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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


def main() -> None:
    """Print the figures for one simulated hour as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=3600.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    figures = asyncio.run(measure(args.jobs, args.seconds, args.seed))
    out: dict[str, Any] = dict(figures.__dict__)
    out["calls_per_hour"] = round(figures.calls_per_hour, 1)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
