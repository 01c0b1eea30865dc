"""Provides `ztui [options]`: the app's command line, turned into a connection, then the app.

Config errors are reported here, in one line, with exit code 2, before any UI starts.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ztui import __version__
from ztui.cli.args import (
    OneLineParser,
    add_connection_options,
    epilog,
    non_negative_int,
    positive_float,
    resolve_from_args,
)

if TYPE_CHECKING:
    from ztui.demo import DemoOptions
    from ztui.sim.process import SimProcess


def build_app_parser() -> OneLineParser:
    """Return the parser for `ztui [options]` (the TUI)."""
    parser = OneLineParser(
        prog="ztui",
        description="A terminal UI for watching and operating Zuora bulk jobs.",
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ztui {__version__}")
    parser.add_argument(
        "--demo", action="store_true", help="run on an embedded simulator with demo jobs"
    )
    parser.add_argument(
        "--sim-jobs", type=non_negative_int, default=60, help="demo: jobs to seed (default 60)"
    )
    parser.add_argument("--sim-seed", type=int, default=1, help="demo: scenario seed (default 1)")
    parser.add_argument(
        "--sim-running",
        type=non_negative_int,
        default=None,
        help="demo: at most this many seeded jobs still running (default: about 8%% of them)",
    )
    parser.add_argument(
        "--sim-speed", type=positive_float, default=1.0, help="demo: clock speed (default 1.0)"
    )
    parser.add_argument(
        "--sim-quirks",
        action="store_true",
        help="demo: the simulator answers like a real tenant may (docs/tolerance.md)",
    )
    add_connection_options(parser)
    return parser


def main(argv: list[str]) -> int:
    """Parse the app's options from `argv` and run it; return the process exit code."""
    return run_app(build_app_parser().parse_args(argv))


def run_app(args: argparse.Namespace) -> int:
    """Run the TUI for parsed options and return the process exit code."""
    from ztui.core import gcpause

    gcpause.pause()  # the app resumes it once the first jobs are on screen
    try:
        return _run_app(args)
    finally:
        gcpause.resume()


def _run_app(args: argparse.Namespace) -> int:
    from ztui.demo import DemoOptions

    demo = (
        DemoOptions(
            args.sim_jobs,
            args.sim_seed,
            args.sim_speed,
            bool(args.read_only),
            quirks=bool(args.sim_quirks),
            running=args.sim_running,
        )
        if args.demo
        else None
    )
    sim_process = None
    if demo is not None:
        # Started first of all, so that the simulator comes up while the config and
        # Textual load (it needs neither).
        sim_process = demo.simulator()
        try:
            sim_process.spawn()
        except RuntimeError as exc:
            print(f"ztui: the demo simulator could not start: {exc}", file=sys.stderr)
            return 1
    try:
        return _run_ui(args, demo, sim_process)
    finally:
        if sim_process is not None:
            sim_process.stop()


def _run_ui(
    args: argparse.Namespace, demo: DemoOptions | None, sim_process: SimProcess | None
) -> int:
    from ztui.config.load import ConfigError
    from ztui.core.logsetup import install_excepthook, setup_logging

    install_excepthook()
    try:
        settings, profile = resolve_from_args(args)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    for warning in settings.warnings:
        print(f"ztui: warning: {warning}", file=sys.stderr)
    setup_logging(debug=bool(args.debug))
    from ztui.app import ZtuiApp

    app = ZtuiApp(settings=settings, profile=profile, demo=demo, sim_process=sim_process)
    app.run()
    return app.return_code or 0
