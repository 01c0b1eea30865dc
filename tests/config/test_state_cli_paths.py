"""state.toml round trips, `config init|check`, `locate`, and the platformdirs paths."""

from __future__ import annotations

import argparse
import io
import logging
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ztui.cli import config_cmds as config_cli
from ztui.config.load import load_settings
from ztui.config.resolve import resolve_profile
from ztui.core import paths
from ztui.store.state import load_state, recall, remember, save_state

# --- paths -------------------------------------------------------------------------------


def test_paths_follow_env_and_xdg(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert paths.config_path() == isolated_home / ".config" / "ztui" / "config.toml"
    monkeypatch.delenv("ZTUI_CONFIG")
    assert paths.config_path() == isolated_home / ".config" / "ztui" / "config.toml"
    monkeypatch.setenv("ZTUI_CONFIG", "~/elsewhere.toml")
    assert paths.config_path() == isolated_home / "elsewhere.toml"
    assert paths.state_path() == isolated_home / ".local" / "state" / "ztui" / "state.toml"
    assert paths.data_dir() == isolated_home / ".local" / "share" / "ztui"
    assert paths.cache_dir() == isolated_home / ".cache" / "ztui"
    assert paths.journal_path() == paths.data_dir() / "journal.jsonl"
    assert paths.log_dir().is_relative_to(isolated_home)


def test_stylesheets_from_checkout_app_first() -> None:
    sheets = paths.stylesheet_paths()
    assert sheets, "the checkout's styles/ should be found"
    assert sheets[0].name == "app.tcss"
    assert all(p.suffix == ".tcss" and p.is_file() for p in sheets)
    assert [p.name for p in sheets[1:]] == sorted(p.name for p in sheets[1:])


def test_importing_paths_is_cheap() -> None:
    code = (
        "import sys, ztui.core.paths; "
        "bad = [m for m in ('httpx', 'textual') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    )
    assert out.stdout.strip() == ""


# --- state -------------------------------------------------------------------------------


def test_state_round_trip() -> None:
    assert load_state() == {}
    when = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    data = {
        "last_profile": "sbx",
        "widths": {"jobs": [10, 20]},
        "when": when,
        "folder": Path("/tmp/x"),
        "dropped": None,
    }
    save_state(data)
    assert load_state() == {
        "last_profile": "sbx",
        "widths": {"jobs": [10, 20]},
        "when": when,
        "folder": "/tmp/x",
    }
    assert stat.S_IMODE(paths.state_path().stat().st_mode) == 0o600
    leftovers = [p for p in paths.state_path().parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_remember_and_recall() -> None:
    assert recall("upload.last_dir", "~") == "~"
    assert remember("upload.last_dir", Path("/data/csv")) is True
    assert remember("theme", "ansi-dark") is True
    assert recall("upload.last_dir") == "/data/csv"
    assert recall("theme") == "ansi-dark"
    assert remember("theme", None) is True
    assert recall("theme", "gone") == "gone"
    assert recall("upload.last_dir") == "/data/csv"


def test_corrupt_state_is_ignored_with_warning(caplog: pytest.LogCaptureFixture) -> None:
    path = paths.state_path()
    path.parent.mkdir(parents=True)
    path.write_text("this is = = not toml [", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="ztui.store.state"):
        assert load_state() == {}
        assert recall("x", 1) == 1
    assert "corrupt" in caplog.text
    # Remembering replaces the corrupt file with a good one.
    assert remember("x", 2) is True
    assert recall("x") == 2


def test_state_binary_garbage_is_ignored() -> None:
    path = paths.state_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert load_state() == {}


def test_unstorable_value_is_not_saved(caplog: pytest.LogCaptureFixture) -> None:
    remember("keep", "me")
    with caplog.at_level(logging.WARNING, logger="ztui.store.state"):
        assert remember("bad", object()) is False
    assert load_state() == {"keep": "me"}
    with pytest.raises(TypeError):
        save_state({"bad": {1, 2}})


# --- config init / check / locate ----------------------------------------------------------


def test_config_init_writes_0600_example_that_loads_cleanly() -> None:
    out = io.StringIO()
    assert config_cli.cmd_config_init(None, out=out) == 0
    path = paths.config_path()
    assert f"wrote an example config to {path}" in out.getvalue()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    settings = load_settings()
    assert settings.warnings == ()
    assert set(settings.profiles) == {"local", "sandbox", "prod"}
    assert settings.profiles["sandbox"].client_secret_env
    assert settings.profiles["prod"].client_secret_env
    assert settings.profiles["prod"].is_production
    assert not settings.profiles["sandbox"].is_production
    assert resolve_profile(settings, env={}).name == "local"


def test_config_init_never_overwrites(capsys: pytest.CaptureFixture[str]) -> None:
    path = paths.config_path()
    path.parent.mkdir(parents=True)
    path.write_text("# mine\n", encoding="utf-8")
    assert config_cli.cmd_config_init(None) == 1
    assert path.read_text(encoding="utf-8") == "# mine\n"
    assert "already exists" in capsys.readouterr().err


def test_config_init_respects_explicit_path(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "c.toml"
    assert config_cli.cmd_config_init(target, out=io.StringIO()) == 0
    assert target.read_text(encoding="utf-8") == config_cli.EXAMPLE_CONFIG


def check_args(**kwargs: object) -> argparse.Namespace:
    defaults: dict[str, object] = {
        "profile": None,
        "base_url": None,
        "read_only": None,
        "write": False,
    }
    defaults.update(kwargs)
    return argparse.Namespace(**defaults)


def test_config_check_masks_secret(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config_cli.cmd_config_init(None, out=io.StringIO())
    monkeypatch.setenv("ZUORA_PROD_CLIENT_SECRET", "very-secret-prod-value")
    assert config_cli.cmd_config_check(check_args(profile="prod")) == 0
    out = capsys.readouterr().out
    assert "very-secret-prod-value" not in out
    assert "client_secret      ******** (set)  [$ZUORA_PROD_CLIENT_SECRET]" in out
    assert "read_only          yes  [default (production)]" in out
    assert "https://rest.zuora.com" in out


def test_config_check_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    path = paths.config_path()
    path.parent.mkdir(parents=True)
    path.write_text('[profiles.p]\nenvironment = "mars"\n', encoding="utf-8")
    assert config_cli.cmd_config_check(check_args()) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"config error: {path} line 2: profiles.p.environment: unknown")
    assert "\n" not in err
    assert "Traceback" not in err


def test_config_check_without_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert config_cli.cmd_config_check(None) == 0
    out = capsys.readouterr().out
    assert "config file: none at" in out
    assert "http://127.0.0.1:8787" in out


def test_config_check_prints_warnings_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    path = paths.config_path()
    path.parent.mkdir(parents=True)
    path.write_text("[ui]\nthem = 'x'\n", encoding="utf-8")
    assert config_cli.cmd_config_check(check_args()) == 0
    assert "ui.them: unknown key, ignored (did you mean 'theme'?)" in capsys.readouterr().err


@pytest.mark.parametrize("what", ["config", "state", "log", "data", "cache", "journal"])
def test_locate(what: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert config_cli.cmd_locate(what) == 0
    printed = Path(capsys.readouterr().out.strip())
    assert printed == config_cli.locate(what)
    assert printed.is_relative_to(Path(os.environ["HOME"]))


def test_locate_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    assert config_cli.cmd_locate("nowhere") == 2
    assert "unknown location 'nowhere'" in capsys.readouterr().err


def test_standalone_main_runs_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert config_cli.main(["locate", "config"]) == 0
    assert capsys.readouterr().out.strip() == str(paths.config_path())
    assert config_cli.main(["config", "init"]) == 0
    assert config_cli.main(["config", "check", "--profile", "local", "--read-only"]) == 0
    assert "read_only          yes  [--read-only]" in capsys.readouterr().out
