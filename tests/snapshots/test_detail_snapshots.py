"""Snapshots of the detail screen (one per family), confirm modal, error viewer, API errors.

Each test runs the real app against a loopback simulator with a manual clock and the
wall clock frozen (`tests/ui/conftest.py`), so ids, times and figures repeat. The only
values that change per run, the server's random `Zuora-Request-Id`s and the real times
of failed requests, are pinned in `run_before` before the picture is taken.
"""

# ruff: noqa: F811 - `make_app` is the fixture imported from tests/ui/conftest.py
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.ui.conftest import FROZEN_NOW, make_app  # noqa: F401 - reused fixture
from tests.ui.test_detail_support import connected, wait_until
from ztui.api.errors import NotFound
from ztui.api.models import Family
from ztui.dialogs.confirm import ConfirmDialog
from ztui.screens.error_viewer import ErrorViewerScreen
from ztui.screens.job_detail import JobDetailScreen

SIZE = (120, 40)
SMALL = (80, 24)
"""The smallest terminal ztui is made for: everything must still fit."""
PINNED_REQUEST_ID = "00000000-0000-4000-8000-000000000000"


def _first(app: Any, family: Family, *, active: bool | None = None) -> Any:
    jobs = sorted(
        (j for j in app.jobs.jobs.values() if j.family is family),
        key=lambda j: (j.created_at is None, j.created_at, j.id),
    )
    if active is not None:
        jobs = [j for j in jobs if (not j.state.is_terminal) is active]
    assert jobs, f"the seeded scenario has a {family} job"
    return jobs[0]


async def _open_detail(pilot: Pilot[Any], key: tuple[Family, str]) -> JobDetailScreen:
    app: Any = pilot.app
    app.open_detail(key)
    await wait_until(pilot, lambda: isinstance(app.screen, JobDetailScreen), "detail")
    screen = app.screen
    assert isinstance(screen, JobDetailScreen)
    await wait_until(pilot, lambda: screen._fetched_at is not None, "detail fetched")
    screen._request_id = PINNED_REQUEST_ID
    # Data-backfill file URLs carry the simulator's port, which changes every run.
    netloc = app._sim_server.base_url.split("//", 1)[1]

    def pin(raw: Any) -> dict[str, Any]:
        return {
            k: v.replace(netloc, "sim.test") if isinstance(v, str) else v for k, v in raw.items()
        }

    assert screen._job is not None
    screen._job = dataclasses.replace(screen._job, raw=pin(screen._job.raw))
    screen._other_raw = pin(screen._other_raw)
    screen._refresh_view()
    await pilot.pause()
    return screen


async def _stop_dialog(pilot: Pilot[Any]) -> None:
    """The stop dialog of a new booking-date job, focus settled."""
    await connected(pilot)
    app_: Any = pilot.app
    job_id = await app_.client.create_booking_date_job()
    key = (Family.BOOKING_DATE, job_id)
    app_.refresh_now()
    await wait_until(pilot, lambda: app_.jobs.get(*key) is not None, "new job")
    app_.request_stop(key)
    await wait_until(pilot, lambda: isinstance(app_.screen, ConfirmDialog), "modal")
    await wait_until(pilot, lambda: app_.screen.focused is not None, "focus")


async def _co_errors(pilot: Pilot[Any]) -> None:
    """The error viewer of the first seeded custom-object job with row errors."""
    await connected(pilot)
    app_: Any = pilot.app
    sim = app_._sim_server.sim
    with_errors = sorted(j.id for j in sim.custom_object.values() if j.seeded_errors)
    assert with_errors, "the seeded scenario has a custom-object job with row errors"
    app_.open_errors((Family.CUSTOM_OBJECT, with_errors[0]))
    await wait_until(pilot, lambda: isinstance(app_.screen, ErrorViewerScreen), "viewer")
    await wait_until(pilot, lambda: app_.screen.loaded is not None, "errors loaded")
    await pilot.pause()


@pytest.mark.parametrize("family", list(Family))
def test_detail_of_each_family(
    snap_compare: Callable[..., bool], make_app: Callable[..., Any], family: Family
) -> None:
    """The detail screen lists the family's fields, progress, other fields and timeline;
    AQuA adds its batches table and the purge countdown."""
    app = make_app()

    async def run_before(pilot: Pilot[Any]) -> None:
        await connected(pilot)
        await _open_detail(pilot, _first(pilot.app, family).key)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_confirm_modal(snap_compare: Callable[..., bool], make_app: Callable[..., Any]) -> None:
    """The stop modal names family, job id, kind, state, profile and request; Cancel has
    the focus."""
    app = make_app()

    assert snap_compare(app, terminal_size=SIZE, run_before=_stop_dialog)


def test_error_viewer(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., Any],
    make_sim: Callable[..., Any],
) -> None:
    """Errors of a custom-object job grouped by code and message with counts, and the
    rows of the biggest group (row, record fields, message)."""
    app = make_app(make_sim(jobs=60))

    assert snap_compare(app, terminal_size=SIZE, run_before=_co_errors)


def test_api_errors_view(snap_compare: Callable[..., bool], make_app: Callable[..., Any]) -> None:
    """Every failed request: time, method, path, status, request id, code and message."""
    app = make_app()

    async def run_before(pilot: Pilot[Any]) -> None:
        await connected(pilot)
        app_: Any = pilot.app
        for job_id in ("0" * 32, "f" * 32):
            try:
                await app_.client.get_job(Family.DATA_BACKFILL, job_id)
            except NotFound:
                pass
        try:
            await app_.client.get_job(Family.CUSTOM_OBJECT, "00000000-0000-4000-8000-00000000abcd")
        except NotFound:
            pass
        log = app_.client.error_log
        pinned = [
            dataclasses.replace(r, at=FROZEN_NOW + n, request_id=PINNED_REQUEST_ID)
            for n, r in enumerate(log)
        ]
        log.clear()
        log.extend(pinned)
        app_.action_api_errors()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_confirm_modal_80x24(
    snap_compare: Callable[..., bool], make_app: Callable[..., Any]
) -> None:
    """The stop dialog at 80x24: every row and both buttons fit."""
    app = make_app()

    assert snap_compare(app, terminal_size=SMALL, run_before=_stop_dialog)


def test_error_viewer_80x24(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., Any],
    make_sim: Callable[..., Any],
) -> None:
    """The error viewer at 80x24: groups, counts and the rows of the biggest group."""
    app = make_app(make_sim(jobs=60))

    assert snap_compare(app, terminal_size=SMALL, run_before=_co_errors)


def test_detail_80x24(snap_compare: Callable[..., bool], make_app: Callable[..., Any]) -> None:
    """A data-backfill job's detail at 80x24."""
    family = Family.DATA_BACKFILL
    app = make_app()

    async def run_before(pilot: Pilot[Any]) -> None:
        await connected(pilot)
        await _open_detail(pilot, _first(pilot.app, family).key)

    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)
