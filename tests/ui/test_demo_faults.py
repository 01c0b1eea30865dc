"""The demo's fault presets: offered in the palette, armed on the simulator, survived."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.ui.pilot_support import wait_until
from tests.ui.test_detail_support import notes
from ztui.api.models import Family
from ztui.app import ZtuiApp
from ztui.config.load import load_settings
from ztui.config.resolve import resolve_profile
from ztui.demo import FAULT_PRESETS, inject

pytestmark = pytest.mark.anyio

PRESETS = {preset.title: preset for preset in FAULT_PRESETS}


def _faults(base_url: str) -> list[dict[str, Any]]:
    return list(httpx.get(f"{base_url}/_sim/faults", timeout=5).json()["faults"])


async def test_each_preset_arms_what_it_says(make_sim: Callable[..., Any]) -> None:
    """Every preset is one accepted control call; clearing removes what the others armed."""
    server = make_sim(jobs=5)
    errors = await inject(server.base_url, PRESETS["Demo: server errors on data backfill"])
    assert "500" in errors
    drops = PRESETS["Demo: dropped connections on booking date"]
    await inject(server.base_url, drops)
    await inject(server.base_url, PRESETS["Demo: rate limit"])
    armed = {(f["route"], f["kind"]) for f in _faults(server.base_url)}
    assert armed == {
        ("GET /v1/uno/data-backfill/listjobs", "status"),
        ("GET /v1/uno/data-backfill/bookingdate/jobs", "drop"),
        ("GET *", "rate_limit"),
    }
    await inject(server.base_url, PRESETS["Demo: clear injected faults"])
    assert _faults(server.base_url) == []
    await inject(server.base_url, PRESETS["Demo: expire the access token"])


async def test_unreachable_simulator_is_a_clear_error() -> None:
    """No simulator at that address: one sentence, not a traceback."""
    with pytest.raises(RuntimeError, match="did not answer"):
        await inject("http://127.0.0.1:9", PRESETS["Demo: rate limit"])


async def test_palette_offers_faults_only_in_the_demo(
    make_app: Callable[..., Any], make_sim: Callable[..., Any]
) -> None:
    demo = make_app()
    async with demo.run_test(size=(120, 40)):
        titles = {command.title for command in demo.get_system_commands(demo.screen)}
    assert set(PRESETS) <= titles
    server = make_sim(jobs=3)
    settings = load_settings()
    profile = resolve_profile(settings, base_url=server.base_url)
    plain = ZtuiApp(settings=settings, profile=profile)
    async with plain.run_test(size=(120, 40)):
        titles = {command.title for command in plain.get_system_commands(plain.screen)}
    assert not set(PRESETS) & titles


async def test_board_goes_stale_under_injected_errors_and_recovers(
    make_app: Callable[..., Any],
) -> None:
    """Server errors from the palette: the family turns stale, and ok once they stop."""
    app = make_app()
    seen: list[Any] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await wait_until(pilot, lambda: app.jobs is not None and app.jobs.complete, "jobs")

        def family_state() -> str | None:
            return app.jobs.families[Family.DATA_BACKFILL].state if app.jobs else None

        app.inject_fault(PRESETS["Demo: server errors on data backfill"])
        await wait_until(pilot, lambda: family_state() == "stale", "a stale family", 30)
        assert any("answers 500" in note for note in notes(seen))
        app.inject_fault(PRESETS["Demo: clear injected faults"])
        await wait_until(pilot, lambda: family_state() == "ok", "recovery", 30)
