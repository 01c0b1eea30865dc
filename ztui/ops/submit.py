"""Provides exactly-once job creation for the five families, UI-free.

The new-job screen builds a `JobSpec` from its form, makes a `Submission` when the user
confirms (that is when the idempotency keys are made, docs/zuora-api.md §2.8) and runs `submit` in
an app worker. Every write that reaches the network is journalled (`ztui.store.journal`), and
every failure comes back as a `SubmitOutcome`, never as an exception.

How "exactly once" is kept, per family:

- Auto-backfill create, custom-object submit/upload/cancel and AQuA create take an
  `Idempotency-Key`. The key made at confirm is reused on every retry (the client retries
  5xx and dropped connections with it; `submit` may call again with it). A 409/422
  (`Conflict`) means "re-read": ztui looks for the job before sending again, and then
  only ever with the same key, which the server answers with the stored result.
- Data-backfill and booking-date creates take no key and are never retried by the client.
  ztui lists the family's jobs right before sending; after a timeout or 5xx it lists them
  again and looks for a job that was not there before, with the same type (and file name,
  which the data-backfill list shows). Only when none shows up may the user resubmit.
- A custom-object job is two requests. When the upload fails after the job was
  submitted, the outcome is `orphan`: the UI offers to retry the upload with its key or to
  cancel the pending job, so no pending job is left behind without the user knowing.
- The tenant runs at most 5 custom-object jobs at a time (docs/zuora-api.md §6);
  `ztui.ops.slots.custom_object_slots` counts them so the UI can queue a submit locally
  while all are taken.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ztui.api.errors import (
    ApiError,
    Conflict,
    MalformedResponse,
    RateLimited,
    ReadOnlyError,
    ServerError,
    TransportError,
)
from ztui.api.models import Family, Job
from ztui.families import family_def, noun
from ztui.ops.slots import (
    active_custom_object_jobs,
    custom_object_slots,
    list_recent,
    wait_for_slot,
)
from ztui.ops.specs import (
    AquaSpec,
    BookingDateSpec,
    CustomObjectSpec,
    DataBackfillSpec,
    JobSpec,
    PropagationSpec,
    UploadFile,
    describe,
    family_of,
    file_of,
    journal_extra,
    journal_request,
    matches,
    parse_zoql,
)
from ztui.ops.templates import load_template, save_template, template_cache_path, template_header

if TYPE_CHECKING:
    from ztui.api.client import ZuoraClient

__all__ = [
    "AquaSpec",
    "BookingDateSpec",
    "CustomObjectSpec",
    "DataBackfillSpec",
    "JobSpec",
    "PropagationSpec",
    "Submission",
    "SubmitContext",
    "SubmitOutcome",
    "UploadFile",
    "active_custom_object_jobs",
    "cancel_pending",
    "custom_object_slots",
    "describe",
    "family_of",
    "load_template",
    "parse_zoql",
    "retry_upload",
    "save_template",
    "submit",
    "template_cache_path",
    "template_header",
    "wait_for_slot",
]

log = logging.getLogger("ztui.ops.submit")

# --------------------------------------------------------------------------- outcomes


OutcomeKind = Literal["created", "found", "refused", "unknown", "orphan", "not_sent", "limit"]


@dataclass(frozen=True)
class SubmitOutcome:
    """What became of a submission, as far as ztui can tell."""

    kind: OutcomeKind
    """`created`: the server answered with the job. `found`: the answer was lost, but a
    re-read found the job. `refused`: the server said no (nothing was created).
    `unknown`: no answer and no job found. `orphan`: a custom-object job exists but its
    file did not arrive. `not_sent`: refused locally. `limit`: all 5 custom-object slots
    are taken (nothing was created)."""
    message: str
    """One line for a notification."""
    job_id: str | None = None
    job: Job | None = None
    http_status: int | None = None
    request_id: str | None = None
    can_resubmit: bool = False
    """A key-less create was checked and not found: resubmitting cannot duplicate it."""
    can_retry: bool = False
    """The same request may be sent again with the same key (safe by idempotency)."""

    @property
    def ok(self) -> bool:
        """True when the job exists and (for custom objects) has its file."""
        return self.kind in ("created", "found")


class JournalLike(Protocol):
    """Anything with `append(entry)`, i.e. `ztui.store.journal.Journal`."""

    def append(self, entry: Any) -> Any:
        """Record one entry."""
        ...


@dataclass
class Submission:
    """One confirmed create, with the keys made at confirm and reused on every retry."""

    spec: JobSpec
    key: str = field(default_factory=lambda: str(uuid.uuid4()))
    """`Idempotency-Key` of the create/submit (used where the API accepts one)."""
    upload_key: str = field(default_factory=lambda: str(uuid.uuid4()))
    """`Idempotency-Key` of the custom-object upload."""
    cancel_key: str = field(default_factory=lambda: str(uuid.uuid4()))
    """`Idempotency-Key` of a custom-object cancel of this job."""
    job_id: str | None = None
    """Set once the job is known to exist (a custom-object job awaiting its file)."""
    attempt: str = field(default_factory=lambda: uuid.uuid4().hex)
    """Ties every journal line of this submission together (`extra["attempt"]`), from
    the write-ahead "sending" line to the one that says how it ended."""

    @property
    def family(self) -> Family:
        """The family created."""
        return family_of(self.spec)

    @property
    def uses_key(self) -> bool:
        """Whether the create request carries `key` (docs/zuora-api.md §2.8)."""
        return family_def(self.family).create.uses_idempotency_key

    def renew_key(self) -> None:
        """Make a new create key: only after the server answered a definite no."""
        self.key = str(uuid.uuid4())


@dataclass(frozen=True)
class SubmitContext:
    """Where the journal goes and how patiently ambiguous answers are re-checked."""

    journal: JournalLike | None = None
    profile: str | None = None
    host: str | None = None
    """Base URL or host of the connection (the journal keeps the host only)."""
    known_ids: frozenset[str] = frozenset()
    """Ids already seen (the board's snapshot), used when the pre-submit list fails."""
    reread_attempts: int = 3
    """How many times to list after an ambiguous failure before giving up."""
    reread_delay_s: float = 1.5
    """Seconds between those lists (the job may appear a little later)."""
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    extra: Mapping[str, str] = field(default_factory=dict)
    """More to keep on every journal line (a hub records which viewer asked)."""


# ---------------------------------------------------------------------------- helpers

_AMBIGUOUS = (ServerError, TransportError, MalformedResponse)
"""Failures after which the request may or may not have been carried out."""


def _server_text(error: ApiError) -> str:
    if error.reasons:
        return "; ".join(
            f"{r.message} (code {r.code})" if r.code else r.message for r in error.reasons
        )
    return error.message


def _status_text(error: ApiError) -> str:
    return f"HTTP {error.status}" if error.status is not None else type(error).__name__


def _journal(
    ctx: SubmitContext,
    sub: Submission,
    *,
    action: str,
    outcome: str,
    message: str,
    key: str | None,
    job_id: str | None = None,
    http_status: int | None = None,
    request_id: str | None = None,
    with_file: bool = True,
    track_id: str | None = None,
    with_request: bool = False,
) -> None:
    """Append one journal line; a journal failure is logged, never raised.

    With `with_request`, the request body (`journal_request`) goes along, so a create
    left open can be settled later by sending it again under its key."""
    if ctx.journal is None:
        return
    try:
        from ztui.store.journal import JournalEntry

        upload = file_of(sub.spec) if with_file else None
        request = journal_request(sub.spec)
        ctx.journal.append(
            JournalEntry(
                family=str(sub.family),
                action=action,
                profile=ctx.profile,
                host=ctx.host,
                file_name=upload.name if upload else None,
                size=upload.size if upload else None,
                sha256=upload.sha256 if upload else None,
                md5=upload.md5 if upload else None,
                idempotency_key=key,
                request_id=request_id,
                track_id=track_id,
                http_status=http_status,
                job_id=job_id,
                outcome=outcome,
                message=message,
                extra={
                    **ctx.extra,
                    **journal_extra(sub.spec),
                    **({"request": request} if with_request and request else {}),
                    "attempt": sub.attempt,
                },
            )
        )
    except Exception:  # the journal must never turn a sent create into a crash
        log.exception("could not write the journal entry for a %s %s", sub.family, action)


def _call_ids(client: object = None) -> tuple[str | None, str | None]:
    # Imported here: the client module brings httpx, which this module does not need.
    from ztui.api.transport import call_ids

    return call_ids(client)


async def _find_new(
    client: ZuoraClient, sub: Submission, before: set[str] | None, ctx: SubmitContext
) -> Job | None:
    """List the family after an ambiguous failure and return a new matching job."""
    if before is None or not family_def(sub.family).has_list:
        return None
    for attempt in range(max(1, ctx.reread_attempts)):
        if attempt:
            await ctx.sleep(ctx.reread_delay_s)
        jobs = await list_recent(client, sub.family)
        if jobs is None:
            continue
        fresh = [j for j in jobs if j.id not in before and matches(sub.spec, j)]
        if len(fresh) > 1:
            log.warning("%d new %s jobs match one submission", len(fresh), sub.family)
        if fresh:
            # Several could only come from another client; the newest is ours most likely.
            fresh.sort(key=lambda j: (j.created_at is not None, j.created_at), reverse=True)
            return fresh[0]
    return None


# ------------------------------------------------------------------------------ flows


async def submit(client: ZuoraClient, sub: Submission, ctx: SubmitContext) -> SubmitOutcome:
    """Create the job `sub` describes, exactly once (see the module docstring).

    Never raises for API failures. Safe to call again with the same `sub` after an
    `unknown` outcome with `can_retry` (same key) or `can_resubmit` (checked key-less).

    Args:
        client: The connected API client (a read-only one refuses before sending).
        sub: The submission, with the keys made when the user confirmed.
        ctx: Journal and re-read settings.
    """
    if isinstance(sub.spec, CustomObjectSpec):
        return await _custom_object(client, sub, ctx)
    return await _create(client, sub, ctx)


async def _send_create(client: ZuoraClient, sub: Submission) -> tuple[str, Job | None]:
    """Send the create request of `sub` once (the client may retry keyed ones)."""
    spec = sub.spec
    match spec:
        case DataBackfillSpec():
            job_id = await client.create_data_backfill_job(
                spec.job_type, spec.file.payload, filename=spec.file.name, checksum=spec.file.md5
            )
            return job_id, None
        case BookingDateSpec():
            return await client.create_booking_date_job(), None
        case PropagationSpec():
            job_id = await client.create_propagation_job(
                spec.job_type,
                batch_size=spec.batch_size,
                dry_run=spec.dry_run,
                idempotency_key=sub.key,
            )
            return job_id, None
        case CustomObjectSpec():
            job = await client.submit_custom_object_job(
                spec.object,
                spec.namespace,
                spec.operation,
                spec.filter,
                idempotency_key=sub.key,
            )
            return job.id, job
        case AquaSpec():
            job = await client.create_aqua_job(spec.body(), idempotency_key=sub.key)
            return job.id, job


async def _create(client: ZuoraClient, sub: Submission, ctx: SubmitContext) -> SubmitOutcome:
    """The create (or custom-object submit) step, with re-read on ambiguous answers."""
    family = sub.family
    label = family.label
    # A custom-object job is created in two steps: this submit, then the file upload.
    two_step = isinstance(sub.spec, CustomObjectSpec)
    key = sub.key if sub.uses_key else None
    listed = await list_recent(client, family)
    before: set[str] | None = {j.id for j in listed} if listed is not None else None
    if before is None and ctx.known_ids:
        before = set(ctx.known_ids)
    if not client.read_only:
        # Write-ahead: on record before it is sent, so a crash while the create is out
        # leaves a line that says so (`Journal.unsettled`).
        _journal(
            ctx,
            sub,
            action="create",
            outcome="sending",
            message=f"sending the {label.lower()} create",
            key=key,
            with_request=True,
        )
    conflicts = 0
    while True:
        try:
            job_id, job = await _send_create(client, sub)
        except ReadOnlyError as exc:
            return SubmitOutcome("not_sent", exc.message)
        except Conflict as exc:
            # docs/zuora-api.md §2.8: another request with this key is in flight, or the key was
            # used before. Re-read; if the job is not there, ask again with the same key,
            # which the server answers with the stored result once the first is done.
            found = await _find_new(client, sub, before, ctx)
            if found is not None:
                return _found(ctx, sub, found, exc, key)
            conflicts += 1
            if conflicts <= ctx.reread_attempts:
                await ctx.sleep(ctx.reread_delay_s)
                continue
            return _unknown(ctx, sub, exc, key)
        except _AMBIGUOUS as exc:
            found = await _find_new(client, sub, before, ctx)
            if found is not None:
                return _found(ctx, sub, found, exc, key)
            return _unknown(ctx, sub, exc, key, checked=before is not None)
        except ApiError as exc:
            text = _server_text(exc)
            _journal(
                ctx,
                sub,
                action="create",
                outcome="error",
                message=text,
                key=key,
                http_status=exc.status,
                request_id=exc.request_id,
            )
            facts = family_def(sub.family).create
            if facts.slots_full_code is not None and exc.code == facts.slots_full_code:
                # A definite no: the stored answer under this key is the refusal, so a
                # later try needs a fresh key.
                sub.renew_key()
                return SubmitOutcome(
                    "limit",
                    f"All {facts.max_active} {noun(sub.family)} job slots are in use ({text}).",
                    http_status=exc.status,
                    request_id=exc.request_id,
                )
            sub.renew_key()
            retry = isinstance(exc, RateLimited)
            return SubmitOutcome(
                "refused",
                f"{label} create refused ({_status_text(exc)}): {text}",
                http_status=exc.status,
                request_id=exc.request_id,
                can_resubmit=retry,
            )
        request_id, track_id = _call_ids(client)
        _journal(
            ctx,
            sub,
            action="create",
            outcome="pending" if two_step else "ok",
            message="submitted" if two_step else "created",
            key=key,
            job_id=job_id,
            http_status=200,
            request_id=request_id,
            track_id=track_id,
            with_file=not two_step,
        )
        return SubmitOutcome(
            "created",
            f"{label} job {job_id} created.",
            job_id=job_id,
            job=job,
            http_status=200,
            request_id=request_id,
        )


def _found(
    ctx: SubmitContext, sub: Submission, job: Job, exc: ApiError, key: str | None
) -> SubmitOutcome:
    text = f"{_status_text(exc)} on create, but the job exists: {job.id} ({job.status})"
    two_step = isinstance(sub.spec, CustomObjectSpec)
    _journal(
        ctx,
        sub,
        action="create",
        outcome="pending" if two_step else "ok",
        message=text,
        key=key,
        job_id=job.id,
        http_status=exc.status,
        request_id=exc.request_id,
        with_file=not two_step,
    )
    return SubmitOutcome(
        "found",
        f"{sub.family.label} job {job.id} was created (the answer was lost: "
        f"{_status_text(exc)}); it was not sent again.",
        job_id=job.id,
        job=job,
        http_status=exc.status,
        request_id=exc.request_id,
    )


def _unknown(
    ctx: SubmitContext, sub: Submission, exc: ApiError, key: str | None, *, checked: bool = True
) -> SubmitOutcome:
    text = _server_text(exc)
    _journal(
        ctx,
        sub,
        action="create",
        outcome="unknown",
        message=f"{_status_text(exc)}: {text}; no new job found",
        key=key,
        http_status=exc.status,
        request_id=exc.request_id,
        with_request=True,
    )
    if sub.uses_key:
        message = (
            f"No answer to the {noun(sub.family)} create ({_status_text(exc)}: {text}). "
            "Retrying sends the same Idempotency-Key, so it cannot create a second job."
        )
        return SubmitOutcome(
            "unknown",
            message,
            http_status=exc.status,
            request_id=exc.request_id,
            can_retry=True,
        )
    where = "the job list shows no new job like it" if checked else "the jobs could not be listed"
    return SubmitOutcome(
        "unknown",
        f"No answer to the {noun(sub.family)} create ({_status_text(exc)}: {text}); {where}.",
        http_status=exc.status,
        request_id=exc.request_id,
        can_resubmit=checked,
    )


async def _custom_object(client: ZuoraClient, sub: Submission, ctx: SubmitContext) -> SubmitOutcome:
    spec = sub.spec
    assert isinstance(spec, CustomObjectSpec)
    submitted: SubmitOutcome | None = None
    if sub.job_id is None:
        submitted = await _create(client, sub, ctx)
        if not submitted.ok:
            return submitted
        sub.job_id = submitted.job_id
    if spec.file is None:  # delete jobs take no file
        assert submitted is not None
        return submitted
    return await retry_upload(client, sub, ctx)


async def retry_upload(client: ZuoraClient, sub: Submission, ctx: SubmitContext) -> SubmitOutcome:
    """Upload the CSV of a submitted custom-object job, with the submission's upload key.

    Also the "retry the upload" choice after an `orphan` outcome: the same key means the
    server stores one upload at most.
    """
    spec = sub.spec
    assert isinstance(spec, CustomObjectSpec)
    assert spec.file is not None
    job_id = sub.job_id
    assert job_id is not None
    try:
        job = await client.upload_custom_object_file(
            job_id, spec.file.payload, idempotency_key=sub.upload_key
        )
    except ReadOnlyError as exc:
        return SubmitOutcome("not_sent", exc.message, job_id=job_id)
    except (*_AMBIGUOUS, Conflict) as exc:
        # Did the file arrive? The job leaves `pending` once it has.
        current = await _reread(client, job_id)
        if current is not None and current.status.lower() != "pending":
            _journal(
                ctx,
                sub,
                action="upload",
                outcome="ok",
                message=f"{_status_text(exc)} on upload; the job is {current.status}",
                key=sub.upload_key,
                job_id=job_id,
                http_status=exc.status,
                request_id=exc.request_id,
            )
            return SubmitOutcome(
                "found",
                f"Custom-object job {job_id} received its file ({current.status}); the answer "
                f"was lost ({_status_text(exc)}).",
                job_id=job_id,
                job=current,
            )
        return _orphan(ctx, sub, exc, retry=True)
    except ApiError as exc:
        return _orphan(ctx, sub, exc, retry=False)
    request_id, track_id = _call_ids(client)
    _journal(
        ctx,
        sub,
        action="upload",
        outcome="ok",
        message=f"uploaded; job {job.status}",
        key=sub.upload_key,
        job_id=job_id,
        http_status=200,
        request_id=request_id,
        track_id=track_id,
    )
    return SubmitOutcome(
        "created",
        f"Custom-object job {job_id} created and its file uploaded ({job.status}).",
        job_id=job_id,
        job=job,
        http_status=200,
        request_id=request_id,
    )


async def _reread(client: ZuoraClient, job_id: str) -> Job | None:
    try:
        return await client.get_custom_object_job(job_id)
    except ApiError:
        return None


def _orphan(ctx: SubmitContext, sub: Submission, exc: ApiError, *, retry: bool) -> SubmitOutcome:
    text = _server_text(exc)
    _journal(
        ctx,
        sub,
        action="upload",
        outcome="unknown" if retry else "error",
        message=f"{_status_text(exc)}: {text}",
        key=sub.upload_key,
        job_id=sub.job_id,
        http_status=exc.status,
        request_id=exc.request_id,
    )
    if not retry:
        # The refusal is stored under this key; a corrected retry needs a new one.
        sub.upload_key = str(uuid.uuid4())
    return SubmitOutcome(
        "orphan",
        f"Custom-object job {sub.job_id} was created but its file was not accepted "
        f"({_status_text(exc)}: {text}). It is pending without a file: retry the upload "
        "or cancel the job.",
        job_id=sub.job_id,
        http_status=exc.status,
        request_id=exc.request_id,
        can_retry=retry,
    )


async def cancel_pending(client: ZuoraClient, sub: Submission, ctx: SubmitContext) -> SubmitOutcome:
    """Cancel the pending custom-object job of an `orphan` submission (its cancel key).

    Returns:
        `created`-less outcomes: `refused` when the job is already gone, else `found` with
        the cancelled job (the orphan is resolved either way when `ok`).
    """
    job_id = sub.job_id
    assert job_id is not None
    try:
        job = await client.cancel_custom_object_job(job_id, idempotency_key=sub.cancel_key)
    except ReadOnlyError as exc:
        return SubmitOutcome("not_sent", exc.message, job_id=job_id)
    except ApiError as exc:
        text = _server_text(exc)
        _journal(
            ctx,
            sub,
            action="cancel",
            outcome="error",
            message=text,
            key=sub.cancel_key,
            job_id=job_id,
            http_status=exc.status,
            request_id=exc.request_id,
            with_file=False,
        )
        return SubmitOutcome(
            "refused",
            f"Cancel of custom-object job {job_id} failed ({_status_text(exc)}): {text}",
            job_id=job_id,
            http_status=exc.status,
            request_id=exc.request_id,
            can_retry=isinstance(exc, _AMBIGUOUS),
        )
    request_id, track_id = _call_ids(client)
    _journal(
        ctx,
        sub,
        action="cancel",
        outcome="ok",
        message=f"pending job without its file cancelled; status {job.status}",
        key=sub.cancel_key,
        job_id=job_id,
        http_status=200,
        request_id=request_id,
        track_id=track_id,
        with_file=False,
    )
    return SubmitOutcome(
        "found",
        f"Custom-object job {job_id} cancelled ({job.status}).",
        job_id=job_id,
        job=job,
        http_status=200,
        request_id=request_id,
    )
