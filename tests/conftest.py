"""Shared fixtures: an isolated home for every test, and the loopback simulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def anyio_backend() -> str:
    """Run `@pytest.mark.anyio` tests on asyncio only."""
    return "asyncio"


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Point config, state, data, cache and log locations at a fresh temporary home.

    A developer's own config or environment never shapes a test.
    """
    import os

    home = tmp_path_factory.mktemp("home")
    for name in list(os.environ):
        if name.startswith("ZTUI_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("ZTUI_CONFIG", str(home / ".config" / "ztui" / "config.toml"))
    return home


@pytest.fixture
def make_sim() -> Iterator[Callable[..., Any]]:
    """Factory: `make_sim(**SimConfig fields)` starts a simulator on 127.0.0.1:0.

    The clock is manual unless asked otherwise (tests drive it with `/_sim/clock`), and no
    jobs are seeded unless `jobs=N` is given. Every server started is stopped afterwards.
    """
    from ztui.sim import SimConfig, SimServer

    servers: list[Any] = []

    def factory(**overrides: Any) -> Any:
        overrides.setdefault("clock", "manual")
        overrides.setdefault("jobs", 0)
        server = SimServer(SimConfig(**overrides))
        server.start()
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.stop()


@pytest.fixture
def sim(make_sim: Callable[..., Any]) -> Any:
    """A running simulator with a manual clock and no seeded jobs."""
    return make_sim()
