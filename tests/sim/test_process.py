"""The demo's simulator process: `ztui sim --embedded` and `SimProcess`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import pytest

from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from ztui.sim.process import WATCHED_AQUA, SimProcess

FORM = {
    "client_id": DEMO_CLIENT_ID,
    "client_secret": DEMO_CLIENT_SECRET,
    "grant_type": "client_credentials",
}


def _gone(pid: int, within: float) -> bool:
    """True when process `pid` has exited (and been reaped) within `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.02)
    return False


def test_process_serves_names_aqua_jobs_and_stops_within_a_second() -> None:
    """The child listens on loopback, names the AQuA jobs to follow, and stop() ends it."""
    process = SimProcess(jobs=30, seed=3).spawn()
    try:
        url = process.wait_ready()
        assert url.startswith("http://127.0.0.1:")
        assert httpx.post(url + "/oauth/token", data=FORM, timeout=5).status_code == 200
        jobs = httpx.get(url + "/_sim/jobs", timeout=5).json()
        aqua_ids = {job["id"] for job in jobs["aqua"]}
        assert process.aqua_watch
        assert len(process.aqua_watch) <= WATCHED_AQUA
        assert set(process.aqua_watch) <= aqua_ids
        assert process.recent_aqua_job_ids(2) == process.aqua_watch[:2]
    finally:
        started = time.monotonic()
        process.stop()
    assert time.monotonic() - started < 1.5
    with pytest.raises(httpx.TransportError):
        httpx.get(url + "/_sim/clock", timeout=1)
    process.stop()  # twice is harmless


def test_child_stops_when_its_parent_goes() -> None:
    """The child follows its standard input: a parent that dies (pipe closed) ends it."""
    process = SimProcess(jobs=5).spawn()
    try:
        process.wait_ready()
        proc = process._proc
        assert proc is not None
        assert proc.stdin is not None
        proc.stdin.close()  # what the kernel does when the parent is killed
        assert proc.wait(timeout=3) == 0
        assert process.wait_for_exit() == "exit code 0"
    finally:
        process.stop()


def test_child_that_cannot_start_says_why() -> None:
    """A child that exits at start-up: wait_ready raises with the child's own message."""
    process = SimProcess(jobs=5, speed=0.0).spawn()
    pid = process.pid
    assert pid is not None
    with pytest.raises(RuntimeError, match=r"exited at start-up: ztui sim: .*sim-speed"):
        process.wait_ready(timeout=20)
    assert _gone(pid, 2.0)


def test_embedded_ready_line_is_one_json_object() -> None:
    """`ztui sim --embedded --port 0` prints exactly one JSON line, and no secret."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ztui", "sim", "--embedded", "--port", "0", "--sim-jobs", "8"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdin is not None
        ready = json.loads(proc.stdout.readline())
        assert set(ready) == {"url", "aqua"}
        assert ready["url"].startswith("http://127.0.0.1:")
        assert all(isinstance(job_id, str) for job_id in ready["aqua"])
        proc.stdin.close()
        assert proc.wait(timeout=3) == 0
        rest = proc.stdout.read()
        assert rest == b""
        assert DEMO_CLIENT_SECRET.encode() not in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
