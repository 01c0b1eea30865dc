"""Provides `SubmissionFlow`: creating a job exactly once, owned by the app.

The new-job screen posts `SubmitRequested` with the spec its form describes. The flow:

1. shows what will be sent in a `ConfirmDialog` (profile, family, file, rows, MD5 and
   the retry rule), focused on Cancel; on production the tenant name must be typed;
2. on a yes, makes the submission's idempotency keys (docs/zuora-api.md §2.8: made when
   the user confirmed, reused on every retry) and runs it in the app's `upload` worker,
   which outlives the screen;
3. gives a large upload a last few seconds to be cancelled, and holds a create locally
   while the family's running-job limit is reached (custom objects: 5 slots);
4. runs `ztui.ops.submit.submit` (through the host's `access`: the app's client, or a
   hub, which performs it in its own journal), and asks the user what to do when the outcome is
   ambiguous (resubmit after a checked key-less failure, retry with the same key, retry
   the upload or cancel an orphaned custom-object job);
5. reports the outcome, follows a new job that can only be followed by id, and hands a
   dry run to the app's `DryRunFlow`.

While the screen that asked is mounted, the flow shows its progress there
(`SubmissionView`); the flow does not depend on it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final, Protocol

from ztui.families import family_def, noun
from ztui.ops.confirm import ConfirmRequest, profile_line, typed_phrase
from ztui.ops.submit import (
    CustomObjectSpec,
    DataBackfillSpec,
    JobSpec,
    PropagationSpec,
    Submission,
    SubmitContext,
    SubmitOutcome,
    UploadFile,
    describe,
    family_of,
)

if TYPE_CHECKING:
    from ztui.config.schema import ResolvedProfile
    from ztui.host import Choice, ZtuiHost

log = logging.getLogger("ztui.flows.submission")

LARGE_FILE: Final = 1024 * 1024
"""Uploads from this size get a last chance to cancel before the request is sent."""
SEND_DELAY_S: float = 3.0
"""Seconds a large upload waits, cancellable, before it is sent (tests set 0)."""
QUEUE_POLL_S: float = 10.0
"""Seconds between slot checks while a custom-object submit is queued locally."""
REREAD_DELAY_S: float = 1.5
"""Seconds between job listings after an ambiguous create."""


class SubmissionView(Protocol):
    """Where a submission shows its progress: the new-job screen that asked for it."""

    cancel_send: asyncio.Event | None
    """Set while a large upload counts down; setting the event cancels the send."""

    @property
    def is_attached(self) -> bool:
        """False once the screen was closed (the submission goes on without it)."""
        ...

    def submission_started(self) -> None:
        """The user confirmed: the submission runs."""
        ...

    def show_progress(self, text: str, fraction: float | None, *, can_cancel: bool) -> None:
        """Say what the submission does now (`fraction` None: no figure)."""
        ...

    def show_countdown(self, upload: UploadFile, seconds_left: float, fraction: float) -> None:
        """A large upload is sent in `seconds_left` unless cancelled."""
        ...

    def show_done(self, text: str) -> None:
        """The submission ended (or stopped); `text` says how."""
        ...

    def submission_created(self) -> None:
        """The job was created: the view may close."""
        ...


def summary(profile: ResolvedProfile, spec: JobSpec) -> ConfirmRequest:
    """The confirmation of creating `spec` on `profile`: what will be sent, and where."""
    family = family_of(spec)
    rows = [("Profile", profile_line(profile, environment=False)), *describe(spec)]
    rows.append(
        (
            "Retries",
            "one new Idempotency-Key, reused on every retry"
            if family_def(family).create.uses_idempotency_key
            else "no key (the API takes none): after a timeout the jobs are listed first",
        )
    )
    return ConfirmRequest(
        title=f"Create this {noun(family)} job?",
        rows=tuple(rows),
        confirm_label="Send",
        typed_phrase=typed_phrase(profile),
        verb="send",
        wide=True,
    )


class SubmissionFlow:
    """Creates jobs for the app: confirm, send once, settle ambiguity, report."""

    def __init__(self, host: ZtuiHost) -> None:
        """Create the app's flow.

        Args:
            host: The app it acts for.
        """
        self._host = host
        self._queued: list[Submission] = []

    @property
    def queued(self) -> list[Submission]:
        """Submissions waiting locally for a free slot of their family."""
        return list(self._queued)

    def request(self, spec: JobSpec, view: SubmissionView | None = None) -> None:
        """Confirm `spec` with the user, then send it once.

        Args:
            spec: What to create.
            view: The screen that asked, to show progress on while it is mounted.
        """
        app = self._host

        def answered(confirmed: bool) -> None:
            if not confirmed:
                app.notify("Nothing was sent.", timeout=3)
                return
            if view is not None:
                view.submission_started()
            # docs/zuora-api.md §2.8: the key is made now, when the user confirmed.
            self.start(Submission(spec), view)

        app.confirm(summary(app.profile, spec), answered)

    def start(self, sub: Submission, view: SubmissionView | None = None) -> None:
        """Run the confirmed `sub` in the app's `upload` worker (it outlives the screen).

        Args:
            sub: The confirmed submission.
            view: The screen to show progress on while it is mounted.
        """
        self._host.run_worker(
            self._run(sub, view),
            group="upload",
            exit_on_error=False,
            description=f"Creating the {noun(sub.family)} job",
        )

    async def _countdown(self, sub: Submission, view: SubmissionView | None) -> bool:
        """Last chance to cancel a large upload; True when it may be sent."""
        spec = sub.spec
        upload = spec.file if isinstance(spec, DataBackfillSpec | CustomObjectSpec) else None
        live = _live(view)
        if upload is None or upload.size < LARGE_FILE or SEND_DELAY_S <= 0 or live is None:
            return True
        event = asyncio.Event()
        live.cancel_send = event
        steps = 20
        try:
            for i in range(steps):
                live = _live(view)
                if live is not None:
                    live.show_countdown(upload, SEND_DELAY_S * (steps - i) / steps, i / steps)
                try:
                    await asyncio.wait_for(event.wait(), SEND_DELAY_S / steps)
                except TimeoutError:
                    continue
                return False
            return True
        finally:
            if live is not None:
                live.cancel_send = None

    async def _run(self, sub: Submission, view: SubmissionView | None) -> None:
        """The `upload` worker: send once, resolve ambiguity with the user, report."""
        app = self._host
        label = noun(sub.family)
        limit = family_def(sub.family).create.max_active

        def progress(text: str) -> None:
            live = _live(view)
            if live is not None:
                live.show_progress(text, None, can_cancel=False)

        def done(text: str) -> None:
            live = _live(view)
            if live is not None:
                live.show_done(text)

        access = app.access
        if access is None:
            app.notify("Not connected; nothing was sent.", severity="error")
            done("Not connected; nothing was sent.")
            return
        confirm = typed_phrase(app.profile)
        if not await self._countdown(sub, view):
            app.notify("Sending cancelled; nothing was sent.", timeout=4)
            done("Sending cancelled; nothing was sent.")
            return
        snapshot = app.jobs
        known = (
            frozenset(jid for fam, jid in snapshot.jobs if fam is sub.family)
            if snapshot is not None
            else frozenset()
        )
        ctx = SubmitContext(
            journal=app.journal,
            profile=app.profile.name,
            host=app.profile.base_url,
            known_ids=known,
            reread_delay_s=REREAD_DELAY_S,
        )
        while True:
            if limit is not None and sub.job_id is None:
                used = await access.slots_in_use()
                if used is not None and used >= limit:
                    await self._wait_in_queue(sub, limit, progress)
            progress(f"Sending the {label} job…")
            outcome = await access.submit(sub, ctx, confirm=confirm)
            if outcome.kind == "limit" and limit is not None:
                await self._wait_in_queue(sub, limit, progress)
                continue
            resolved = await self._resolve(sub, ctx, outcome, progress, confirm)
            if resolved is None:
                continue  # the user chose to send again
            outcome = resolved
            break
        self._report(sub, outcome)
        done(outcome.message)
        if outcome.ok:
            live = _live(view)
            if live is not None:
                live.submission_created()

    async def _wait_in_queue(
        self, sub: Submission, limit: int, progress: Callable[[str], None]
    ) -> None:
        """Hold a custom-object submit locally until a slot frees."""
        app = self._host
        queue = self._queued
        queue.append(sub)
        app.notify(
            f"All {limit} custom-object job slots are in use: the job is queued here and "
            "sent when one frees (keep ztui open).",
            title="Queued",
            timeout=8,
        )
        access = app.access
        try:
            if access is not None:
                await access.wait_for_slot(
                    poll_s=QUEUE_POLL_S,
                    on_wait=lambda used: progress(
                        f"Queued: {used} of {limit} custom-object slots in use; "
                        f"{len(queue)} waiting here"
                    ),
                )
        finally:
            if sub in queue:
                queue.remove(sub)

    async def _ask(self, title: str, message: str, choices: Sequence[Choice]) -> str | None:
        """The user's choice (None: closed without one), from inside the worker."""
        answer: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()

        def chosen(choice: str | None) -> None:
            if not answer.done():
                answer.set_result(choice)

        self._host.choose(title, message, choices, chosen)
        return await answer

    async def _resolve(
        self,
        sub: Submission,
        ctx: SubmitContext,
        outcome: SubmitOutcome,
        progress: Callable[[str], None],
        confirm: str | None,
    ) -> SubmitOutcome | None:
        """Ask the user what to do after an ambiguous outcome; None means "send again"."""
        access = self._host.access
        while access is not None:
            if outcome.kind == "orphan":
                choices: list[Choice] = []
                if outcome.can_retry:
                    choices.append(("retry", "Retry the upload (same key)"))
                choices += [("cancel", "Cancel the pending job"), ("leave", "Leave it pending")]
                choice = await self._ask("The file did not arrive", outcome.message, choices)
                if choice == "retry":
                    progress("Uploading the file again (same key)…")
                    outcome = await access.retry_upload(sub, ctx, confirm=confirm)
                    continue
                if choice == "cancel":
                    progress(f"Cancelling job {sub.job_id}…")
                    cancelled = await access.cancel_pending(sub, ctx, confirm=confirm)
                    return dataclasses.replace(
                        cancelled,
                        kind="refused" if cancelled.ok else "orphan",
                        message=(
                            f"No job was left behind: {cancelled.message}"
                            if cancelled.ok
                            else f"{cancelled.message} Job {sub.job_id} is still pending "
                            "without a file; cancel it from the board (s)."
                        ),
                    )
                return dataclasses.replace(
                    outcome,
                    message=f"Custom-object job {sub.job_id} was left pending without a file; "
                    "it holds one of the 5 slots until cancelled (s on the board).",
                )
            if outcome.kind == "unknown" and (outcome.can_retry or outcome.can_resubmit):
                again: Choice = (
                    ("retry", "Send again (same key)")
                    if outcome.can_retry
                    else ("resubmit", "Submit again")
                )
                choice = await self._ask(
                    "No answer from Zuora", outcome.message, [again, ("close", "Close")]
                )
                if choice in ("retry", "resubmit"):
                    return None
                return outcome
            return outcome
        return outcome

    def _report(self, sub: Submission, outcome: SubmitOutcome) -> None:
        app = self._host
        if outcome.ok:
            app.notify(outcome.message, title="Job created")
            job_id = outcome.job_id
            poller = app.poller
            if job_id and family_def(sub.family).followed_by_id and poller is not None:
                poller.watch_aqua(job_id)
            if job_id and isinstance(sub.spec, PropagationSpec) and sub.spec.dry_run:
                app.dry_runs.follow(job_id, sub.spec)
            app.refresh_now(sub.family)
        elif outcome.kind == "not_sent":
            app.notify(outcome.message, title="Not sent", severity="warning", timeout=10)
        elif outcome.kind == "refused" and outcome.message.startswith("No job was left behind"):
            app.notify(outcome.message, title="Upload failed", severity="warning", timeout=12)
            app.refresh_now(sub.family)
        else:
            app.notify(
                outcome.message,
                title="Not created" if outcome.kind == "refused" else "Check the board",
                severity="error",
                timeout=15,
            )
            app.refresh_now(sub.family)


def _live(view: SubmissionView | None) -> SubmissionView | None:
    return view if view is not None and view.is_attached else None
