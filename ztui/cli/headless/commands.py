"""Provides `ztui jobs`, `ztui show`, `ztui errors` and `ztui stop`.

Each command is an async function over an open `Connection` that prints its result and
returns an `ExitCode`; failures it cannot handle are raised as `CommandError` or
`ApiError` and turned into one line on stderr by `ztui.cli.headless.main`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO

from ztui.api.errors import ApiError
from ztui.api.models import Family, Job, JobState
from ztui.cli.headless.connection import (
    CommandError,
    Connection,
    TransientReporter,
    describe,
    exit_for,
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
from ztui.core.sanitize import exact_stream
from ztui.families import POLL_ORDER, family_def
from ztui.view.listing import board_order, hide_old_finished

__all__ = ["board_order", "hide_old_finished"]

if TYPE_CHECKING:
    from ztui.service.snapshot import JobSnapshot

ONE_SHOT_RETRY_S = 30.0
"""How long a one-shot command keeps retrying transient errors before giving up."""

LIST_MAX_PAGES = 100_000
"""Custom-object pages `ztui jobs` reads at most: in practice, all of them."""

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

    Raises:
        CommandError: A word is neither a state, a group nor any family's status (USAGE),
            so a typo is not answered with "no jobs".
    """
    import difflib

    from ztui.families import FAMILIES

    known_raw = {status for d in FAMILIES.values() for status in d.states}
    states: set[JobState] = set()
    raw: set[str] = set()
    for word in words:
        key = word.strip().lower()
        if key in STATE_GROUPS:
            states |= STATE_GROUPS[key]
        elif key in {s.value for s in JobState}:
            states.add(JobState(key))
        elif key in known_raw:
            raw.add(key)
        else:
            names = sorted({*STATE_GROUPS, *(s.value for s in JobState)})
            close = difflib.get_close_matches(key, [*names, *sorted(known_raw)], n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise CommandError(
                f"--state {word!r} is not a state.{hint} States: {', '.join(names)}; or "
                "any family's own status, such as Processing or in_progress.",
                ExitCode.USAGE,
            )

    def match(job: Job) -> bool:
        return job.state in states or job.status.strip().lower() in raw

    return match


async def report_unsettled(conn: Connection, prog: str) -> None:
    """Settle the writes of this connection the journal leaves open (in flight when an
    earlier ztui stopped, or with a lost answer) against the server, and say on stderr
    what was found and which stay open (`ztui.ops.reconcile`; an AQuA create is left to
    the app, which sends it again under its key)."""
    import asyncio

    from ztui.ops.reconcile import reconcile, settled_text
    from ztui.store.journal import Journal, unsettled_text

    journal = Journal()
    journal.on_failure(lambda text: _note(prog, f"warning: {text}"))
    try:
        entries = await asyncio.to_thread(
            journal.unsettled, conn.profile.name, conn.profile.base_url
        )
    except OSError as exc:
        _note(prog, f"warning: cannot read the job journal ({exc})")
        return
    if not entries:
        return
    for result in await reconcile(conn.client, journal, entries, allow_replay=False):
        if result.outcome is None:
            _note(prog, f"warning: {unsettled_text(result.entry)} {result.message}")
        else:
            _note(prog, f"settled: {settled_text(result)}")


def known_aqua_ids(conn: Connection) -> list[str]:
    """AQuA jobs the board follows for this profile (`ztui.store.aqua_follow.followed`):
    the journal's recent creates and those added by id, without those that ended."""
    from ztui.store import aqua_follow
    from ztui.store.journal import Journal

    try:
        return aqua_follow.followed(Journal(), conn.profile.name, conn.profile.base_url)
    except OSError as exc:
        _note("ztui jobs", f"warning: cannot read the job journal ({exc}); AQuA jobs left out")
        return []


def mark_dry_runs(conn: Connection, jobs: list[Job]) -> list[Job]:
    """`jobs` with `dry_run` set on those the journal says ztui created as dry runs, when
    the job itself does not say (docs/zuora-api.md §5: whether `dryRun` is echoed is
    undocumented)."""
    import dataclasses

    from ztui.store.journal import Journal

    try:
        known = Journal().dry_run_ids(conn.profile.name, conn.profile.base_url)
    except OSError as exc:
        _note("ztui jobs", f"warning: cannot read the job journal for dry runs ({exc})")
        return jobs
    if not known:
        return jobs
    return [
        dataclasses.replace(job, dry_run=True)
        if job.dry_run is None and (job.family.value, job.id) in known
        else job
        for job in jobs
    ]


def record_ended_aqua(conn: Connection, jobs: Iterable[Job]) -> None:
    """Put the AQuA jobs seen ended on record, so later listings do not fetch them again."""
    from ztui.store import aqua_follow

    try:
        aqua_follow.record_ended(conn.profile.name, conn.profile.base_url, jobs)
    except OSError as exc:
        _note("ztui jobs", f"warning: cannot record the AQuA jobs that ended ({exc})")


async def cmd_jobs(conn: Connection, args: argparse.Namespace) -> ExitCode:
    """`ztui jobs`: one poll of the watcher, filtered, as a table, JSON or JSON lines."""
    import asyncio

    from ztui.api.budget import backoff_delay
    from ztui.service.pacing import PollSettings
    from ztui.service.poller import JobPoller

    # Built before anything is sent: a typo in --state is a usage error, not "no jobs".
    match = state_matcher(args.state) if args.state else None
    families: tuple[Family, ...] = tuple(args.family) if args.family else POLL_ORDER
    aqua_ids = list(dict.fromkeys([*known_aqua_ids(conn), *(args.aqua_id or [])]))
    # A listing reads every custom-object page, however many (docs/tolerance.md rule 8).
    settings = PollSettings(co_max_pages=LIST_MAX_PAGES)
    poller = JobPoller(conn.client, settings=settings, families=families, aqua_ids=aqua_ids)
    reporter = TransientReporter("ztui jobs")
    give_up = time.monotonic() + ONE_SHOT_RETRY_S
    attempt = 0
    while True:
        snapshot = await poller.poll_once()
        if snapshot.fatal is not None:
            code = exit_for(poller.fatal_error) if poller.fatal_error else ExitCode.AUTH
            raise CommandError(snapshot.fatal, code)
        if snapshot.unreachable and not any(s.as_of for s in snapshot.families.values()):
            # Nothing ever answered (refused, unknown host, TLS): say so now rather than
            # retry for half a minute; the client has already tried twice.
            raise CommandError(snapshot.unreachable, ExitCode.ERROR)
        # Only transient trouble (5xx, timeouts, dropped connections, 429) is asked again;
        # an unreadable answer or a refusal is reported once (docs/tolerance.md rule 2).
        stale = {f: s for f, s in snapshot.families.items() if s.is_stale}
        if not stale or time.monotonic() >= give_up:
            break
        # One passing failure should not make a script's list incomplete: retry a few times.
        for family, status in stale.items():
            reporter.problem(family.label, status.state, status.error or status.state)
        delay = backoff_delay(attempt)
        attempt += 1
        retry_ats = [s.retry_at for s in stale.values() if s.retry_at is not None]
        if retry_ats:
            delay = max(delay, max(retry_ats) - time.time())
        await asyncio.sleep(min(max(delay, 0.2), max(0.0, give_up - time.monotonic())))

    jobs: list[Job] = list(snapshot.jobs.values())
    followed_ids = set(aqua_ids)
    record_ended_aqua(conn, (job for job in jobs if job.id in followed_ids))
    hidden = 0
    if not args.all:
        jobs, hidden = hide_old_finished(
            jobs, conn.settings.ui.hide_finished_after_s, datetime.now(UTC).timestamp()
        )
    if match is not None:
        jobs = [job for job in jobs if match(job)]
    if args.since is not None:
        cutoff = datetime.now(UTC).timestamp() - args.since
        jobs = [job for job in jobs if _recent(job, cutoff)]
    jobs = mark_dry_runs(conn, board_order(jobs))
    unreadable = [job for job in jobs if job.unreadable is not None]
    for job in unreadable:
        _note("ztui jobs", f"warning: {unreadable_text(job)}")

    left_out = left_out_of(snapshot, hidden, conn.settings.ui.hide_finished_after_s)
    if args.json and args.meta:
        envelope = {
            "jobs": [job_to_dict(job) for job in jobs],
            "meta": {"complete": not left_out, "left_out": left_out},
        }
        _print(dumps(envelope))
    elif args.json:
        _print(dumps([job_to_dict(job) for job in jobs]))
    elif args.jsonl:
        for job in jobs:
            _print(dumps(job_to_dict(job), indent=None))
    elif readable := [job for job in jobs if job.unreadable is None]:
        _print(jobs_table(readable))
    elif not unreadable:
        _note("ztui jobs", "no jobs")

    await report_unsettled(conn, "ztui jobs")
    if hidden:
        _note(
            "ztui jobs",
            f"{hidden} finished job(s) older than {_age(conn.settings.ui.hide_finished_after_s)} "
            "hidden, as on the board (--all lists them)",
        )
    code = ExitCode.OK
    for family, status in snapshot.families.items():
        if status.warning:
            _note("ztui jobs", f"warning: {family.label}: {status.warning}")
        if status.truncated:
            _note(
                "ztui jobs",
                f"warning: {family.label}: the list was cut after {LIST_MAX_PAGES:,} pages "
                f"({status.truncated:,} jobs); older ones were not read",
            )
        if status.state == "auth_error":
            _note("ztui jobs", f"error: {family.label} jobs left out: {status.error}")
            code = ExitCode.AUTH
        elif status.is_stale or status.state == "error":
            _note("ztui jobs", f"error: {family.label} jobs left out: {status.error}")
            if code is ExitCode.OK:
                code = ExitCode.ERROR
    return code


def left_out_of(snapshot: JobSnapshot, hidden: int, hide_after_s: float) -> list[dict[str, Any]]:
    """What a listing left out, for `--json --meta`: one object per cause.

    Each has `reason` (`age`: finished jobs older than `hide_finished_after_s`; `pages`:
    a list cut at the page limit; `failed`: a family whose poll failed), `family` (None
    for `age`), `count` (None when it is not known: a cut list has no total, docs/
    zuora-api.md §6), `detail` (one line) and `how_to_see`.
    """
    items: list[dict[str, Any]] = []
    if hidden:
        items.append(
            {
                "reason": "age",
                "family": None,
                "count": hidden,
                "detail": f"finished jobs older than {_age(hide_after_s)}",
                "how_to_see": "ztui jobs --all",
            }
        )
    for family, status in snapshot.families.items():
        if status.truncated:
            items.append(
                {
                    "reason": "pages",
                    "family": family.value,
                    "count": None,
                    "detail": f"the list was cut after {status.truncated:,} jobs; older ones "
                    "were not read (the list has no total)",
                    "how_to_see": f"ztui jobs --family {family.value} --all",
                }
            )
        if status.state == "auth_error" or status.is_stale or status.state == "error":
            items.append(
                {
                    "reason": "failed",
                    "family": family.value,
                    "count": None,
                    "detail": status.error or status.state,
                    "how_to_see": "fix the cause and list again",
                }
            )
    return items


def unreadable_text(job: Job) -> str:
    """One line about a job object that could not be read, for stderr."""
    info = job.unreadable
    assert info is not None
    which = f"job {info.job_id}" if info.job_id else "job with no id"
    return (
        f"{job.family.label} {which} could not be read ({info.reason}); "
        "not in the table, --json includes it as received"
    )


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
        fail_fast=True,
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


async def cmd_errors(conn: Connection, args: argparse.Namespace) -> ExitCode:
    """`ztui errors ID`: why a job failed, the same answer as the error viewer's.

    Exits 3 (`FAILED`) whenever the job reports a failure (errors listed, a failure count
    above zero, or a failed end), 0 only when it reports none.
    """
    from ztui.ops.export import ExportError, errors_to_csv_text, export_failed_rows
    from ztui.ops.job_errors import export_shape, fetch_job_errors

    job = await _resolve(conn, args, "ztui errors")
    fetched = await fetch_job_errors(conn.client, job)
    job, errors = fetched.job, fetched.errors
    verdict = ExitCode.FAILED if fetched.failed else ExitCode.OK
    if args.csv is not None:
        if not any(e.row is not None or e.record for e in errors):
            what = f"{len(errors):,} error(s), none naming a row" if errors else "no errors"
            raise CommandError(
                f"job {job.id} has no failed rows to export ({what}); `ztui errors "
                f"{job.id}` lists what it reports",
                verdict if errors else ExitCode.ERROR,
            )
        original = Path(args.original) if args.original else None
        shape = export_shape(job)
        prefix = shape.reference_prefix
        try:
            if args.csv == "-":
                # Exact bytes into a pipe or file; a terminal gets unsafe characters shown.
                out = sys.stdout if sys.stdout.isatty() else exact_stream(sys.stdout)
                out.write(
                    errors_to_csv_text(
                        errors,
                        original_csv=original,
                        reference_prefix=prefix,
                        key_column=shape.key_column,
                    )
                )
                out.flush()
                if prefix is None:
                    _note(
                        "ztui errors",
                        "the errors themselves are not in this CSV: "
                        f"`ztui errors {job.id} --csv FILE` writes them beside FILE",
                    )
            else:
                result = export_failed_rows(
                    errors,
                    Path(args.csv),
                    original_csv=original,
                    reference_prefix=prefix,
                    key_column=shape.key_column,
                )
                _note("ztui errors", result.summary())
        except ExportError as exc:
            raise CommandError(str(exc), ExitCode.ERROR) from None
        return verdict
    if args.json:
        _print(dumps([error_to_dict(e) for e in errors]))
    elif errors:
        _print(errors_table(errors))
    elif fetched.failed:
        _note(
            "ztui errors",
            f"job {job.id} failed ({job.status or 'no status'}) but reports no error detail",
        )
    else:
        _note("ztui errors", f"job {job.id} reports no errors ({job.status or 'no status'})")
    return verdict


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
        CommandError: No terminal and no `--yes`, or the user declined (REFUSED both:
            nothing was sent).
    """
    if assume_yes:
        return
    if not isatty():
        raise CommandError(
            f"stdin is not a terminal, so stopping job {job.id} cannot be confirmed: pass --yes",
            ExitCode.REFUSED,  # not confirmed, so nothing was sent (README, --help)
        )
    from ztui.ops.confirm import typed_phrase

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
    _require_answer(read, prompt, phrase)


def _require_answer(read: Callable[[str], str], prompt: str, phrase: str | None) -> None:
    """Ask `prompt`; on production the typed phrase, otherwise y/yes, confirms.

    Raises:
        CommandError: Anything else (REFUSED): nothing was sent.
    """
    from ztui.ops.confirm import phrase_matches

    try:
        answer = read(prompt).strip()
    except EOFError:
        answer = ""
    ok = phrase_matches(answer, phrase) if phrase is not None else answer.lower() in ("y", "yes")
    if not ok:
        raise CommandError("not confirmed; nothing was sent", ExitCode.REFUSED)


_STOP_PRECEDENCE: Final = (
    ExitCode.AUTH,
    ExitCode.NOT_FOUND,
    ExitCode.ERROR,
    ExitCode.REFUSED,
    ExitCode.OK,
)
"""The code `ztui stop ID ID ...` exits with: the first of these any job produced."""


def stop_many(runner: asyncio.Runner, conn: Connection, args: argparse.Namespace) -> ExitCode:
    """`ztui stop ID ID ...`: look every job up, confirm once, then stop each in turn.

    The jobs that cannot be stopped (unknown, finished, already stopping) are listed apart
    with the reason and sent nothing. The confirmation lists every other job with its
    family and state; a production profile needs the typed phrase once for the batch.
    Each job is re-read just before its own request, sent once and journalled; a line
    per job says what happened.

    Returns:
        OK when every job was stopped; otherwise the most urgent code of `_STOP_PRECEDENCE`.
    """
    codes: list[ExitCode] = []
    stoppable: list[Job] = []
    for job_id in dict.fromkeys(args.ids):
        args.id = job_id
        try:
            job = runner.run(_resolve(conn, args, "ztui stop"))
            check_stoppable(job)
        except CommandError as exc:
            _note("ztui stop", f"{job_id}: not sent: {exc.message}")
            codes.append(exc.code if exc.code is not ExitCode.USAGE else ExitCode.REFUSED)
            continue
        except ApiError as exc:
            _note("ztui stop", f"{job_id}: not sent: {describe(exc)}")
            codes.append(exit_for(exc))
            continue
        stoppable.append(job)
    if not stoppable:
        return _worst(codes)
    confirm_stops(conn, stoppable, assume_yes=args.yes)
    for job in stoppable:
        try:
            codes.append(runner.run(stop_job(conn, job)))
        except CommandError as exc:
            _note("ztui stop", f"{job.id}: {exc.message}")
            codes.append(exc.code)
    sent = sum(1 for code in codes[-len(stoppable) :] if code is ExitCode.OK)
    _note("ztui stop", f"{sent} of {len(dict.fromkeys(args.ids))} job(s) stopped or cancelled")
    return _worst(codes)


def _worst(codes: Sequence[ExitCode]) -> ExitCode:
    present = set(codes)
    return next((code for code in _STOP_PRECEDENCE if code in present), ExitCode.OK)


def confirm_stops(
    conn: Connection,
    jobs: Sequence[Job],
    *,
    assume_yes: bool,
    isatty: Callable[[], bool] = sys.stdin.isatty,
    read: Callable[[str], str] = input,
) -> None:
    """Ask once before stopping several jobs, listing each (family, id, kind, state).

    Raises:
        CommandError: Not confirmed (REFUSED): nothing was sent.
    """
    if assume_yes:
        return
    if not isatty():
        raise CommandError(
            f"stdin is not a terminal, so stopping {len(jobs)} jobs cannot be confirmed: "
            "pass --yes",
            ExitCode.REFUSED,
        )
    from ztui.ops.confirm import typed_phrase

    print(f"About to stop or cancel {len(jobs)} jobs:", file=sys.stderr)
    for job in jobs:
        verb = str(family_def(job.family).stop.kind)
        print(
            f"  {verb:<6} {job.family.label} job {job.id} ({job.kind}, "
            f"{job.status or 'no status'})",
            file=sys.stderr,
        )
    phrase = typed_phrase(conn.profile)
    if phrase is not None:
        print(f"on PRODUCTION profile {conn.profile.name!r}.", file=sys.stderr)
        prompt = f"Type {phrase!r} to confirm all {len(jobs)}: "
    else:
        prompt = f"Send all {len(jobs)}? [y/N] "
    _require_answer(read, prompt, phrase)


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
    if journal is not None:
        journal.on_failure(lambda text: _note("ztui stop", f"warning: {text}"))
    outcome = await perform_stop(
        conn.client,
        job.key,
        journal=journal,
        profile=conn.profile.name,
        host=urlsplit(conn.profile.base_url).netloc,
        require_journal=True,
    )
    if outcome.unrecorded:
        raise CommandError(outcome.message, ExitCode.ERROR)
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
