"""Helpers for the headless-command tests: run `python -m ztui ...` against a loopback sim.

Every command runs as a real subprocess with the simulator's URL and demo credentials in
its environment (plus the isolated home of `tests/conftest.py`). Jobs are created through
the real API client; outcomes are forced with `/_sim/outcome` and time moves with
`/_sim/clock`, either step by step or from a `ClockPump` thread while watches run.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from ztui.api.client import ZuoraClient
from ztui.api.models import Family
from ztui.core.secret import Secret
from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

SLOW_SIM: dict[str, Any] = {
    "db_rows_per_tick": 1,
    "db_validation_s": 2.0,
    "bd_batches": 100_000,
    "prop_max_ticks": 100_000,
    "prop_records": 10_000_000,
    "co_max_active": 1000,
    "aqua_batch_s": 10.0,
    "aqua_max_active": 1000,
}
"""Simulator settings under which jobs only finish when a test says so."""

AQUA_BODY = {
    "format": "csv",
    "version": "1.1",
    "name": "cli-test",
    "encrypted": "none",
    # Many short batches: a forced outcome lands at the next batch boundary (10 s of sim
    # time), long before the job could finish by itself (200 s).
    "queries": [
        {"name": f"q{i}", "query": "select Id from Account", "type": "zoql"} for i in range(20)
    ],
}


@dataclass
class Result:
    """A finished command."""

    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        """Non-empty stdout lines."""
        return [line for line in self.out.splitlines() if line.strip()]


class Sim:
    """Drives one simulator over HTTP: clock, outcomes, faults, and job creation."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.url: str = server.base_url
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def advance(self, seconds: float) -> None:
        """Move the simulator clock forward."""
        self.http.post("/_sim/clock", json={"advance": seconds}).raise_for_status()

    def outcome(self, job_id: str, outcome: str) -> None:
        """Make a job end as `outcome` at its next transition."""
        self.http.post(
            "/_sim/outcome", json={"job_id": job_id, "outcome": outcome}
        ).raise_for_status()

    def fault(self, **body: Any) -> None:
        """Inject a fault (`kind`, `route`, `status`, `times`, ...)."""
        self.http.post("/_sim/faults", json=body).raise_for_status()

    def configure(self, **changes: Any) -> None:
        """Change simulator flags at runtime."""
        self.http.post("/_sim/config", json=changes).raise_for_status()

    def jobs(self) -> dict[str, list[dict[str, Any]]]:
        """Every job of the simulator in its wire shape, by family."""
        data: dict[str, list[dict[str, Any]]] = self.http.get("/_sim/jobs").json()
        return data

    def requests(self) -> list[dict[str, Any]]:
        """The simulator's request log."""
        data = self.http.get("/_sim/requests").json()
        return list(data["requests"] if isinstance(data, dict) else data)

    def create(self, family: Family, count: int = 1) -> list[str]:
        """Create `count` running jobs of `family` through the real client."""
        return asyncio.run(self._create(family, count))

    async def _create(self, family: Family, count: int) -> list[str]:
        from ztui.sim.uno import synth_rows
        from ztui.sim.util import csv_bytes

        ids: list[str] = []
        async with ZuoraClient(
            self.url, client_id=DEMO_CLIENT_ID, client_secret=Secret(DEMO_CLIENT_SECRET)
        ) as client:
            for i in range(count):
                if family is Family.DATA_BACKFILL:
                    header, rows = synth_rows("RatePlanCharge", 1000, f"cli-{i}")
                    ids.append(
                        await client.create_data_backfill_job(
                            "RatePlanCharge", csv_bytes(header, rows), filename=f"t{i}.csv"
                        )
                    )
                elif family is Family.BOOKING_DATE:
                    ids.append(await client.create_booking_date_job())
                elif family is Family.PROPAGATION:
                    ids.append(await client.create_propagation_job("RatePlanCharge", batch_size=1))
                elif family is Family.CUSTOM_OBJECT:
                    job = await client.submit_custom_object_job(
                        object="vehicle", namespace="default", operation="create"
                    )
                    ids.append(job.id)
                else:
                    ids.append((await client.create_aqua_job(AQUA_BODY)).id)
        return ids

    def close(self) -> None:
        """Close the control connection."""
        self.http.close()


class ClockPump:
    """A thread that advances the simulator clock in small steps while commands run."""

    def __init__(self, sim: Sim, step: float = 1.0, every: float = 0.05) -> None:
        self.sim = sim
        self.step = step
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.sim.url, timeout=10) as http:
            while not self._stop.wait(self.every):
                http.post("/_sim/clock", json={"advance": self.step})

    def __enter__(self) -> ClockPump:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


class Ztui:
    """Runs `python -m ztui ...` with the simulator's connection in the environment."""

    def __init__(self, sim: Sim) -> None:
        self.env = dict(os.environ)
        self.env.update(
            ZTUI_BASE_URL=sim.url,
            ZTUI_CLIENT_ID=DEMO_CLIENT_ID,
            ZTUI_CLIENT_SECRET=DEMO_CLIENT_SECRET,
            PYTHONUNBUFFERED="1",
        )

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """Start a command; stdin is not a terminal."""
        return subprocess.Popen(
            [sys.executable, "-m", "ztui", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**self.env, **(env or {})},
        )

    def run(self, *args: str, timeout: float = 30, env: dict[str, str] | None = None) -> Result:
        """Run a command to completion."""
        return finish(self.start(*args, env=env), timeout)

    def run_all(self, commands: Sequence[Sequence[str]], timeout: float = 30) -> list[Result]:
        """Run several commands at once; results in the same order."""
        procs = [self.start(*args) for args in commands]
        return [finish(p, timeout) for p in procs]


def finish(proc: subprocess.Popen[str], timeout: float = 30) -> Result:
    """Wait for a started command and collect its output."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(
            f"command did not end in {timeout} s\nstdout:\n{out}\nstderr:\n{err}"
        ) from None
    return Result(proc.returncode, out, err)


def wait_first_line(proc: subprocess.Popen[str]) -> str:
    """Block until a started command has printed its first stdout line, and return it."""
    assert proc.stdout is not None
    return proc.stdout.readline()


def no_traceback(result: Result) -> None:
    """Assert the command printed no Python traceback."""
    assert "Traceback" not in result.err, result.err
    assert "Traceback" not in result.out, result.out
