"""Fixtures of the hub tests: a hub (`ztui serve`'s server) on a loopback simulator."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

TOKEN = "t0k3n-" + "x" * 40
"""The token every test hub uses."""


class Stepper:
    """The hub watcher's sleep, moved on by the test: each `step()` ends one wait.

    The watcher then polls the families that were due, so a test counts polls, not
    seconds (the simulator's clock is manual too).
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._permits: asyncio.Semaphore | None = None
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        if self._permits is None:
            self._loop = asyncio.get_running_loop()
            self._permits = asyncio.Semaphore(0)
        self.waits.append(seconds)
        await self._permits.acquire()

    def step(self) -> None:
        """Let the watcher's current (or next) wait end."""
        deadline = time.monotonic() + 5
        while self._loop is None or self._permits is None:
            if time.monotonic() > deadline:
                raise AssertionError("the hub's watcher never waited")
            time.sleep(0.01)
        self._loop.call_soon_threadsafe(self._permits.release)


def wait_for(predicate: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    """Block until `predicate()` is true (fails the test after `timeout`)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


@pytest.fixture
def make_hub(make_sim: Callable[..., Any], tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Factory: `make_hub(sim=None, **options)` starts a hub on a simulator, on loopback.

    Options: `allow_writes`, `token_required`, `sleep` (a `Stepper` to drive polls by
    hand), `read_only` (the profile's), `port` (to restart on the same one). The hub's
    journal is `tmp_path / "hub-journal.jsonl"`; every hub started is stopped afterwards.
    """
    from ztui.config.load import load_settings
    from ztui.config.resolve import resolve_profile
    from ztui.demo import DemoOptions, demo_profile
    from ztui.hub.server import HubServer
    from ztui.hub.state import Hub, HubOptions

    servers: list[Any] = []

    def factory(
        sim: Any = None,
        *,
        allow_writes: bool = False,
        token_required: bool = False,
        sleep: Any = None,
        read_only: bool = False,
        port: int = 0,
        production: bool = False,
    ) -> HubServer:
        server = sim if sim is not None else make_sim(jobs=12)
        settings = load_settings()
        bare = resolve_profile(replace(settings, profiles={}, default_profile=None), env={})
        profile = demo_profile(server.base_url, bare, DemoOptions(read_only=read_only))
        if production:
            profile = replace(profile, is_production=True, tenant_name="acme-prod")
        hub = Hub(
            HubOptions(
                profile=profile,
                settings=settings,
                allow_writes=allow_writes,
                token=TOKEN,
                token_required=token_required,
                aqua_ids=server.recent_aqua_job_ids(3),
                journal_path=tmp_path / "hub-journal.jsonl",
                sleep=sleep if sleep is not None else asyncio.sleep,
            )
        )
        hub_server = HubServer(hub, port=port)
        hub_server.start()
        servers.append(hub_server)
        return hub_server

    yield factory
    for hub_server in servers:
        hub_server.stop()
