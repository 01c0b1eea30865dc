"""Provides `StopFlow`: the one safe way to stop or cancel a job, owned by the app.

The flow, started by `s` on the board or the detail screen (`StopRequested`, or
`ZtuiHost.request_stop`):

1. The action is bound to the job key captured at the key press, never to a row.
2. If the job's state does not allow its family's action, say why and send nothing.
3. A `ConfirmDialog` names the family, job id, kind, profile/tenant and current state. It
   opens focused on Cancel: `enter`, `escape` and `n` send nothing; `y` confirms. On a
   production profile the user types the tenant name instead.
4. In the app's `action` worker, the host's `access` (`ztui.ops.access`) re-reads the job,
   refuses if it left an actionable state, and sends the request once: through
   `ztui.ops.stop.perform_stop` on a direct connection, through the hub (which does the
   same) on a viewer attached to one.
5. The outcome is notified, the row shows the new status at once, and API errors (kept
   in the client's error log) are shown with the server's message verbatim.

A job has at most one flow at a time (`pending_keys`), so a double key press never sends
twice.

Jobs marked on the board go through `start_many`: one confirmation lists every job that
will get a request (family, id, kind, status, and whether it is a stop or a cancel), and
apart those that will not, with the reason; production needs the typed tenant name once
for the batch. Each job is then re-read just before its own request, sent once and
journalled, in turn, and one summary says what happened to each.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ztui.flows.notify import short_id
from ztui.ops.confirm import ConfirmRequest, profile_line, typed_phrase
from ztui.ops.stop import ActionOutcome, action_for, refusal_reason

if TYPE_CHECKING:
    from ztui.api.models import Family, Job
    from ztui.config.schema import ResolvedProfile
    from ztui.host import ZtuiHost

log = logging.getLogger("ztui.flows.stop")


def stop_request(profile: ResolvedProfile, job: Job) -> ConfirmRequest:
    """The confirmation of stopping/cancelling `job` on `profile`."""
    action = action_for(job.family)
    return ConfirmRequest(
        title=f"{action.verb} this {job.family.label.lower()} job?",
        rows=(
            ("Family", job.family.label),
            ("Job id", job.id),
            ("Kind", job.kind),
            ("State", f"{job.status} ({job.state})"),
            ("Profile", profile_line(profile)),
            ("Request", action.request),
        ),
        confirm_label=f"{action.verb} job",
        typed_phrase=typed_phrase(profile),
    )


BatchDone = Callable[[Sequence[ActionOutcome]], None]
"""Told the outcome of each job of a batch once every request has been tried."""


def batch_verb(jobs: Sequence[Job]) -> str:
    """ "Stop", "Cancel" or "Stop or cancel", as the families of `jobs` call their action."""
    verbs = sorted({action_for(job.family).verb for job in jobs}, reverse=True)
    return " or ".join(verbs) if len(verbs) > 1 else verbs[0]


def batch_request(
    profile: ResolvedProfile, jobs: Sequence[Job], left_out: Sequence[tuple[str, str]]
) -> ConfirmRequest:
    """The one confirmation of stopping/cancelling `jobs` on `profile`.

    Args:
        profile: Where the requests go.
        jobs: The jobs that will get a request, in board order.
        left_out: `(job, why)` of the marked jobs that will not, shown apart.
    """
    verb = batch_verb(jobs)
    rows: list[tuple[str, str]] = []
    for job in jobs:
        action = action_for(job.family)
        rows.append((job.family.label, f"{job.id}  {job.kind} · {job.status} → {action.kind}"))
    for what, why in left_out:
        rows.append(("Not sent", f"{what}: {why}"))
    rows.append(("Profile", profile_line(profile)))
    rows.append(("Requests", f"{len(jobs)}, one per job, each re-read just before it is sent"))
    noun = "job" if len(jobs) == 1 else "jobs"
    return ConfirmRequest(
        title=f"{verb} {len(jobs)} marked {noun}?",
        rows=rows,
        confirm_label=f"{verb} {len(jobs)} {noun}",
        typed_phrase=typed_phrase(profile),
        verb="send",
        wide=True,
    )


def batch_summary(outcomes: Sequence[ActionOutcome], left_out: int) -> tuple[str, str, bool]:
    """The title, text and whether anything went wrong, for the summary of a batch."""
    accepted = [o for o in outcomes if o.ok]
    refused = [o for o in outcomes if o.sent and not o.ok]
    unsent = [o for o in outcomes if not o.sent]
    lines = [f"{len(accepted)} of {len(outcomes) + left_out} accepted by Zuora."]
    for outcome in refused:
        lines.append(f"Refused: {short_id(outcome.key[1])}: {outcome.message}")
    for outcome in unsent:
        lines.append(f"Not sent: {short_id(outcome.key[1])}: {outcome.message}")
    if left_out:
        lines.append(f"{left_out} marked job(s) not sent (listed in the confirmation).")
    kinds = "/".join(sorted({str(o.kind) for o in outcomes}, reverse=True))
    trouble = bool(refused or unsent)
    return f"{kinds.capitalize()} of {len(outcomes)} jobs", "\n".join(lines), trouble


class StopFlow:
    """Stops and cancels jobs for the app: confirm, re-read, send once, report."""

    def __init__(self, host: ZtuiHost) -> None:
        """Create the app's flow.

        Args:
            host: The app it acts for.
        """
        self._host = host
        self._pending: set[tuple[Family, str]] = set()

    @property
    def pending_keys(self) -> frozenset[tuple[Family, str]]:
        """Jobs with a stop/cancel in progress (dialog open or request in flight)."""
        return frozenset(self._pending)

    def start(self, key: tuple[Family, str]) -> None:
        """Run the whole stop/cancel flow for the job `key` (see the module docstring).

        Args:
            key: `(family, job id)` captured at the key press.
        """
        app = self._host
        family, job_id = key
        action = action_for(family)
        snapshot = app.jobs
        job = snapshot.get(family, job_id) if snapshot is not None else None
        if job is None:
            app.notify(
                f"{family.label} job {job_id} is not in the current job list; nothing was sent.",
                severity="warning",
            )
            return
        reason = refusal_reason(job)
        if reason is not None:
            app.notify(reason, title=f"{action.verb} not sent", severity="warning")
            return
        if app.profile.read_only:
            app.notify(
                app.profile.read_only_hint
                or f"Profile {app.profile.name} is read-only, so ztui sends no {action.kind}. "
                "Start ztui with --write (or set read_only = false) to allow it.",
                title=f"{action.verb} not sent",
                severity="warning",
            )
            return
        if key in self._pending:
            app.notify(f"A {action.kind} of job {job_id} is already in progress.")
            return
        self._pending.add(key)

        def answered(confirmed: bool) -> None:
            if not confirmed:
                self._pending.discard(key)
                app.notify(f"{action.verb} cancelled; nothing was sent.", timeout=3)
                return
            app.run_worker(
                self._send(key),
                group="action",
                exit_on_error=False,
                description=f"{action.verb} {family.label.lower()} job {job_id}",
            )

        app.confirm(stop_request(app.profile, job), answered)

    def start_many(self, keys: Sequence[tuple[Family, str]], done: BatchDone | None = None) -> None:
        """Stop or cancel several jobs after one confirmation (see the module docstring).

        Args:
            keys: `(family, job id)` of the marked jobs, in board order.
            done: Told each job's outcome once all requests were tried (not when nothing
                was sent).
        """
        if len(keys) == 1:
            self.start(keys[0])
            return
        app = self._host
        if app.profile.read_only:
            app.notify(
                f"Profile {app.profile.name} is read-only, so ztui sends no stop or cancel. "
                "Start ztui with --write (or set read_only = false) to allow it.",
                title="Nothing sent",
                severity="warning",
            )
            return
        snapshot = app.jobs
        jobs: list[Job] = []
        left_out: list[tuple[str, str]] = []
        for key in dict.fromkeys(keys):
            family, job_id = key
            job = snapshot.get(family, job_id) if snapshot is not None else None
            what = f"{family.label} {job_id}"
            if job is None:
                left_out.append((what, "not in the current job list"))
            elif key in self._pending:
                left_out.append((what, "a stop or cancel of it is already in progress"))
            elif (reason := refusal_reason(job)) is not None:
                left_out.append((what, reason))
            else:
                jobs.append(job)
        if not jobs:
            reasons = "; ".join(f"{what}: {why}" for what, why in left_out[:3])
            more = f" (and {len(left_out) - 3} more)" if len(left_out) > 3 else ""
            app.notify(
                f"None of the {len(left_out)} marked jobs can be stopped or cancelled now: "
                f"{reasons}{more}.",
                title="Nothing sent",
                severity="warning",
                timeout=10,
            )
            return
        batch = [job.key for job in jobs]
        self._pending.update(batch)

        def answered(confirmed: bool) -> None:
            if not confirmed:
                self._pending.difference_update(batch)
                app.notify("Nothing was sent.", title=f"{batch_verb(jobs)} cancelled", timeout=3)
                return
            app.run_worker(
                self._send_many(batch, len(left_out), done),
                group="action",
                exit_on_error=False,
                description=f"{batch_verb(jobs)} {len(batch)} jobs",
            )

        app.confirm(batch_request(app.profile, jobs, left_out), answered)

    async def _send_many(
        self, keys: Sequence[tuple[Family, str]], left_out: int, done: BatchDone | None
    ) -> None:
        """The `action` worker of a batch: each job in turn, re-read and sent once."""
        app = self._host
        outcomes: list[ActionOutcome] = []
        try:
            access = app.access
            if access is None:
                app.notify("Not connected; nothing was sent.", severity="error")
                return
            for key in keys:
                try:
                    outcome = await access.stop(key, confirm=typed_phrase(app.profile))
                finally:
                    self._pending.discard(key)
                outcomes.append(outcome)
                if outcome.job is not None:
                    self.apply_job(outcome.job)
        finally:
            self._pending.difference_update(keys)
        title, text, trouble = batch_summary(outcomes, left_out)
        app.notify(
            text,
            title=title,
            severity="warning" if trouble else "information",
            timeout=15 if trouble else 8,
        )
        if done is not None:
            done(outcomes)

    async def _send(self, key: tuple[Family, str]) -> None:
        """The `action` worker: re-read, send once, report, update the row."""
        app = self._host
        try:
            access = app.access
            if access is None:
                app.notify("Not connected; nothing was sent.", severity="error")
                return
            outcome = await access.stop(key, confirm=typed_phrase(app.profile))
            self._report(outcome)
        finally:
            self._pending.discard(key)

    def _report(self, outcome: ActionOutcome) -> None:
        app = self._host
        action = action_for(outcome.key[0])
        if outcome.ok:
            app.notify(outcome.message, title=f"{action.verb} sent")
        elif outcome.sent:
            app.notify(
                outcome.message,
                title=f"{action.verb} refused by Zuora",
                severity="error",
                timeout=12,
            )
        else:
            app.notify(
                outcome.message, title=f"{action.verb} not sent", severity="warning", timeout=10
            )
        if outcome.job is not None:
            self.apply_job(outcome.job)

    def apply_job(self, job: Job) -> None:
        """Show a fresher version of one job at once, without waiting for the next poll.

        The app's snapshot is replaced by a copy holding `job`, and the watcher is asked
        to poll soon so that its own next snapshot agrees.
        """
        app = self._host
        snapshot = app.jobs
        if snapshot is None or snapshot.get(*job.key) is None:
            return
        jobs = dict(snapshot.jobs)
        jobs[job.key] = job
        app.jobs = dataclasses.replace(snapshot, jobs=jobs)
        app.refresh_now(job.family)
