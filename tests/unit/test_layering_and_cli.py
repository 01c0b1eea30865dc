"""The package's shape: layering rules and the command line's contract."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ztui import __version__


def _run(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ztui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _loaded_modules(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(out.stdout.split())


def test_service_and_api_load_no_textual() -> None:
    """The API and service layers never import Textual."""
    loaded = _loaded_modules("import ztui.api.client, ztui.service.poller")
    assert not any(name == "textual" or name.startswith("textual.") for name in loaded)


def test_simulator_loads_no_client_models() -> None:
    """The simulator speaks the API doc, not our models."""
    loaded = _loaded_modules("import ztui.sim, ztui.sim.cli")
    assert "ztui.api" not in loaded
    assert not any(name.startswith("ztui.api.") for name in loaded)


def test_app_module_defers_httpx() -> None:
    """Importing the app does not pay for httpx before the first frame."""
    loaded = _loaded_modules("import ztui.app")
    assert "httpx" not in loaded


def test_version() -> None:
    """`ztui --version` prints the package version."""
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"ztui {__version__}"


def test_help_lists_commands() -> None:
    """`ztui --help` names the demo and the subcommands."""
    result = _run("--help")
    assert result.returncode == 0
    for word in ("--demo", "sim", "watch", "config init", "locate"):
        assert word in result.stdout


@pytest.mark.parametrize(
    "args",
    [("--no-such-flag",), ("--sim-jobs", "many"), ("--sim-speed", "0"), ("frobnicate",)],
)
def test_bad_arguments_exit_2_with_one_line(args: tuple[str, ...]) -> None:
    """Bad arguments exit 2 with a single line on stderr and nothing on stdout."""
    result = _run(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ztui")


def test_demo_ignores_configured_profiles(isolated_home: object) -> None:
    """`--demo` needs no profile choice: several profiles without a default are fine."""
    import argparse
    import os
    from pathlib import Path

    from ztui.cli.args import resolve_from_args
    from ztui.config.load import ConfigError

    config = Path(os.environ["ZTUI_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        '[profiles.a]\nbase_url = "http://127.0.0.1:1"\n'
        '[profiles.b]\nbase_url = "http://127.0.0.1:2"\n',
        encoding="utf-8",
    )
    args = argparse.Namespace(demo=True, profile=None, base_url=None, read_only=None, write=False)
    settings, profile = resolve_from_args(args)
    assert set(settings.profiles) == {"a", "b"}
    assert profile.base_url not in ("http://127.0.0.1:1", "http://127.0.0.1:2")
    with pytest.raises(ConfigError, match="--demo"):
        resolve_from_args(argparse.Namespace(**{**vars(args), "profile": "a"}))
    no_demo = argparse.Namespace(**{**vars(args), "demo": False})
    with pytest.raises(ConfigError, match="several profiles"):
        resolve_from_args(no_demo)


def test_help_epilog_lists_every_command() -> None:
    """`ztui --help` ends with the app's forms and one line per entry of the command list."""
    from ztui.cli.args import epilog

    assert epilog() == (
        "commands:\n"
        "  ztui [options]              start the app on the configured profile\n"
        "  ztui --demo                 start the app on an embedded simulator (no tenant needed)\n"
        "  ztui --hub URL              attach the app to a hub (`ztui serve`): no Zuora calls "
        "of its own\n"
        "  ztui sim [...]              serve the Zuora simulator (see `ztui sim --help`)\n"
        "  ztui serve [...]            watch once for a team: serve the board to viewers "
        "(see `ztui serve --help`)\n"
        "  ztui jobs|show|errors|stop|watch [...]\n"
        "                              headless commands for scripts and CI "
        "(see `ztui watch --help`)\n"
        "  ztui config init|check      write an example config / validate the config\n"
        "  ztui locate config|state|log|data|cache|journal\n"
        "                              print where ztui keeps a file\n"
    )


def test_command_list_matches_the_commands() -> None:
    """Each listed runner exists, and `locate` lists the locations it knows."""
    from ztui.cli.args import COMMANDS, find_command
    from ztui.cli.config_cmds import LOCATIONS
    from ztui.cli.main import load_runner

    for command in COMMANDS:
        assert callable(load_runner(command))
    locate = find_command("locate")
    assert locate is not None
    assert locate.args == "|".join(LOCATIONS)
    assert find_command("--demo") is None
