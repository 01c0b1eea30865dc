"""The theme at start-up: ztui's own without a second stylesheet parse, or the config's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.css.stylesheet import Stylesheet

from ztui.app import ZtuiApp
from ztui.config.load import load_settings
from ztui.config.resolve import resolve_profile
from ztui.widgets.theme import ZTUI_THEME

pytestmark = pytest.mark.anyio


def _app() -> ZtuiApp:
    settings = load_settings()
    return ZtuiApp(settings=settings, profile=resolve_profile(settings))


async def test_default_theme_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    reparses: list[Any] = []
    original = Stylesheet.reparse

    def counting(self: Stylesheet) -> None:
        reparses.append(self)
        original(self)

    monkeypatch.setattr(Stylesheet, "reparse", counting)
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.1)
        assert app.theme == ZTUI_THEME.name
        assert app.get_css_variables()["primary"] == ZTUI_THEME.primary
        assert app.has_class("-dark-mode")
    assert reparses == []


async def test_config_theme_applies(isolated_home: Path) -> None:
    config = isolated_home / ".config" / "ztui" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[ui]\ntheme = "textual-light"\n', encoding="utf-8")
    app = _app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.1)
        assert app.theme == "textual-light"
        assert app.has_class("-light-mode")
        assert app.get_css_variables()["primary"] != ZTUI_THEME.primary
