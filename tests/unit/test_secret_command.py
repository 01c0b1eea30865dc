"""`run_secret_command` is bounded: output size, a whole-run deadline, and helpers killed."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from ztui.core.secret import SecretCommandError, run_secret_command


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers signal 0; it is dead for our purpose.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


def _wait_gone(pid: int, within_s: float = 3.0) -> bool:
    end = time.monotonic() + within_s
    while time.monotonic() < end:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_plain_command_gives_its_stripped_output() -> None:
    assert run_secret_command([sys.executable, "-c", "print('  s3cret  ')"]) == "s3cret"


def test_huge_output_is_refused_quickly_without_buffering_it() -> None:
    # `yes` would print forever: the cap ends it, not the timeout.
    started = time.monotonic()
    with pytest.raises(SecretCommandError, match=r"printed more than 64 KB"):
        run_secret_command(["yes", "secret"], timeout_s=10)
    assert time.monotonic() - started < 5


def test_output_just_under_the_cap_is_accepted() -> None:
    secret = run_secret_command(
        [sys.executable, "-c", "print('x' * 1000)"], max_bytes=1001, timeout_s=10
    )
    assert secret == "x" * 1000


def test_deadline_covers_a_command_that_never_ends(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    script = f"sleep 30 & echo $! > {pidfile}; wait"
    started = time.monotonic()
    with pytest.raises(SecretCommandError, match=r"timed out after 0.5 s"):
        run_secret_command(["sh", "-c", script], timeout_s=0.5)
    assert time.monotonic() - started < 3
    # The helper it spawned went with it.
    assert _wait_gone(int(pidfile.read_text()))


def test_slow_drip_output_does_not_extend_the_deadline() -> None:
    drip = "import sys, time\nwhile True:\n    sys.stdout.write('a'); sys.stdout.flush()\n"
    drip += "    time.sleep(0.1)\n"
    started = time.monotonic()
    with pytest.raises(SecretCommandError, match="timed out"):
        run_secret_command([sys.executable, "-c", drip], timeout_s=1)
    assert time.monotonic() - started < 4


def test_helper_holding_the_output_open_does_not_stretch_the_run(tmp_path: Path) -> None:
    # The command prints its secret and exits, leaving a helper with stdout open for 30 s.
    pidfile = tmp_path / "pid"
    script = f"echo s3cret; sleep 30 & echo $! > {pidfile}"
    started = time.monotonic()
    assert run_secret_command(["sh", "-c", script], timeout_s=15) == "s3cret"
    assert time.monotonic() - started < 5
    assert _wait_gone(int(pidfile.read_text()))


def test_failure_does_not_show_what_it_printed() -> None:
    with pytest.raises(SecretCommandError) as info:
        run_secret_command(["sh", "-c", "echo hunter2; echo oops >&2; exit 3"])
    assert "exited with code 3" in str(info.value)
    assert "hunter2" not in str(info.value)
    assert "oops" not in str(info.value)
