"""Provides `ZtuiHost`: the part of the app that screens and flows may use, and `host()`.

Screens and flows never import `ztui.app`. They reach the app through this protocol,
typed: `host(self).profile`, `host(self).open_errors(key)`. `ZtuiApp` is the host of a
real run; the board tests' harness (`tests/ui/board_harness.py`) is a host too, so a
screen can be driven without the whole app. Anything a screen needs from the app goes
here first.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, cast, runtime_checkable

if TYPE_CHECKING:
    from pathlib import Path

    from textual.dom import DOMNode
    from textual.notifications import SeverityLevel
    from textual.widgets.button import ButtonVariant
    from textual.worker import Worker

    from ztui.api.client import ZuoraClient
    from ztui.api.models import Family
    from ztui.config.schema import ResolvedProfile, Settings
    from ztui.flows.dry_run import DryRunFlow
    from ztui.flows.stop import StopFlow
    from ztui.flows.submission import SubmissionFlow
    from ztui.ops.access import JobAccess
    from ztui.ops.confirm import ConfirmRequest
    from ztui.ops.submit import JobSpec
    from ztui.service.history import StatusHistory
    from ztui.service.snapshot import JobSnapshot
    from ztui.service.source import JobSource
    from ztui.store.journal import Journal

Choice: TypeAlias = "tuple[str, str] | tuple[str, str, ButtonVariant]"
"""One way on in a choice: `(id, label)` or `(id, label, button variant)`."""


@runtime_checkable
class ZtuiHost(Protocol):
    """What screens and flows may use of the app."""

    # ------------------------------------------------------------------ state

    jobs: JobSnapshot | None
    """The newest snapshot, the single source of truth (screens `watch` it)."""

    @property
    def connection_error(self) -> str | None:
        """Why the connection failed for good, or None (screens `watch` it)."""
        ...

    @property
    def settings(self) -> Settings:
        """The loaded configuration."""
        ...

    @property
    def profile(self) -> ResolvedProfile:
        """The active connection profile."""
        ...

    @property
    def client(self) -> ZuoraClient | None:
        """The client of the active connection, None while not connected (and always on a
        viewer attached to a hub, which makes no Zuora call of its own)."""
        ...

    @property
    def poller(self) -> JobSource | None:
        """The watcher of the active connection (a `JobPoller`, or the `HubFeed` of a
        viewer attached to a hub), None while not connected."""
        ...

    @property
    def access(self) -> JobAccess | None:
        """Reads and writes beside the snapshot (a job's detail, errors, files, a stop):
        through the app's client, or through the hub; None while not connected."""
        ...

    @property
    def journal(self) -> Journal | None:
        """The journal of writes, None until the first connection."""
        ...

    @property
    def journal_problem(self) -> str | None:
        """Why the journal could not record the latest write, until one works again."""
        ...

    @property
    def history(self) -> StatusHistory:
        """The status transitions observed this run (the detail screen's timeline)."""
        ...

    last_folder: Path | None
    """The folder the user last downloaded to in this run, proposed next time."""

    def wall_clock(self) -> float:
        """Now, in epoch seconds: every time on screen comes from this clock."""
        ...

    # ------------------------------------------------------------------ flows

    @property
    def stops(self) -> StopFlow:
        """The app's stop/cancel flow."""
        ...

    @property
    def submissions(self) -> SubmissionFlow:
        """The app's create flow."""
        ...

    @property
    def dry_runs(self) -> DryRunFlow:
        """The dry runs the app follows, to offer running them for real."""
        ...

    def run_worker(
        self,
        work: Coroutine[Any, Any, None],
        name: str | None = "",
        group: str = "default",
        description: str = "",
        exit_on_error: bool = True,
        start: bool = True,
        exclusive: bool = False,
        thread: bool = False,
    ) -> Worker[None]:
        """Run `work` in an app worker (it outlives the screen that started it)."""
        ...

    # ------------------------------------------------------------------ telling the user

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Show a toast."""
        ...

    def confirm(self, request: ConfirmRequest, answered: Callable[[bool], None]) -> None:
        """Ask the user to confirm a write; `answered(True)` only on a clear yes."""
        ...

    def choose(
        self,
        title: str,
        message: str,
        choices: Sequence[Choice],
        answered: Callable[[str | None], None],
    ) -> None:
        """Ask the user to pick one of `choices` (the last is the safe one); `answered`
        gets its id, or None when the user closed the question."""
        ...

    # ------------------------------------------------------------------ polling

    def refresh_now(self, family: Family | None = None) -> None:
        """Poll as soon as the current poll (if any) finishes: only `family`, or all."""
        ...

    def toggle_pause(self) -> bool:
        """Pause or resume polling; True when now paused."""
        ...

    def watch_aqua_job(self, job_id: str) -> None:
        """Follow an AQuA job by id on the board, now and on later starts."""
        ...

    # ------------------------------------------------------------------ navigation

    def open_detail(self, key: tuple[Family, str]) -> None:
        """Open the detail screen of a job."""
        ...

    def open_errors(self, key: tuple[Family, str]) -> None:
        """Open the error viewer of a job."""
        ...

    def request_stop(self, key: tuple[Family, str]) -> None:
        """Start the stop/cancel flow of a job (it confirms, re-reads and sends once)."""
        ...

    def open_new_job(self, prefill: JobSpec | None = None) -> None:
        """Open the new-job screen (refused with a notice on a read-only profile).

        Args:
            prefill: Fill its form from this spec and show the summary at once.
        """
        ...


def host(node: DOMNode) -> ZtuiHost:
    """The host of `node`'s app, typed.

    Args:
        node: A mounted screen or widget.
    """
    return cast("ZtuiHost", node.app)
