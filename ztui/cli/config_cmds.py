"""Provides the `ztui config init|check` and `ztui locate` commands.

Each command prints to stdout (results) and stderr (warnings, errors) and returns the
process exit code: 0 on success, 1 when `config init` refuses to overwrite, 2 on a
config error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TextIO

from ztui.cli.args import OneLineParser, add_connection_options, connection_overrides
from ztui.core import paths

EXAMPLE_CONFIG = """\
# ztui configuration. ztui reads this file and never rewrites it.
# Validate it with `ztui config check`; find it with `ztui locate config`.
# Secrets never go in this file: name an environment variable (client_secret_env) or a
# command that prints the secret (client_secret_command, run without a shell).

# The profile used when neither --profile nor ZTUI_PROFILE picks one.
default_profile = "local"

[ui]
theme = "ztui"              # any Textual theme: ztui, ansi-dark, ansi-light, textual-dark...
poll_active_s = 5           # seconds between polls while a job runs
poll_idle_s = 60            # ... while nothing runs
poll_low_budget_s = 120     # ... once daily_call_budget runs low
hide_finished_after_s = 604800  # hide finished jobs after a week

[ui.keymap]
# binding id = "key[,key...]"; see the help screen (f1) for the ids.
# "jobs.stop" = "s,delete"

[ui.notify]
# How to tell you that a job finished, failed or was stopped.
toast = true
bell = false
osc9 = false                # desktop notification via OSC 9 (iTerm2, WezTerm, kitty...)
# command = ["notify-send", "ztui"]   # argv, run without a shell

[network]
max_list_answer_mb = 64     # the most read of a job list or page (after gzip)
max_job_answer_mb = 16      # the most read of one job's answer; result files are not limited
answer_deadline_s = 120     # the longest one request may take, to its answer's last byte

# The local simulator (`ztui sim`), which needs no real tenant.
[profiles.local]
base_url = "http://127.0.0.1:8787"

# A US API Sandbox tenant. Environments: us-production, us-sandbox, us-pt1,
# us-cloud1-production, us-cloud1-sandbox, us-central-sandbox, eu-production,
# eu-sandbox, eu-central-sandbox, apac-production, apac-central-sandbox.
[profiles.sandbox]
environment = "us-sandbox"
client_id = "00000000-0000-0000-0000-000000000000"
client_secret_env = "ZUORA_SANDBOX_CLIENT_SECRET"
# client_secret_command = ["pass", "show", "zuora/sandbox"]
# org_ids = ["..."]          # Zuora-Org-Ids (Multi-Org tenants)
# entity_id = "..."          # Zuora-Entity-Ids: one entity per profile (Multi-entity)
# timezone = "America/Los_Angeles"  # tenant zone for timestamps sent without one
# daily_call_budget = 5000   # polling slows down as the budget runs low

# A production tenant: read-only unless read_only = false or `ztui --write`, and even
# then every write asks you to type the tenant name.
[profiles.prod]
environment = "us-production"
client_id = "00000000-0000-0000-0000-000000000000"
client_secret_env = "ZUORA_PROD_CLIENT_SECRET"
tenant_name = "acme-production"
# read_only = true
"""
"""The commented example `config init` writes; it loads without warnings."""


def cmd_config_init(path: Path | None = None, *, out: TextIO | None = None) -> int:
    """Write the example config (mode 0600) unless a file is already there.

    Args:
        path: Where to write; defaults to `ztui.core.paths.config_path()`.
        out: Where to print; defaults to stdout (errors go to stderr).

    Returns:
        0 when written, 1 when a file exists or cannot be written.
    """
    stdout = out if out is not None else sys.stdout
    target = path if path is not None else paths.config_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # O_EXCL: never overwrite, even if a file appears between a check and the write.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        print(f"ztui: {target} already exists; not overwriting it", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"ztui: cannot write {target}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)  # whatever the umask
        handle.write(EXAMPLE_CONFIG)
    print(f"wrote an example config to {target}", file=stdout)
    return 0


def cmd_config_check(args: argparse.Namespace | None = None, *, out: TextIO | None = None) -> int:
    """Validate the config and print the resolved profile, secret masked.

    Args:
        args: Parsed options; `profile`, `base_url`, `read_only` and `write` are read
            when present.
        out: Where to print; defaults to stdout (warnings and errors go to stderr).

    Returns:
        0 when the config is valid, 2 on a config error.
    """
    from ztui.config.load import ConfigError, load_settings
    from ztui.config.resolve import resolve_profile

    stdout = out if out is not None else sys.stdout
    try:
        settings = load_settings()
        for warning in settings.warnings:
            print(warning, file=sys.stderr)
        if settings.ui.keymap:
            from ztui.cli.keymap_check import keymap_warnings

            for warning in keymap_warnings(settings.ui.keymap):
                print(warning, file=sys.stderr)
        resolved = resolve_profile(settings, **connection_overrides(args))
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2

    if settings.path is None:
        print(
            f"config file: none at {paths.config_path()} (defaults; "
            "`ztui config init` writes an example)",
            file=stdout,
        )
    else:
        print(f"config file: {settings.path} (valid)", file=stdout)
    if settings.profiles:
        default = f" (default: {settings.default_profile})" if settings.default_profile else ""
        print(f"profiles: {', '.join(settings.profiles)}{default}", file=stdout)

    def source(key: str) -> str:
        origin = resolved.sources.get(key)
        return f"  [{origin}]" if origin else ""

    def listed(values: tuple[str, ...]) -> str:
        return ", ".join(values) if values else "-"

    secret = f"{resolved.client_secret} (set)" if resolved.client_secret else "not set"
    rows = [
        ("base_url", resolved.base_url, source("base_url")),
        ("environment", resolved.environment or "-", ""),
        ("production", "yes" if resolved.is_production else "no", ""),
        ("client_id", resolved.client_id or "-", source("client_id")),
        ("client_secret", secret, source("client_secret")),
        ("org_ids", listed(resolved.org_ids), ""),
        ("entity_id", resolved.entity_id or "-", ""),
        ("timezone", resolved.timezone or "UTC (default)", ""),
        ("read_only", "yes" if resolved.read_only else "no", source("read_only")),
        ("tenant_name", resolved.tenant_name or "-", ""),
        (
            "daily_call_budget",
            str(resolved.daily_call_budget) if resolved.daily_call_budget else "-",
            "",
        ),
    ]
    print(f"profile {resolved.name!r}{source('name')}:", file=stdout)
    for key, value, origin in rows:
        print(f"  {key:<18} {value}{origin}", file=stdout)
    if resolved.needs_typed_confirm and not resolved.read_only:
        print(f"  writes need the typed confirmation {resolved.confirm_phrase!r}", file=stdout)
    ui = settings.ui
    print(
        f"ui: theme {ui.theme}, polls {ui.poll_active_s:g}/{ui.poll_idle_s:g}/"
        f"{ui.poll_low_budget_s:g} s, {len(ui.keymap)} key binding(s) changed",
        file=stdout,
    )
    return 0


LOCATIONS = ("config", "state", "log", "data", "cache", "journal")
"""What `ztui locate` can print."""


def locate(what: str) -> Path:
    """Return the location named `what` (one of `LOCATIONS`).

    Raises:
        ValueError: `what` is not one of `LOCATIONS`.
    """
    if what == "config":
        return paths.config_path()
    if what == "state":
        return paths.state_path()
    if what == "log":
        return paths.log_dir() / "ztui.log"
    if what == "data":
        return paths.data_dir()
    if what == "cache":
        return paths.cache_dir()
    if what == "journal":
        return paths.journal_path()
    raise ValueError(f"unknown location {what!r} (known: {', '.join(LOCATIONS)})")


def cmd_locate(what: str, *, out: TextIO | None = None) -> int:
    """Print where ztui keeps `what` (config, state, log, data, cache, journal).

    Returns:
        0, or 2 for an unknown name.
    """
    try:
        location = locate(what)
    except ValueError as exc:
        print(f"ztui locate: {exc}", file=sys.stderr)
        return 2
    print(location, file=out if out is not None else sys.stdout)
    return 0


def run_config(name: str, argv: list[str]) -> int:
    """`ztui config init|check`: parse `argv` and run the action; return the exit code."""
    parser = OneLineParser(prog=f"ztui {name}", description="Write or validate config.toml.")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("init", help="write a commented example config (mode 0600) if none exists")
    check = sub.add_parser("check", help="validate the config and print the resolved profile")
    add_connection_options(check)
    args = parser.parse_args(argv)
    if args.action == "init":
        return cmd_config_init(None)
    return cmd_config_check(args)


def run_locate(name: str, argv: list[str]) -> int:
    """`ztui locate WHAT`: parse `argv` and print the location; return the exit code."""
    parser = OneLineParser(prog=f"ztui {name}", description="Print where ztui keeps a file.")
    parser.add_argument("what", choices=LOCATIONS)
    args = parser.parse_args(argv)
    return cmd_locate(args.what)


def main(argv: list[str] | None = None) -> int:
    """Run `config ...` or `locate ...` from `argv` (for `python -m ztui.cli.config_cmds`)."""
    words = list(sys.argv[1:] if argv is None else argv)
    runners = {"config": run_config, "locate": run_locate}
    if not words or words[0] not in runners:
        OneLineParser(prog="ztui").error("expected `config init|check` or `locate WHAT`")
    return runners[words[0]](words[0], words[1:])


if __name__ == "__main__":
    sys.exit(main())
