"""Provides `start_stop_flow`: the one safe way to stop or cancel a job.

The flow, started by `s` on the board or the detail screen (`ZtuiApp.request_stop`):

1. The action is bound to the job key captured at the key press, never to a row.
2. If the job's state does not allow its family's action, say why and send nothing.
3. A `ConfirmDialog` names the family, job id, kind, profile/tenant and current state. It opens
   focused on Cancel: `enter`, `escape` and `n` send nothing; `y` confirms. On a
   production profile the user types the tenant name instead.
4. In the app's `action` worker, `ztui.ops.stop.perform_stop` re-reads the job, refuses if
   it left an actionable state, and sends the request once.
5. The outcome is notified, the row shows the new status at once, and API errors (kept
   in the client's error log) are shown with the server's message verbatim.

A job has at most one flow at a time (`pending_keys`), so a double key press never sends
twice.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from textual.app import App

from ztui.dialogs.confirm import ConfirmDialog
from ztui.ops.confirm import ConfirmRequest, profile_line, typed_phrase
from ztui.ops.stop import ActionOutcome, action_for, perform_stop, refusal_reason

if TYPE_CHECKING:
    from ztui.api.models import Family, Job
    from ztui.app import ZtuiApp

log = logging.getLogger("ztui.screens.confirm")

_pending: WeakKeyDictionary[App[Any], set[tuple[Family, str]]] = WeakKeyDictionary()


def pending_keys(app: App[Any]) -> frozenset[tuple[Family, str]]:
    """Jobs with a stop/cancel flow in progress (modal open or request in flight).

    The board can use this to keep such a row where it is while the modal is open.
    """
    return frozenset(_pending.get(app, ()))


def build_request(app: ZtuiApp, job: Job) -> ConfirmRequest:
    """The confirmation of stopping/cancelling `job` on the app's profile."""
    action = action_for(job.family)
    return ConfirmRequest(
        title=f"{action.verb} this {job.family.label.lower()} job?",
        rows=(
            ("Family", job.family.label),
            ("Job id", job.id),
            ("Kind", job.kind),
            ("State", f"{job.status} ({job.state})"),
            ("Profile", profile_line(app.profile)),
            ("Request", action.request),
        ),
        confirm_label=f"{action.verb} job",
        typed_phrase=typed_phrase(app.profile),
    )


def start_stop_flow(app: ZtuiApp, key: tuple[Family, str]) -> None:
    """Run the whole stop/cancel flow for the job `key` (see the module docstring).

    Args:
        app: The running app.
        key: `(family, job id)` captured at the key press.
    """
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
            f"Profile {app.profile.name} is read-only, so ztui sends no {action.kind}. "
            "Start ztui with --write (or set read_only = false) to allow it.",
            title=f"{action.verb} not sent",
            severity="warning",
        )
        return
    pending = _pending.setdefault(app, set())
    if key in pending:
        app.notify(f"A {action.kind} of job {job_id} is already in progress.")
        return
    pending.add(key)

    def answered(confirmed: bool | None) -> None:
        if not confirmed:
            pending.discard(key)
            app.notify(f"{action.verb} cancelled; nothing was sent.", timeout=3)
            return
        app.run_worker(
            _send(app, key),
            group="action",
            exit_on_error=False,
            description=f"{action.verb} {family.label.lower()} job {job_id}",
        )

    app.push_screen(ConfirmDialog(build_request(app, job)), answered)


async def _send(app: ZtuiApp, key: tuple[Family, str]) -> None:
    """The `action` worker: re-read, send once, report, update the row."""
    try:
        client = app.client
        if client is None:
            app.notify("Not connected; nothing was sent.", severity="error")
            return
        host = urlsplit(app.profile.base_url).netloc or None
        outcome = await perform_stop(
            client, key, journal=app.journal, profile=app.profile.name, host=host
        )
        _report(app, outcome)
    finally:
        _pending.get(app, set()).discard(key)


def _report(app: ZtuiApp, outcome: ActionOutcome) -> None:
    action = action_for(outcome.key[0])
    if outcome.ok:
        app.notify(outcome.message, title=f"{action.verb} sent")
    elif outcome.sent:
        app.notify(
            outcome.message, title=f"{action.verb} refused by Zuora", severity="error", timeout=12
        )
    else:
        app.notify(outcome.message, title=f"{action.verb} not sent", severity="warning", timeout=10)
    if outcome.job is not None:
        apply_job(app, outcome.job)


def apply_job(app: ZtuiApp, job: Job) -> None:
    """Show a fresher version of one job at once, without waiting for the next poll.

    The app's snapshot is replaced by a copy holding `job`, and the watcher is asked to
    poll soon so that its own next snapshot agrees.
    """
    snapshot = app.jobs
    if snapshot is None or snapshot.get(*job.key) is None:
        return
    jobs = dict(snapshot.jobs)
    jobs[job.key] = job
    app.jobs = dataclasses.replace(snapshot, jobs=jobs)
    app.refresh_now()
