"""Pilot tests of board marks and the bulk stop, against the simulator's request log."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from tests.ui.test_detail_support import (
    connected,
    in_snapshot,
    new_booking_job,
    notes,
    wait_until,
    writes_to,
)
from ztui.api.models import Family, JobState
from ztui.dialogs.confirm import ConfirmDialog
from ztui.screens.jobs import JobListScreen
from ztui.view.columns import MARK

pytestmark = pytest.mark.anyio


def _board(app: Any) -> JobListScreen:
    screen = app.screen
    assert isinstance(screen, JobListScreen)
    return screen


async def _put_cursor(pilot: Any, key: tuple[Family, str]) -> None:
    board = _board(pilot.app)
    board.table.move_cursor_to(key)
    await wait_until(pilot, lambda: board.table.cursor_key == key, f"cursor on {key}")


async def _finished_job(pilot: Any) -> tuple[Family, str]:
    board = _board(pilot.app)
    for key in board.table.order:
        job = board.table.jobs[key]
        if job.state is JobState.SUCCEEDED:
            return key
    raise AssertionError("the simulator made no finished job")


async def test_space_marks_and_moves_down_and_marks_survive_polls_and_filters(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        board = _board(app)
        table = board.table
        first, second = table.order[0], table.order[1]
        await _put_cursor(pilot, first)
        await pilot.press("space")
        assert table.marks == {first}
        assert table.cursor_key == second  # on to the next row, to mark a run quickly
        assert MARK.strip() in table.render_line(1).text
        assert MARK.strip() not in table.render_line(2).text
        assert "1 marked" in board.facets.text

        # A filter that hides the marked job keeps its mark; so does a new poll.
        await pilot.press("slash", *"zzzz-no-such-job", "enter")
        await wait_until(pilot, lambda: not table.order, "the filter hides every job")
        await in_snapshot(pilot, first)
        await pilot.press("escape")
        await wait_until(pilot, lambda: first in table.order, "the filter cleared")
        assert table.marks == {first}

        # Space again unmarks.
        await _put_cursor(pilot, first)
        await pilot.press("space")
        assert table.marks == frozenset()
        assert "marked" not in board.facets.text


async def test_star_marks_every_shown_job_and_minus_clears(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        board = _board(app)
        board.set_state_facet(JobState.SUCCEEDED)  # mark all marks only what is shown
        await pilot.pause()
        shown = set(board.table.order)
        assert 0 < len(shown) < len(board.table.jobs)
        await pilot.press("asterisk")
        assert board.table.marks == shown
        await pilot.press("minus")
        assert board.table.marks == frozenset()


async def test_bulk_stop_confirms_once_and_sends_each_once(make_app: Callable[..., Any]) -> None:
    app = make_app()
    seen: list[Any] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await connected(pilot)
        one = await new_booking_job(pilot)
        two = await new_booking_job(pilot)
        board = _board(app)
        done = await _finished_job(pilot)
        for key in (one, two, done):
            await _put_cursor(pilot, key)
            await pilot.press("space")
        assert board.table.marks == {one, two, done}

        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the confirmation")
        modal = app.screen
        assert isinstance(modal, ConfirmDialog)
        rows = modal.rows
        listed = [value for label, value in rows if label == Family.BOOKING_DATE.label]
        assert sorted(value.split()[0] for value in listed) == sorted([one[1], two[1]])
        left_out = [value for label, value in rows if label == "Not sent"]
        assert len(left_out) == 1
        assert done[1] in left_out[0]
        assert "cannot be" in left_out[0]
        assert modal.request.confirm_label == "Stop 2 jobs"

        await pilot.press("y")
        await wait_until(
            pilot, lambda: not ({one, two} & app.stops.pending_keys), "both requests tried"
        )
        await wait_until(pilot, lambda: any("2 of 3 accepted" in n for n in notes(seen)), "summary")
        for key in (one, two):
            writes = await writes_to(app._sim_server, key[1])
            assert [w["method"] for w in writes] == ["PUT"], key
        assert await writes_to(app._sim_server, done[1]) == []
        # Accepted jobs are unmarked; the one not sent stays marked.
        assert board.table.marks == {done}
        stops = [e for e in app.journal.read() if e.action == "stop"]
        for key in (one, two):
            outcomes = [e.outcome for e in stops if e.job_id == key[1]]
            assert outcomes == ["sending", "ok"], (key, outcomes)


async def test_bulk_stop_cancelled_sends_nothing(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        one = await new_booking_job(pilot)
        two = await new_booking_job(pilot)
        for key in (one, two):
            await _put_cursor(pilot, key)
            await pilot.press("space")
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the confirmation")
        await pilot.press("n")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmDialog), "closed")
        await pilot.pause(0.1)
        for key in (one, two):
            assert await writes_to(app._sim_server, key[1]) == []
        assert not app.stops.pending_keys
        assert _board(app).table.marks == {one, two}


async def test_bulk_stop_on_production_asks_the_tenant_name_once(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        app.profile = dataclasses.replace(app.profile, is_production=True, tenant_name="acme")
        keys = [await new_booking_job(pilot) for _ in range(3)]
        for key in keys:
            await _put_cursor(pilot, key)
            await pilot.press("space")
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the confirmation")
        modal = app.screen
        assert isinstance(modal, ConfirmDialog)
        assert modal.typed_phrase == "acme"
        await pilot.press("y", "enter")  # not the tenant name: nothing happens
        await pilot.pause(0.1)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("backspace", *"acme", "enter")
        await wait_until(pilot, lambda: not app.stops.pending_keys, "every request tried")
        for key in keys:
            assert [w["method"] for w in await writes_to(app._sim_server, key[1])] == ["PUT"]
        assert not isinstance(app.screen, ConfirmDialog)  # asked once, not once per job


async def test_marked_jobs_that_cannot_be_stopped_send_nothing(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    seen: list[Any] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await connected(pilot)
        board = _board(app)
        finished = [k for k in board.table.order if board.table.jobs[k].state.is_terminal][:2]
        for key in finished:
            await _put_cursor(pilot, key)
            await pilot.press("space")
        await pilot.press("s")
        await wait_until(pilot, lambda: any("None of the 2" in n for n in notes(seen)), "refusal")
        assert not isinstance(app.screen, ConfirmDialog)
        for key in finished:
            assert await writes_to(app._sim_server, key[1]) == []


async def test_new_jobs_above_the_screen_are_counted_until_scrolled_to(
    make_app: Callable[..., Any], make_sim: Callable[..., Any]
) -> None:
    app = make_app(make_sim(jobs=120))
    async with app.run_test(size=(120, 30)) as pilot:
        await connected(pilot)
        board = _board(app)
        table = board.table
        await pilot.press("end")  # the oldest jobs: anything new sorts above the screen
        await wait_until(pilot, lambda: round(table.scroll_offset.y) > 0, "scrolled down")
        await new_booking_job(pilot)
        await wait_until(pilot, lambda: "1 new above" in board.facets.text, "the hint")
        await pilot.press("home")
        await wait_until(pilot, lambda: "new above" not in board.facets.text, "hint gone")
