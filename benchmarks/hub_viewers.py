"""Measures what viewers attached to a hub cost: Zuora calls, delay to their boards, hub memory.

For each number of viewers (1, 5 and 20 by default), a fresh demo simulator (the same seed
each time, time running `--speed` times faster) is watched for `--seconds` by `ztui serve`,
with that many `ztui --hub` viewers, each a real TUI in its own pseudo-terminal. A direct
`ztui` against the same kind of fresh simulator is the reference. The poll intervals are
divided by the same speed, so `--seconds 120 --speed 5` is ten simulated minutes of the
default pacing (families with a running job every 5 s, the others every 60 s).

Figures, each beside its budget (exit 1 when one is missed):
- calls: every API request the simulator logged during the window, against the direct
  ztui's (budget: within 5%). Viewers make no Zuora calls of their own.
- delay: a running job is failed on the simulator; the time from the hub's snapshot that
  shows it (seen on `/api/events` by a probe) to each viewer's board showing one more
  failed job in its status line (budget: 1 s for the slowest viewer).
- memory: the hub's resident memory after the viewers attached and the window passed,
  less before they attached, per viewer (budget: 5 MB).

`python benchmarks/hub_viewers.py [--viewers 1,5,20] [--seconds 120] [--speed 5]`.
Needs the `dev` extra (`pyte`, for the viewers' screens).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import re
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "tools"))

from tuibench import Terminal  # type: ignore[import-not-found]  # noqa: E402

from ztui.api.models import JobState  # noqa: E402
from ztui.hub.protocol import decode_snapshot  # noqa: E402

COLS, ROWS = 120, 40
CALLS_TOLERANCE = 0.05
DELAY_BUDGET_S = 1.0
RSS_PER_VIEWER_MB = 5.0
READY = " jobs: "
FAILED_RE = re.compile(r" (\d+) failed")


@dataclass
class Figures:
    """One configuration's figures."""

    viewers: int
    calls: int
    delays: list[float] = field(default_factory=list)
    rss_before_mb: float = 0.0
    rss_after_mb: float = 0.0

    @property
    def rss_per_viewer_mb(self) -> float:
        return (self.rss_after_mb - self.rss_before_mb) / self.viewers if self.viewers else 0.0


# ---------------------------------------------------------------------------- processes


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextlib.contextmanager
def _process(
    args: list[str], env: dict[str, str], **kwargs: Any
) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(args, env=env, start_new_session=True, text=True, **kwargs)
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


@contextlib.contextmanager
def _simulator(
    speed: float, jobs: int, seed: int
) -> Iterator[tuple[str, dict[str, str], Schedule]]:
    """A standalone `ztui sim`; yields its base URL, the environment to reach it and the
    schedule of the run, counted from the moment it listens."""
    args = [sys.executable, "-m", "ztui", "sim", "--port", "0", "--sim-jobs", str(jobs)]
    args += ["--sim-seed", str(seed), "--sim-speed", str(speed)]
    with _process(args, dict(os.environ), stdout=subprocess.PIPE) as sim:
        assert sim.stdout is not None
        env: dict[str, str] = {}
        url = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not env:
            line = sim.stdout.readline()
            if not line:
                raise SystemExit("the simulator exited before it listened")
            if line.startswith("Zuora simulator listening on "):
                url = line.rsplit(" ", 1)[1].strip()
            if line.startswith("export "):
                env = dict(part.split("=", 1) for part in line.split()[1:])
        schedule = Schedule(time.monotonic(), speed)
        # Keep reading its output so a full pipe never blocks it.
        threading.Thread(target=sim.stdout.read, daemon=True).start()
        yield url, env, schedule


class Viewer:
    """A TUI in a pseudo-terminal, its screen emulated."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.process = subprocess.Popen(
            args,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**env, "TERM": "xterm-256color", "COLUMNS": str(COLS), "LINES": str(ROWS)},
            start_new_session=True,
        )
        os.close(slave)
        os.set_blocking(master, False)
        self.fd = master
        self.terminal = Terminal(master, COLS, ROWS)

    def text(self) -> str:
        return "\n".join(self.terminal.screen.display)

    def failed_count(self) -> int | None:
        """The failed count of the status line's job counts, when shown."""
        for line in self.terminal.screen.display:
            if READY in line:
                match = FAILED_RE.search(line)
                return int(match.group(1)) if match else 0
        return None

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        os.close(self.fd)


def _pump(viewers: list[Viewer], seconds: float) -> None:
    """Read every viewer's output for `seconds`, feeding their screens."""
    by_fd = {viewer.fd: viewer for viewer in viewers}
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select(list(by_fd), [], [], min(left, 0.05))
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except (BlockingIOError, OSError):
                continue
            if data:
                by_fd[fd].terminal.feed(data, time.monotonic())


def _pump_until(viewers: list[Viewer], done: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        _pump(viewers, 0.05)


# ---------------------------------------------------------------------------- simulator


def _api_calls(client: httpx.Client, since: int) -> tuple[int, int]:
    """(API requests logged after `since`, the last sequence number)."""
    log = client.get("/_sim/requests", params={"since": since}).json()["requests"]
    calls = [entry for entry in log if not str(entry.get("path", "")).startswith("/_sim")]
    last = max((int(entry["seq"]) for entry in log), default=since)
    return len(calls), last


def _long_job(client: httpx.Client, env: dict[str, str]) -> str:
    """Start a booking-date job that runs longer than the window, to fail halfway through
    (the same in every run, before the window opens)."""
    client.post("/_sim/config", json={"bd_batches": 100_000}).raise_for_status()
    token = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": env["ZTUI_CLIENT_ID"],
            "client_secret": env["ZTUI_CLIENT_SECRET"],
        },
    ).json()["access_token"]
    created = client.post(
        "/v1/uno/data-backfill/bookingdate/jobs", headers={"Authorization": f"Bearer {token}"}
    )
    created.raise_for_status()
    return str(created.json()["jobId"])


START_AFTER_S = 60.0
"""Seconds after the simulator listens at which the long job starts, in every run: the
viewers' start-up (20 TUIs on a small machine) is over by then, and the simulated jobs
are where they were in the other runs (their progress follows the simulator's clock)."""


@dataclass(frozen=True)
class Schedule:
    """When each step of a run happens, from the simulator's start: the same in every
    run, so every run sees the same jobs in the same states."""

    t0: float
    speed: float

    @property
    def job_at(self) -> float:
        return self.t0 + START_AFTER_S

    @property
    def window_at(self) -> float:
        # Two idle intervals after the long job starts: until the watcher has seen how
        # fast it goes, its family is polled at the active pace.
        return self.job_at + 2 * 60 / self.speed

    def wait(self, viewers: list[Viewer], until: float, what: str) -> None:
        """Pump the viewers until `until`; exit if that moment has already passed."""
        if time.monotonic() > until + 1:
            raise SystemExit(f"{what} came too late for the schedule (raise START_AFTER_S)")
        _pump(viewers, max(0.0, until - time.monotonic()))


def _config(directory: Path, speed: float) -> Path:
    path = directory / "config.toml"
    path.write_text(f"[ui]\npoll_active_s = {5 / speed}\npoll_idle_s = {60 / speed}\n")
    return path


# ---------------------------------------------------------------------------- runs


def measure_direct(seconds: float, speed: float, jobs: int, seed: int, config: Path) -> int:
    """API calls of one direct ztui over the window."""
    with _simulator(speed, jobs, seed) as (url, env, plan):
        full = {**os.environ, **env, "ZTUI_CONFIG": str(config)}
        viewer = Viewer([sys.executable, "-m", "ztui"], full)
        try:
            _pump_until([viewer], lambda: READY in viewer.text(), 60, "the direct board")
            with httpx.Client(base_url=url, timeout=10) as client:
                plan.wait([viewer], plan.job_at, "the direct board")
                job_id = _long_job(client, env)
                plan.wait([viewer], plan.window_at, "the long job")
                _, start = _api_calls(client, 0)
                plan.wait([viewer], plan.window_at + seconds / 2, "the window")
                # The same change as in the hub runs, at the same time.
                client.post("/_sim/outcome", json={"job_id": job_id, "outcome": "failed"})
                plan.wait([viewer], plan.window_at + seconds, "the change")
                calls, _ = _api_calls(client, start)
        finally:
            viewer.close()
    return calls


def _hub_snapshot_with(url: str, job_id: str, stop: threading.Event, seen: list[float]) -> None:
    """Follow the hub's events until one shows `job_id` failed; note when."""
    with (
        httpx.Client(base_url=url, timeout=httpx.Timeout(10, read=None)) as client,
        client.stream("GET", "/api/events") as response,
    ):
        for line in response.iter_lines():
            if stop.is_set():
                return
            if not (line.startswith("data:") and job_id in line):
                continue
            snapshot = decode_snapshot(line[5:].strip(), None)
            if any(
                job.id == job_id and job.state is JobState.FAILED for job in snapshot.jobs.values()
            ):
                seen.append(time.monotonic())
                return


def measure_hub(
    viewers: int, seconds: float, speed: float, jobs: int, seed: int, config: Path, port: int
) -> Figures:
    """API calls, delays and hub memory with `viewers` attached."""
    with _simulator(speed, jobs, seed) as (sim_url, env, plan):
        full = {**os.environ, **env, "ZTUI_CONFIG": str(config)}
        hub_url = f"http://127.0.0.1:{port}"
        serve = [sys.executable, "-m", "ztui", "serve", "--port", str(port)]
        with (
            _process(serve, full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as hub,
            httpx.Client(base_url=sim_url, timeout=10) as sim,
        ):
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{hub_url}/api/hello", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("the hub did not answer /api/hello")
                time.sleep(0.2)
            time.sleep(2)  # the hub's first poll
            rss_before = _rss_mb(hub.pid)
            attached = [
                Viewer([sys.executable, "-m", "ztui", "--hub", hub_url], full)
                for _ in range(viewers)
            ]
            try:
                _pump_until(
                    attached,
                    lambda: all(READY in v.text() for v in attached),
                    120,
                    f"{viewers} viewer boards",
                )
                plan.wait(attached, plan.job_at, f"{viewers} viewer boards")
                job_id = _long_job(sim, env)
                plan.wait(attached, plan.window_at, "the long job")
                _, start = _api_calls(sim, 0)
                # The probe listens before the change: it sees the hub's snapshot of it.
                stop, seen = threading.Event(), []
                probe = threading.Thread(
                    target=_hub_snapshot_with, args=(hub_url, job_id, stop, seen), daemon=True
                )
                probe.start()
                plan.wait(attached, plan.window_at + seconds / 2, "the window")
                # A change every board must show: one more failed job.
                before = [v.failed_count() or 0 for v in attached]
                sim.post("/_sim/outcome", json={"job_id": job_id, "outcome": "failed"})
                shown: list[float | None] = [None] * viewers
                give_up = time.monotonic() + 60
                while any(t is None for t in shown) and time.monotonic() < give_up:
                    _pump(attached, 0.02)
                    now = time.monotonic()
                    for i, viewer in enumerate(attached):
                        count = viewer.failed_count()
                        if shown[i] is None and count is not None and count > before[i]:
                            shown[i] = now
                stop.set()
                probe.join(5)
                plan.wait(attached, plan.window_at + seconds, "the boards' change")
                calls, _ = _api_calls(sim, start)
                rss_after = _rss_mb(hub.pid)
            finally:
                for viewer in attached:
                    viewer.close()
        if not seen or any(t is None for t in shown):
            raise SystemExit(f"{viewers} viewers: the change did not reach every board")
        delays = [max(0.0, t - seen[0]) for t in shown if t is not None]
        return Figures(viewers, calls, delays, rss_before, rss_after)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--viewers", default="1,5,20", help="viewer counts, comma-separated")
    parser.add_argument("--seconds", type=float, default=120.0, help="window of each run")
    parser.add_argument("--speed", type=float, default=5.0, help="simulated time per second")
    parser.add_argument("--jobs", type=int, default=100, help="jobs the simulator seeds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=8795)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    counts = [int(part) for part in args.viewers.split(",") if part.strip()]
    with tempfile.TemporaryDirectory() as work:
        config = _config(Path(work), args.speed)
        minutes = args.seconds * args.speed / 60
        print(f"{minutes:.0f} simulated minutes per run ({args.seconds:.0f} s at x{args.speed})")
        direct = measure_direct(args.seconds, args.speed, args.jobs, args.seed, config)
        print(f"direct ztui: {direct} calls")
        results = [
            measure_hub(n, args.seconds, args.speed, args.jobs, args.seed, config, args.port)
            for n in counts
        ]
    missed = False
    for figures in results:
        ratio = figures.calls / direct if direct else float("inf")
        worst = max(figures.delays)
        ok_calls = abs(ratio - 1) <= CALLS_TOLERANCE
        ok_delay = worst <= DELAY_BUDGET_S
        ok_rss = figures.rss_per_viewer_mb <= RSS_PER_VIEWER_MB
        missed |= not (ok_calls and ok_delay and ok_rss)
        print(
            f"{figures.viewers:>3} viewer(s): {figures.calls} calls ({ratio:.2f}x direct, "
            f"budget 1 ± {CALLS_TOLERANCE:.2f}) {'ok' if ok_calls else 'MISSED'} · "
            f"board delay max {worst:.2f} s (budget {DELAY_BUDGET_S} s) "
            f"{'ok' if ok_delay else 'MISSED'} · hub RSS {figures.rss_before_mb:.1f} → "
            f"{figures.rss_after_mb:.1f} MB, {figures.rss_per_viewer_mb:.2f} MB per viewer "
            f"(budget {RSS_PER_VIEWER_MB}) {'ok' if ok_rss else 'MISSED'}"
        )
    if args.json:
        print(json.dumps({"direct": direct, "runs": [f.__dict__ for f in results]}))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
