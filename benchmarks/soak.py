"""Soak: the app's resident memory over a long run against a simulator that keeps failing.

`ztui sim` (the demo's simulator, 200 seeded jobs, real time) runs in its own process;
ztui runs against it in a pseudo-terminal of 120x40 emulated by `tools/tuibench.py`'s
`Terminal`, polling every 2 s while jobs run and every 3 s otherwise, so that every
fault meets a poll. Every `--fault-every` seconds (3) one fault is armed through the
simulator's `/_sim/faults` route, in turn: a 503, a dropped connection, a malformed
answer, a 429, expired tokens, a 500 on AQuA gets, a slow answer, a success:false body.
The app's resident memory (VmRSS of the ztui process alone) is sampled every 5 s.

The figure is the growth over the last `--window` minutes (5): the median of the last
30 s of samples less the median of the 30 s around the window's start. Its budget is
`soak_rss_growth_mb` in `bench.toml` (1 MB); the exit code is 1 when it is missed.

    python benchmarks/soak.py                 # 10 minutes
    python benchmarks/soak.py --minutes 3     # a short run (the window shrinks to half)
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shlex
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
import tomllib
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE / "tools"))

FAULTS: tuple[dict[str, object], ...] = (
    {"route": "GET /v1/uno/data-backfill/listjobs", "kind": "status", "status": 503, "times": 1},
    {"route": "GET /v1/uno/data-backfill/bookingdate/jobs", "kind": "drop", "times": 1},
    {"route": "GET /objects/jobs", "kind": "malformed", "times": 1},
    {"route": "GET *", "kind": "rate_limit", "delay_s": 2, "times": 1},
    {"route": "* *", "kind": "expire_tokens", "times": 1},
    {"route": "GET /v1/batch-query/jobs/*", "kind": "status", "status": 500, "times": 2},
    {"route": "GET /v1/uno/data-backfill/propagation/jobs", "kind": "latency", "delay_s": 1.5},
    {"route": "GET /v1/uno/data-backfill/bookingdate/jobs", "kind": "success_false", "times": 1},
)
"""What the simulator is told to do, one after another (`latency` once per round: it
has no `times`, so it is cleared with the others before the next round)."""

SAMPLE_S = 5.0
MEDIAN_S = 30.0


@dataclass
class Soak:
    """The samples of one soak run: (seconds since ready, app RSS in MB)."""

    minutes: float
    window_min: float
    samples: list[tuple[float, float]] = field(default_factory=list)
    faults: int = 0
    start_mb: float = 0.0

    def median_around(self, at: float) -> float:
        """The median RSS of the samples within `MEDIAN_S` / 2 of `at` (or the nearest)."""
        near = [mb for t, mb in self.samples if abs(t - at) <= MEDIAN_S / 2]
        if not near:
            near = [min(self.samples, key=lambda s: abs(s[0] - at))[1]]
        return statistics.median(near)

    @property
    def end_s(self) -> float:
        return self.samples[-1][0]

    @property
    def window_start_mb(self) -> float:
        return self.median_around(self.end_s - self.window_min * 60)

    @property
    def end_mb(self) -> float:
        tail = [mb for t, mb in self.samples if t >= self.end_s - MEDIAN_S]
        return statistics.median(tail)

    @property
    def growth_mb(self) -> float:
        """RSS growth over the last window, in MB."""
        return self.end_mb - self.window_start_mb


def _rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _post(base: str, path: str, body: object | None = None, method: str = "POST") -> None:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()


def _start_sim(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    sim = subprocess.Popen(
        [sys.executable, "-m", "ztui", "sim", "--port", "0", "--sim-jobs", "200"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=REPO,
        start_new_session=True,
    )
    assert sim.stdout is not None
    first = sim.stdout.readline()
    url = next((w for w in first.split() if w.startswith("http://")), "")
    if not url:
        sim.kill()
        raise SystemExit(f"the simulator did not start: {first!r}")
    return sim, url.rstrip("/,")


def run(minutes: float, fault_every: float, window_min: float, quiet: bool = False) -> Soak:
    """Run the soak and return its samples."""
    from tuibench import Terminal

    from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    soak = Soak(minutes=minutes, window_min=min(window_min, minutes / 2))
    with tempfile.TemporaryDirectory(prefix="ztui-soak-") as tmp:
        home = Path(tmp)
        config = home / "config.toml"
        config.write_text("[ui]\npoll_active_s = 2\npoll_idle_s = 3\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZTUI_")}
        env.update(
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / "config"),
            XDG_STATE_HOME=str(home / "state"),
            XDG_DATA_HOME=str(home / "data"),
            XDG_CACHE_HOME=str(home / "cache"),
            ZTUI_CONFIG=str(config),
        )
        sim, base = _start_sim(env)
        env.update(
            ZTUI_BASE_URL=base,
            ZTUI_CLIENT_ID=DEMO_CLIENT_ID,
            ZTUI_CLIENT_SECRET=DEMO_CLIENT_SECRET,
            TERM="xterm-256color",
            COLORTERM="truecolor",
        )
        for name in ("COLUMNS", "LINES", "TMUX"):
            env.pop(name, None)
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))

        def take_terminal() -> None:
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        app = subprocess.Popen(
            shlex.split(f"{shlex.quote(sys.executable)} -m ztui"),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=REPO,
            start_new_session=True,
            preexec_fn=take_terminal,
            close_fds=True,
        )
        os.close(slave)
        os.set_blocking(master, False)
        term = Terminal(master, 120, 40)
        try:
            term.watch_for(" jobs: ")
            deadline = time.monotonic() + 60
            while term.seen(" jobs: ") is None:
                if time.monotonic() > deadline or app.poll() is not None:
                    raise SystemExit("the app showed no jobs within 60 s")
                term.read_some(0.1)
            ready = time.monotonic()
            soak.start_mb = _rss_mb(app.pid) or 0.0
            next_fault = ready
            next_sample = ready
            end = ready + minutes * 60
            fault = 0
            while time.monotonic() < end:
                now = time.monotonic()
                if now >= next_fault:
                    if fault % len(FAULTS) == 0:
                        _post(base, "/_sim/faults", method="DELETE")
                    _post(base, "/_sim/faults", FAULTS[fault % len(FAULTS)])
                    fault += 1
                    next_fault += fault_every
                if now >= next_sample:
                    mb = _rss_mb(app.pid)
                    if mb is None:
                        raise SystemExit("the app ended during the soak")
                    soak.samples.append((now - ready, mb))
                    next_sample += SAMPLE_S
                    if not quiet and len(soak.samples) % 12 == 1:
                        print(f"  {now - ready:6.0f} s  {mb:6.1f} MB", flush=True)
                # Keep the terminal drained (and answered) without emulating every frame.
                term.read_some(min(next_fault, next_sample) - time.monotonic(), defer=True)
                term.deferred.clear()
                term.deferred_bytes = 0
            soak.faults = fault
        finally:
            term.write(b"\x11")  # ctrl+q
            try:
                app.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(app.pid, signal.SIGKILL)
                app.wait()
            os.close(master)
            os.killpg(sim.pid, signal.SIGTERM)
            try:
                sim.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(sim.pid, signal.SIGKILL)
    return soak


def budget() -> float:
    """`soak_rss_growth_mb` from bench.toml."""
    with (HERE / "bench.toml").open("rb") as handle:
        return float(tomllib.load(handle).get("budgets", {}).get("soak_rss_growth_mb", 1.0))


def main(argv: list[str] | None = None) -> int:
    """Run the soak, print the figure beside its budget; exit 1 when it is missed."""
    parser = argparse.ArgumentParser(description="ztui memory soak under injected faults")
    parser.add_argument("--minutes", type=float, default=10.0, help="length (default 10)")
    parser.add_argument("--fault-every", type=float, default=3.0, help="seconds between faults")
    parser.add_argument(
        "--window", type=float, default=5.0, help="minutes at the end the growth is taken over"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    soak = run(args.minutes, args.fault_every, args.window, quiet=args.quiet)
    limit = budget()
    ok = soak.growth_mb <= limit
    print(
        f"soak {soak.minutes:g} min, {soak.faults} faults: app RSS {soak.start_mb:.1f} MB at "
        f"the first frame, {soak.window_start_mb:.1f} MB {soak.window_min:g} min before the "
        f"end, {soak.end_mb:.1f} MB at the end"
    )
    print(
        f"  growth over the last {soak.window_min:g} min  {soak.growth_mb:+.2f} MB   "
        f"budget <= {limit:g} MB   {'ok' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
