"""The app shell end to end: demo start and quit, profile switch, read-only, secret hygiene."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot

from tests.ui.pilot_support import wait_until
from tests.ui.pilot_support import wait_until as _wait
from tests.ui.test_detail_support import notes
from ztui.api.models import Family
from ztui.app import ZtuiApp
from ztui.config.load import load_settings
from ztui.config.resolve import resolve_profile
from ztui.demo import DemoOptions
from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from ztui.sim.process import SimProcess

pytestmark = pytest.mark.anyio


async def _next_poll(pilot: Pilot[Any], app: ZtuiApp) -> None:
    """Ask for a poll now and wait for the snapshot it produces."""
    assert app.jobs is not None
    seq = app.jobs.seq
    app.refresh_now()
    await _wait(pilot, lambda: app.jobs is not None and app.jobs.seq > seq, "poll")


def _requests(base_url: str) -> list[dict[str, Any]]:
    body = httpx.get(f"{base_url}/_sim/requests", timeout=5).json()
    return list(body["requests"])


def _sim_ids(base_url: str) -> set[str]:
    body = httpx.get(f"{base_url}/_sim/jobs", timeout=5).json()
    ids: set[str] = set()
    for jobs in body.values():
        for job in jobs:
            job_id = job.get("id") or job.get("Id")
            if job_id:
                ids.add(job_id)
    return ids


async def test_demo_starts_shows_every_family_and_quits_within_a_second() -> None:
    """`ztui --demo`: the embedded simulator starts, every family shows, `q` stops it all."""
    settings = load_settings()
    app = ZtuiApp(
        settings=settings, profile=resolve_profile(settings), demo=DemoOptions(jobs=40, seed=2)
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await _wait(
            pilot,
            lambda: app.jobs is not None and {f for f, _ in app.jobs.jobs} == set(Family),
            "jobs of every family",
        )
        assert app.profile.name == "demo"
        server = app._sim_server
        assert isinstance(server, SimProcess)  # a child process, off the UI's interpreter
        pid = server.pid
        assert pid is not None
        assert pid != os.getpid()
        base_url = server.base_url
        assert httpx.get(f"{base_url}/_sim/clock", timeout=5).status_code == 200
        started = time.monotonic()
        await pilot.press("q")
    assert time.monotonic() - started < 2.0
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base_url}/_sim/clock", timeout=1)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_collector_paused_at_start_resumes_with_the_first_jobs(
    make_app: Callable[..., Any],
) -> None:
    """`ztui` pauses the garbage collector to start; the first jobs on screen restart it."""
    import gc

    from ztui.core import gcpause

    app = make_app()
    gcpause.pause()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            assert not gc.isenabled()
            await _wait(pilot, lambda: app.jobs is not None, "the first jobs")
            await _wait(pilot, gc.isenabled, "the collector to restart")
            assert not gcpause.is_paused()
    finally:
        gcpause.resume()
        gc.unfreeze()
        gc.enable()


async def test_demo_simulator_that_dies_is_reported_once() -> None:
    """The demo's simulator killed mid-run: the board says so and stops polling it."""
    import signal

    settings = load_settings()
    app = ZtuiApp(settings=settings, profile=resolve_profile(settings), demo=DemoOptions(jobs=8))
    seen: list[Any] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await _wait(pilot, lambda: app.jobs is not None and app.jobs.complete, "jobs")
        process = app._sim_server
        assert isinstance(process, SimProcess)
        assert process.pid is not None
        os.kill(process.pid, 0)  # still running: raises if it were gone
        os.kill(process.pid, signal.SIGKILL)
        app.refresh_now()
        await _wait(pilot, lambda: app.connection_error is not None, "the report", 20)
        assert app.connection_error is not None
        assert "demo simulator stopped (killed by SIGKILL)" in app.connection_error
        await _wait(pilot, lambda: app.poller is None, "polling to stop")
        assert len([n for n in notes(seen) if "demo simulator stopped" in n]) == 1


async def test_demo_simulator_that_cannot_start_is_reported() -> None:
    """A demo simulator that dies at start-up: the board says why, and nothing hangs."""
    settings = load_settings()
    process = SimProcess(jobs=5, speed=0.0).spawn()
    app = ZtuiApp(
        settings=settings,
        profile=resolve_profile(settings),
        demo=DemoOptions(jobs=5, speed=0.0),
        sim_process=process,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await _wait(pilot, lambda: app.connection_error is not None, "the connection error")
        assert app.connection_error is not None
        assert "demo simulator did not start" in app.connection_error
        assert "--sim-speed" in app.connection_error
        assert app.jobs is None


def _write_two_profile_config(path: Path, url_a: str, url_b: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"""
default_profile = "alpha"

[profiles.alpha]
base_url = "{url_a}"
client_id = "{DEMO_CLIENT_ID}"
client_secret_env = "ZTUI_TEST_SECRET"

[profiles.beta]
base_url = "{url_b}"
client_id = "{DEMO_CLIENT_ID}"
client_secret_env = "ZTUI_TEST_SECRET"
""",
        encoding="utf-8",
    )


async def test_profile_switch_mid_poll_never_mixes_tenants(
    make_sim: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a switch, no job of the old tenant appears, even from a poll still in flight."""
    alpha = make_sim(jobs=20, seed=1)
    beta = make_sim(jobs=20, seed=2)
    alpha_ids, beta_ids = _sim_ids(alpha.base_url), _sim_ids(beta.base_url)
    assert alpha_ids
    assert beta_ids
    assert not alpha_ids & beta_ids
    monkeypatch.setenv("ZTUI_TEST_SECRET", DEMO_CLIENT_SECRET)
    _write_two_profile_config(Path(os.environ["ZTUI_CONFIG"]), alpha.base_url, beta.base_url)
    settings = load_settings()
    app = ZtuiApp(settings=settings, profile=resolve_profile(settings))
    async with app.run_test(size=(120, 40)) as pilot:
        await _wait(pilot, lambda: app.jobs is not None and app.jobs.complete, "alpha")
        assert app.jobs is not None
        assert {job_id for _, job_id in app.jobs.jobs} <= alpha_ids
        # Slow alpha down so a poll is in flight when the switch happens.
        httpx.post(
            f"{alpha.base_url}/_sim/faults",
            json={"route": "GET /*", "kind": "latency", "delay_s": 0.5},
            timeout=5,
        ).raise_for_status()
        app.refresh_now()
        await pilot.pause(0.1)
        app.switch_profile("beta")
        assert app.profile.name == "beta"
        await _wait(pilot, lambda: app.jobs is not None and app.jobs.complete, "beta")
        seen: set[str] = set()
        for _ in range(3):
            assert app.jobs is not None
            seen |= {job_id for _, job_id in app.jobs.jobs}
            await _next_poll(pilot, app)
        await pilot.pause(0.7)  # let alpha's delayed answer arrive, if anything still waits
        assert app.jobs is not None
        seen |= {job_id for _, job_id in app.jobs.jobs}
        assert seen <= beta_ids
        assert not seen & alpha_ids


async def test_read_only_board_sends_no_write(make_app: Callable[..., Any]) -> None:
    """Read-only: stop/cancel on every family and the new-job key send nothing, and say why."""
    app = make_app(read_only=True)
    seen: list[Any] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await _wait(pilot, lambda: app.jobs is not None and app.jobs.complete, "jobs")
        for _ in range(12):
            await pilot.press("s")
            await pilot.press("y")
            await pilot.press("escape")
            await pilot.press("down")
        await pilot.press("u")
        await pilot.pause(0.2)
        assert app.profile.read_only
        said = [n for n in notes(seen) if "read-only" in n]
        assert len(said) >= 13  # every refused key press explained (12 x s, then u)
        assert app._sim_server is not None
        writes = [
            r
            for r in _requests(app._sim_server.base_url)
            if r["method"] != "GET" and r["path"] != "/oauth/token"
        ]
        assert writes == []


async def test_no_secret_or_token_on_disk_after_a_faulty_debug_run(
    make_sim: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    """Debug logging through token expiry, 500s and drops leaves no secret or token on disk."""
    from ztui.core.logsetup import setup_logging

    marker = "MARKER-secret-7f3a9c2e"
    server = make_sim(jobs=15, seed=4, client_secret=marker, token_ttl=5)
    monkeypatch.setenv("ZTUI_BASE_URL", server.base_url)
    monkeypatch.setenv("ZTUI_CLIENT_ID", DEMO_CLIENT_ID)
    monkeypatch.setenv("ZTUI_CLIENT_SECRET", marker)
    tokens: set[str] = set()
    log_path = setup_logging(debug=True)
    try:
        settings = load_settings()
        app = ZtuiApp(settings=settings, profile=resolve_profile(settings))
        async with app.run_test(size=(120, 40)) as pilot:
            await _wait(pilot, lambda: app.jobs is not None and app.jobs.complete, "jobs")
            faults = [
                {"route": "GET /v1/uno/*", "kind": "status", "status": 500, "times": 2},
                {"route": "GET /objects/jobs*", "kind": "drop", "times": 1},
            ]
            for fault in faults:
                httpx.post(f"{server.base_url}/_sim/faults", json=fault, timeout=5)
            for step in range(4):
                tokens |= set(server.sim.tokens)
                if step == 1:
                    httpx.post(
                        f"{server.base_url}/_sim/faults",
                        json={"route": "*", "kind": "expire_tokens"},
                        timeout=5,
                    )
                server.sim.advance(6)  # past the 5 s token lifetime
                assert app.jobs is not None
                await _next_poll(pilot, app)
            tokens |= set(server.sim.tokens)
            await pilot.press("exclamation_mark")  # the API errors view renders the failures
            await pilot.pause(0.2)
            app.save_screenshot(path=str(isolated_home), filename="run.svg")
    finally:
        import logging

        ztui_log = logging.getLogger("ztui")
        for handler in list(ztui_log.handlers):
            handler.close()
            ztui_log.removeHandler(handler)
        ztui_log.propagate = True  # setup_logging keeps ztui off the root logger
        ztui_log.setLevel(logging.NOTSET)
    assert log_path.exists() or log_path.parent.exists()
    assert len(tokens) >= 2, "the run should have needed more than one token"
    needles = [marker, *tokens]
    roots = [isolated_home, Path(__file__).parent.parent / "snapshots"]
    hits = []
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                hits += [f"{path}: {n[:10]}…" for n in needles if n.encode() in data]
    assert hits == []
    # The debug log really logged requests (so the scan looked at something real).
    logs = list(isolated_home.rglob("*.log"))
    assert logs
    assert any(p.stat().st_size > 0 for p in logs)


async def test_ctrl_c_quits_when_nothing_is_being_sent(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.jobs is not None, "jobs")
        await pilot.press("ctrl+c")
        await wait_until(pilot, lambda: not app.is_running, "the app quit")


async def test_ctrl_c_asks_while_a_write_is_in_flight(make_app: Callable[..., Any]) -> None:
    import asyncio

    from ztui.dialogs.choice import ChoiceModal

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.jobs is not None, "jobs")
        release = asyncio.Event()
        app.run_worker(release.wait(), group="action", description="a stop being sent")
        await pilot.pause()
        await pilot.press("ctrl+c")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceModal), "the question")
        assert "1 write(s) are being sent" in app.screen.message
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ChoiceModal), "closed")
        assert app.is_running
        release.set()
