"""Provides the command line's shared pieces: the parser, common options, and the command list.

Every `ztui` parser is a `OneLineParser` (usage errors: one line on stderr, exit code 2).
Commands that connect take `add_connection_options` and turn them into a profile with
`resolve_from_args`. `COMMANDS` names each subcommand with its help line and runner:
`ztui.cli.main` dispatches from it, and `epilog()` builds the `ztui --help` list from it.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final, NoReturn

if TYPE_CHECKING:
    from ztui.config.schema import ResolvedProfile, Settings

Runner = Callable[[str, list[str]], int]
"""A command's entry: called with the command word and the arguments after it, returns
the process exit code."""


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        """Print `prog: error: message (see --help)` and exit 2."""
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    """Add the options every connecting command shares (profile, base URL, read-only)."""
    parser.add_argument("--profile", help="profile name from config.toml")
    parser.add_argument("--base-url", help="REST root to connect to (overrides the profile)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--read-only", action="store_true", default=None, help="refuse every write for this run"
    )
    mode.add_argument(
        "--write",
        action="store_true",
        help="lift a profile's read-only for this run (production still asks for the tenant name)",
    )
    parser.add_argument(
        "--debug", action="store_true", help="log requests and responses (redacted) to the log file"
    )


def connection_overrides(args: argparse.Namespace | None) -> Mapping[str, Any]:
    """The `resolve_profile` keywords that the connection options in `args` ask for.

    Args:
        args: Parsed options; options it lacks count as not given.

    Returns:
        `profile`, `base_url`, `read_only` (True or None) and `write`.
    """
    return {
        "profile": getattr(args, "profile", None),
        "base_url": getattr(args, "base_url", None),
        "read_only": True if getattr(args, "read_only", None) else None,
        "write": bool(getattr(args, "write", False)),
    }


def resolve_from_args(args: argparse.Namespace) -> tuple[Settings, ResolvedProfile]:
    """Load the config and resolve the profile the connection options ask for.

    With `--demo` the config's `[ui]` applies but its profiles do not.

    Raises:
        ConfigError: the config file or an override is invalid.
    """
    from ztui.config.load import ConfigError, load_settings
    from ztui.config.resolve import resolve_profile

    settings = load_settings()
    if getattr(args, "demo", False):
        # The demo runs on its own simulator: the config's [ui] applies, its profiles
        # (and ZTUI_PROFILE / ZTUI_BASE_URL / credentials) do not.
        if getattr(args, "profile", None) or getattr(args, "base_url", None):
            raise ConfigError(
                "--demo runs on its own simulator; drop --profile / --base-url",
                path=None,
                line=None,
                key="--demo",
            )
        bare = replace(settings, profiles={}, default_profile=None)
        return settings, resolve_profile(bare, env={})
    return settings, resolve_profile(settings, **connection_overrides(args))


# -- argument types ----------------------------------------------------------------------

_UNITS: Final = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION: Final = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([smhdw]?)\s*$", re.IGNORECASE)


def non_negative_int(text: str) -> int:
    """An integer of 0 or more (argparse `type=`).

    Raises:
        ValueError: Not an integer.
        argparse.ArgumentTypeError: A negative one.
    """
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def positive_float(text: str) -> float:
    """A number above 0 (argparse `type=`).

    Raises:
        ValueError: Not a number.
        argparse.ArgumentTypeError: Zero or less.
    """
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def parse_duration(text: str) -> float:
    """Seconds in `90`, `90s`, `15m`, `1.5h`, `2d` or `1w`.

    Raises:
        argparse.ArgumentTypeError: Not a positive duration (argparse makes it a usage
            error that names the option).
    """
    match = _DURATION.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration (seconds, or a number with s, m, h, d or w)"
        )
    seconds = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than zero")
    return seconds


# -- the command list --------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """A `ztui` subcommand: the words that start it, its help line and its runner."""

    names: tuple[str, ...]
    """The command words; several share one runner and one line in `ztui --help`."""
    args: str
    """What follows the name in `ztui --help` (`init|check`, `[...]`)."""
    help: str
    """The `ztui --help` line."""
    runner: str
    """`module:function` of its `Runner`; `ztui.cli.main` imports it only when the command
    runs, so the list loads nothing and the commands' modules may use this one."""


HEADLESS_COMMANDS: Final = ("jobs", "show", "errors", "stop", "watch")
"""The headless commands, for scripts and CI."""

COMMANDS: Final = (
    Command(
        ("sim",),
        "[...]",
        "serve the Zuora simulator (see `ztui sim --help`)",
        "ztui.cli.main:run_sim",
    ),
    Command(
        ("serve",),
        "[...]",
        "watch once for a team: serve the board to viewers (see `ztui serve --help`)",
        "ztui.cli.serve:run_serve",
    ),
    Command(
        HEADLESS_COMMANDS,
        "[...]",
        "headless commands for scripts and CI (see `ztui watch --help`)",
        "ztui.cli.headless:main",
    ),
    Command(
        ("config",),
        "init|check",
        "write an example config / validate the config",
        "ztui.cli.config_cmds:run_config",
    ),
    Command(
        ("locate",),
        "config|state|log|data|cache|journal",
        "print where ztui keeps a file",
        "ztui.cli.config_cmds:run_locate",
    ),
)
"""Every subcommand; a first argument naming none of them runs the app."""

APP_FORMS: Final = (
    ("[options]", "start the app on the configured profile"),
    ("--demo", "start the app on an embedded simulator (no tenant needed)"),
    ("--hub URL", "attach the app to a hub (`ztui serve`): no Zuora calls of its own"),
)
"""How the app itself is started, for `ztui --help`."""


def find_command(name: str) -> Command | None:
    """The command `name` starts, or None when it names none (then it runs the app)."""
    for command in COMMANDS:
        if name in command.names:
            return command
    return None


def epilog() -> str:
    """The `commands:` list at the end of `ztui --help`: the app's forms, then `COMMANDS`."""
    rows = [(f"ztui {form}", text) for form, text in APP_FORMS]
    rows += [(f"ztui {'|'.join(c.names)} {c.args}", c.help) for c in COMMANDS]
    lines = ["commands:"]
    for usage, text in rows:
        if len(usage) <= 26:
            lines.append(f"  {usage:<28}{text}")
        else:
            lines += [f"  {usage}", f"{'':30}{text}"]
    return "\n".join(lines) + "\n"
