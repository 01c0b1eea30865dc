"""`ztui serve` and `ztui --hub` on the command line: the token file, what is printed, and
usage errors in one line."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from ztui.cli.launch import build_app_parser, hub_target
from ztui.hub import protocol
from ztui.hub.auth import (
    TokenError,
    bearer_matches,
    is_loopback,
    load_or_create_token,
    read_token_file,
    token_path,
)
from ztui.hub.client import HubTarget


def test_the_token_file_is_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "state" / "hub-token"
    token, where, created = load_or_create_token(path)
    assert created
    assert where == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(token) >= 32
    again, _, created_again = load_or_create_token(path)
    assert again == token
    assert not created_again
    os.chmod(path, 0o644)
    assert load_or_create_token(path)[0] == token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text("short\n")
    fresh, _, made = load_or_create_token(path)
    assert made
    assert fresh != token
    assert read_token_file(path) == fresh


def test_the_default_token_file_is_in_the_state_folder(isolated_home: Path) -> None:
    assert token_path() == isolated_home / ".local" / "state" / "ztui" / "hub-token"


def test_a_bad_token_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TokenError, match="cannot read the hub token file"):
        read_token_file(tmp_path / "missing")
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(TokenError, match="holds no hub token"):
        read_token_file(tmp_path / "empty")


def test_bearer_and_loopback_rules() -> None:
    token = "a" * 40
    assert bearer_matches(f"Bearer {token}", token)
    assert bearer_matches(f"bearer  {token} ", token)
    assert not bearer_matches(f"Basic {token}", token)
    assert not bearer_matches("Bearer " + "b" * 40, token)
    assert not bearer_matches(None, token)
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.3.4.5", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "10.0.0.1", "::", "example.com"))


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--hub", "http://h:1", "--demo"], "drop --demo"),
        (["--hub", "http://h:1", "--profile", "p"], "drop --profile"),
        (["--hub", "ftp://h"], "not an http:// or https:// URL"),
        (["--hub-token-file", "x"], "needs --hub URL"),
        (["--hub", "http://h:1", "--hub-token-file", "/nonexistent/t"], "cannot read"),
    ],
)
def test_hub_options_are_checked(argv: list[str], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        hub_target(build_app_parser().parse_args(argv))


def test_hub_options_make_a_target(tmp_path: Path) -> None:
    token, path, _ = load_or_create_token(tmp_path / "t")
    target = hub_target(
        build_app_parser().parse_args(
            ["--hub", "http://127.0.0.1:8765/", "--hub-token-file", str(path)]
        )
    )
    assert isinstance(target, HubTarget)
    assert target.url == "http://127.0.0.1:8765"
    assert target.token == token
    assert "@" in target.viewer


def test_a_bad_hub_option_exits_2_in_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ztui", "--hub", "nope"],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "not an http:// or https:// URL" in done.stderr


def _lines_until(proc: subprocess.Popen[str], marker: str, timeout: float = 30) -> list[str]:
    assert proc.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if marker in line:
            return lines
    raise AssertionError(f"no {marker!r} in {lines}")


def test_ztui_serve_demo_serves_and_stops_cleanly(isolated_home: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ztui", "serve", "--demo", "--port", "0", "--sim-jobs", "10"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HOME": str(isolated_home)},
    )
    try:
        lines = _lines_until(proc, "attach with:")
        url = lines[-1].split("--hub ")[1].split()[0]
        token_file = Path(next(line for line in lines if "token file" in line).rsplit(" ", 1)[1])
        assert token_file == token_path()
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert any("read-only (start it with --allow-writes)" in line for line in lines)
        assert any("on loopback" in line for line in lines)
        info = protocol.decode_info(httpx.get(url + "/api/hello", timeout=10).content)
        assert info.profile == "demo"
        assert info.read_only
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 130
        assert proc.stderr is not None
        rest = proc.stderr.read()
        assert "stopped" in rest
        assert "Traceback" not in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_busy_port_is_one_line(make_sim: Callable[..., Any]) -> None:
    sim = make_sim()
    port = sim.base_url.rsplit(":", 1)[1]
    done = subprocess.run(
        [sys.executable, "-m", "ztui", "serve", "--demo", "--port", port],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr
