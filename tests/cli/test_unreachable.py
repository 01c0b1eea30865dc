"""A server that cannot be reached, or is not Zuora, is said so at once, never shown as an
empty tenant."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

from .helpers import Result, Sim, Ztui, finish, no_traceback

HEX = "0123456789abcdef0123456789abcdef"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_against(base_url: str, *args: str) -> tuple[Result, float]:
    env = dict(os.environ)
    env.update(
        ZTUI_BASE_URL=base_url, ZTUI_CLIENT_ID=DEMO_CLIENT_ID, ZTUI_CLIENT_SECRET=DEMO_CLIENT_SECRET
    )
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ztui", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    result = finish(proc, 60)
    return result, time.monotonic() - start


def test_a_refused_connection_fails_within_seconds_and_says_so() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    for args in (("jobs",), ("show", HEX)):
        result, took = _run_against(url, *args)
        no_traceback(result)
        assert result.code == 1, result.err
        assert "connection refused" in result.err
        assert "is the base URL right" in result.err
        assert "no jobs" not in (result.out + result.err).lower()
        assert took < 10, f"{args}: {took:.1f} s"


def test_an_unknown_host_is_said_to_be_dns() -> None:
    result, _took = _run_against("http://no-such-host.invalid", "jobs")
    no_traceback(result)
    assert result.code == 1
    assert "is unknown (DNS)" in result.err


def test_a_token_url_that_answers_404_is_a_base_url_problem(slow_sim: Sim, ztui: Ztui) -> None:
    slow_sim.fault(route="POST /oauth/token", kind="status", status=404, times=100)
    result = ztui.run("jobs")
    no_traceback(result)
    assert result.code == 2, result.err
    assert "is the base URL right" in result.err
    assert "refused the client credentials" not in result.err
