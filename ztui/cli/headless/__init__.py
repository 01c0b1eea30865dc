"""Provides the headless commands for scripts and CI: `ztui jobs|show|errors|stop|watch`.

`main(command, argv)` is what `ztui.cli.main` calls. Every command takes the app's
connection options and configuration, shares its API client and watcher service, prints
results on stdout and problems on stderr (one line each, never a traceback), and exits
with a documented code (`ztui.cli.headless.exitcodes`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import textwrap
from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

from ztui.cli.args import OneLineParser, add_connection_options, parse_duration
from ztui.cli.headless.exitcodes import EXIT_STATUS_HELP, ExitCode

if TYPE_CHECKING:
    from ztui.cli.headless.connection import Connection

__all__ = ["build_parser", "main"]

COMMON_EXIT_HELP = """\
exit status: 0 done; 1 other error; 2 usage or configuration error; 6 job not found;
7 authentication or permission refused; 130 interrupted (Ctrl-C).
"""


def _family_list(text: str) -> list[object]:
    from ztui.cli.headless.connection import parse_family

    return [parse_family(part) for part in text.split(",") if part.strip()]


def _flatten(values: Sequence[Sequence[object]] | None) -> list[object]:
    return [item for group in values or () for item in group]


def build_parser(command: str) -> argparse.ArgumentParser:
    """The argument parser of one headless command (usage errors: one line, exit 2)."""
    from ztui.cli.headless.connection import parse_family

    def make(description: str, epilog: str = COMMON_EXIT_HELP) -> argparse.ArgumentParser:
        return OneLineParser(
            prog=f"ztui {command}",
            description=textwrap.fill(description, 88),
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    if command == "jobs":
        parser = make(
            "List the jobs the board shows: a plain table, or JSON for scripts with the "
            "normalised fields and the raw job as the server sent it."
        )
        out = parser.add_mutually_exclusive_group()
        out.add_argument("--json", action="store_true", help="print one JSON array")
        out.add_argument("--jsonl", action="store_true", help="print one JSON object per line")
        parser.add_argument(
            "--family",
            action="append",
            type=_family_list,
            metavar="F",
            help="only these families (repeat or comma-separate): data_backfill, "
            "booking_date, propagation, custom_object, aqua",
        )
        parser.add_argument(
            "--state",
            action="append",
            metavar="S",
            help="only jobs in these states (repeat or comma-separate): queued, running, "
            "stopping, succeeded, failed, cancelled, stopped, unknown, active, finished, "
            "or a raw status such as Processing",
        )
        parser.add_argument(
            "--since",
            type=parse_duration,
            metavar="DURATION",
            help="only jobs created or updated within DURATION (e.g. 90m, 2h, 7d)",
        )
        parser.add_argument(
            "--all",
            action="store_true",
            help="also list finished jobs older than [ui] hide_finished_after_s (the board "
            "hides them until you toggle 'show finished')",
        )
        parser.add_argument(
            "--aqua-id",
            action="append",
            metavar="ID",
            help="also list this AQuA job (AQuA has no list; the journal's are included)",
        )
        parser.add_argument(
            "--meta",
            action="store_true",
            help='with --json: print one object, {"jobs": [...], "meta": {...}}, whose meta '
            "says what the listing left out (old finished jobs, families that failed, lists "
            "cut short) and how to see it",
        )
    elif command in ("show", "errors", "stop"):
        descriptions = {
            "show": "Show one job in full. The id is looked up across families.",
            "errors": "Show why a job failed, as the error viewer does: row errors of a "
            "custom-object job, the failed rows of a data-backfill result file, AQuA batch "
            "messages, the failure message and error count of the others.",
            "stop": "Stop (or cancel) jobs with their family's stop call. Honours read-only; "
            "asks once for confirmation on a terminal (listing every job, and apart those that "
            "cannot be stopped) and needs --yes without one.",
        }
        epilog = COMMON_EXIT_HELP
        if command == "errors":
            epilog += (
                "3 the job reports failures (errors listed or exported, a failure count above "
                "zero,\nor a failed end); 0 means it reports none.\n"
            )
        if command == "stop":
            epilog += (
                "8 nothing was sent: read-only, not confirmed, or the job cannot be stopped in "
                "its status\n(finished, already stopping, or not accepted by its family).\n"
            )
        parser = make(descriptions[command], epilog)
        if command == "stop":
            parser.add_argument(
                "ids",
                nargs="+",
                metavar="ID",
                help="the job ids (one confirmation for them all; each re-read and sent once)",
            )
        else:
            parser.add_argument("id", metavar="ID", help="the job id")
        parser.add_argument(
            "--family", type=parse_family, metavar="F", help="look the id up in this family only"
        )
        if command == "show":
            parser.add_argument("--json", action="store_true", help="print JSON")
        if command == "errors":
            out = parser.add_mutually_exclusive_group()
            out.add_argument("--json", action="store_true", help="print JSON")
            out.add_argument(
                "--csv",
                metavar="FILE",
                help="write the failed rows, ready to fix and re-upload, to FILE (- for stdout)",
            )
            parser.add_argument(
                "--original",
                metavar="CSV",
                help="with --csv: the file uploaded for the job, joined to the errors by row",
            )
        if command == "stop":
            parser.add_argument(
                "-y", "--yes", action="store_true", help="do not ask (required without a terminal)"
            )
    elif command == "watch":
        parser = make(
            "Follow jobs of any family until each reaches a terminal state. Prints a line "
            "per change (unless --quiet) and one final line per job: ID OUTCOME "
            "family=F status=S [message], OUTCOME being succeeded, failed, cancelled, "
            "stopped, timeout, not-found, unwatched or auth-error.",
            EXIT_STATUS_HELP,
        )
        parser.add_argument("ids", nargs="+", metavar="ID", help="job ids, of any families")
        parser.add_argument(
            "--family", type=parse_family, metavar="F", help="look the ids up in this family only"
        )
        parser.add_argument(
            "--interval",
            type=parse_duration,
            metavar="S",
            help="seconds between polls (default: the profile's [ui] poll_active_s)",
        )
        parser.add_argument(
            "--timeout",
            type=parse_duration,
            metavar="S",
            help="give up after this long (seconds, or e.g. 1h); default: never",
        )
        parser.add_argument(
            "--exit-status",
            action="store_true",
            help="exit with a code per outcome (table below)",
        )
        parser.add_argument(
            "-q", "--quiet", action="store_true", help="print only the final line of each job"
        )
    else:
        raise ValueError(f"unknown headless command {command!r}")
    add_connection_options(parser)
    return parser


async def _run(command: str, args: argparse.Namespace) -> int:
    from ztui.cli.headless import commands
    from ztui.cli.headless.connection import connect, load_profile

    settings, profile = load_profile(args)
    async with connect(settings, profile) as conn:
        if command == "jobs":
            return await commands.cmd_jobs(conn, args)
        if command == "show":
            return await commands.cmd_show(conn, args)
        if command == "errors":
            return await commands.cmd_errors(conn, args)
        if command == "watch":
            return await _watch(conn, args)
    raise AssertionError(command)


async def _watch(conn: Connection, args: argparse.Namespace) -> int:
    from ztui.cli.headless.watch import Watch, WatchOptions, dedupe

    ui = conn.settings.ui
    options = WatchOptions(
        ids=dedupe(args.ids),
        family=args.family,
        interval=args.interval or float(ui.poll_active_s),
        timeout=args.timeout,
        exit_status=args.exit_status,
        quiet=args.quiet,
        low_budget_s=float(ui.poll_low_budget_s),
    )
    outcome = await Watch(conn, options).run()
    if args.exit_status:
        return outcome
    # Without --exit-status only a watch that could not run is an error.
    if outcome in (ExitCode.FAILED, ExitCode.CANCELLED, ExitCode.TIMEOUT):
        return ExitCode.OK
    return outcome


def _run_stop(args: argparse.Namespace) -> int:
    """`ztui stop`: look up, confirm (outside the event loop, so Ctrl-C works), send."""
    from ztui.cli.headless import commands
    from ztui.cli.headless.connection import connect, load_profile

    settings, profile = load_profile(args)
    with asyncio.Runner() as runner:
        stack = AsyncExitStack()
        try:
            conn = runner.run(stack.enter_async_context(connect(settings, profile)))
            commands.check_writable(conn)
            if len(args.ids) == 1:
                args.id = args.ids[0]
                job = runner.run(commands._resolve(conn, args, "ztui stop"))
                commands.check_stoppable(job)
                commands.confirm_stop(conn, job, assume_yes=args.yes)
                return runner.run(commands.stop_job(conn, job))
            return int(commands.stop_many(runner, conn, args))
        finally:
            runner.run(stack.aclose())


def main(command: str, argv: list[str]) -> int:
    """Run one headless command and return its exit code.

    Args:
        command: One of `ztui.cli.args.HEADLESS_COMMANDS`.
        argv: The arguments after the command name.

    Returns:
        The process exit code (see `ztui.cli.headless.exitcodes.ExitCode`).
    """
    from ztui.api.errors import ApiError
    from ztui.cli.headless.connection import CommandError, describe, exit_for
    from ztui.core.logsetup import redact
    from ztui.core.sanitize import guarded_std_streams

    prog = f"ztui {command}"
    parser = build_parser(command)
    args = parser.parse_args(argv)
    if getattr(args, "meta", False) and not args.json:
        parser.error("--meta goes with --json (it wraps the array in an object)")
    for name in ("family", "state"):
        value = getattr(args, name, None)
        if isinstance(value, list):
            setattr(args, name, _flatten(value) if name == "family" else _split(value))
    try:
        from ztui.core.logsetup import setup_logging

        try:
            setup_logging(debug=bool(args.debug))
        except OSError as exc:
            # No writable log folder must not stop a CI job.
            print(f"{prog}: warning: logging disabled: {exc}", file=sys.stderr)
        # Every line printed below may carry server text: shown, never obeyed
        # (`ztui.core.sanitize`).
        with guarded_std_streams():
            if command == "stop":
                return int(_run_stop(args))
            return int(asyncio.run(_run(command, args)))
    except BrokenPipeError:
        # The reader went away (`ztui jobs | head`): stop quietly, as other tools do.
        # Point stdout at /dev/null so the interpreter's final flush does not fail too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except CommandError as exc:
        print(f"{prog}: {redact(exc.message)}", file=sys.stderr, flush=True)
        return int(exc.code)
    except ApiError as exc:
        print(f"{prog}: error: {redact(describe(exc))}", file=sys.stderr, flush=True)
        return int(exit_for(exc))
    except TimeoutError:
        print(
            f"{prog}: error: no usable answer from the server within "
            f"{commands_retry_s():g} s (see the warnings above)",
            file=sys.stderr,
            flush=True,
        )
        return int(ExitCode.ERROR)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr, flush=True)
        return int(ExitCode.INTERRUPTED)


def commands_retry_s() -> float:
    """How long one-shot commands retry transient errors."""
    from ztui.cli.headless.commands import ONE_SHOT_RETRY_S

    return ONE_SHOT_RETRY_S


def _split(values: Sequence[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]
