"""Pilot tests of the file picker (tree filter, path input, preview, remembered folder,
cancel) and of template saving, plus the CSV preview's blank-cell highlights."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePath
from typing import Any, ClassVar

import pytest
from textual.app import App
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Input

from tests.ui.test_detail_support import connected, wait_until
from ztui.api.models import Family
from ztui.core.paths import cache_dir, state_path, stylesheet_paths
from ztui.ops.preflight import CheckTarget
from ztui.ops.submit import save_template, template_cache_path
from ztui.screens.file_picker import (
    STATE_KEY,
    FileChoice,
    FilePickerScreen,
    PathSuggester,
    UploadTree,
    display_path,
    expand,
)
from ztui.screens.new_job import NewJobScreen
from ztui.screens.new_job.forms.data_backfill import DataBackfillForm
from ztui.store.state import recall
from ztui.widgets.csv_preview import BLANK_MARK, CsvPreview

pytestmark = pytest.mark.anyio

BLANKS = "ProductRatePlanChargeId,ProductFamily,#Note\n" + "".join(
    f"{i:032x},{'' if i % 2 else 'Hardware'},\n" for i in range(1, 5)
)


class Host(App[None]):
    """A bare app that opens the picker and keeps its answer."""

    CSS_PATH: ClassVar[list[str | PurePath]] = list(stylesheet_paths())

    def __init__(self, picker: FilePickerScreen) -> None:
        super().__init__()
        self.picker = picker
        self.answers: list[FileChoice | None] = []

    def on_mount(self) -> None:
        self.push_screen(self.picker, self.answers.append)


def _files(home: Path) -> Path:
    folder = home / "uploads"
    folder.mkdir()
    (folder / "prpc.csv").write_text(BLANKS, encoding="utf-8")
    (folder / "notes.txt").write_text("not a csv", encoding="utf-8")
    (folder / "archive.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    (folder / ".hidden.csv").write_text("a\n1\n", encoding="utf-8")
    (folder / "sub").mkdir()
    return folder


def _checking(picker: FilePickerScreen) -> Path | None:
    return picker.checking


def _target() -> CheckTarget:
    return CheckTarget(
        "data_backfill", template_header=["ProductRatePlanChargeId", "ProductFamily", "#Note"]
    )


def _shown(tree: UploadTree) -> list[str]:
    return sorted(str(node.label) for node in tree.root.children)


async def test_tree_filters_and_shows_all_on_a(isolated_home: Path) -> None:
    folder = _files(isolated_home)
    host = Host(FilePickerScreen(_target(), start=folder))
    async with host.run_test(size=(120, 40)) as pilot:
        tree = host.picker.query_one(UploadTree)
        await wait_until(pilot, lambda: len(tree.root.children) > 0, "tree loaded")
        assert _shown(tree) == ["archive.zip", "prpc.csv", "sub"]
        assert str(tree.root.label) == "~/uploads"
        await pilot.press("a")
        await wait_until(pilot, lambda: len(tree.root.children) == 5, "all files")
        assert "notes.txt" in _shown(tree)
        assert ".hidden.csv" in _shown(tree)


async def test_highlight_previews_with_blank_cells_then_enter_chooses(
    isolated_home: Path,
) -> None:
    folder = _files(isolated_home)
    host = Host(FilePickerScreen(_target(), start=folder))
    async with host.run_test(size=(120, 40)) as pilot:
        picker = host.picker
        tree = picker.query_one(UploadTree)
        await wait_until(pilot, lambda: len(tree.root.children) > 0, "tree loaded")
        (node,) = [n for n in tree.root.children if str(n.label) == "prpc.csv"]
        tree.move_cursor(node)
        await wait_until(pilot, lambda: folder / "prpc.csv" in picker.reports, "checked")
        preview = picker.query_one(CsvPreview)
        report = picker.reports[folder / "prpc.csv"]
        assert preview.report is report
        # Blank cells of the kept column are marked; the '#' column's blanks are not.
        assert report.blank_cells == {(0, 1), (2, 1)}
        table: DataTable[Any] = preview.query_one(DataTable)
        assert str(table.get_cell_at(Coordinate(0, 2))) == BLANK_MARK
        assert str(table.get_cell_at(Coordinate(0, 3))) == ""
        assert report.warnings
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(host.answers), "chosen")
        (choice,) = host.answers
        assert choice is not None
        assert choice.path == folder / "prpc.csv"
        assert choice.report is report
        # The folder is remembered in state.toml, not in the user's config.
        assert recall(STATE_KEY) == str(folder)
        assert state_path().is_file()


async def test_path_input_expands_tilde_and_chooses(isolated_home: Path) -> None:
    folder = _files(isolated_home)
    host = Host(FilePickerScreen(_target()))
    async with host.run_test(size=(120, 40)) as pilot:
        field = host.picker.query_one("#picker-path", Input)
        field.focus()
        field.value = "~/uploads/prpc.csv"
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(host.answers), "chosen")
        (choice,) = host.answers
        assert choice is not None
        assert choice.path == folder / "prpc.csv"


async def test_opens_in_the_remembered_folder(isolated_home: Path) -> None:
    folder = _files(isolated_home)
    from ztui.store.state import remember

    remember(STATE_KEY, str(folder))
    picker = FilePickerScreen(_target())
    assert picker.folder == folder
    remember(STATE_KEY, str(folder / "gone"))
    assert FilePickerScreen(_target()).folder == Path.home()


async def test_path_completion(isolated_home: Path) -> None:
    _files(isolated_home)
    suggester = PathSuggester()
    assert await suggester.get_suggestion("~/uploads/pr") == "~/uploads/prpc.csv"
    assert await suggester.get_suggestion("~/uplo") == "~/uploads/"
    assert await suggester.get_suggestion("~/nothing-here/x") is None
    assert expand("'~/uploads'") == isolated_home / "uploads"
    assert display_path(isolated_home / "uploads") == "~/uploads"


async def test_cancelling_a_check(isolated_home: Path) -> None:
    folder = isolated_home / "big"
    folder.mkdir()
    big = folder / "big.csv"
    row = "0" * 32 + ",Hardware\n"
    big.write_text("ProductRatePlanChargeId,ProductFamily\n" + row * 110_000, encoding="utf-8")
    host = Host(FilePickerScreen(_target(), start=folder))
    async with host.run_test(size=(120, 40)) as pilot:
        picker = host.picker
        picker.start_check(big)
        assert picker.checking is not None
        await pilot.press("c")
        await pilot.pause(0.3)
        assert _checking(picker) is None
        assert big not in picker.reports
        assert "cancelled" in str(picker.query_one("#preview-summary").render())


async def test_template_is_cached_per_profile_and_never_overwrites(
    make_app: Callable[..., Any], isolated_home: Path
) -> None:
    app = make_app()
    folder = isolated_home / "templates-out"
    folder.mkdir()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await pilot.press("u")
        await wait_until(pilot, lambda: isinstance(app.screen, NewJobScreen), "screen")
        screen = app.screen
        assert isinstance(screen, NewJobScreen)
        screen.open_form(Family.DATA_BACKFILL)
        form = screen.forms[Family.DATA_BACKFILL]
        assert isinstance(form, DataBackfillForm)
        first = await form.write_template(folder)
        second = await form.write_template(folder)
        assert first == folder / "ProductRatePlanCharge.csv"
        assert second == folder / "ProductRatePlanCharge (1).csv"
        cached = template_cache_path("demo", "ProductRatePlanCharge")
        assert cached.is_file()
        assert cached.is_relative_to(cache_dir())
        assert first.read_bytes() == cached.read_bytes()
        assert first.read_bytes().startswith(b"#SIMULATED")
        # One download: the second save came from the cache.
        from tests.ui.test_detail_support import requests_log

        gets = [r for r in await requests_log(app._sim_server) if r["path"].endswith("/template")]
        assert len(gets) == 1


def test_save_template_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "T.csv").write_text("mine", encoding="utf-8")
    saved = save_template(b"a,b\n", tmp_path, "T.csv")
    assert saved.name == "T (1).csv"
    assert (tmp_path / "T.csv").read_text(encoding="utf-8") == "mine"
