"""`ztui --hub URL`: the app fed by a hub, as an operator sees it (Pilot)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.hub.conftest import TOKEN
from tests.service.simctl import open_client
from tests.ui.conftest import FROZEN_NOW
from tests.ui.test_detail_support import notes, requests_log, wait_until, writes_to
from ztui.api.models import Family, JobState
from ztui.app import ZtuiApp
from ztui.config.load import load_settings
from ztui.hub.client import HubTarget, placeholder_profile
from ztui.screens.error_viewer import ErrorViewerScreen
from ztui.screens.job_detail import JobDetailScreen
from ztui.widgets.job_table import JobTable
from ztui.widgets.status_bar import StatusBar

pytestmark = pytest.mark.anyio


def viewer(hub: Any, *, token: str | None = None) -> ZtuiApp:
    """A viewer attached to `hub`, as `ztui --hub URL` starts it."""
    return ZtuiApp(
        settings=load_settings(),
        profile=placeholder_profile(hub.url),
        hub=HubTarget(hub.url, token=token, viewer="tester@box"),
        wall_clock=lambda: FROZEN_NOW,
    )


async def _attached(pilot: Any, hub: Any) -> ZtuiApp:
    app: ZtuiApp = pilot.app
    await wait_until(
        pilot,
        lambda: (
            hub.hub.latest is not None
            and hub.hub.latest.complete
            and app.jobs is not None
            and len(app.jobs.jobs) == len(hub.hub.latest.jobs)
        ),
        "the hub's board",
    )
    return app


def _poll(hub: Any) -> None:
    """Make the hub poll now (as a refresh would)."""
    hub.loop.call_soon_threadsafe(hub.hub.poller.refresh_now)


async def _new_booking_job(pilot: Any, sim: Any, hub: Any) -> tuple[Family, str]:
    async with open_client(sim) as client:
        job_id = await client.create_booking_date_job()
    key = (Family.BOOKING_DATE, job_id)
    _poll(hub)
    app: ZtuiApp = pilot.app
    await wait_until(pilot, lambda: app.jobs is not None and key in app.jobs.jobs, "the new job")
    return key


async def test_a_viewer_shows_the_hubs_board(make_hub: Callable[..., Any]) -> None:
    hub = make_hub()
    app = viewer(hub)
    async with app.run_test(size=(120, 40)) as pilot:
        await _attached(pilot, hub)
        assert app.client is None
        assert app.jobs is not None
        assert app.jobs.jobs == hub.hub.latest.jobs
        table = app.screen.query_one(JobTable)
        await wait_until(pilot, lambda: len(table.view.order) > 0, "rows")
        assert "via hub" in app.sub_title
        assert "demo" in app.sub_title
        assert "READ-ONLY" in app.sub_title
        bar = app.screen.query_one(StatusBar)
        assert "Data backfill ok" in bar.text


def _detail_loaded(app: ZtuiApp) -> Callable[[], bool]:
    return lambda: isinstance(app.screen, JobDetailScreen) and app.screen._fetched_at is not None


def _errors_loaded(app: ZtuiApp) -> Callable[[], bool]:
    return lambda: isinstance(app.screen, ErrorViewerScreen) and app.screen.loaded is not None


async def test_detail_and_errors_are_read_through_the_hub_once(
    make_sim: Callable[..., Any], make_hub: Callable[..., Any]
) -> None:
    sim = make_sim(jobs=30, seed=6)
    hub = make_hub(sim)
    first, second = viewer(hub), viewer(hub)
    async with first.run_test(size=(120, 40)) as one, second.run_test(size=(120, 40)) as two:
        await _attached(one, hub)
        await _attached(two, hub)
        assert first.jobs is not None
        failed = next(
            j
            for j in first.jobs.jobs.values()
            if j.family is Family.CUSTOM_OBJECT and j.state is JobState.FAILED
        )
        for app, pilot in ((first, one), (second, two)):
            app.open_detail(failed.key)
            await wait_until(pilot, _detail_loaded(app), "the detail")
            app.open_errors(failed.key)
            await wait_until(pilot, _errors_loaded(app), "the errors")
            screen = app.screen
            assert isinstance(screen, ErrorViewerScreen)
            assert screen.loaded is not None
            assert screen.loaded.errors
        log = [(r["method"], r["path"]) for r in await requests_log(sim)]
        assert log.count(("GET", f"/objects/jobs/{failed.id}/errors")) == 1
        assert log.count(("GET", f"/objects/jobs/{failed.id}")) <= 1


async def test_a_read_only_hub_says_why_and_sends_nothing(
    make_sim: Callable[..., Any], make_hub: Callable[..., Any]
) -> None:
    sim = make_sim(jobs=0)
    hub = make_hub(sim)
    app = viewer(hub, token=TOKEN)
    seen: list[Any] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await _attached(pilot, hub)
        key = await _new_booking_job(pilot, sim, hub)
        table = app.screen.query_one(JobTable)
        await wait_until(pilot, lambda: table.cursor_key == key, "the cursor on the job")
        await pilot.press("s")
        await pilot.pause(0.2)
        app.request_stop(key)
        await pilot.pause(0.2)
        said = [n for n in notes(seen) if "read-only" in n]
        assert len(said) == 2
        assert all(
            f"The hub at {hub.url} is read-only; start it with --allow-writes" in n for n in said
        )
        assert await writes_to(sim, key[1]) == []


async def test_a_viewer_rides_out_a_hub_restart(
    make_sim: Callable[..., Any], make_hub: Callable[..., Any]
) -> None:
    sim = make_sim(jobs=12)
    hub = make_hub(sim)
    app = viewer(hub)
    async with app.run_test(size=(120, 40)) as pilot:
        await _attached(pilot, hub)
        assert app.jobs is not None
        before = dict(app.jobs.jobs)
        hub.stop()
        await wait_until(
            pilot, lambda: app.jobs is not None and app.jobs.feed_error is not None, "stale"
        )
        snapshot = app.jobs
        assert snapshot is not None
        assert snapshot.feed_error is not None
        assert snapshot.feed_error.startswith("hub unreachable, showing data from ")
        assert dict(snapshot.jobs) == before
        assert all(s.is_stale for s in snapshot.families.values() if s.state != "unsupported")
        bar = app.screen.query_one(StatusBar)
        await wait_until(pilot, lambda: "hub unreachable, showing data from" in bar.text, "bar")
        again = make_hub(sim, port=hub.port)
        await wait_until(
            pilot,
            lambda: (
                app.jobs is not None
                and app.jobs.feed_error is None
                and again.hub.latest is not None
                and app.jobs.polled_at == again.hub.latest.polled_at
            ),
            "the restarted hub's snapshot",
            timeout=30,
        )
        assert "hub unreachable" not in bar.text
        assert not any(s.is_stale for s in app.jobs.families.values())
