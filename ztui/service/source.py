"""Provides `JobSource`: what the app asks of its watcher, whoever does the watching.

`ztui.service.poller.JobPoller` is the source of a direct connection: it polls Zuora
itself. A viewer attached to a hub (`ztui --hub URL`) is fed by
`ztui.hub.client.HubFeed` instead, which offers the same calls and makes no Zuora call
of its own. The app, its screens and flows use only what is listed here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ztui.api.models import Family, Job
    from ztui.service.snapshot import JobSnapshot


class JobSource(Protocol):
    """A watcher: it publishes whole snapshots and takes a few requests."""

    @property
    def latest(self) -> JobSnapshot | None:
        """The newest snapshot, or None before the first."""
        ...

    @property
    def paused(self) -> bool:
        """True while new snapshots are held back (the user paused)."""
        ...

    async def run(self) -> None:
        """Watch until `stop()`, publishing each snapshot."""
        ...

    def stop(self) -> None:
        """Ask `run()` to return."""
        ...

    def refresh_now(self, family: Family | None = None) -> None:
        """Poll as soon as possible: `family` only, or every family."""
        ...

    def read_every_page(self, family: Family) -> None:
        """Read every page of `family`'s list on its next poll (past the page limit)."""
        ...

    def pause(self) -> None:
        """Hold back new snapshots until `resume()`."""
        ...

    def resume(self) -> None:
        """Publish again, starting with a fresh snapshot."""
        ...

    def watch_aqua(self, job_id: str) -> None:
        """Follow an AQuA job by id (AQuA has no list)."""
        ...

    def is_watching_aqua(self, job_id: str) -> bool:
        """True while `job_id` is followed."""
        ...

    async def fetch_detail(self, family: Family, job_id: str) -> Job:
        """One job's detail, now.

        Raises:
            ApiError: It could not be read.
        """
        ...
