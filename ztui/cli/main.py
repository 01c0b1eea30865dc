"""Provides the `ztui` entry point: runs the command the first argument names, else the app."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from ztui.cli import launch
from ztui.cli.args import Command, Runner, find_command


def main(argv: Sequence[str] | None = None) -> int:
    """Run ztui with `argv` (default: `sys.argv[1:]`) and return the exit code."""
    words = list(sys.argv[1:] if argv is None else argv)
    command = find_command(words[0]) if words else None
    if command is None:
        return launch.main(words)
    return load_runner(command)(words[0], words[1:])


def load_runner(command: Command) -> Runner:
    """Import `command`'s runner: only the module of the command that runs is loaded."""
    module, _, function = command.runner.partition(":")
    runner: Runner = getattr(importlib.import_module(module), function)
    return runner


def run_sim(name: str, argv: list[str]) -> int:
    """`ztui sim`: serve the Zuora simulator, with its own command line (`ztui.sim.cli`)."""
    from ztui.sim.cli import main as sim_main

    return sim_main(argv)
