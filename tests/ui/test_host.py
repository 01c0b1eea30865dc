"""The app and the board harness are both `ZtuiHost`s, and screens reach the app only
through it (no attribute probing of `self.app`)."""

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


@pytest.mark.parametrize("pattern", [r"getattr\(self\.app\b", r"hasattr\(self\.app\b"])
def test_screens_do_not_probe_the_app(pattern: str) -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "ztui" / "screens").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(pattern, line)
    ]
    assert not found
