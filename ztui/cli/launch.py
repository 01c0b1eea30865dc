"""Turns parsed command-line options into a connection and runs the app.

Config errors are reported here, in one line, with exit code 2, before any UI starts.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ztui.config.schema import ResolvedProfile, Settings


def resolve_from_args(args: argparse.Namespace) -> tuple[Settings, ResolvedProfile]:
    """Load the config and resolve the profile the options ask for.

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
    profile = resolve_profile(
        settings,
        profile=getattr(args, "profile", None),
        base_url=getattr(args, "base_url", None),
        read_only=True if getattr(args, "read_only", None) else None,
        write=bool(getattr(args, "write", False)),
    )
    return settings, profile


def run_app(args: argparse.Namespace) -> int:
    """Run the TUI for parsed options and return the process exit code."""
    from ztui.core import gcpause

    gcpause.pause()  # the app resumes it once the first jobs are on screen
    try:
        return _run_app(args)
    finally:
        gcpause.resume()


def _run_app(args: argparse.Namespace) -> int:
    from ztui.config.load import ConfigError
    from ztui.core.logsetup import install_excepthook, setup_logging
    from ztui.demo import DemoOptions

    install_excepthook()
    try:
        settings, profile = resolve_from_args(args)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    for warning in settings.warnings:
        print(f"ztui: warning: {warning}", file=sys.stderr)
    setup_logging(debug=bool(args.debug))
    demo = (
        DemoOptions(args.sim_jobs, args.sim_seed, args.sim_speed, bool(args.read_only))
        if args.demo
        else None
    )
    sim_process = None
    if demo is not None:
        # Started before the UI loads, so the simulator comes up while Textual does.
        sim_process = demo.simulator()
        try:
            sim_process.spawn()
        except RuntimeError as exc:
            print(f"ztui: the demo simulator could not start: {exc}", file=sys.stderr)
            return 1
    from ztui.app import ZtuiApp

    app = ZtuiApp(settings=settings, profile=profile, demo=demo, sim_process=sim_process)
    try:
        app.run()
    finally:
        if sim_process is not None:
            sim_process.stop()
    return app.return_code or 0
