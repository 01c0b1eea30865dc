"""Fixtures for Pilot and snapshot tests: a ZtuiApp wired to a loopback simulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

FROZEN_NOW = 1768478400.0
"""2026-01-15T12:00:00Z: the wall clock the UI renders times from in tests."""


@pytest.fixture
def make_app(make_sim: Callable[..., Any]) -> Callable[..., Any]:
    """Factory: `make_app(sim=None, **app_kwargs)` returns an unstarted ZtuiApp.

    With no `sim`, a simulator with a manual clock and `jobs=12` is started. The app runs
    in demo mode against that server (demo credentials, writes allowed unless
    `read_only=True`), renders times from a frozen wall clock and does not stop the server.
    """
    from ztui.app import ZtuiApp
    from ztui.config.load import load_settings
    from ztui.config.resolve import resolve_profile
    from ztui.demo import DemoOptions

    def factory(sim: Any = None, *, read_only: bool = False, **kwargs: Any) -> ZtuiApp:
        server = sim if sim is not None else make_sim(jobs=12)
        settings = kwargs.pop("settings", None) or load_settings()
        profile = resolve_profile(settings)
        kwargs.setdefault("wall_clock", lambda: FROZEN_NOW)
        return ZtuiApp(
            settings=settings,
            profile=profile,
            demo=DemoOptions(read_only=read_only),
            sim_server=server,
            **kwargs,
        )

    return factory
