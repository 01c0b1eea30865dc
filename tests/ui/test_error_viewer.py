"""Pilot tests of the error viewer: thousands of errors, grouping, lazy rows, CSV export."""

from __future__ import annotations

import asyncio
import csv
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input

from tests.ui.test_detail_support import connected, in_snapshot, sim_post, wait_until
from ztui.api.models import Family, JobState
from ztui.dialogs.path import PathModal
from ztui.screens.error_viewer import ErrorRowsView, ErrorViewerScreen
from ztui.store.journal import JournalEntry

pytestmark = pytest.mark.anyio

BAD_ID_ROWS = 2400
SHORT_ROWS = 600


def _upload_csv() -> bytes:
    """An update file: 2,400 rows with non-UUID ids, 600 rows missing a column, 50 good."""
    lines = ["Id,brand__c,model__c"]
    for i in range(BAD_ID_ROWS):
        lines.append(f"{1000 + i},Volvo,XC40")
    for i in range(SHORT_ROWS):
        lines.append(f"short-{i},Kia")
    for i in range(50):
        lines.append(f"{i:08x}-0000-4000-8000-{i:012x},Ford,Mustang")
    return ("\n".join(lines) + "\n").encode()


async def _job_with_errors(pilot: Any, journal_file: Path | None = None) -> tuple[Family, str]:
    app = pilot.app
    job = await app.client.submit_custom_object_job("vehicle", "default", "update")
    await app.client.upload_custom_object_file(job.id, _upload_csv())
    if journal_file is not None:
        # What the upload screen records: the job and the local file it sent.
        await asyncio.to_thread(journal_file.write_bytes, _upload_csv())
        app.journal.append(
            JournalEntry(
                family="custom_object",
                action="upload",
                job_id=job.id,
                file_name=journal_file.name,
                outcome="ok",
                extra={"path": str(journal_file)},
            )
        )
    await sim_post(app._sim_server, "/_sim/clock", {"advance": 100_000})
    key = (Family.CUSTOM_OBJECT, job.id)
    await in_snapshot(pilot, key)
    await wait_until(pilot, lambda: app.jobs.get(*key).state is JobState.SUCCEEDED, "job completed")
    return key


async def _open(pilot: Any, key: tuple[Family, str]) -> ErrorViewerScreen:
    app = pilot.app
    app.open_errors(key)
    await wait_until(pilot, lambda: isinstance(app.screen, ErrorViewerScreen), "error viewer")
    screen = app.screen
    assert isinstance(screen, ErrorViewerScreen)
    await wait_until(pilot, lambda: screen.loaded is not None, "errors loaded", timeout=15)
    return screen


async def test_thousands_of_errors_are_grouped_and_rendered_lazily(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        key = await _job_with_errors(pilot)
        started = time.monotonic()
        screen = await _open(pilot, key)
        await pilot.pause()
        assert time.monotonic() - started < 5
        loaded = screen.loaded
        assert loaded is not None
        assert len(loaded.errors) == BAD_ID_ROWS + SHORT_ROWS
        counts = sorted((g.count, g.code) for g in loaded.groups)
        assert counts == [(SHORT_ROWS, "71012530"), (BAD_ID_ROWS, "71012520")]
        groups = screen.query_one("#error-groups", DataTable)
        assert groups.row_count == 2
        rows = screen.query_one(ErrorRowsView)
        assert rows.row_count == BAD_ID_ROWS
        # Only what fits on screen was drawn, not 2,400 lines.
        assert 0 < rows.rendered_lines < 200
        # The first row of the biggest group is data row 2 with its record and message.
        assert loaded.lines[loaded.groups[0].indices[0]].lstrip().startswith("2 ")
        # Selecting the other group shows its rows.
        groups.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert rows.row_count == SHORT_ROWS
        assert rows.has_focus
        await pilot.press("end")
        await pilot.pause()
        assert rows.cursor == SHORT_ROWS - 1
        assert rows.scroll_offset.y > 0


async def test_export_file_matches_the_errors(make_app: Callable[..., Any], tmp_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        key = await _job_with_errors(pilot)
        screen = await _open(pilot, key)
        await pilot.press("x")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, PathModal) and bool(app.screen.query(Input)),
            "export prompt",
        )
        dest = tmp_path / "failed.csv"
        app.screen.query_one(Input).value = str(dest)
        await pilot.press("enter")
        await wait_until(pilot, dest.exists, "export written")
        side_path = tmp_path / "failed.errors.csv"
        await wait_until(pilot, side_path.exists, "errors file written")
        rows = list(csv.DictReader(dest.open(encoding="utf-8")))
        side = list(csv.DictReader(side_path.open(encoding="utf-8")))
        loaded = screen.loaded
        assert loaded is not None
        assert len(rows) == len(side) == len(loaded.errors) == BAD_ID_ROWS + SHORT_ROWS
        # A custom-object upload takes only the object's fields: no error column in it.
        assert not any(name.startswith(("error", "#")) for name in rows[0])
        # Server-filled fields are not part of a re-upload file.
        assert "CreatedDate" not in rows[0]
        by_row = {int(r["source_row"]): r for r in side}
        assert by_row[2]["error_code"] == "71012520"
        assert by_row[2]["error_message"] == 'input string "1000" is not a valid UUID'
        assert rows[int(by_row[2]["line"]) - 2]["brand__c"] == "Volvo"
        first_short = BAD_ID_ROWS + 2
        assert by_row[first_short]["error_code"] == "71012530"
        assert rows[int(by_row[first_short]["line"]) - 2]["brand__c"] == "Kia"


async def test_aqua_errors_show_batch_messages(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        job = await app.client.create_aqua_job(
            {
                "format": "csv",
                "version": "1.1",
                "name": "will-abort",
                "queries": [{"name": "a", "query": "select Id from Account", "type": "zoql"}],
            }
        )
        await sim_post(app._sim_server, "/_sim/outcome", {"job_id": job.id, "outcome": "aborted"})
        await sim_post(app._sim_server, "/_sim/clock", {"advance": 3600})
        key = (Family.AQUA, job.id)
        app.poller.watch_aqua(job.id)
        await in_snapshot(pilot, key)
        screen = await _open(pilot, key)
        loaded = screen.loaded
        assert loaded is not None
        assert loaded.errors, "an aborted AQuA job has at least one message"
        assert any(e.code in ("aborted", "") or e.message for e in loaded.errors)


async def test_export_joins_the_uploaded_file_known_to_the_journal(
    make_app: Callable[..., Any], tmp_path: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        key = await _job_with_errors(pilot, journal_file=tmp_path / "vehicles.csv")
        await _open(pilot, key)
        await pilot.press("x")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, PathModal) and bool(app.screen.query(Input)),
            "export prompt",
        )
        dest = tmp_path / "failed.csv"
        app.screen.query_one(Input).value = str(dest)
        await pilot.press("enter")
        await wait_until(pilot, dest.exists, "export written")
        rows = list(csv.reader(dest.open(encoding="utf-8")))
        assert rows[0] == ["Id", "brand__c", "model__c"]
        assert len(rows) == 1 + BAD_ID_ROWS + SHORT_ROWS
        # The original lines come back, including the bad id the server did not echo.
        assert rows[1][:3] == ["1000", "Volvo", "XC40"]
        assert rows[1 + BAD_ID_ROWS][:3] == ["short-0", "Kia", ""]


async def test_the_highlighted_row_is_shown_whole_below_the_rows(
    make_app: Callable[..., Any],
) -> None:
    from textual.widgets import Static

    from ztui.screens.error_viewer import ErrorRowsView

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await connected(pilot)
        key = await _job_with_errors(pilot)
        screen = await _open(pilot, key)
        loaded = screen.loaded
        assert loaded is not None
        detail = screen.query_one("#error-row-detail", Static)
        rows = screen.query_one(ErrorRowsView)
        rows.focus()
        await pilot.pause()
        first = loaded.errors[loaded.groups[0].indices[0]]
        assert first.message in str(detail.render())
        await pilot.press("down")
        await pilot.pause()
        second = loaded.errors[loaded.groups[0].indices[1]]
        text = str(detail.render())
        assert f"Row {second.row}" in text
        assert all(f"{k} = " in text for k in second.record)
