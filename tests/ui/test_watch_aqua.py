"""Following an AQuA job by id from the board (`a`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from tests.ui.pilot_support import wait_until
from tests.ui.test_detail_support import notes
from ztui.api.models import Family
from ztui.app import ZtuiApp
from ztui.config.load import load_settings
from ztui.config.resolve import resolve_profile
from ztui.dialogs.watch_aqua import WatchAquaModal
from ztui.screens.jobs import JobListScreen
from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from ztui.store import watchlist

pytestmark = pytest.mark.anyio

QUERY = {
    "format": "csv",
    "version": "1.1",
    "name": "followed",
    "queries": [{"name": "a", "query": "select Id from Account", "type": "zoql"}],
}


def _shows(app: ZtuiApp, job_id: str) -> bool:
    return app.jobs is not None and (Family.AQUA, job_id) in app.jobs.jobs


async def _type_id(pilot: Any, text: str) -> None:
    await pilot.press("a")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, WatchAquaModal), "the dialog")
    await pilot.press(*text)
    await pilot.press("enter")


async def test_added_job_appears_under_the_cursor(
    make_app: Callable[..., Any], make_sim: Callable[..., Any]
) -> None:
    server = make_sim(jobs=12)
    job_id = server.sim.aqua_create(QUERY).id
    app = make_app(server)
    seen: list[Any] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await wait_until(pilot, lambda: app.jobs is not None and app.jobs.complete, "jobs")
        key = (Family.AQUA, job_id)
        assert key not in app.jobs.jobs  # AQuA has no list: unknown until added
        await _type_id(pilot, job_id.upper())
        await wait_until(pilot, lambda: key in app.jobs.jobs, "the added job", 15)
        board = app.screen
        assert isinstance(board, JobListScreen)
        await wait_until(pilot, lambda: board.table.cursor_key == key, "the cursor on it")
        assert any("is on the board now" in n for n in notes(seen))
        # Adding it again says so instead of watching twice.
        await _type_id(pilot, job_id)
        await wait_until(pilot, lambda: any("already" in n for n in notes(seen)), "a note")


async def test_malformed_id_is_answered_in_the_dialog(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.jobs is not None, "jobs")
        await _type_id(pilot, "not-an-id")
        modal = app.screen
        assert isinstance(modal, WatchAquaModal)
        error = str(modal.query_one("#watch-aqua-error").render())
        assert "is not an AQuA job id" in error
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, JobListScreen), "the board")


async def test_unknown_id_is_reported_and_forgotten(
    make_sim: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a real profile the id is remembered; a 404 says so once and forgets it."""
    server = make_sim(jobs=5)
    job_id = server.sim.aqua_create(QUERY).id
    unknown = "8ad0" + "0" * 28
    monkeypatch.setenv("ZTUI_BASE_URL", server.base_url)
    monkeypatch.setenv("ZTUI_CLIENT_ID", DEMO_CLIENT_ID)
    monkeypatch.setenv("ZTUI_CLIENT_SECRET", DEMO_CLIENT_SECRET)
    settings = load_settings()
    profile = resolve_profile(settings, env=dict(os.environ))
    app = ZtuiApp(settings=settings, profile=profile)
    seen: list[Any] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await wait_until(pilot, lambda: app.jobs is not None and app.jobs.complete, "jobs")
        await _type_id(pilot, job_id)
        await wait_until(pilot, lambda: _shows(app, job_id), "the job", 15)
        await _type_id(pilot, unknown)
        await wait_until(
            pilot, lambda: any("was not found" in n for n in notes(seen)), "not found", 15
        )
        assert not _shows(app, unknown)
    assert watchlist.watched(profile.name, profile.base_url) == [job_id]
    # The next start follows the remembered job from its first poll.
    again = ZtuiApp(settings=settings, profile=profile)
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: again.jobs is not None and again.jobs.complete, "jobs")
        assert _shows(again, job_id)
