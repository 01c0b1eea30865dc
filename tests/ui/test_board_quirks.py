"""The board against the simulator's real-tenant mode (`ztui --demo --sim-quirks`).

Every readable job of every family is on the board, no family is marked failing, each
unreadable entry is a row of its own marked unreadable, the status bar counts them per
family, and the detail view shows what could not be read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from tests.ui.pilot_support import wait_until
from ztui.api.models import Family, JobState
from ztui.screens.job_detail import JobDetailScreen
from ztui.screens.jobs import JobListScreen
from ztui.sim import quirks

pytestmark = pytest.mark.anyio

LISTED = (Family.DATA_BACKFILL, Family.BOOKING_DATE, Family.PROPAGATION, Family.CUSTOM_OBJECT)


async def _board(pilot: Pilot[Any]) -> JobListScreen:
    app: Any = pilot.app
    await wait_until(pilot, lambda: app.jobs is not None and app.jobs.complete, "first snapshot")
    screen = app.screen
    assert isinstance(screen, JobListScreen)
    await wait_until(pilot, lambda: len(screen.table.order) > 0, "rows on the board")
    return screen


def _screen_text(screen: JobListScreen) -> str:
    table = screen.table
    return "\n".join(table.render_line(y).text for y in range(table.size.height))


async def test_board_shows_every_readable_job_and_marks_the_unreadable(
    make_app: Callable[..., Any], make_sim: Callable[..., Any]
) -> None:
    server = make_sim(jobs=120, quirks=True)
    wire = httpx.get(f"{server.base_url}/_sim/jobs").json()
    app = make_app(server)
    async with app.run_test(size=(160, 60)) as pilot:
        screen = await _board(pilot)
        snapshot = app.jobs
        # No family failing: every one read, the listed ones with one unreadable job.
        for family, status in snapshot.families.items():
            assert status.state == "ok", (family, status)
            assert status.unreadable == (1 if family in LISTED else 0), family
        bar = screen.status_bar.text
        for family in LISTED:
            assert f"{family.label} 1 unreadable" in bar
        assert "stale" not in bar
        assert "error" not in bar
        # Every readable job of every family is in the snapshot, and on the board unless
        # it is an old finished one (hidden as always).
        for family in (*LISTED, Family.AQUA):
            ids = {j.id for j in snapshot.jobs_of(family) if j.unreadable is None}
            assert ids == {str(j.get("id") or j.get("Id")) for j in wire[family.value]}
        shown = set(screen.table.order)
        hidden = screen.table.view.hidden_finished
        readable = [j for j in snapshot.jobs.values() if j.unreadable is None]
        assert len(shown) + hidden == len(snapshot.jobs)
        assert readable
        unreadable = [j for j in snapshot.jobs.values() if j.state is JobState.UNREADABLE]
        assert {j.family for j in unreadable} == set(LISTED)
        assert all(j.key in shown for j in unreadable)
        # Each unreadable row says so in its status column.
        screen.table.update_options(text="unreadable")
        await pilot.pause()
        assert set(screen.table.order) == {j.key for j in unreadable}
        text = _screen_text(screen)
        assert text.count("unreadable") >= len(unreadable)
        assert "BookingDate" in text  # its kind, read from what could be read

        # The detail view of an unreadable job: the reason and an excerpt.
        key = (Family.BOOKING_DATE, quirks.UNREADABLE_BOOKING_ID)
        app.open_detail(key)
        await wait_until(pilot, lambda: isinstance(app.screen, JobDetailScreen), "detail")
        detail = app.screen
        assert isinstance(detail, JobDetailScreen)
        await wait_until(pilot, lambda: detail._fetched_at is not None, "detail fetched")
        fields = str(detail.query_one("#detail-fields", Static).render())
        assert quirks.UNREADABLE_BOOKING_ID in fields
        assert "Unreadable" in fields
        assert "batchSentCount" in fields
        assert '{"value": 12}' in fields


def test_status_bar_says_how_many_jobs_could_not_be_read() -> None:
    from ztui.service.snapshot import FamilyStatus
    from ztui.widgets.status_bar import counts_text, family_text

    fam = Family.BOOKING_DATE
    assert family_text(FamilyStatus(fam, "ok", unreadable=2)).plain == "Booking date 2 unreadable"
    assert family_text(FamilyStatus(fam, "ok")).plain == "Booking date ok"
    failing = family_text(FamilyStatus(fam, "error", as_of=0.0, error="Unreadable answer"))
    assert failing.plain == "Booking date error since 00:00:00"
    assert "2 unreadable" in counts_text({JobState.UNREADABLE: 2, JobState.RUNNING: 1}).plain


def test_a_family_turning_error_is_announced_once() -> None:
    from ztui.flows.notify import _family_change
    from ztui.service.snapshot import FamilyStatus

    fam = Family.CUSTOM_OBJECT
    ok = FamilyStatus(fam, "ok")
    bad = FamilyStatus(fam, "error", error="Expected a JSON object, got text/html")
    change = _family_change(ok, bad)
    assert change is not None
    assert change == ("Custom object: Expected a JSON object, got text/html", "error")
    assert _family_change(bad, bad) is None
    recovered = _family_change(bad, ok)
    assert recovered is not None
    assert "recovered" in recovered[0]
