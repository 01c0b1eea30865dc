"""Provides `JobAccess`: the reads and writes screens and flows make beside the snapshot.

On a direct connection `ClientAccess` makes them with the app's own `ZuoraClient` (and
writes through `ztui.ops.stop`, journalled on this machine). A viewer attached to a hub
gets `ztui.hub.client.HubAccess`, which asks the hub: the hub reads through its cache
and writes through the same `ztui.ops`, in its own journal. Screens and flows do not
know which they have.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from ztui.ops.job_errors import FetchedErrors, fetch_job_errors
from ztui.ops.stop import ActionOutcome, perform_stop

if TYPE_CHECKING:
    from datetime import tzinfo
    from pathlib import Path

    from ztui.api.client import ZuoraClient
    from ztui.api.models import Family, Job
    from ztui.config.schema import ResolvedProfile
    from ztui.ops.stop import JournalLike


class JobAccess(Protocol):
    """What a screen or flow may ask of the tenant besides the watcher's snapshots."""

    @property
    def timezone(self) -> tzinfo | None:
        """The tenant zone timestamps without one are read in (None: UTC)."""
        ...

    async def get_job(self, family: Family, job_id: str) -> Job:
        """One job, read now.

        Raises:
            ApiError: It could not be read.
        """
        ...

    async def job_errors(self, job: Job) -> FetchedErrors:
        """Why `job` failed (`ztui.ops.job_errors.fetch_job_errors`).

        Raises:
            ApiError: The job or its errors could not be read.
            ExportError: A result file could not be read.
        """
        ...

    async def download_file(self, file_id: str, dest: Path) -> Path:
        """Save a result file at `dest`; returns the path written.

        Raises:
            ApiError: The download failed.
            OSError: `dest` could not be written.
        """
        ...

    async def stop(self, key: tuple[Family, str], *, confirm: str | None) -> ActionOutcome:
        """Stop or cancel a job the user confirmed: re-read, send once, journal.

        Args:
            key: `(family, job id)` captured at the key press.
            confirm: On production, the tenant name the user typed; None elsewhere.
        """
        ...


class ClientAccess:
    """`JobAccess` through the app's own client (a direct connection)."""

    def __init__(
        self, client: ZuoraClient, *, journal: JournalLike | None, profile: ResolvedProfile
    ) -> None:
        self.client = client
        self.journal = journal
        self.profile = profile

    @property
    def timezone(self) -> tzinfo | None:
        """The client's tenant zone."""
        return self.client.timezone

    async def get_job(self, family: Family, job_id: str) -> Job:
        """Read the job with its family's get."""
        return await self.client.get_job(family, job_id)

    async def job_errors(self, job: Job) -> FetchedErrors:
        """Read why `job` failed."""
        return await fetch_job_errors(self.client, job)

    async def download_file(self, file_id: str, dest: Path) -> Path:
        """Stream a result file to `dest`."""
        return await self.client.download_file(file_id, dest)

    async def stop(self, key: tuple[Family, str], *, confirm: str | None) -> ActionOutcome:
        """`ztui.ops.stop.perform_stop` (the dialog already checked `confirm`)."""
        netloc = urlsplit(self.profile.base_url).netloc or None
        return await perform_stop(
            self.client, key, journal=self.journal, profile=self.profile.name, host=netloc
        )
