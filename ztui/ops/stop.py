"""Provides the stop/cancel action of each family: when it is allowed, and sending it once.

UI-free on purpose (no Textual): the app's stop flow (`ztui.flows.stop`) asks
`refusal_reason` before it opens the modal, and runs `perform_stop` in the app's `action`
worker once the user confirmed. Each family's `StopAction` (`ztui.families`) says what
its action is called, what it sends and in which statuses Zuora accepts it (docs/zuora-api.md
§3-§7).

`perform_stop` re-reads the job right before sending, refuses when it has meanwhile left
an actionable state, sends the request exactly once, and records the outcome in the
journal. Every failure comes back as an `ActionOutcome`, never as an exception.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from ztui.api.errors import (
    ApiError,
    CancelRefused,
    MalformedResponse,
    ReadOnlyError,
    ServerError,
    TransportError,
    Unreachable,
)
from ztui.api.models import Family, Job, JobState
from ztui.families import family_def
from ztui.families.base import ActionKind, StopAction

log = logging.getLogger("ztui.ops.stop")

_AMBIGUOUS: Final = (ServerError, TransportError, MalformedResponse)
"""Failures after which the stop may have reached Zuora: a 5xx (a gateway's 502/503/504
can follow a request the backend carried out), a timeout, a reset or dropped connection,
an answer that could not be read. `Unreachable` (no connection made) is caught first."""

SETTLE_READS: Final = 3
"""How many times a stop whose answer was lost re-reads the job to see what happened."""
SETTLE_DELAY_S: Final = 2.0
"""Seconds between those re-reads."""

_STATE_WORDS: Final[Mapping[JobState, str]] = {
    JobState.SUCCEEDED: "completed",
    JobState.FAILED: "failed",
    JobState.CANCELLED: "cancelled",
    JobState.STOPPED: "stopped",
}


def action_for(family: Family) -> StopAction:
    """The stop/cancel action of `family`."""
    return family_def(family).stop


def is_actionable(job: Job) -> bool:
    """True when the server accepts the family's stop/cancel in the job's current status."""
    return job.status.strip().lower() in action_for(job.family).allowed


def refusal_reason(job: Job) -> str | None:
    """Why the job cannot be stopped or cancelled now, or None when it can.

    Args:
        job: The job as last seen.

    Returns:
        One sentence fit for a notification, e.g. "Completed jobs cannot be cancelled."
    """
    action = action_for(job.family)
    verb = "stopped" if action.kind is ActionKind.STOP else "cancelled"
    status = job.status.strip().lower()
    if status in action.allowed:
        return None
    if job.state is JobState.UNREADABLE:
        return f"ztui could not read this job, so it will not send a {action.kind}."
    if not job.status:
        return f"The job reports no status, so ztui will not send a {action.kind}."
    if job.state is JobState.UNKNOWN:
        return (
            f"ztui does not know the status {job.status!r}, so it will not send a "
            f"{action.kind}; Zuora may refuse it."
        )
    if job.state is JobState.STOPPING:
        return "The job is already stopping."
    if job.state.is_terminal:
        word = _STATE_WORDS.get(job.state, job.status)
        return f"{word.capitalize()} jobs cannot be {verb} (this one is {job.status})."
    allowed = " or ".join(action.allowed)
    return f"{job.family.label} jobs can be {verb} only while {allowed}; this one is {job.status}."


@dataclass(frozen=True)
class ActionOutcome:
    """What happened when ztui tried to stop or cancel a job."""

    key: tuple[Family, str]
    """The job the action was bound to when the user pressed the key."""
    kind: ActionKind
    """Stop or cancel."""
    sent: bool
    """True when the stop/cancel request reached the network."""
    ok: bool
    """True when the server accepted it."""
    message: str
    """One line for the notification: the outcome, or the server's message verbatim."""
    job: Job | None = None
    """The job as the response (or the re-read) shows it, to update the row at once."""
    request_id: str | None = None
    """The `Zuora-Request-Id` of the stop/cancel response, when there was one."""
    http_status: int | None = None
    """The HTTP status of the stop/cancel response, when there was one."""
    unrecorded: bool = False
    """Nothing was sent because the journal could not record the intent first."""


class StopClient(Protocol):
    """The part of `ztui.api.client.ZuoraClient` the action uses."""

    @property
    def read_only(self) -> bool:
        """True when the client refuses every write locally."""
        ...

    async def get_job(self, family: Family, job_id: str) -> Job:
        """Fetch one job."""
        ...

    async def stop_job(self, family: Family, job_id: str) -> Any:
        """Send the family's stop/cancel; returns the job JSON/`Job` or a response body."""
        ...


class JournalLike(Protocol):
    """Anything with `append(entry)`, i.e. `ztui.store.journal.Journal`."""

    def append(self, entry: Any) -> Any:
        """Record one entry."""
        ...


def _status_of(error: ApiError) -> str:
    return f"HTTP {error.status}" if error.status is not None else type(error).__name__


def _server_text(error: ApiError) -> str:
    """The server's own words: every reason verbatim, else the error's message."""
    if error.reasons:
        return "; ".join(
            f"{r.message} (code {r.code})" if r.code else r.message for r in error.reasons
        )
    return error.message


def _took_effect(job: Job) -> bool:
    """Whether `job` shows the stop/cancel landed: stopping, stopped or cancelled."""
    return job.state in (JobState.STOPPING, JobState.STOPPED, JobState.CANCELLED)


@dataclass(frozen=True)
class _Record:
    """Writes the journal lines of one stop attempt (all under one `attempt` id)."""

    journal: JournalLike | None
    kind: ActionKind
    key: tuple[Family, str]
    profile: str | None
    host: str | None
    attempt: str
    extra: Mapping[str, str] | None = None
    """More to keep on every line (the hub's `viewer` that asked)."""

    def write(
        self,
        *,
        outcome: str,
        detail: str,
        request_id: str | None = None,
        http_status: int | None = None,
        track_id: str | None = None,
    ) -> bool:
        """Append one line (see `_journal`); True when it was written."""
        return _journal(
            self.journal,
            kind=self.kind,
            key=self.key,
            profile=self.profile,
            host=self.host,
            request_id=request_id,
            http_status=http_status,
            outcome=outcome,
            detail=detail,
            track_id=track_id,
            attempt=self.attempt,
            extra=self.extra,
        )


async def _settle(
    client: StopClient,
    key: tuple[Family, str],
    exc: ApiError,
    record: _Record,
    *,
    reads: int = SETTLE_READS,
    delay_s: float = SETTLE_DELAY_S,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> ActionOutcome:
    """The stop was sent but its answer was lost: read the job to learn what happened.

    Recorded as "unknown" first (an ambiguous write is on record as ambiguous), then
    settled by what the job shows: "ok" when it is stopping, stopped or cancelled;
    otherwise it stays "unknown" and the user is told it may or may not have landed.
    """
    family, job_id = key
    action = action_for(family)
    noun = f"{family.label} job {job_id}"
    lost = f"{_status_of(exc)}: {_server_text(exc)}"
    record.write(
        request_id=exc.request_id,
        http_status=exc.status,
        outcome="unknown",
        detail=f"the answer was lost ({lost}); reading the job to settle it",
    )
    seen: Job | None = None
    for n in range(max(1, reads)):
        if n:
            await sleep(delay_s)
        try:
            seen = await client.get_job(family, job_id)
        except ApiError as read_error:
            log.info("settling the %s of %s: re-read failed: %s", action.kind, job_id, read_error)
            continue
        if _took_effect(seen):
            record.write(
                request_id=exc.request_id,
                http_status=exc.status,
                outcome="ok",
                detail=f"settled: the answer was lost ({lost}) but the job is now {seen.status}",
            )
            return ActionOutcome(
                key,
                action.kind,
                sent=True,
                ok=True,
                message=f"The answer to the {action.kind} was lost ({_status_of(exc)}), "
                f"but Zuora has it: {noun} is now {seen.status}.",
                job=seen,
                request_id=exc.request_id,
                http_status=exc.status,
            )
    now = f"it still shows {seen.status}" if seen is not None else "it could not be re-read"
    return ActionOutcome(
        key,
        action.kind,
        sent=True,
        ok=False,
        message=f"The {action.kind} of {noun} may or may not have reached Zuora: its answer "
        f"was lost ({lost}) and {now}. Look again in a moment; sending it again is safe.",
        job=seen,
        request_id=exc.request_id,
        http_status=exc.status,
    )


def _job_from_response(family: Family, response: Any) -> Job | None:
    """The job as a stop/cancel response shows it (when the family's response carries it)."""
    if isinstance(response, Job):
        return response
    definition = family_def(family)
    if isinstance(response, Mapping) and definition.stop.returns_job:
        try:
            return definition.parse(response)
        except ApiError:
            return None
    return None


def _call_ids(client: object = None) -> tuple[str | None, str | None]:
    # Imported here: the client module brings httpx, which this module does not need.
    from ztui.api.transport import call_ids

    return call_ids(client)


def _journal(
    journal: JournalLike | None,
    *,
    kind: ActionKind,
    key: tuple[Family, str],
    profile: str | None,
    host: str | None,
    request_id: str | None,
    http_status: int | None,
    outcome: str,
    detail: str,
    track_id: str | None = None,
    attempt: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> bool:
    """Append one journal entry; a failure is logged, not raised. True when it was
    written (or there is no journal)."""
    if journal is None:
        return True
    try:
        from ztui.store.journal import JournalEntry

        entry = _make_entry(
            JournalEntry,
            action=str(kind),
            family=str(key[0]),
            job_id=key[1],
            profile=profile,
            host=host,
            request_id=request_id,
            track_id=track_id or _call_ids()[1],
            http_status=http_status,
            outcome=outcome,
            message=detail,
            extra={**(extra or {}), **({"attempt": attempt} if attempt else {})},
        )
        journal.append(entry)
    except Exception:  # the journal must never turn a sent stop into a crash
        log.exception("could not write the journal entry for %s %s", kind, key[1])
        return False
    return True


def _make_entry(cls: Any, **fields: Any) -> Any:
    """Build a journal entry from the fields its class declares (it may lack some)."""
    import dataclasses
    import inspect

    if dataclasses.is_dataclass(cls):
        names = {f.name for f in dataclasses.fields(cls)}
    else:
        names = set(inspect.signature(cls).parameters)
    return cls(**{k: v for k, v in fields.items() if k in names})


async def perform_stop(
    client: StopClient,
    key: tuple[Family, str],
    *,
    journal: JournalLike | None = None,
    profile: str | None = None,
    host: str | None = None,
    require_journal: bool = False,
    extra: Mapping[str, str] | None = None,
) -> ActionOutcome:
    """Re-read the job, then send its family's stop/cancel exactly once.

    Never raises for API failures: a refused re-read, a job that has left an actionable
    state, a read-only connection and an error response all come back as an outcome
    with `sent` and `ok` saying what happened. Attempts that reached the server are
    journalled (action "stop"/"cancel", job id, request id, HTTP status, outcome).

    Args:
        client: The API client.
        key: `(family, job id)` captured when the user pressed the key.
        journal: Where to record the attempt; None records nothing.
        profile: The profile name, for the journal.
        host: The server host, for the journal.
        require_journal: Send nothing unless the intent is on record first (headless
            commands: a write that cannot be recorded is not made).
        extra: More to keep on every journal line of the attempt (a hub records which
            viewer asked).

    Returns:
        The outcome.
    """
    family, job_id = key
    action = action_for(family)
    noun = f"{family.label} job {job_id}"
    try:
        current = await client.get_job(family, job_id)
    except ApiError as exc:
        return ActionOutcome(
            key,
            action.kind,
            sent=False,
            ok=False,
            message=f"Could not re-read {noun} before sending ({_server_text(exc)}); "
            "nothing was sent.",
        )
    reason = refusal_reason(current)
    if reason is not None:
        return ActionOutcome(
            key,
            action.kind,
            sent=False,
            ok=False,
            message=f"{noun} is now {current.status or 'in an unknown state'}: {reason} "
            "Nothing was sent.",
            job=current,
        )
    if client.read_only:
        return ActionOutcome(
            key,
            action.kind,
            sent=False,
            ok=False,
            message=f"Read-only connection: the {action.kind} of {noun} was not sent.",
        )
    record = _Record(journal, action.kind, key, profile, host, uuid.uuid4().hex, extra)
    # Write-ahead: the intent is on record before anything is sent, so a crash (kill -9,
    # power loss) while the request is out leaves a line saying so.
    recorded = record.write(
        outcome="sending", detail=f"sending the {action.kind} (job was {current.status})"
    )
    if not recorded and require_journal:
        return ActionOutcome(
            key,
            action.kind,
            sent=False,
            ok=False,
            message=f"The journal could not record the {action.kind} of {noun}, so it was not "
            "sent (a write ztui cannot record is not made). Free some disk space, or fix the "
            "journal folder's permissions, and try again.",
            unrecorded=True,
        )
    try:
        response = await client.stop_job(family, job_id)
    except ReadOnlyError as exc:
        return ActionOutcome(key, action.kind, sent=False, ok=False, message=exc.message)
    except Unreachable as exc:
        # No connection was made: the request never left this machine.
        record.write(
            request_id=None,
            http_status=None,
            outcome="error",
            detail=f"not sent: {exc.message}",
        )
        return ActionOutcome(
            key,
            action.kind,
            sent=False,
            ok=False,
            message=f"{exc.message}; the {action.kind} of {noun} was not sent.",
        )
    except _AMBIGUOUS as exc:
        return await _settle(client, key, exc, record, delay_s=SETTLE_DELAY_S)
    except CancelRefused as exc:
        # docs/tolerance.md rule 10: the server answered, but did not cancel.
        text = _server_text(exc)
        record.write(
            request_id=exc.request_id,
            http_status=exc.status,
            outcome="refused",
            detail=text,
        )
        if exc.finished:
            lead = (
                f"{noun} finished ({exc.job_status}) before the {action.kind} reached it; "
                f"Zuora did not {action.kind} it"
            )
        else:
            lead = f"Zuora refused to {action.kind} {noun} ({_status_of(exc)})"
        return ActionOutcome(
            key,
            action.kind,
            sent=True,
            ok=False,
            message=f"{lead}: {text}",
            request_id=exc.request_id,
            http_status=exc.status,
        )
    except ApiError as exc:
        text = _server_text(exc)
        record.write(
            request_id=exc.request_id,
            http_status=exc.status,
            outcome="error",
            detail=text,
        )
        return ActionOutcome(
            key,
            action.kind,
            sent=True,
            ok=False,
            message=f"{action.verb} of {noun} refused ({_status_of(exc)}): {text}",
            request_id=exc.request_id,
            http_status=exc.status,
        )
    request_id, track_id = _call_ids(client)  # before the re-read makes another call
    job = _job_from_response(family, response)
    if job is None:
        # Uno stop answers with a bare CommonResponse; show the job as it is now.
        try:
            job = await client.get_job(family, job_id)
        except ApiError:
            job = _assumed_after_stop(current)
    word = "Stop requested" if action.kind is ActionKind.STOP else "Cancelled"
    record.write(
        request_id=request_id,
        track_id=track_id,
        http_status=200,
        outcome="ok",
        detail=f"status now {job.status}",
    )
    return ActionOutcome(
        key,
        action.kind,
        sent=True,
        ok=True,
        message=f"{word}: {noun} is now {job.status}.",
        job=job,
        request_id=request_id,
        http_status=200,
    )


def _assumed_after_stop(job: Job) -> Job:
    """The job with the status the stop asked for, when it cannot be re-read."""
    from dataclasses import replace

    definition = family_def(job.family)
    status = definition.stop.status_after or job.status
    return replace(job, status=status, state=definition.normalise(status))
