"""Command-line entry point: the app, the simulator, config helpers and headless commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from ztui import __version__

HEADLESS_COMMANDS = ("jobs", "show", "errors", "stop", "watch")

EPILOG = """\
commands:
  ztui [options]              start the app on the configured profile
  ztui --demo                 start the app on an embedded simulator (no tenant needed)
  ztui sim [...]              serve the Zuora simulator (see `ztui sim --help`)
  ztui jobs|show|errors|stop|watch [...]
                              headless commands for scripts and CI (see `ztui watch --help`)
  ztui config init|check      write an example config / validate the config
  ztui locate config|state|log|data|cache|journal
                              print where ztui keeps a file
"""


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


def build_app_parser() -> OneLineParser:
    """Return the parser for `ztui [options]` (the TUI)."""
    parser = OneLineParser(
        prog="ztui",
        description="A terminal UI for watching and operating Zuora bulk jobs.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ztui {__version__}")
    parser.add_argument(
        "--demo", action="store_true", help="run on an embedded simulator with demo jobs"
    )
    parser.add_argument(
        "--sim-jobs", type=_non_negative_int, default=60, help="demo: jobs to seed (default 60)"
    )
    parser.add_argument("--sim-seed", type=int, default=1, help="demo: scenario seed (default 1)")
    parser.add_argument(
        "--sim-speed", type=_positive_float, default=1.0, help="demo: clock speed (default 1.0)"
    )
    add_connection_options(parser)
    return parser


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def _run_sim(argv: Sequence[str]) -> int:
    from ztui.sim.cli import main as sim_main

    return sim_main(list(argv))


def _run_config(argv: Sequence[str]) -> int:
    parser = OneLineParser(prog="ztui config", description="Write or validate config.toml.")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("init", help="write a commented example config (mode 0600) if none exists")
    check = sub.add_parser("check", help="validate the config and print the resolved profile")
    add_connection_options(check)
    args = parser.parse_args(argv)
    from ztui.cli import config_cmds as config_cli

    if args.action == "init":
        return config_cli.cmd_config_init(None)
    return config_cli.cmd_config_check(args)


def _run_locate(argv: Sequence[str]) -> int:
    parser = OneLineParser(prog="ztui locate", description="Print where ztui keeps a file.")
    parser.add_argument("what", choices=["config", "state", "log", "data", "cache", "journal"])
    args = parser.parse_args(argv)
    from ztui.cli import config_cmds as config_cli

    return config_cli.cmd_locate(args.what)


def _run_headless(command: str, argv: Sequence[str]) -> int:
    from ztui.cli import headless

    return headless.main(command, list(argv))


SUBCOMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    "sim": _run_sim,
    "config": _run_config,
    "locate": _run_locate,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run ztui with `argv` (default: `sys.argv[1:]`) and return the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] in SUBCOMMANDS:
        return SUBCOMMANDS[args_list[0]](args_list[1:])
    if args_list and args_list[0] in HEADLESS_COMMANDS:
        return _run_headless(args_list[0], args_list[1:])
    parser = build_app_parser()
    args = parser.parse_args(args_list)
    from ztui.cli.launch import run_app

    return run_app(args)
