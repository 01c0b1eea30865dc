"""Provides `ZtuiHost`: the part of the app that screens and flows may use, and `host()`.

Screens and flows never import `ztui.app`. They reach the app through this protocol,
typed: `host(self).profile`, `host(self).open_errors(key)`. `ZtuiApp` is the host of a
real run; the board tests' harness (`tests/ui/board_harness.py`) is a host too, so a
screen can be driven without the whole app. Anything a screen needs from the app goes
here first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast, runtime_checkable

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.notifications import SeverityLevel

    from ztui.api.client import ZuoraClient
    from ztui.api.models import Family
    from ztui.config.schema import ResolvedProfile, Settings
    from ztui.service.poller import JobPoller
    from ztui.service.snapshot import JobSnapshot
    from ztui.store.journal import Journal


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
        """The client of the active connection, None while not connected."""
        ...

    @property
    def poller(self) -> JobPoller | None:
        """The watcher of the active connection, None while not connected."""
        ...

    @property
    def journal(self) -> Journal | None:
        """The journal of writes, None until the first connection."""
        ...

    def wall_clock(self) -> float:
        """Now, in epoch seconds: every time on screen comes from this clock."""
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

    # ------------------------------------------------------------------ polling

    def refresh_now(self) -> None:
        """Poll as soon as the current poll (if any) finishes."""
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

    def open_new_job(self) -> None:
        """Open the new-job screen (refused with a notice on a read-only profile)."""
        ...


def host(node: DOMNode) -> ZtuiHost:
    """The host of `node`'s app, typed.

    Args:
        node: A mounted screen or widget.
    """
    return cast("ZtuiHost", node.app)
