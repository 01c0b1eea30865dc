"""Provides ztui's file locations: config, state, data, logs, cache and stylesheets.

Every location comes from platformdirs (XDG on Linux), except the config file, which
`ZTUI_CONFIG` can point anywhere. Nothing here creates directories; the code that writes
a file creates its parent. Importing this module stays cheap: no httpx, no textual.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePath
from typing import Final

import platformdirs

APP_NAME: Final = "ztui"
"""The name platformdirs files everything under."""

CONFIG_ENV: Final = "ZTUI_CONFIG"
"""Environment variable that, when set and not empty, names the config file."""


def config_path() -> Path:
    """Return the config file's path: `$ZTUI_CONFIG`, else the user config dir's `config.toml`."""
    override = os.environ.get(CONFIG_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return platformdirs.user_config_path(APP_NAME, appauthor=False) / "config.toml"


def state_path() -> Path:
    """Return the path of `state.toml`, where ztui remembers things between runs."""
    return platformdirs.user_state_path(APP_NAME, appauthor=False) / "state.toml"


def data_dir() -> Path:
    """Return the user data directory (the action journal lives here)."""
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def log_dir() -> Path:
    """Return the directory holding `ztui.log` and its rotated copies."""
    return platformdirs.user_log_path(APP_NAME, appauthor=False)


def cache_dir() -> Path:
    """Return the user cache directory (downloaded results and other disposable files)."""
    return platformdirs.user_cache_path(APP_NAME, appauthor=False)


def journal_path() -> Path:
    """Return the path of the action journal, `data_dir()/journal.jsonl`."""
    return data_dir() / "journal.jsonl"


def demo_journal_path() -> Path:
    """Return the journal of `ztui --demo`, `data_dir()/demo-journal.jsonl`: the demo's
    writes never mix with the record of what was done to real tenants."""
    return data_dir() / "demo-journal.jsonl"


def _styles_dir() -> Path | None:
    """Find the directory holding the `.tcss` files, installed wheel first, then checkout."""
    package = Path(__file__).resolve().parent.parent
    # An installed wheel carries the stylesheets as `ztui/_styles` (pyproject's
    # force-include). It is checked first because a checkout's `../styles` would, for an
    # installed wheel, be `site-packages/styles`, which may belong to someone else.
    for candidate in (package / "_styles", package.parent / "styles"):
        if (candidate / "app.tcss").is_file():
            return candidate
    return None


def stylesheet_paths() -> list[Path]:
    """Return the app's stylesheets: `app.tcss` first, then the others by name.

    Returns:
        The `.tcss` files from the installed wheel's `ztui/_styles` or the checkout's
        `styles/`; empty if neither exists.
    """
    directory = _styles_dir()
    if directory is None:
        return []
    sheets = sorted(p for p in directory.glob("*.tcss") if p.is_file())
    return sorted(sheets, key=lambda p: (p.name != "app.tcss", p.name))


def stylesheet(name: str) -> list[str | PurePath]:
    """Return one stylesheet by file name, as a `CSS_PATH` value (empty if not found).

    Screens other than the board name their own sheet, so the app parses it only when the
    screen first opens rather than before the first frame.

    Args:
        name: The file name, e.g. `"detail.tcss"`.
    """
    directory = _styles_dir()
    if directory is None or not (directory / name).is_file():
        return []
    return [directory / name]


def app_stylesheets() -> list[str | PurePath]:
    """Return the sheets the app loads at start: shared rules and the job board's."""
    return [*stylesheet("app.tcss"), *stylesheet("jobs.tcss")]
