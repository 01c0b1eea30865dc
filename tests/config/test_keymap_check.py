"""`ztui config check` warns when a keymap would take a key another binding needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ztui.cli.keymap_check import keymap_warnings


def test_a_key_taken_from_quit_is_warned_about() -> None:
    (warning,) = keymap_warnings({"jobs.stop": "q"})
    assert "[ui.keymap] jobs.stop" in warning
    assert "'q' is also 'Quit' (app.quit)" in warning


def test_an_unknown_binding_id_gets_a_did_you_mean() -> None:
    (warning,) = keymap_warnings({"jobs.stp": "x"})
    assert "no binding has this id" in warning
    assert "Did you mean 'jobs.stop'?" in warning


def test_a_free_key_is_fine() -> None:
    assert keymap_warnings({"jobs.stop": "s,delete"}) == []


def test_config_check_prints_the_warning_and_stays_valid(isolated_home: Path) -> None:
    config = isolated_home / ".config" / "ztui" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[ui.keymap]\n"jobs.stop" = "q"\n', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "ztui", "config", "check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "'q' is also 'Quit' (app.quit)" in result.stderr
