"""Snapshots of job creation: the chooser, the picker (preview with blank cells, lint
errors), each family's form, the confirm summary and the journal screen.

The real app runs against a loopback simulator with a manual clock; polling is stopped
once the first snapshot arrived so nothing moves under the picture. Files live under the
isolated home, which the UI writes as `~`, so paths repeat across runs.
`SAVE_SCREENSHOT=1` also writes the picker picture to `screenshots/upload.svg`.
"""

# ruff: noqa: F811 - `make_app` is the fixture imported from tests/ui/conftest.py
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select, TextArea

from tests.ui.conftest import make_app  # noqa: F401 - reused fixture
from tests.ui.pilot_support import wait_until as _wait
from ztui.api.models import Family
from ztui.screens.file_picker import STATE_KEY, FilePickerScreen, UploadTree
from ztui.screens.journal import JournalScreen
from ztui.screens.new_job import NewJobScreen, SubmitConfirmModal
from ztui.store.journal import Journal, JournalEntry
from ztui.store.state import remember

SIZE = (120, 40)
SMALL = (80, 24)
"""The smallest terminal ztui is made for: everything must still fit."""
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"

BLANKS = "ProductRatePlanChargeId,#ProductRatePlanChargeName,ProductFamily,ProductLine\n" + "".join(
    f"{i:032x},Charge {i},{'Hardware' if i % 3 else ''},{'' if i % 2 else 'Core'}\n"
    for i in range(1, 9)
)
LINT = (
    "ProductRatePlanChargeId,ProductFamly,RevenueRecognitionTiming,ProductFamily\n"
    f"{1:032x},x,Upon Booking,=HYPERLINK(1)\n"
    f"{2:032x},y,Upon Booking\n"
    f"{1:032x},z,Upon Booking,Hardware\n"
    "\n"
    f"{3:032x},w,Upon Booking,@SUM(A1)\n"
)


def _uploads(home: Path) -> Path:
    folder = home / "uploads"
    folder.mkdir(exist_ok=True)
    (folder / "prpc-revenue.csv").write_text(BLANKS, encoding="utf-8")
    (folder / "prpc-lint.csv").write_text(LINT, encoding="utf-8")
    (folder / "vehicles.csv").write_text("name__c,brand__c\nAlpha,x\nBeta,y\n", encoding="utf-8")
    remember(STATE_KEY, str(folder))
    return folder


async def _still(pilot: Pilot[Any]) -> Any:
    """Wait for the first snapshot, then pause polling: the picture must not move (the
    client stays open for the template download)."""
    app: Any = pilot.app
    await _wait(pilot, lambda: app.jobs is not None and app.client is not None, "first poll")
    if app.poller is not None:
        app.poller.pause()
    return app


async def _form(pilot: Pilot[Any], family: Family | None) -> NewJobScreen:
    app = await _still(pilot)
    await pilot.press("u")
    await _wait(pilot, lambda: isinstance(app.screen, NewJobScreen), "new-job screen")
    screen = app.screen
    assert isinstance(screen, NewJobScreen)
    if family is not None:
        screen.open_form(family)
        if family is Family.DATA_BACKFILL:
            await _wait(pilot, lambda: screen._db_type() in screen.templates, "template")
    await pilot.pause()
    return screen


async def _picker_on(pilot: Pilot[Any], name: str) -> FilePickerScreen:
    app: Any = pilot.app
    await _form(pilot, Family.DATA_BACKFILL)
    await pilot.press("f")
    await _wait(pilot, lambda: isinstance(app.screen, FilePickerScreen), "picker")
    picker = app.screen
    assert isinstance(picker, FilePickerScreen)
    tree = picker.query_one(UploadTree)
    await _wait(pilot, lambda: len(tree.root.children) >= 3, "tree")
    (node,) = [n for n in tree.root.children if str(n.label) == name]
    tree.move_cursor(node)
    await _wait(pilot, lambda: picker.folder / name in picker.reports, "checked")
    await pilot.pause()
    return picker


def test_chooser(snap_compare: Callable[..., bool], make_app: Callable[..., Any]) -> None:
    """`u` on the board: the five families on the left, what each one does on the right."""
    app = make_app()

    async def run_before(pilot: Pilot[Any]) -> None:
        await _form(pilot, None)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_picker_preview_with_blank_cells(
    snap_compare: Callable[..., bool], make_app: Callable[..., Any], isolated_home: Path
) -> None:
    """The picker opened in the remembered ~/uploads: .csv files only, the highlighted
    file's facts (rows, size, delimiter, encoding, MD5), its first rows with the blank
    cells of kept columns marked (the '#' column dimmed) and the blank-cell warnings."""
    app = make_app()
    _uploads(isolated_home)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _picker_on(pilot, "prpc-revenue.csv")
        if os.environ.get("SAVE_SCREENSHOT"):
            SCREENSHOTS.mkdir(exist_ok=True)
            app.save_screenshot("upload.svg", str(SCREENSHOTS))

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_picker_lint_errors(
    snap_compare: Callable[..., bool], make_app: Callable[..., Any], isolated_home: Path
) -> None:
    """A file with a misspelt column (with a did-you-mean), a short row, a duplicate id,
    a blank line and formula cells: errors first, each naming line and column."""
    app = make_app()
    _uploads(isolated_home)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _picker_on(pilot, "prpc-lint.csv")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def _checked_form(
    snap_compare: Callable[..., bool], app: Any, home: Path, size: tuple[int, int]
) -> bool:
    folder = _uploads(home)

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await _form(pilot, Family.DATA_BACKFILL)
        screen.choose_file(Family.DATA_BACKFILL, folder / "prpc-revenue.csv")
        await _wait(pilot, lambda: Family.DATA_BACKFILL in screen.files, "checked")
        await pilot.pause()

    return bool(snap_compare(app, terminal_size=size, run_before=run_before))


def test_data_backfill_form(
    snap_compare: Callable[..., bool], make_app: Callable[..., Any], isolated_home: Path
) -> None:
    """The data-backfill form with a checked file: template line, preview, the warnings
    and the acknowledgement box that sending needs."""
    assert _checked_form(snap_compare, make_app(), isolated_home, SIZE)


def test_data_backfill_form_80x24(
    snap_compare: Callable[..., bool], make_app: Callable[..., Any], isolated_home: Path
) -> None:
    """The data-backfill form with a checked file at 80x24."""
    assert _checked_form(snap_compare, make_app(), isolated_home, SMALL)


def test_booking_date_form(snap_compare: Callable[..., bool], make_app: Callable[..., Any]) -> None:
    """The booking-date form: nothing to fill in, and why there is no retry key."""
    app = make_app()

    async def run_before(pilot: Pilot[Any]) -> None:
        await _form(pilot, Family.BOOKING_DATE)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_auto_backfill_form(
    snap_compare: Callable[..., bool], make_app: Callable[..., Any]
) -> None:
    """The auto-backfill form: type, batch size 1000 and dry run ticked by default."""
    app = make_app()

    async def run_before(pilot: Pilot[Any]) -> None:
        await _form(pilot, Family.PROPAGATION)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_custom_object_form(
    snap_compare: Callable[..., bool], make_app: Callable[..., Any], isolated_home: Path
) -> None:
    """The custom-object form: slots in use, object, namespace, operation and a checked
    create file."""
    app = make_app()
    folder = _uploads(isolated_home)

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await _form(pilot, Family.CUSTOM_OBJECT)
        screen.query_one("#co-object", Input).value = "vehicle"
        screen.choose_file(Family.CUSTOM_OBJECT, folder / "vehicles.csv")
        await _wait(pilot, lambda: Family.CUSTOM_OBJECT in screen.files, "checked")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_custom_object_delete_form(
    snap_compare: Callable[..., bool], make_app: Callable[..., Any]
) -> None:
    """A custom-object delete: no file, an optional filter instead."""
    app = make_app()

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await _form(pilot, Family.CUSTOM_OBJECT)
        screen.query_one("#co-object", Input).value = "vehicle"
        screen.query_one("#co-operation", Select).value = "delete"
        screen.query_one("#co-filter-field", Input).value = "CreatedDate"
        screen.query_one("#co-filter-value", Input).value = "2020-01-01T00:00:00.000Z"
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_aqua_form(snap_compare: Callable[..., bool], make_app: Callable[..., Any]) -> None:
    """The AQuA form with a name and two queries typed: the count follows the text."""
    app = make_app()

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await _form(pilot, Family.AQUA)
        screen.query_one("#aq-name", Input).value = "usage-audit"
        screen.query_one(
            "#aq-queries", TextArea
        ).text = "select Id, Name from Account;\nselect Id, Amount from Invoice where Amount > 0;"
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def _summary(
    snap_compare: Callable[..., bool],
    app: Any,
    home: Path,
    production: bool,
    size: tuple[int, int],
) -> bool:
    import dataclasses

    folder = _uploads(home)

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await _form(pilot, Family.DATA_BACKFILL)
        screen.choose_file(Family.DATA_BACKFILL, folder / "prpc-revenue.csv")
        await _wait(pilot, lambda: Family.DATA_BACKFILL in screen.files, "checked")
        screen.query_one("#db-ack", Checkbox).value = True
        if production:
            app.profile = dataclasses.replace(app.profile, is_production=True, tenant_name="acme")
        await pilot.press("ctrl+r")
        await _wait(pilot, lambda: isinstance(app.screen, SubmitConfirmModal), "modal")
        await pilot.pause()

    return bool(snap_compare(app, terminal_size=size, run_before=run_before))


@pytest.mark.parametrize("production", [False, True])
def test_confirm_summary(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., Any],
    isolated_home: Path,
    production: bool,
) -> None:
    """The confirm modal of a data backfill: profile, family, type, file, rows, size,
    MD5 and the retry rule, focused on Cancel; on production the tenant name box."""
    assert _summary(snap_compare, make_app(), isolated_home, production, SIZE)


def test_confirm_summary_80x24(
    snap_compare: Callable[..., bool], make_app: Callable[..., Any], isolated_home: Path
) -> None:
    """The production confirmation of a data backfill at 80x24: the rows, the tenant name box
    and both buttons fit."""
    assert _summary(snap_compare, make_app(), isolated_home, True, SMALL)


def test_journal_screen(
    snap_compare: Callable[..., bool], make_app: Callable[..., Any], tmp_path: Path
) -> None:
    """The journal: newest first, one line per write, every field of the highlighted one."""
    app = make_app()
    journal = Journal(tmp_path / "journal.jsonl")
    common: dict[str, Any] = {"user": "analyst", "profile": "demo", "host": "127.0.0.1"}
    journal.append(
        JournalEntry(
            family="data_backfill",
            action="create",
            at="2026-01-15T11:00:00+00:00",
            file_name="prpc-revenue.csv",
            size=402,
            md5="5d41402abc4b2a76b9719d911017c592",
            sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            http_status=504,
            job_id="ff808081e4b06ce60741c7a87ce42c82",
            outcome="ok",
            message="HTTP 504 on create, but the job exists: ff80… (Pending)",
            extra={"type": "ProductRatePlanCharge", "rows": 8},
            **common,
        )
    )
    journal.append(
        JournalEntry(
            family="custom_object",
            action="create",
            at="2026-01-15T11:02:00+00:00",
            idempotency_key="0d9b7e0e-5d1c-4a47-9d43-4b8e6b2a7c11",
            request_id="6d1b8a1e-0f4b-4d0c-9a51-1b7f0c2e9d33",
            http_status=200,
            job_id="6c0fd4f5-f813-4c42-b773-0edfafbd67f9",
            outcome="pending",
            message="submitted",
            extra={"object": "vehicle", "namespace": "default", "operation": "create"},
            **common,
        )
    )
    journal.append(
        JournalEntry(
            family="custom_object",
            action="upload",
            at="2026-01-15T11:02:01+00:00",
            file_name="vehicles.csv",
            size=31,
            md5="0cc175b9c0f1b6a831c399e269772661",
            sha256="ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb",
            idempotency_key="a3c1f9de-2b7e-4d8a-8f0e-5c6b7a8d9e01",
            request_id="0b2a9c8d-7e6f-4a5b-9c1d-2e3f4a5b6c7d",
            http_status=200,
            job_id="6c0fd4f5-f813-4c42-b773-0edfafbd67f9",
            outcome="ok",
            message="uploaded; job in_progress",
            **common,
        )
    )

    async def run_before(pilot: Pilot[Any]) -> None:
        await _still(pilot)
        app.push_screen(JournalScreen(journal))
        await _wait(pilot, lambda: isinstance(app.screen, JournalScreen), "journal")
        screen = app.screen
        assert isinstance(screen, JournalScreen)
        await _wait(pilot, lambda: len(screen.entries) == 3, "entries")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
