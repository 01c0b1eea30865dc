"""The job board on the real app against the loopback simulator (manual clock).

Covers what hand-made snapshots cannot: the watcher's snapshots reach the table, the
cursor keeps its job while the simulator moves jobs on, pause really stops requests, and
refused credentials give exactly one message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.ui.pilot_support import wait_until as _wait
from ztui.config.schema import Settings, UiSettings
from ztui.screens.jobs import JobListScreen

pytestmark = pytest.mark.anyio


async def _board(pilot: Pilot[Any]) -> JobListScreen:
    app: Any = pilot.app
    await _wait(pilot, lambda: app.jobs is not None and app.jobs.complete, "the first snapshot")
    screen = app.screen
    assert isinstance(screen, JobListScreen)
    await _wait(pilot, lambda: len(screen.table.order) > 0, "rows on the board")
    return screen


async def _next_snapshot(pilot: Pilot[Any]) -> None:
    app: Any = pilot.app
    seq = app.jobs.seq
    app.refresh_now()
    await _wait(pilot, lambda: app.jobs.seq > seq, "the next snapshot")
    await pilot.pause()


async def test_cursor_keeps_its_job_while_the_simulator_moves_jobs_on(
    make_app: Callable[..., Any], make_sim: Callable[..., Any]
) -> None:
    server = make_sim(jobs=40, seed=3)
    app = make_app(server)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _board(pilot)
        table = screen.table
        assert len(table.order) == len(
            [k for k in app.jobs.jobs if k in set(table.order)]
        )  # every row is a job of the snapshot
        await pilot.press("down", "down", "down")
        chosen = table.cursor_key
        assert chosen is not None
        before = dict(app.jobs.jobs)
        server.sim.advance(600)
        await _next_snapshot(pilot)
        changed = [k for k, job in app.jobs.jobs.items() if before.get(k) != job]
        assert changed, "the simulator moved no job on in 10 minutes"
        assert table.cursor_key == chosen
        # The table shows the new values.
        for key in changed:
            if key in table.order:
                assert table.jobs[key] == app.jobs.jobs[key]


async def test_filter_and_facets_narrow_the_simulated_jobs(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _board(pilot)
        table = screen.table
        first = table.jobs[table.order[0]]
        word = first.kind.split(":")[0][:6]
        await pilot.press("slash", *word)
        await pilot.pause()
        assert table.order
        assert all(
            word.lower() in table.jobs[k].kind.lower() or word.lower() in table.jobs[k].id
            for k in table.order
        )
        await pilot.press("escape", "f")
        await pilot.pause()
        families = {table.jobs[k].family for k in table.order}
        assert len(families) <= 1


async def test_pause_stops_requests_and_resume_restarts_them(
    make_app: Callable[..., Any], make_sim: Callable[..., Any]
) -> None:
    server = make_sim(jobs=12, seed=1)
    settings = Settings(ui=UiSettings(poll_active_s=1, poll_idle_s=1))
    app = make_app(server, settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _board(pilot)
        await pilot.press("p")
        await _wait(pilot, lambda: app.jobs.paused, "the paused snapshot")
        await pilot.pause(0.1)
        count = len(server.sim.request_log())
        await pilot.pause(1.6)  # longer than the 1 s poll interval
        assert len(server.sim.request_log()) == count
        assert "PAUSED" in screen.status_bar.text
        await pilot.press("p")
        await _wait(pilot, lambda: len(server.sim.request_log()) > count, "polling again", 4)
        await _wait(pilot, lambda: not app.jobs.paused, "the resumed snapshot")
        assert "PAUSED" not in screen.status_bar.text


async def test_refused_credentials_give_one_message(
    make_app: Callable[..., Any], make_sim: Callable[..., Any]
) -> None:
    server = make_sim(jobs=5, client_secret="not-the-demo-secret")
    app = make_app(server)
    async with app.run_test(size=(120, 40)) as pilot:
        await _wait(pilot, lambda: app.jobs is not None and app.jobs.fatal, "the fatal snapshot")
        await pilot.pause(0.3)
        errors = [n for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1, [n.message for n in errors]
        screen = app.screen
        assert isinstance(screen, JobListScreen)
        assert app.jobs.fatal in screen.status_bar.text
