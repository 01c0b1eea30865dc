"""Pilot tests of the job detail screen: fields per family, live updates, keys, downloads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Static

from tests.ui.test_detail_support import (
    connected,
    in_snapshot,
    new_booking_job,
    sim_get,
    sim_post,
    wait_until,
)
from ztui.api.models import Family, JobState
from ztui.dialogs.confirm import ConfirmDialog
from ztui.dialogs.path import PathModal
from ztui.screens.error_viewer import ErrorViewerScreen
from ztui.screens.job_detail import JobDetailScreen

pytestmark = pytest.mark.anyio

EXPECTED_LABELS = {
    Family.DATA_BACKFILL: ("Type", "Total rows", "Succeeded", "Uploaded by", "Uploaded file"),
    Family.BOOKING_DATE: ("Batches sent", "Batches finished", "Created", "Updated by"),
    Family.PROPAGATION: ("Type", "Batches sent", "Created"),
    Family.CUSTOM_OBJECT: ("Object", "Namespace", "Operation", "Records processed", "Created by"),
    Family.AQUA: ("Name", "Format", "Version", "Started"),
}


def _text(screen: JobDetailScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def _open(pilot: Any, key: tuple[Family, str]) -> JobDetailScreen:
    app = pilot.app
    app.open_detail(key)
    await wait_until(pilot, lambda: isinstance(app.screen, JobDetailScreen), "detail screen")
    screen = app.screen
    assert isinstance(screen, JobDetailScreen)
    await wait_until(pilot, lambda: screen._fetched_at is not None, "detail fetched")
    return screen


@pytest.mark.parametrize("family", list(Family))
async def test_detail_shows_every_family_field(
    make_app: Callable[..., Any], family: Family
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        jobs = [j for j in app.jobs.jobs.values() if j.family is family]
        assert jobs, f"the seeded scenario has {family} jobs"
        job = jobs[0]
        screen = await _open(pilot, job.key)
        fields = _text(screen, "#detail-fields")
        assert job.id in fields
        assert job.status in fields
        for label in EXPECTED_LABELS[family]:
            assert label in fields, label
        assert "Zuora-Request-Id" in _text(screen, "#detail-freshness")
        if family is Family.AQUA:
            table = screen.query_one("#aqua-batches", DataTable)
            assert table.row_count == len(job.raw.get("batches", []))
            assert "72 h" in _text(screen, "#detail-purge") or "purged" in _text(
                screen, "#detail-purge"
            )


async def test_detail_follows_the_board_and_records_the_timeline(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        key = await new_booking_job(pilot)
        screen = await _open(pilot, key)
        assert "ACCEPTED" in _text(screen, "#detail-title")
        await sim_post(app._sim_server, "/_sim/clock", {"advance": 5})
        app.refresh_now()
        await wait_until(
            pilot, lambda: "PROCESSING" in _text(screen, "#detail-title"), "status change"
        )
        timeline = _text(screen, "#detail-timeline")
        assert "ACCEPTED" in timeline
        assert "PROCESSING" in timeline


async def test_keys_copy_toggle_raw_and_open_actions(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        key = await new_booking_job(pilot)
        screen = await _open(pilot, key)
        await pilot.press("c")
        assert app.clipboard == key[1]
        await pilot.press("C")
        # The request id of the detail screen's own fetch, not of a poll made since.
        log = (await sim_get(app._sim_server, "/_sim/requests"))["requests"]
        gets = [r for r in log if r["method"] == "GET" and r["path"].endswith(key[1])]
        assert gets
        assert app.clipboard == gets[-1]["request_id"]
        raw = screen.query_one("#detail-raw", Static)
        shown: list[bool] = [raw.display]
        await pilot.press("j")
        shown.append(raw.display)
        assert f'"id": "{key[1]}"' in str(raw.render())
        await pilot.press("j")
        shown.append(raw.display)
        assert shown == [False, True, False]
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "confirm modal")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "back on detail")
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorViewerScreen), "errors")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "back on detail")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, JobDetailScreen), "closed")


async def test_stop_on_a_finished_job_explains_from_the_detail_screen(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        done = next(j for j in app.jobs.jobs.values() if j.state is JobState.SUCCEEDED)
        await _open(pilot, done.key)
        await pilot.press("s")
        await pilot.pause(0.1)
        assert isinstance(app.screen, JobDetailScreen)


async def test_failed_detail_fetch_keeps_last_data_with_reason(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        key = await new_booking_job(pilot)
        screen = await _open(pilot, key)
        await sim_post(
            app._sim_server,
            "/_sim/faults",
            {"route": f"GET */bookingdate/jobs/{key[1]}", "kind": "status", "status": 404},
        )
        await pilot.press("r")
        await wait_until(
            pilot, lambda: "Detail fetch failed" in _text(screen, "#detail-freshness"), "error"
        )
        freshness = _text(screen, "#detail-freshness")
        assert "Showing data from" in freshness
        assert key[1] in _text(screen, "#detail-fields")


async def test_download_aqua_results_to_a_folder(
    make_app: Callable[..., Any], tmp_path: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        created = await app.client.create_aqua_job(
            {
                "format": "csv",
                "version": "1.1",
                "name": "two-batches",
                "queries": [
                    {"name": "accounts", "query": "select Id from Account", "type": "zoql"},
                    {"name": "invoices", "query": "select Id from Invoice", "type": "zoql"},
                ],
            }
        )
        await sim_post(app._sim_server, "/_sim/clock", {"advance": 3600})
        app.poller.watch_aqua(created.id)
        key = (Family.AQUA, created.id)
        await in_snapshot(pilot, key)
        await wait_until(pilot, lambda: app.jobs.get(*key).state is JobState.SUCCEEDED, "done")
        screen = await _open(pilot, key)
        assert "purged at 2026-01-18" in _text(screen, "#detail-purge")
        await pilot.press("d")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, PathModal) and bool(app.screen.query(Input)),
            "folder prompt",
        )
        folder = tmp_path / "results"
        app.screen.query_one(Input).value = str(folder)
        await pilot.press("enter")
        tail = created.id[-8:]  # the job id in the name: two runs never collide
        names = [f"two-batches-{tail}-accounts.csv", f"two-batches-{tail}-invoices.csv"]
        await wait_until(
            pilot,
            lambda: sorted(p.name for p in folder.glob("*.csv")) == names,
            "files downloaded",
        )
        assert (folder / names[0]).read_text().startswith("Account.Id")
        # Again into the same folder: asked first; "Keep both" writes new names.
        from ztui.dialogs.choice import ChoiceModal

        await pilot.press("d")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, PathModal) and bool(app.screen.query(Input)),
            "folder prompt again",
        )
        app.screen.query_one(Input).value = str(folder)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceModal), "overwrite question")
        assert "2 of the files already exist" in app.screen.message
        await pilot.click("#choice-keep")
        await wait_until(
            pilot,
            lambda: len(list(folder.glob("*.csv"))) == 4,
            "kept both",
        )
        assert (folder / f"two-batches-{tail}-accounts (1).csv").exists()


def test_codes_and_ids_have_no_thousands_separators_and_sizes_say_their_unit() -> None:
    from ztui.screens.job_detail import _Fields

    fields = _Fields(
        {
            "errorCode": 71012560,
            "uploadedFileSize": "179.6KB",
            "inputFileSize": 183902,
            "remainingTimeText": "4 min 5 sec",
            "remainingTime": 245,
            "totalCount": 12345,
        },
        0.0,
        None,
    )
    fields.text("Code", "errorCode")
    fields.text("Uploaded size", "uploadedFileSize", "inputFileSize")
    fields.text("Remaining", "remainingTimeText", "remainingTime")
    fields.text("Total rows", "totalCount")
    assert dict(fields.rows) == {
        "Code": "71012560",
        "Uploaded size": "179.6KB (183,902 bytes)",
        "Remaining": "4 min 5 sec",
        "Total rows": "12,345",
    }
