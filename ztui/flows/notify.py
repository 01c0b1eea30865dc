"""Provides `announce`: tell the user when jobs finish and when a family's connection changes.

The app calls `announce(app, previous, current)` for every snapshot it stores. Terminal
transitions (from `ztui.service.diff.diff_snapshots`) become:

- a toast (failed jobs stay longer; more than a few at once collapse into one summary);
- optionally the terminal bell and an OSC 9 desktop notification, both of which travel
  over SSH (`[ui.notify] bell`, `osc9`);
- optionally a command (`[ui.notify] command`, an argv run without a shell) that gets the
  job as JSON on stdin, in a thread so the UI never waits for it.

Connection changes per family (ok → stale, rate-limited, auth error, and back) give one
toast per change, and a fatal error (bad credentials) one error toast; the status bar
carries the rest (STYLE §4).
"""

from __future__ import annotations

import json
import logging
import subprocess
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from ztui.api.models import Job, JobState
from ztui.service.diff import TerminalTransition, diff_snapshots

if TYPE_CHECKING:
    from textual.app import App
    from textual.notifications import SeverityLevel

    from ztui.service.snapshot import FamilyStatus, JobSnapshot

log = logging.getLogger("ztui.flows.notify")

MAX_SINGLE_TOASTS = 4
"""More transitions than this in one snapshot are summarised in one toast."""

TOAST_TIMEOUT_S = {"information": 6.0, "warning": 10.0, "error": 30.0}
"""How long toasts stay, by severity: failed jobs stay longest."""

COMMAND_TIMEOUT_S = 60.0
"""A notify command still running after this is killed."""


class _NotifyConfig(Protocol):
    toast: bool
    bell: bool
    osc9: bool
    command: Sequence[str] | None


def _notify_config(app: App[Any]) -> _NotifyConfig | None:
    settings = getattr(app, "settings", None)
    ui = getattr(settings, "ui", None)
    return getattr(ui, "notify", None)


def _severity(state: JobState) -> SeverityLevel:
    if state is JobState.FAILED:
        return "error"
    if state is JobState.SUCCEEDED:
        return "information"
    return "warning"


SHORT_ID_CELLS = 19
"""How wide a job id is in a notification: the board's Id column width."""


def short_id(job_id: str) -> str:
    """A job id cut in the middle as the board shows it (`ff8080819…e89d9bf02`): uno ids
    share their first 8 characters, so the end is what tells jobs apart."""
    from ztui.view.columns import fit_cells

    return (
        job_id if len(job_id) <= SHORT_ID_CELLS else fit_cells(job_id, SHORT_ID_CELLS, cut="middle")
    )


def transition_text(job: Job) -> tuple[str, str]:
    """Title and message of the toast for one finished job.

    Args:
        job: The job as the newer snapshot has it.

    Returns:
        `(title, message)`.
    """
    title = f"{job.family.label} job {job.state.value}"
    message = f"{job.kind} {short_id(job.id)}: {job.status}"
    if job.state is JobState.FAILED and job.message:
        message += f"\n{job.message[:200]}"
    return title, message


def job_payload(job: Job, profile: str | None = None) -> dict[str, Any]:
    """The JSON object a notify command receives on stdin for one finished job.

    Args:
        job: The finished job.
        profile: The active profile's name.

    Returns:
        A JSON-ready dict (no raw wire data, nothing secret).
    """
    return {
        "event": "job_finished",
        "profile": profile,
        "family": job.family.value,
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "state": job.state.value,
        "progress": job.progress,
        "processed": job.processed,
        "succeeded": job.succeeded,
        "failed": job.failed,
        "total": job.total,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "updated_at": job.updated_at.isoformat() if job.updated_at else None,
        "message": job.message,
    }


def osc9_sequence(text: str) -> str:
    """The OSC 9 escape sequence for a desktop notification, with control characters removed.

    Args:
        text: What the notification says.

    Returns:
        `ESC ] 9 ; text BEL`.
    """
    clean = "".join(ch if ch.isprintable() else " " for ch in text)[:200]
    return f"\x1b]9;{clean}\x07"


def run_command(argv: Sequence[str], payload: dict[str, Any]) -> threading.Thread:
    """Run the notify command in a daemon thread with `payload` as JSON on stdin.

    The command runs without a shell; its output is discarded, failures are logged.

    Args:
        argv: The program and its arguments.
        payload: What to send on stdin.

    Returns:
        The started thread (tests join it).
    """
    data = json.dumps(payload).encode()

    def target() -> None:
        try:
            result = subprocess.run(  # argv from the user's own config; no shell
                list(argv),
                input=data,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                timeout=COMMAND_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("notify command %s failed: %s", argv[0] if argv else "?", exc)
            return
        if result.returncode != 0:
            log.warning(
                "notify command %s exited %d: %s",
                argv[0],
                result.returncode,
                result.stderr.decode(errors="replace")[:500],
            )

    thread = threading.Thread(target=target, name="ztui-notify-command", daemon=True)
    thread.start()
    return thread


def _write_terminal(app: App[Any], data: str) -> None:
    # Textual has no public "write raw bytes" call; `bell()` and `copy_to_clipboard()`
    # write through the driver the same way. Headless (tests) has no terminal to reach.
    driver = getattr(app, "_driver", None)
    if driver is None or app.is_headless:
        return
    driver.write(data)


def _family_change(old: FamilyStatus | None, new: FamilyStatus) -> tuple[str, SeverityLevel] | None:
    before = old.state if old is not None else "pending"
    if before == new.state:
        return None
    label = new.family.label
    if new.state == "stale":
        return f"{label}: data is stale ({new.error or 'poll failed'}); retrying.", "warning"
    if new.state == "error":
        return f"{label}: {new.error or 'the answer could not be used'}", "error"
    if new.state == "rate_limited":
        return f"{label}: rate-limited by the server; waiting before the next poll.", "warning"
    if new.state == "auth_error":
        return f"{label}: {new.error or 'access refused'}", "error"
    if new.state == "ok" and before in ("stale", "error", "rate_limited", "auth_error"):
        return f"{label}: connection recovered.", "information"
    return None


def announce(app: App[Any], previous: JobSnapshot | None, current: JobSnapshot) -> None:
    """Notify the user about what changed between two snapshots.

    Args:
        app: The running app (its `settings.ui.notify` decide the channels).
        previous: The snapshot the app held before, None for the first one.
        current: The snapshot just stored.
    """
    config = _notify_config(app)
    if current.fatal and (previous is None or previous.fatal != current.fatal):
        app.notify(current.fatal, title="Polling stopped", severity="error", timeout=60)
    if previous is not None:
        for family, status in current.families.items():
            change = _family_change(previous.families.get(family), status)
            if change is not None:
                text, severity = change
                app.notify(text, severity=severity, timeout=TOAST_TIMEOUT_S[severity])
    if previous is None or previous.seq == current.seq:
        return
    transitions = diff_snapshots(previous, current).terminal
    if not transitions:
        return
    if config is None or config.toast:
        _toast(app, transitions)
    if config is not None and config.bell:
        app.bell()
    if config is not None and config.osc9:
        for transition in transitions[:MAX_SINGLE_TOASTS]:
            title, message = transition_text(transition.job)
            _write_terminal(app, osc9_sequence(f"ztui: {title} — {message.splitlines()[0]}"))
    if config is not None and config.command:
        profile = getattr(getattr(app, "profile", None), "name", None)
        for transition in transitions:
            run_command(config.command, job_payload(transition.job, profile))


def _toast(app: App[Any], transitions: Sequence[TerminalTransition]) -> None:
    if len(transitions) <= MAX_SINGLE_TOASTS:
        for transition in transitions:
            title, message = transition_text(transition.job)
            severity = _severity(transition.job.state)
            app.notify(message, title=title, severity=severity, timeout=TOAST_TIMEOUT_S[severity])
        return
    counts: dict[JobState, int] = {}
    for transition in transitions:
        counts[transition.job.state] = counts.get(transition.job.state, 0) + 1
    summary = ", ".join(f"{n} {state.value}" for state, n in sorted(counts.items()))
    level: SeverityLevel = "error" if JobState.FAILED in counts else "information"
    app.notify(
        summary,
        title=f"{len(transitions)} jobs finished",
        severity=level,
        timeout=TOAST_TIMEOUT_S[level],
    )
