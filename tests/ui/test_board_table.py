"""Job board behaviour with hand-made snapshots: view logic, cursor, filter, facets, keys.

These run the real `JobListScreen` in a small host app (`board_harness.BoardHarness`) so
every snapshot is exact; `test_board.py` covers the same screen on the real app and
simulator.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message

from ztui.api.models import Family, Job, JobState
from ztui.screens.jobs import JobListScreen, _palette_commands
from ztui.widgets.job_table import JobTable
from ztui.widgets.job_view import (
    ViewOptions,
    compute_view,
    fit_cells,
    format_age,
    format_progress,
)

from .board_harness import NOW, BoardHarness, make_job, make_snapshot

pytestmark = pytest.mark.anyio


def _jobs(n: int, **kwargs: Any) -> list[Job]:
    return [make_job(i, **kwargs) for i in range(n)]


def _mapping(jobs: list[Job]) -> dict[tuple[Family, str], Job]:
    return {job.key: job for job in jobs}


# --------------------------------------------------------------------------- pure view


def test_text_filter_matches_id_kind_status_and_every_word() -> None:
    jobs = [
        make_job(1, kind="Account"),
        make_job(2, kind="RatePlanCharge", status="Processing"),
        make_job(3, kind="Invoice", state=JobState.FAILED, status="Failed"),
    ]
    mapping = _mapping(jobs)
    by_kind = compute_view(mapping, ViewOptions(text="rateplan"), NOW).order
    assert by_kind == (jobs[1].key,)
    by_status = compute_view(mapping, ViewOptions(text="FAILED"), NOW).order
    assert by_status == (jobs[2].key,)
    by_id = compute_view(mapping, ViewOptions(text=jobs[0].id[-4:]), NOW).order
    assert jobs[0].key in by_id
    both = compute_view(mapping, ViewOptions(text="invoice failed"), NOW).order
    assert both == (jobs[2].key,)
    assert compute_view(mapping, ViewOptions(text="invoice running"), NOW).order == ()


def test_custom_object_filter_matches_the_object() -> None:
    job = Job(
        family=Family.CUSTOM_OBJECT,
        id="3fa85f64-5717-4562-b3fc-2c963f66afa6",
        kind="vehicle:create",
        status="completed",
        state=JobState.SUCCEEDED,
        raw={"object": "default__vehicle"},
    )
    view = compute_view({job.key: job}, ViewOptions(text="default__vehicle"), NOW)
    assert view.order == (job.key,)


def test_facets_count_other_dimensions_and_narrow() -> None:
    jobs = [
        make_job(1, family=Family.AQUA, state=JobState.RUNNING),
        make_job(2, family=Family.AQUA, state=JobState.FAILED),
        make_job(3, family=Family.DATA_BACKFILL, state=JobState.FAILED),
    ]
    view = compute_view(_mapping(jobs), ViewOptions(families=frozenset({Family.AQUA})), NOW)
    assert set(view.order) == {jobs[0].key, jobs[1].key}
    # Family counts ignore the family facet; state counts respect it.
    assert view.family_counts == {Family.AQUA: 2, Family.DATA_BACKFILL: 1}
    assert view.state_counts == {JobState.RUNNING: 1, JobState.FAILED: 1}
    failed = compute_view(_mapping(jobs), ViewOptions(states=frozenset({JobState.FAILED})), NOW)
    assert set(failed.order) == {jobs[1].key, jobs[2].key}


def test_old_finished_jobs_are_hidden_until_toggled() -> None:
    old_done = make_job(1, state=JobState.SUCCEEDED, age_min=60 * 24 * 10)
    old_running = make_job(2, state=JobState.RUNNING, age_min=60 * 24 * 10)
    new_done = make_job(3, state=JobState.SUCCEEDED, age_min=5)
    mapping = _mapping([old_done, old_running, new_done])
    options = ViewOptions(hide_finished_after_s=7 * 86400)
    view = compute_view(mapping, options, NOW)
    assert set(view.order) == {old_running.key, new_done.key}
    assert view.hidden_finished == 1
    shown = compute_view(mapping, replace(options, show_finished=True), NOW)
    assert set(shown.order) == set(mapping)


def test_sort_by_any_column_with_missing_values_last() -> None:
    jobs = [
        make_job(1, progress=0.2),
        make_job(2, progress=None),
        make_job(3, progress=0.9),
    ]
    mapping = _mapping(jobs)
    up = compute_view(mapping, ViewOptions(sort_column="progress", sort_reverse=False), NOW)
    assert up.order == (jobs[0].key, jobs[2].key, jobs[1].key)
    down = compute_view(mapping, ViewOptions(sort_column="progress", sort_reverse=True), NOW)
    assert down.order == (jobs[2].key, jobs[0].key, jobs[1].key)
    newest = compute_view(mapping, ViewOptions(), NOW)
    assert newest.order == (jobs[2].key, jobs[1].key, jobs[0].key)


def test_cell_formatting() -> None:
    assert format_age(5) == "<1m"
    assert format_age(125) == "2m"
    assert format_age(7200) == "2h"
    assert format_age(3 * 86400) == "3d"
    assert format_age(None) == ""
    assert format_progress(None) == ""
    assert format_progress(0.6, 10).endswith(" 60%")
    assert len(format_progress(1.0, 10)) == 10
    cut = fit_cells("2c92c0f9" + "0" * 16 + "a1b2c3d4", 19, cut="middle")
    assert len(cut) == 19
    assert cut.startswith("2c92c0f9")
    assert cut.endswith("a1b2c3d4")


# --------------------------------------------------------------------------- pilot


async def _start(app: BoardHarness, pilot: Any) -> JobListScreen:
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, JobListScreen)
    return screen


async def test_cursor_stays_on_the_same_job_across_changes_additions_and_removals() -> None:
    app = BoardHarness()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _start(app, pilot)
        jobs = _jobs(100)
        app.jobs = make_snapshot(jobs)
        await pilot.pause()
        table = screen.table
        for _ in range(5):
            await pilot.press("down")
        chosen = table.cursor_key
        assert chosen == jobs[94].key  # newest first: 99, 98, ... 94
        line_before = table.cursor_index - round(table.scroll_offset.y)  # type: ignore[operator]

        # Values change, newer jobs arrive above, others leave: the cursor keeps its job.
        changed = [replace(job, progress=0.9) if job.id == jobs[94].id else job for job in jobs]
        newer = [make_job(200 + i) for i in range(3)]
        remaining = [job for job in changed if job.id not in {jobs[99].id, jobs[10].id}]
        app.jobs = make_snapshot(remaining + newer, seq=2)
        await pilot.pause()
        assert table.cursor_key == chosen
        assert table.cursor_job is not None
        assert table.cursor_job.progress == 0.9
        # ...and stays on the same screen line (the view scrolled with it).
        assert table.cursor_index - round(table.scroll_offset.y) == line_before  # type: ignore[operator]

        # Re-sorting keeps it too.
        await pilot.press("o")
        await pilot.pause()
        assert table.cursor_key == chosen


async def test_cursor_stays_on_the_first_row_until_the_user_moves_it() -> None:
    """The first poll arrives family by family: the view must not follow a random job."""
    app = BoardHarness()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _start(app, pilot)
        table = screen.table
        older = _jobs(60)  # the first family to arrive
        app.jobs = make_snapshot(older)
        await pilot.pause()
        assert table.cursor_key == older[59].key
        newer = [make_job(200 + i, family=Family.AQUA) for i in range(60)]
        app.jobs = make_snapshot(older + newer, seq=2)  # a family of newer jobs lands above
        await pilot.pause()
        assert table.cursor_index == 0
        assert table.cursor_key == newer[59].key
        assert round(table.scroll_offset.y) == 0
        # Once the user has placed it, the cursor keeps its job as before.
        await pilot.press("down")
        chosen = table.cursor_key
        app.jobs = make_snapshot([*older, *newer, make_job(300)], seq=3)
        await pilot.pause()
        assert table.cursor_key == chosen


async def test_cursor_moves_to_neighbour_and_user_is_told_when_its_job_goes() -> None:
    app = BoardHarness()
    seen: list[Message] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        screen = await _start(app, pilot)
        jobs = _jobs(10)
        app.jobs = make_snapshot(jobs)
        await pilot.pause()
        await pilot.press("down", "down")
        table = screen.table
        assert table.cursor_key == jobs[7].key
        app.jobs = make_snapshot([job for job in jobs if job.id != jobs[7].id], seq=2)
        await pilot.pause()
        # The neighbour that followed it in the old order (next older job).
        assert table.cursor_key == jobs[6].key
        # A bubbling message reaches the hook once per node it visits: count distinct ones.
        displaced = list(
            {id(m): m for m in seen if isinstance(m, JobTable.CursorDisplaced)}.values()
        )
        assert len(displaced) == 1
        assert displaced[0].lost == jobs[7].key
        assert displaced[0].reason == "removed"
        assert any("no longer listed" in n.message for n in app._notifications)


async def test_filter_narrows_as_you_type_and_escape_restores_the_cursor() -> None:
    app = BoardHarness()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _start(app, pilot)
        jobs = [make_job(i, kind="Invoice" if i % 2 else "Account") for i in range(20)]
        app.jobs = make_snapshot(jobs)
        await pilot.pause()
        table = screen.table
        await pilot.press("down")  # job 18, an Account
        chosen = table.cursor_key
        assert chosen == jobs[18].key
        await pilot.press("slash")
        assert screen.filter_input.has_focus
        await pilot.press("i", "n", "v")
        await pilot.pause()
        assert len(table.order) == 10
        assert all(table.jobs[key].kind == "Invoice" for key in table.order)
        assert table.cursor_key == jobs[17].key  # the neighbour that followed it
        assert "10 shown" in screen.facets.text
        await pilot.press("escape")
        await pilot.pause()
        assert len(table.order) == 20
        assert table.cursor_key == chosen  # back on the job the user chose
        assert table.has_focus


async def test_facet_keys_clicks_and_toggle_finished() -> None:
    app = BoardHarness()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _start(app, pilot)
        jobs = [
            make_job(1, family=Family.DATA_BACKFILL),
            make_job(2, family=Family.AQUA, state=JobState.FAILED),
            make_job(3, family=Family.AQUA, state=JobState.SUCCEEDED, age_min=60 * 24 * 30),
        ]
        app.jobs = make_snapshot(jobs)
        await pilot.pause()
        table = screen.table
        assert set(table.order) == {jobs[0].key, jobs[1].key}
        assert "1 old finished hidden" in screen.facets.text
        await pilot.press("h")
        await pilot.pause()
        assert len(table.order) == 3
        await pilot.press("f")  # first family alone: data backfill
        await pilot.pause()
        assert list(table.order) == [jobs[0].key]
        await pilot.press("escape")
        await pilot.pause()
        assert len(table.order) == 3
        # A click on the "failed" state chip.
        screen.facets.action_toggle_facet("state", "failed")
        await pilot.pause()
        assert list(table.order) == [jobs[1].key]


async def test_only_changed_rows_are_repainted() -> None:
    app = BoardHarness()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _start(app, pilot)
        jobs = _jobs(500)
        app.jobs = make_snapshot(jobs)
        await pilot.pause()
        table = screen.table
        calls: list[tuple[Region, ...]] = []
        original = table.refresh

        def spy(*regions: Region, **kwargs: Any) -> Any:
            calls.append(regions)
            return original(*regions, **kwargs)

        table.refresh = spy  # type: ignore[method-assign]
        visible = table.order[:10]
        updated = [
            replace(job, progress=0.99, processed=9999) if job.key in visible else job
            for job in jobs
        ]
        app.jobs = make_snapshot(updated, seq=2)
        await pilot.pause()
        assert calls, "changed rows were not repainted"
        assert all(len(regions) == 1 and regions[0].height == 1 for regions in calls)
        assert sorted(regions[0].y for regions in calls) == list(range(1, 11))
        # A poll that changes only off-screen rows repaints nothing.
        calls.clear()
        offscreen = {job.key for job in jobs[:5]}
        app.jobs = make_snapshot(
            [replace(job, progress=0.1) if job.key in offscreen else job for job in updated],
            seq=3,
        )
        await pilot.pause()
        assert calls == []


async def test_keys_ask_the_app_and_stop_is_disabled_on_finished_jobs() -> None:
    app = BoardHarness()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _start(app, pilot)
        # Data backfill statuses as Zuora spells them: stop is offered on Processing only.
        running = make_job(2, state=JobState.RUNNING, status="Processing")
        done = make_job(1, state=JobState.SUCCEEDED, status="Completed")
        app.jobs = make_snapshot([running, done])
        await pilot.pause()
        await pilot.press("enter", "e", "s", "r", "p", "u")
        await pilot.pause()
        names = [name for name, _ in app.calls]
        assert names == [
            "open_detail",
            "open_errors",
            "request_stop",
            "refresh_now",
            "toggle_pause",
            "open_new_job",
        ]
        assert app.calls[0][1] == running.key
        app.calls.clear()
        await pilot.press("down")
        assert screen.table.cursor_key == done.key
        assert screen.check_action("stop", ()) is None
        await pilot.press("s")
        await pilot.pause()
        assert app.calls == []


async def test_read_only_disables_stop_and_new() -> None:
    app = BoardHarness(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _start(app, pilot)
        app.jobs = make_snapshot([make_job(1)])
        await pilot.pause()
        assert screen.check_action("stop", ()) is None
        assert screen.check_action("new_job", ()) is None
        assert "READ-ONLY" in screen.status_bar.text
        titles = {c.title for c in _palette_commands(screen)}
        assert "Stop or cancel job" not in titles
        assert "New job" not in titles
        assert "Refresh now" in titles


async def test_palette_offers_writes_where_they_may_be_sent() -> None:
    app = BoardHarness()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _start(app, pilot)
        app.jobs = make_snapshot([make_job(1, status="Processing")])
        await pilot.pause()
        titles = {c.title for c in _palette_commands(screen)}
        assert {"Stop or cancel job", "New job"} <= titles


async def test_header_click_sorts_and_status_bar_shows_state() -> None:
    app = BoardHarness()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _start(app, pilot)
        jobs = [make_job(i, kind=k) for i, k in enumerate(["b", "c", "a"])]
        app.jobs = make_snapshot(jobs, stale=[Family.AQUA], paused=True)
        await pilot.pause()
        table = screen.table
        # "Kind" is the third column; click its header cell.
        kind_x = table.region.x + 13 + 1 + 1 + 20
        x = kind_x - table.region.x
        column = table._column_at(x)
        assert column == "kind"
        await pilot.click(JobTable, offset=(x, 0))
        await pilot.pause()
        assert table.options.sort_column == "kind"
        assert [table.jobs[k].kind for k in table.order] == ["a", "b", "c"]
        text = screen.status_bar.text
        assert "AQuA stale since 11:58:00" in text
        assert "9,876/10,000" in text
        assert "PAUSED" in text


async def test_palette_commands_run_board_actions() -> None:
    app = BoardHarness()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _start(app, pilot)
        app.jobs = make_snapshot(_jobs(3))
        await pilot.pause()
        commands = {c.title: c for c in _palette_commands(screen)}
        assert {"Refresh now", "Pause polling", "Sort by Kind", "Show only family: AQuA"} <= set(
            commands
        )
        commands["Refresh now"].run(screen)
        commands["Sort by Kind"].run(screen)
        assert app.calls == [("refresh_now", None)]
        assert screen.table.options.sort_column == "kind"


async def test_every_board_binding_has_an_id_and_description() -> None:
    for binding in [*JobListScreen.BINDINGS, *JobTable.BINDINGS]:
        assert isinstance(binding, Binding)
        assert binding.id, binding
        assert binding.id.startswith("jobs."), binding
        assert binding.description, binding


def test_budget_line_shows_projection_against_the_daily_budget() -> None:
    """Remaining of limit, calls this run, and the projection beside the profile's cap."""
    from ztui.service.snapshot import BudgetView
    from ztui.widgets.status_bar import budget_text

    budget = BudgetView(
        limit=10_000,
        remaining=9_500,
        reset_at=NOW + 60,
        calls_made=42,
        calls_per_day_projection=2_880,
        calls_per_poll=4,
    )
    snapshot = make_snapshot([], budget=budget)
    plain = budget_text(snapshot, 3_000).plain
    assert "9,500/10,000 left" in plain
    assert "42 calls this run" in plain
    assert "~2,880/day of 3,000 allowed" in plain
    assert "allowed" not in budget_text(snapshot).plain


async def test_stop_on_a_finished_job_says_why_instead_of_nothing() -> None:
    """`s` is not offered on a finished job; pressing it explains and asks nothing of the app."""
    app = BoardHarness()
    seen: list[Message] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        screen = await _start(app, pilot)
        done = make_job(1, JobState.SUCCEEDED, status="Completed")
        app.jobs = make_snapshot([done])
        await pilot.pause()
        assert screen.table.cursor_key == done.key
        await pilot.press("s")
        await pilot.pause()
        from textual.notifications import Notify

        texts = [m.notification.message for m in seen if isinstance(m, Notify)]
        assert any("cannot be stopped" in t for t in texts), texts
        assert not [c for c in app.calls if c[0] == "request_stop"]
