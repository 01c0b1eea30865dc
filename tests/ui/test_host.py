"""The app and the board harness are both `ZtuiHost`s, and screens, dialogs, widgets and
flows reach the app only through it: no attribute probing of `self.app`, no import of
`ztui.app` (not even for type checking)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ztui.app import ZtuiApp
from ztui.host import ZtuiHost

from .board_harness import BoardHarness, as_host

ROOT = Path(__file__).resolve().parents[2]


def app_as_host(app: ZtuiApp) -> ZtuiHost:
    """mypy checks that `ZtuiApp` is a host."""
    return app


def test_the_harness_is_a_host() -> None:
    harness = BoardHarness()
    assert isinstance(harness, ZtuiHost)
    assert as_host(harness) is harness


def test_the_app_is_a_host(make_app: Callable[..., Any]) -> None:
    app: ZtuiApp = make_app()
    assert app_as_host(app) is app
    assert isinstance(app, ZtuiHost)


@pytest.mark.parametrize(
    "pattern",
    [r"getattr\(self\.app\b", r"hasattr\(self\.app\b", r"\bztui\.app\b", r"\bZtuiApp\b"],
)
@pytest.mark.parametrize("package", ["screens", "dialogs", "widgets", "flows"])
def test_ui_modules_reach_the_app_through_the_host(package: str, pattern: str) -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "ztui" / package).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(pattern, line)
    ]
    assert not found


@pytest.mark.parametrize("package", ["screens", "flows"])
def test_no_workflow_state_in_module_globals(package: str) -> None:
    """State that outlives a screen lives on the app's flows, not in module dictionaries."""
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "ztui" / package).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.match(r"_[a-z_]+ *(:|=) *(WeakKeyDictionary|dict|\{)", line)
    ]
    assert not found


def test_app_screens_dialogs_and_flows_name_no_family() -> None:
    """They read the `FamilyDef` (capabilities, layouts); only the forms, one per family,
    and the family modules themselves name a family."""
    paths = [ROOT / "ztui" / "app.py"] + [
        path
        for package in ("screens", "dialogs", "flows")
        for path in sorted((ROOT / "ztui" / package).rglob("*.py"))
        if "forms" not in path.relative_to(ROOT).parts
    ]
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in paths
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"Family\.[A-Z_]+", line)
    ]
    assert not found
