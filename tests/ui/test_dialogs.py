"""Pilot tests of the dialog kit on a small terminal: at 80x24 the confirm dialog of a
stop and of a create, on production too, keeps its buttons (and the phrase box) on
screen and usable."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widget import Widget
from textual.widgets import Button, Checkbox

from tests.ui.test_detail_support import connected, new_booking_job, wait_until
from ztui.api.models import Family
from ztui.dialogs.confirm import ConfirmDialog
from ztui.screens.new_job import NewJobScreen

pytestmark = pytest.mark.anyio

SMALL = (80, 24)

# A file with warnings (blank cells): the create summary has every row, and the form
# asks for the acknowledgement first.
BLANKS_DB = "ProductRatePlanChargeId,ProductFamily,ProductLine\n" + "".join(
    f"{i:032x},Hardware,{'' if i % 2 else 'Line'}\n" for i in range(1, 6)
)


def _assert_on_screen(dialog: ConfirmDialog, selector: str) -> None:
    """`selector` lies inside the terminal and is what is drawn at its centre."""
    widget = dialog.query_one(selector, Widget)
    region = widget.region
    assert region.area > 0, f"{selector} is not drawn"
    assert dialog.region.contains_region(region), f"{selector} at {region} is off screen"
    drawn, _ = dialog.get_widget_at(region.x + region.width // 2, region.y + region.height // 2)
    assert drawn is widget or widget in drawn.ancestors, f"{selector} is covered by {drawn}"


async def _dialog(pilot: Any) -> ConfirmDialog:
    app: Any = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "confirm dialog")
    dialog = app.screen
    assert isinstance(dialog, ConfirmDialog)
    await wait_until(pilot, lambda: dialog.focused is not None, "dialog focus")
    await pilot.pause()
    return dialog


@pytest.mark.parametrize("production", [False, True])
async def test_stop_dialog_fits_80x24(make_app: Callable[..., Any], production: bool) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await connected(pilot)
        if production:
            app.profile = dataclasses.replace(app.profile, is_production=True, tenant_name="acme")
        key = await new_booking_job(pilot)
        app.request_stop(key)
        dialog = await _dialog(pilot)
        _assert_on_screen(dialog, "#confirm-yes")
        _assert_on_screen(dialog, "#confirm-no")
        if production:
            _assert_on_screen(dialog, "#confirm-phrase")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmDialog), "closed")


@pytest.mark.parametrize("production", [False, True])
async def test_create_summary_fits_80x24(
    make_app: Callable[..., Any], isolated_home: Path, production: bool
) -> None:
    app = make_app()
    folder = isolated_home / "uploads"
    folder.mkdir()
    path = folder / "prpc.csv"
    path.write_text(BLANKS_DB, encoding="utf-8")
    async with app.run_test(size=SMALL) as pilot:
        await connected(pilot)
        await pilot.press("u")
        await wait_until(pilot, lambda: isinstance(app.screen, NewJobScreen), "new-job screen")
        screen = app.screen
        assert isinstance(screen, NewJobScreen)
        screen.open_form(Family.DATA_BACKFILL)
        await wait_until(pilot, lambda: screen.template_type() in screen.templates, "template")
        screen.choose_file(Family.DATA_BACKFILL, path)
        await wait_until(pilot, lambda: Family.DATA_BACKFILL in screen.files, "file checked")
        screen.query_one("#db-ack", Checkbox).value = True
        if production:
            app.profile = dataclasses.replace(app.profile, is_production=True, tenant_name="acme")
        await pilot.press("ctrl+r")
        dialog = await _dialog(pilot)
        assert len(dialog.rows) >= 8  # profile, family, type, file, rows, size, MD5, retries
        _assert_on_screen(dialog, "#confirm-yes")
        _assert_on_screen(dialog, "#confirm-no")
        if production:
            _assert_on_screen(dialog, "#confirm-phrase")
            await pilot.press(*"acme")
            await pilot.pause()
            assert not dialog.query_one("#confirm-yes", Button).disabled
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "back on the form")
