"""Provides `reconcile`: settling, at start-up, the writes an earlier run left open.

Every create and stop is journalled as "sending" before it goes out and again when it
ends (`ztui.store.journal`). A write whose last line is still "sending" (ztui was killed
while it was out) or "unknown" (its answer was lost and re-reading did not settle it)
may or may not have reached Zuora. At start-up, the app and `ztui jobs` ask the server:

- a stop or cancel: the job is read again; stopping, stopped or cancelled means it took
  effect, anything else (some minutes on) that it did not;
- a create in a family with a list: the family is listed and a job made within
  minutes of the write that looks like it (type, file name, object and operation) and
  that the journal does not already name is the one; when the list covers that time
  and shows none, the create did not reach Zuora;
- a custom-object upload: the job has left `pending` once its file arrived;
- an AQuA create (AQuA has no list, docs/zuora-api.md §7): the journalled request is sent
  again under its own `Idempotency-Key`, which Zuora answers with the first answer for
  24 hours (§2.8). Only the app does this, never on a read-only connection, and only
  within 23 hours of the write. AQuA jobs only read data, so should the first request not
  have arrived, the replay makes the job the user confirmed, once.

What is found is appended to the journal under the write's own attempt id, with
`extra["settled"]` saying how, and returned for the caller to tell the user. Nothing is
appended for a write that could not be settled. No Textual here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol

from ztui.api.errors import ApiError, BadRequest, Conflict, NotFound, ReadOnlyError
from ztui.api.models import Family, Job, JobState
from ztui.families import family_def, followed_by_id, noun
from ztui.ops.specs import awaits_file, matches_journalled
from ztui.store.journal import Journal, JournalEntry

__all__ = [
    "CREATE_AFTER",
    "CREATE_BEFORE",
    "REPLAY_WITHIN",
    "STOP_TAKES",
    "Settled",
    "reconcile",
    "settled_text",
    "still_open",
]

log = logging.getLogger("ztui.ops.reconcile")

CREATE_BEFORE: Final = timedelta(minutes=5)
"""A job created this long before its journal line may be the one (clocks differ)."""
CREATE_AFTER: Final = timedelta(minutes=15)
"""... and this long after it: the server may take its time (a 504 comes after 120 s and
the job may be created all the same, docs/zuora-api.md §2.5D)."""
STOP_TAKES: Final = timedelta(minutes=2)
"""A stop that reached Zuora shows within this long; a job still running after it was
not stopped."""
REPLAY_WITHIN: Final = timedelta(hours=23)
"""An AQuA create is sent again only this soon after it was written: Zuora replays the
answer under a key for 24 hours (docs/zuora-api.md §2.8); later, a replay could make a
second job."""

_TOOK_EFFECT: Final = frozenset({JobState.STOPPING, JobState.STOPPED, JobState.CANCELLED})


class ReconcileClient(Protocol):
    """The part of `ztui.api.client.ZuoraClient` reconciling uses."""

    @property
    def read_only(self) -> bool:
        """True when the client refuses every write locally."""
        ...

    async def get_job(self, family: Family, job_id: str) -> Job:
        """Fetch one job."""
        ...

    async def list_jobs(self, family: Family, *, max_pages: int | None = None) -> list[Job]:
        """List a family's jobs (newest pages first)."""
        ...

    async def create_aqua_job(
        self, body: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Job:
        """Create an AQuA job."""
        ...


@dataclass(frozen=True)
class Settled:
    """What reconciling found out about one write left open."""

    entry: JournalEntry
    """The write's last line, as the journal had it."""
    outcome: str | None
    """The outcome now on record (`ok`, `pending`, `error`, `refused`), or None when the
    write could not be settled."""
    message: str
    """One sentence for the user."""
    job_id: str | None = None
    """The job the write made or acted on, when known."""
    recorded: bool = True
    """False when the journal could not record what was found."""

    @property
    def follow(self) -> bool:
        """True for a job followed by id (AQuA) that a create turned out to have made."""
        return (
            self.outcome == "ok"
            and self.entry.action == "create"
            and self.job_id is not None
            and family_def(Family(self.entry.family)).followed_by_id
        )


@dataclass(frozen=True)
class _Found:
    outcome: str | None
    how: str
    """How it was settled, for `extra["settled"]`: re-read, list, replay."""
    text: str
    """What was found, for the journal line."""
    message: str
    job_id: str | None = None
    http_status: int | None = None
    request_id: str | None = None


async def reconcile(
    client: ReconcileClient,
    journal: Journal,
    entries: Sequence[JournalEntry],
    *,
    allow_replay: bool,
    now: datetime | None = None,
) -> list[Settled]:
    """Settle each write in `entries` (from `Journal.unsettled`) against the server.

    Never raises for API or journal failures: a write the server cannot tell about stays
    open (outcome None), and a settled line the journal cannot take is reported with
    `recorded=False`.

    Args:
        client: The connected API client.
        journal: Where the settled lines go.
        entries: The writes left open, oldest first.
        allow_replay: Whether AQuA creates may be sent again under their key (the app, on
            a connection that may write).
        now: The current time (tests).
    """
    at = now or datetime.now(UTC)
    known_ids: set[str] | None = None
    results: list[Settled] = []
    listed: dict[Family, list[Job] | None] = {}
    for entry in entries:
        try:
            family = Family(entry.family)
        except ValueError:
            continue
        try:
            if entry.action in ("stop", "cancel") and entry.job_id:
                found = await _settle_stop(client, family, entry, at)
            elif entry.action == "upload" and entry.job_id:
                found = await _settle_upload(client, family, entry)
            elif entry.action == "create" and family_def(family).has_list:
                if known_ids is None:
                    known_ids = await asyncio.to_thread(_journalled_ids, journal, entries, at)
                if family not in listed:
                    listed[family] = await _list(client, family)
                found = _settle_listed_create(family, entry, listed[family], known_ids, at)
            elif entry.action == "create" and family == followed_by_id():
                found = await _settle_by_replay(client, entry, at, allow_replay=allow_replay)
            else:
                continue
        except ApiError as exc:  # the helpers catch what they expect; anything else
            log.info("settling %s of %s: %s", entry.action, entry.family, exc)
            found = _Found(None, "", "", f"{_what(entry)} could not be settled: {exc.message}")
        results.append(await _record(journal, entry, found))
    return results


def _what(entry: JournalEntry) -> str:
    """`the stop of booking-date job X`, `the create of data-backfill file f.csv`."""
    family = Family(entry.family)
    if entry.job_id:
        return f"the {entry.action} of {noun(family)} job {entry.job_id}"
    if entry.file_name:
        return f"the {entry.action} of {noun(family)} file {entry.file_name}"
    name = entry.extra.get("name")
    if isinstance(name, str) and name:
        return f"the {entry.action} of {noun(family)} job {name!r}"
    return f"the {noun(family)} {entry.action}"


def _sent_at(entry: JournalEntry) -> datetime | None:
    try:
        when = datetime.fromisoformat(entry.at)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


async def _record(journal: Journal, entry: JournalEntry, found: _Found) -> Settled:
    """Append what was found under the write's attempt id; say whether it was recorded."""
    message = found.message[:1].upper() + found.message[1:]
    if found.outcome is None:
        return Settled(entry, None, message)
    extra = {k: v for k, v in entry.extra.items() if k not in ("request", "redacted")}
    extra["settled"] = found.how
    line = JournalEntry(
        family=entry.family,
        action=entry.action,
        profile=entry.profile,
        host=entry.host,
        file_name=entry.file_name,
        size=entry.size,
        sha256=entry.sha256,
        md5=entry.md5,
        idempotency_key=entry.idempotency_key,
        request_id=found.request_id,
        http_status=found.http_status,
        job_id=found.job_id or entry.job_id,
        outcome=found.outcome,
        message=f"settled at start-up ({found.how}): {found.text}",
        extra=extra,
    )
    try:
        await asyncio.to_thread(journal.append, line)
    except OSError:
        # `Journal.append` has told its listeners; the user still hears what was found.
        return Settled(entry, found.outcome, message, found.job_id, recorded=False)
    return Settled(entry, found.outcome, message, found.job_id)


# ---------------------------------------------------------------------------- stops


async def _settle_stop(
    client: ReconcileClient, family: Family, entry: JournalEntry, now: datetime
) -> _Found:
    job_id = entry.job_id
    assert job_id is not None
    what = _what(entry)
    try:
        job = await client.get_job(family, job_id)
    except NotFound:
        return _Found(None, "", "", f"{what} could not be settled: the job is no longer there.")
    except ApiError as exc:
        return _Found(None, "", "", f"{what} could not be settled: {exc.message}")
    if job.state in _TOOK_EFFECT:
        return _Found(
            "ok",
            "re-read",
            f"the job is {job.status}",
            f"{what[0].upper()}{what[1:]} reached Zuora: the job is {job.status}.",
            job_id=job_id,
        )
    sent = _sent_at(entry)
    if job.state.is_terminal:
        return _Found(
            "error",
            "re-read",
            f"the job ended {job.status} without being stopped",
            f"{what[0].upper()}{what[1:]} did not take effect: the job ended {job.status}.",
            job_id=job_id,
        )
    if sent is not None and now - sent >= STOP_TAKES and job.state is not JobState.UNKNOWN:
        return _Found(
            "error",
            "re-read",
            f"the job is still {job.status}: the {entry.action} did not take effect",
            f"{what[0].upper()}{what[1:]} did not take effect: the job is still {job.status}. "
            f"Send it again if you still want it {entry.action}ped.",
            job_id=job_id,
        )
    return _Found(
        None, "", "", f"{what} could not be settled yet: the job is {job.status or 'unknown'}."
    )


async def _settle_upload(client: ReconcileClient, family: Family, entry: JournalEntry) -> _Found:
    job_id = entry.job_id
    assert job_id is not None
    what = _what(entry)
    try:
        job = await client.get_job(family, job_id)
    except ApiError as exc:
        return _Found(None, "", "", f"{what} could not be settled: {exc.message}")
    if job.status.strip().lower() != "pending":
        return _Found(
            "ok",
            "re-read",
            f"the job has its file: it is {job.status}",
            f"{what[0].upper()}{what[1:]} arrived: the job is {job.status}.",
            job_id=job_id,
        )
    return _Found(
        None,
        "",
        "",
        f"{what} did not arrive: the job is still pending without its file; retry the "
        "upload or cancel the job.",
    )


# ---------------------------------------------------------------------------- creates


async def _list(client: ReconcileClient, family: Family) -> list[Job] | None:
    try:
        # A paged list is newest first: what a recent create made is on its first pages.
        return await client.list_jobs(family, max_pages=10)
    except ApiError as exc:
        log.info("could not list %s jobs to settle a create: %s", family, exc)
        return None


def _journalled_ids(journal: Journal, entries: Iterable[JournalEntry], now: datetime) -> set[str]:
    """Job ids the journal already names from around the oldest open write on."""
    times = [t for e in entries if (t := _sent_at(e)) is not None]
    since = (min(times) if times else now) - CREATE_BEFORE - timedelta(days=1)
    try:
        return {e.job_id for e in journal.recent(since) if e.job_id}
    except OSError as exc:
        log.info("could not read the journal's job ids: %s", exc)
        return set()


def _settle_listed_create(
    family: Family,
    entry: JournalEntry,
    jobs: list[Job] | None,
    known_ids: set[str],
    now: datetime,
) -> _Found:
    what = _what(entry)
    sent = _sent_at(entry)
    if jobs is None or sent is None:
        why = "the jobs could not be listed" if jobs is None else "its time is unreadable"
        return _Found(None, "", "", f"{what} could not be settled: {why}.")
    start, end = sent - CREATE_BEFORE, sent + CREATE_AFTER
    candidates = [
        job
        for job in jobs
        if job.id not in known_ids
        and job.created_at is not None
        and start <= job.created_at <= end
        and matches_journalled(family, entry.extra, entry.file_name, job)
    ]
    if len(candidates) == 1:
        job = candidates[0]
        made = job.created_at.astimezone(UTC).strftime("%H:%M:%S UTC") if job.created_at else ""
        pending = awaits_file(family, entry.extra, job)
        outcome = "pending" if pending else "ok"
        message = f"{what[0].upper()}{what[1:]} reached Zuora: it made job {job.id} ({job.status})"
        if pending:
            message += ", which is waiting for its file: retry the upload or cancel it"
        return _Found(
            outcome,
            "list",
            f"job {job.id} ({job.status}), created {made}, is the one",
            message + ".",
            job_id=job.id,
        )
    if candidates:
        ids = ", ".join(j.id for j in candidates[:5])
        return _Found(
            None,
            "",
            "",
            f"{what} could not be settled: {len(candidates)} jobs like it were made then "
            f"({ids}); check them on the board.",
        )
    dated = [j.created_at for j in jobs if j.created_at is not None]
    covered = not family_def(family).calls.page or (bool(dated) and min(dated) < start)
    if covered and now > end:
        window = f"{start:%Y-%m-%d %H:%M} and {end:%H:%M} UTC"
        return _Found(
            "error",
            "list",
            f"not created: the list shows no job like it made between {window}",
            f"{what[0].upper()}{what[1:]} did not reach Zuora: no job like it was made. "
            "Submit it again if you still want it.",
        )
    return _Found(None, "", "", f"{what} could not be settled: no job like it is listed yet.")


async def _settle_by_replay(
    client: ReconcileClient, entry: JournalEntry, now: datetime, *, allow_replay: bool
) -> _Found:
    what = _what(entry)
    body = entry.extra.get("request")
    sent = _sent_at(entry)
    key = entry.idempotency_key
    if not allow_replay:
        return _Found(
            None,
            "",
            "",
            f"{what} could not be settled here: AQuA has no job list; the app settles it "
            "by sending it again under its Idempotency-Key.",
        )
    if not isinstance(body, Mapping) or not key:
        return _Found(None, "", "", f"{what} could not be settled: its request is not on record.")
    if sent is None or now - sent > REPLAY_WITHIN:
        return _Found(
            None,
            "",
            "",
            f"{what} could not be settled: it is too old to be sent again safely (Zuora "
            "keeps an idempotent answer for 24 hours).",
        )
    if client.read_only:
        return _Found(None, "", "", f"{what} could not be settled: the connection is read-only.")
    try:
        job = await client.create_aqua_job(body, idempotency_key=key)
    except ReadOnlyError:
        return _Found(None, "", "", f"{what} could not be settled: the connection is read-only.")
    except Conflict:
        return _Found(None, "", "", f"{what} could not be settled: Zuora is still processing it.")
    except BadRequest as exc:
        text = "; ".join(r.message for r in exc.reasons) if exc.reasons else exc.message
        return _Found(
            "refused",
            "replay",
            f"sent again under its Idempotency-Key; Zuora refused it: {text}",
            f"{what[0].upper()}{what[1:]} was refused by Zuora: {text}",
            http_status=exc.status,
            request_id=exc.request_id,
        )
    except ApiError as exc:
        return _Found(None, "", "", f"{what} could not be settled: {exc.message}")
    return _Found(
        "ok",
        "replay",
        f"sent again under its Idempotency-Key; Zuora answered with job {job.id}",
        f"{what[0].upper()}{what[1:]} is settled: Zuora answered with AQuA job {job.id} "
        f"({job.status}), which the board follows.",
        job_id=job.id,
        http_status=200,
    )


def settled_text(result: Settled) -> str:
    """One line for the user about a write reconciling looked at."""
    text = result.message
    if not result.recorded:
        text += " (The journal could not record this.)"
    return text


def still_open(results: Iterable[Settled]) -> list[Settled]:
    """The writes that could not be settled."""
    return [r for r in results if r.outcome is None]
