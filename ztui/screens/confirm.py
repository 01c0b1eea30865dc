"""Provides `ConfirmModal` and `start_stop_flow`: the one safe way to stop or cancel a job.

The flow, started by `s` on the board or the detail screen (`ZtuiApp.request_stop`):

1. The action is bound to the job key captured at the key press, never to a row.
2. If the job's state does not allow its family's action, say why and send nothing.
3. A modal names the family, job id, kind, profile/tenant and current state. It opens
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
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from ztui.core.paths import stylesheet
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


@dataclass(frozen=True)
class ConfirmRequest:
    """Everything the confirm modal shows about the action it asks about."""

    title: str
    """Question in the title, e.g. "Stop this data backfill job?"."""
    confirm_label: str
    """Label of the confirm button, e.g. "Stop job"."""
    family: str
    """Human family label."""
    job_id: str
    """The job id the action is bound to."""
    kind: str
    """Backfill type, object:operation or AQuA job name."""
    status: str
    """The job's current raw status and normalised state."""
    request: str
    """The HTTP request that will be sent."""
    profile: str
    """Profile name and tenant/host, so the user sees where the request goes."""
    typed_phrase: str | None = None
    """On production: what must be typed to confirm (the tenant name); None elsewhere."""


class ConfirmModal(ModalScreen[bool]):
    """Asks to confirm a destructive action; dismisses with True only on a clear yes."""

    CSS_PATH: ClassVar[list[str | PurePath]] = stylesheet("confirm.tcss")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape,n",
            "cancel",
            "Cancel",
            id="confirm.cancel",
            tooltip="Close without sending anything",
        ),
        Binding(
            "y",
            "confirm",
            "Confirm",
            id="confirm.yes",
            tooltip="Send the request (not on production: type the tenant name there)",
        ),
    ]

    def __init__(self, request: ConfirmRequest) -> None:
        """Create the modal.

        Args:
            request: What to show and, on production, what must be typed.
        """
        super().__init__(classes="-production" if request.typed_phrase else "")
        self.request = request
        self._answered = False

    def compose(self) -> ComposeResult:
        """Title, the facts of the job, the typed-phrase box on production, buttons."""
        r = self.request
        with Vertical(id="confirm-dialog"):
            yield Static(r.title, id="confirm-title")
            facts = Content.from_markup(
                "[b]Family[/b]   $family\n"
                "[b]Job id[/b]   $job_id\n"
                "[b]Kind[/b]     $kind\n"
                "[b]State[/b]    $status\n"
                "[b]Profile[/b]  $profile\n"
                "[b]Request[/b]  $request",
                family=r.family,
                job_id=r.job_id,
                kind=r.kind,
                status=r.status,
                profile=r.profile,
                request=r.request,
            )
            yield Static(facts, id="confirm-facts")
            if r.typed_phrase:
                yield Static(
                    Content.from_markup(
                        "This is a [b]production[/b] profile. Type [b]$phrase[/b] to confirm.",
                        phrase=r.typed_phrase,
                    ),
                    id="confirm-hint",
                )
                yield Input(placeholder=r.typed_phrase, id="confirm-phrase")
            else:
                yield Static(
                    "y confirms · n, escape or enter on Cancel send nothing", id="confirm-hint"
                )
            with Horizontal(id="confirm-buttons"):
                yield Button("Cancel", id="confirm-no", variant="default")
                yield Button(
                    r.confirm_label,
                    id="confirm-yes",
                    variant="error",
                    disabled=bool(r.typed_phrase),
                )

    def on_mount(self) -> None:
        """Focus Cancel, or the phrase box on production (enter there sends nothing unless
        the phrase matches, so the default stays harmless)."""
        if self.request.typed_phrase:
            self.query_one("#confirm-phrase", Input).focus()
        else:
            self.query_one("#confirm-no", Button).focus()

    def _answer(self, value: bool) -> None:
        # A second key press (double `y`) must not dismiss twice.
        if self._answered:
            return
        self._answered = True
        self.dismiss(value)

    def action_cancel(self) -> None:
        """Close without sending anything."""
        self._answer(False)

    def action_confirm(self) -> None:
        """Confirm with `y` (refused on production, where the phrase must be typed)."""
        if self.request.typed_phrase:
            self.notify(
                f"Type {self.request.typed_phrase} in the box to confirm.", severity="warning"
            )
            return
        self._answer(True)

    def _phrase_matches(self) -> bool:
        phrase = self.request.typed_phrase
        if not phrase:
            return True
        return self.query_one("#confirm-phrase", Input).value.strip() == phrase

    @on(Input.Changed, "#confirm-phrase")
    def _phrase_changed(self) -> None:
        self.query_one("#confirm-yes", Button).disabled = not self._phrase_matches()

    @on(Input.Submitted, "#confirm-phrase")
    def _phrase_submitted(self) -> None:
        if self._phrase_matches():
            self._answer(True)
        else:
            self.notify("That is not the tenant name; nothing was sent.", severity="warning")

    @on(Button.Pressed, "#confirm-no")
    def _cancel_pressed(self) -> None:
        self._answer(False)

    @on(Button.Pressed, "#confirm-yes")
    def _confirm_pressed(self) -> None:
        if self._phrase_matches():
            self._answer(True)


def _profile_text(app: ZtuiApp) -> str:
    profile = app.profile
    # The host without the port: a loopback simulator's port changes every run.
    host = urlsplit(profile.base_url).hostname or profile.base_url
    tenant = f" · tenant {profile.tenant_name}" if profile.tenant_name else ""
    env = f" · {profile.environment}" if profile.environment else ""
    prod = " · PRODUCTION" if profile.is_production else ""
    return f"{profile.name} ({host}){tenant}{env}{prod}"


def build_request(app: ZtuiApp, job: Job) -> ConfirmRequest:
    """The confirm modal's content for stopping/cancelling `job` on the app's profile."""
    action = action_for(job.family)
    profile = app.profile
    return ConfirmRequest(
        title=f"{action.verb} this {job.family.label.lower()} job?",
        confirm_label=f"{action.verb} job",
        family=job.family.label,
        job_id=job.id,
        kind=job.kind,
        status=f"{job.status} ({job.state})",
        request=action.request,
        profile=_profile_text(app),
        typed_phrase=profile.confirm_phrase if profile.needs_typed_confirm else None,
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

    app.push_screen(ConfirmModal(build_request(app, job)), answered)


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
