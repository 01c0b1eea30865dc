"""A misspelled theme and a config nested too deeply are config errors (exit 2), not
tracebacks, from `config check` and at start-up."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
from textual.theme import BUILTIN_THEMES

from ztui.cli import config_cmds as config_cli
from ztui.config.load import ConfigError, load_settings
from ztui.config.schema import KNOWN_THEMES
from ztui.core.paths import config_path
from ztui.widgets.theme import ZTUI_THEME


def write_config(text: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def check_args() -> argparse.Namespace:
    return argparse.Namespace(profile=None, base_url=None, read_only=None, write=False)


def test_known_themes_are_textuals_and_ztuis() -> None:
    assert set(KNOWN_THEMES) == set(BUILTIN_THEMES) | {ZTUI_THEME.name}
    assert len(KNOWN_THEMES) == len(set(KNOWN_THEMES))


def test_misspelled_theme_names_line_key_and_the_likely_one() -> None:
    path = write_config('[profiles.p]\nbase_url = "http://h"\n\n[ui]\ntheme = "drakula"\n')
    with pytest.raises(ConfigError) as info:
        load_settings()
    error = info.value
    assert (error.path, error.line, error.key) == (path, 5, "ui.theme")
    assert "unknown theme 'drakula'" in error.reason
    assert "did you mean 'dracula'?" in error.reason
    assert "ansi-dark" in error.reason
    assert "textual-light" in error.reason


def test_every_known_theme_is_accepted() -> None:
    for name in KNOWN_THEMES:
        write_config(f'[ui]\ntheme = "{name}"\n')
        assert load_settings().ui.theme == name


def test_config_check_refuses_an_unknown_theme(capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config('[ui]\ntheme = "no-such-theme"\n')
    assert config_cli.cmd_config_check(check_args()) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"config error: {path} line 2: ui.theme: unknown theme")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "[" * 600 + "]" * 600 + "\n",
        "x = " + "{a = " * 600 + "1" + "}" * 600 + "\n",
    ],
    ids=["arrays", "inline-tables"],
)
def test_deep_nesting_is_a_config_error(text: str) -> None:
    path = write_config(text)
    with pytest.raises(ConfigError, match="nested too deeply") as info:
        load_settings()
    assert info.value.path == path


@pytest.mark.parametrize(
    "text",
    ['[ui]\ntheme = "drakula"\n', "x = " + "[" * 600 + "]" * 600 + "\n"],
    ids=["theme", "nesting"],
)
def test_start_up_with_a_bad_config_exits_2_without_traceback(text: str) -> None:
    path = write_config(text)
    result = subprocess.run(
        [sys.executable, "-m", "ztui", "--demo"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "ZTUI_CONFIG": str(path)},
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"config error: {path}")
    assert "Traceback" not in result.stderr + result.stdout
