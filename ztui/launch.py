"""Turns parsed command-line options into a connection and runs the app.

Config errors are reported here, in one line, with exit code 2, before any UI starts.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ztui.config import ResolvedProfile, Settings
    from ztui.sim.process import SimProcess


@dataclass(frozen=True)
class DemoOptions:
    """How to seed the embedded simulator for `ztui --demo`."""

    jobs: int = 60
    seed: int = 1
    speed: float = 1.0
    read_only: bool = False
    """`--read-only` given with `--demo`: the demo refuses writes too."""

    def simulator(self) -> SimProcess:
        """The demo's simulator process, seeded as these options say (not yet started)."""
        from ztui.sim.process import SimProcess

        return SimProcess(jobs=self.jobs, seed=self.seed, speed=self.speed)


def resolve_from_args(args: argparse.Namespace) -> tuple[Settings, ResolvedProfile]:
    """Load the config and resolve the profile the options ask for.

    Raises:
        ConfigError: the config file or an override is invalid.
    """
    from ztui.config import ConfigError, load_settings, resolve_profile

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


def demo_profile(base_url: str, base: ResolvedProfile, demo: DemoOptions) -> ResolvedProfile:
    """The profile used by `--demo`: the simulator at `base_url` with its demo credentials."""
    from ztui.secret import Secret
    from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    return replace(
        base,
        name="demo",
        base_url=base_url,
        environment="simulator",
        is_production=False,
        client_id=DEMO_CLIENT_ID,
        client_secret=Secret(DEMO_CLIENT_SECRET),
        org_ids=(),
        entity_ids=(),
        read_only=demo.read_only,
        tenant_name="demo",
    )


def run_app(args: argparse.Namespace) -> int:
    """Run the TUI for parsed options and return the process exit code."""
    from ztui import gcpause

    gcpause.pause()  # the app resumes it once the first jobs are on screen
    try:
        return _run_app(args)
    finally:
        gcpause.resume()


def _run_app(args: argparse.Namespace) -> int:
    from ztui.config import ConfigError
    from ztui.logsetup import install_excepthook, setup_logging

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
