"""Provides `ztui jobs`, `ztui show`, `ztui errors` and `ztui stop`.

Each command is an async function over an open `Connection` that prints its result and
returns an `ExitCode`; failures it cannot handle are raised as `CommandError` or
`ApiError` and turned into one line on stderr by `ztui.cli.headless.main`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from ztui.api.models import Family, Job, JobError, JobState
from ztui.cli.headless.connection import (
    CommandError,
    Connection,
    TransientReporter,
    resolve_job,
)
from ztui.cli.headless.exitcodes import ExitCode
from ztui.cli.headless.output import (
    dumps,
    error_to_dict,
    errors_table,
    job_detail,
    job_to_dict,
    jobs_table,
)
from ztui.families import POLL_ORDER, family_def

ONE_SHOT_RETRY_S = 30.0
"""How long a one-shot command keeps retrying transient errors before giving up."""

STATE_GROUPS: dict[str, frozenset[JobState]] = {
    "active": frozenset(s for s in JobState if s.is_active),
    "finished": frozenset(s for s in JobState if s.is_terminal),
    "terminal": frozenset(s for s in JobState if s.is_terminal),
}
"""`--state` words that stand for several normalised states."""


def _print(text: str, out: TextIO | None = None) -> None:
    print(text, file=out or sys.stdout, flush=True)


def _note(prog: str, text: str) -> None:
    print(f"{prog}: {text}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- jobs


def state_matcher(words: Sequence[str]) -> Callable[[Job], bool]:
    """A predicate for `--state`: normalised states, `active`/`finished`, or raw statuses.

    Every word is compared case-insensitively; a job matches when any word does.
    """
    states: set[JobState] = set()
    raw: set[str] = set()
    for word in words:
        key = word.strip().lower()
        if key in STATE_GROUPS:
            states |= STATE_GROUPS[key]
        elif key in {s.value for s in JobState}:
            states.add(JobState(key))
        else:
            raw.add(key)

    def match(job: Job) -> bool:
        return job.state in states or job.status.strip().lower() in raw

    return match


def board_order(jobs: Iterable[Job]) -> list[Job]:
    """Jobs in the board's default order: newest created first, unknown times last.

    Ties keep `(family, id)` order, as the board's stable sort does.
    """
    ordered = sorted(jobs, key=lambda job: (list(Family).index(job.family), job.id))
    dated = [job for job in ordered if job.created_at is not None]
    undated = [job for job in ordered if job.created_at is None]
    dated.sort(key=lambda job: job.created_at or datetime.min, reverse=True)
    return dated + undated


def known_aqua_ids(conn: Connection) -> list[str]:
    """AQuA jobs the board follows for this profile: those recorded in the journal."""
    from urllib.parse import urlsplit

    try:
        from ztui.store.journal import Journal
    except ImportError:  # the journal is optional for headless listing
        return []
    host = urlsplit(conn.profile.base_url).netloc
    try:
        return list(Journal().known_aqua_ids(conn.profile.name, host))
    except OSError as exc:
        _note("ztui jobs", f"warning: cannot read the job journal ({exc}); AQuA jobs left out")
        return []


async def cmd_jobs(conn: Connection, args: argparse.Namespace) -> ExitCode:
    """`ztui jobs`: one poll of the watcher, filtered, as a table, JSON or JSON lines."""
    import asyncio

    from ztui.api.budget import backoff_delay
    from ztui.service.pacing import PollSettings
    from ztui.service.poller import JobPoller

    families: tuple[Family, ...] = tuple(args.family) if args.family else POLL_ORDER
    aqua_ids = list(dict.fromkeys([*known_aqua_ids(conn), *(args.aqua_id or [])]))
    poller = JobPoller(conn.client, settings=PollSettings(), families=families, aqua_ids=aqua_ids)
    reporter = TransientReporter("ztui jobs")
    give_up = time.monotonic() + ONE_SHOT_RETRY_S
    attempt = 0
    while True:
        snapshot = await poller.poll_once()
        if snapshot.fatal is not None:
            raise CommandError(snapshot.fatal, ExitCode.AUTH)
        stale = {f: s for f, s in snapshot.families.items() if s.is_stale}
        if not stale or time.monotonic() >= give_up:
            break
        # One bad answer should not make a script's list incomplete: retry a few times.
        for family, status in stale.items():
            reporter.problem(family.label, status.state, status.error or status.state)
        delay = backoff_delay(attempt)
        attempt += 1
        retry_ats = [s.retry_at for s in stale.values() if s.retry_at is not None]
        if retry_ats:
            delay = max(delay, max(retry_ats) - time.time())
        await asyncio.sleep(min(max(delay, 0.2), max(0.0, give_up - time.monotonic())))

    jobs: list[Job] = list(snapshot.jobs.values())
    hidden = 0
    if not args.all:
        jobs, hidden = hide_old_finished(
            jobs, conn.settings.ui.hide_finished_after_s, datetime.now(UTC).timestamp()
        )
    if args.state:
        match = state_matcher(args.state)
        jobs = [job for job in jobs if match(job)]
    if args.since is not None:
        cutoff = datetime.now(UTC).timestamp() - args.since
        jobs = [job for job in jobs if _recent(job, cutoff)]
    jobs = board_order(jobs)

    if args.json:
        _print(dumps([job_to_dict(job) for job in jobs]))
    elif args.jsonl:
        for job in jobs:
            _print(dumps(job_to_dict(job), indent=None))
    elif jobs:
        _print(jobs_table(jobs))
    else:
        _note("ztui jobs", "no jobs")

    if hidden:
        _note(
            "ztui jobs",
            f"{hidden} finished job(s) older than {_age(conn.settings.ui.hide_finished_after_s)} "
            "hidden, as on the board (--all lists them)",
        )
    code = ExitCode.OK
    for family, status in snapshot.families.items():
        if status.state == "auth_error":
            _note("ztui jobs", f"error: {family.label} jobs left out: {status.error}")
            code = ExitCode.AUTH
        elif status.is_stale:
            _note("ztui jobs", f"error: {family.label} jobs left out: {status.error}")
            if code is ExitCode.OK:
                code = ExitCode.ERROR
    return code


def hide_old_finished(
    jobs: Iterable[Job], hide_after_s: float, now: float
) -> tuple[list[Job], int]:
    """Drop finished jobs last updated longer ago than `hide_after_s`, as the board does.

    The board's rule (`ztui.widgets.job_table.compute_view`): a terminal job whose
    `updated_at` (else `created_at`) is older than the cutoff is hidden; active jobs and
    jobs without a time are always shown.

    Returns:
        The jobs kept and how many were hidden.
    """
    cutoff = now - hide_after_s
    kept: list[Job] = []
    hidden = 0
    for job in jobs:
        stamp = job.updated_at or job.created_at
        if job.state.is_terminal and stamp is not None and stamp.timestamp() < cutoff:
            hidden += 1
        else:
            kept.append(job)
    return kept, hidden


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _recent(job: Job, cutoff: float) -> bool:
    stamps = [t for t in (job.created_at, job.updated_at) if t is not None]
    # A job whose times are unknown cannot be shown to be old: keep it.
    return not stamps or max(stamps).timestamp() >= cutoff


# ---------------------------------------------------------------------------- show


async def _resolve(conn: Connection, args: argparse.Namespace, prog: str) -> Job:
    return await resolve_job(
        conn.client,
        args.id,
        args.family,
        reporter=TransientReporter(prog),
        deadline=time.monotonic() + ONE_SHOT_RETRY_S,
    )


async def cmd_show(conn: Connection, args: argparse.Namespace) -> ExitCode:
    """`ztui show ID`: the job in full (normalised fields, AQuA batches, raw JSON)."""
    job = await _resolve(conn, args, "ztui show")
    parse_batches = family_def(job.family).parse_batches
    if args.json:
        data = job_to_dict(job)
        if parse_batches is not None:
            data["batches"] = [
                {
                    "batch_id": b.batch_id,
                    "name": b.name,
                    "query": b.query,
                    "status": b.status,
                    "record_count": b.record_count,
                    "file_id": b.file_id,
                    "segments": list(b.segments),
                    "message": b.message,
                }
                for b in parse_batches(job.raw)
            ]
        _print(dumps(data))
    else:
        _print(job_detail(job))
    return ExitCode.OK


# ---------------------------------------------------------------------------- errors


def job_level_errors(job: Job) -> list[JobError]:
    """The errors a job reports about itself, for families without a row-error list.

    The job's message (failure message, AQuA `message`/`errorCode`) and each AQuA batch
    that carries a message.
    """
    errors: list[JobError] = []
    raw_code = job.raw.get("errorCode")
    if job.message:
        errors.append(JobError(row=None, code=str(raw_code or ""), message=job.message))
    parse_batches = family_def(job.family).parse_batches
    if parse_batches is not None:
        for batch in parse_batches(job.raw):
            if batch.message:
                label = batch.name or batch.batch_id or "?"
                errors.append(
                    JobError(row=None, code="", message=f"query {label}: {batch.message}")
                )
    return errors


async def cmd_errors(conn: Connection, args: argparse.Namespace) -> ExitCode:
    """`ztui errors ID`: row errors (custom objects) or the job's own error messages."""
    from ztui.ops.export import ExportError, errors_to_csv_text, export_failed_rows

    job = await _resolve(conn, args, "ztui errors")
    row_errors = family_def(job.family).calls.row_errors
    if row_errors is not None:
        errors = list(await row_errors(conn.client, job.id))
    else:
        if args.csv is not None:
            raise CommandError(
                f"{job.family.label} jobs have no row-error list in the API; `--csv` works "
                "for custom-object jobs only (see `ztui show` for the result file)",
                ExitCode.ERROR,
            )
        errors = job_level_errors(job)
    original = Path(args.original) if args.original else None
    try:
        if args.csv == "-":
            sys.stdout.write(errors_to_csv_text(errors, original_csv=original))
            sys.stdout.flush()
        elif args.csv is not None:
            written = export_failed_rows(errors, Path(args.csv), original_csv=original)
            _note("ztui errors", f"wrote {written} failed row(s) to {args.csv}")
    except ExportError as exc:
        raise CommandError(str(exc), ExitCode.ERROR) from None
    if args.csv is not None:
        return ExitCode.OK
    if args.json:
        _print(dumps([error_to_dict(e) for e in errors]))
    elif errors:
        _print(errors_table(errors))
    else:
        _note("ztui errors", f"job {job.id} reports no errors ({job.status or 'no status'})")
    return ExitCode.OK


# ---------------------------------------------------------------------------- stop


def check_writable(conn: Connection) -> None:
    """Refuse a write on a read-only connection before anything is sent.

    Raises:
        CommandError: The profile (or `--read-only`) is read-only (REFUSED).
    """
    if conn.profile.read_only:
        raise CommandError(
            f"profile {conn.profile.name!r} is read-only, nothing was sent (pass --write, or "
            "set read_only = false for the profile, to allow stopping jobs)",
            ExitCode.REFUSED,
        )


def check_stoppable(job: Job) -> None:
    """Refuse, before asking anything, a job its family cannot stop now (as the board does).

    Raises:
        CommandError: The job is finished, already stopping, or in a status the family's
            stop/cancel does not accept (REFUSED).
    """
    from ztui.ops.stop import refusal_reason

    reason = refusal_reason(job)
    if reason is not None:
        raise CommandError(
            f"{job.family.label} job {job.id}: {reason} Nothing was sent.", ExitCode.REFUSED
        )


def confirm_stop(
    conn: Connection,
    job: Job,
    *,
    assume_yes: bool,
    isatty: Callable[[], bool] = sys.stdin.isatty,
    read: Callable[[str], str] = input,
) -> None:
    """Ask before stopping: `--yes`, or an answer typed on the terminal.

    On production the tenant name (or profile name) must be typed, as in the app.

    Raises:
        CommandError: No terminal and no `--yes` (USAGE), or the user declined (REFUSED).
    """
    if assume_yes:
        return
    if not isatty():
        raise CommandError(
            f"stdin is not a terminal, so stopping job {job.id} cannot be confirmed: pass --yes",
            ExitCode.USAGE,
        )
    from ztui.ops.confirm import phrase_matches, typed_phrase

    verb = str(family_def(job.family).stop.kind)
    what = f"{job.family.label} job {job.id} ({job.kind}, {job.status or 'no status'})"
    phrase = typed_phrase(conn.profile)
    if phrase is not None:
        print(
            f"About to {verb} {what} on PRODUCTION profile {conn.profile.name!r}.",
            file=sys.stderr,
        )
        prompt = f"Type {phrase!r} to confirm: "
    else:
        prompt = f"{verb.capitalize()} {what}? [y/N] "
    try:
        answer = read(prompt).strip()
    except EOFError:
        answer = ""
    ok = phrase_matches(answer, phrase) if phrase is not None else answer.lower() in ("y", "yes")
    if not ok:
        raise CommandError("not confirmed; nothing was sent", ExitCode.REFUSED)


async def stop_job(conn: Connection, job: Job) -> ExitCode:
    """Send the family's stop/cancel through the app's action (re-read, send once, journal).

    Returns:
        OK when the server accepted it.

    Raises:
        CommandError: Nothing was sent (REFUSED), or the server refused it (the code of
            its HTTP status: AUTH, NOT_FOUND or ERROR).
    """
    from urllib.parse import urlsplit

    from ztui.ops.stop import perform_stop

    try:
        from ztui.store.journal import Journal

        journal: Journal | None = Journal()
    except ImportError:  # pragma: no cover - the journal ships with ztui
        journal = None
    outcome = await perform_stop(
        conn.client,
        job.key,
        journal=journal,
        profile=conn.profile.name,
        host=urlsplit(conn.profile.base_url).netloc,
    )
    if outcome.ok:
        _print(outcome.message)
        return ExitCode.OK
    if not outcome.sent:
        raise CommandError(outcome.message, ExitCode.REFUSED)
    code = {401: ExitCode.AUTH, 403: ExitCode.AUTH, 404: ExitCode.NOT_FOUND}.get(
        outcome.http_status or 0, ExitCode.ERROR
    )
    suffix = f" [Zuora-Request-Id {outcome.request_id}]" if outcome.request_id else ""
    raise CommandError(outcome.message + suffix, code)
