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
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

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
