"""Provides `ztui [options]`: the app's command line, turned into a connection, then the app.

Config errors are reported here, in one line, with exit code 2, before any UI starts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
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
    from ztui.hub.client import HubTarget
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
    parser.add_argument(
        "--hub",
        metavar="URL",
        help="attach to a hub started with `ztui serve` (e.g. http://127.0.0.1:8765): its "
        "watcher feeds the board; this app makes no Zuora calls",
    )
    parser.add_argument(
        "--hub-token-file",
        type=Path,
        metavar="PATH",
        help="the hub's token file (the path `ztui serve` printed): needed off loopback, "
        "and for writes",
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

    if args.hub is not None or args.hub_token_file is not None:
        return _run_viewer(args)
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


def hub_target(args: argparse.Namespace) -> HubTarget:
    """The hub `--hub` and `--hub-token-file` name, checked.

    Raises:
        ValueError: They cannot be used together with the other options, the URL is not
            an http(s) one, or the token file cannot be read (the message says which).
    """
    from urllib.parse import urlsplit

    from ztui.hub.auth import TokenError, read_token_file
    from ztui.hub.client import HubTarget

    if args.hub is None:
        raise ValueError("--hub-token-file needs --hub URL")
    clashing = [
        name
        for name, given in (
            ("--demo", args.demo),
            ("--profile", args.profile),
            ("--base-url", args.base_url),
            ("--write", args.write),
        )
        if given
    ]
    if clashing:
        raise ValueError(f"--hub watches the hub's profile; drop {', '.join(clashing)}")
    url = urlsplit(args.hub.strip())
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(f"--hub {args.hub!r} is not an http:// or https:// URL")
    token = None
    if args.hub_token_file is not None:
        try:
            token = read_token_file(args.hub_token_file)
        except TokenError as exc:
            raise ValueError(str(exc)) from None
    return HubTarget(args.hub.strip().rstrip("/"), token=token)


def _run_viewer(args: argparse.Namespace) -> int:
    """`ztui --hub URL`: the app fed by the hub, with the config's `[ui]` only."""
    from ztui.config.load import ConfigError, load_settings
    from ztui.core.logsetup import install_excepthook, setup_logging
    from ztui.hub.client import placeholder_profile

    install_excepthook()
    try:
        target = hub_target(args)
    except ValueError as exc:
        print(f"ztui: error: {exc}", file=sys.stderr)
        return 2
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    for warning in settings.warnings:
        print(f"ztui: warning: {warning}", file=sys.stderr)
    setup_logging(debug=bool(args.debug))
    from ztui.app import ZtuiApp

    app = ZtuiApp(settings=settings, profile=placeholder_profile(target.url), hub=target)
    app.run()
    return app.return_code or 0
