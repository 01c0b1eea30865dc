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
from ztui.ops.slots import custom_object_slots, wait_for_slot
from ztui.ops.stop import ActionOutcome, perform_stop
from ztui.ops.submit import cancel_pending, retry_upload, submit

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import tzinfo
    from pathlib import Path

    from ztui.api.client import ZuoraClient
    from ztui.api.models import Family, Job
    from ztui.config.schema import ResolvedProfile
    from ztui.ops.stop import JournalLike
    from ztui.ops.submit import Submission, SubmitContext, SubmitOutcome


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

    async def submit(
        self, sub: Submission, ctx: SubmitContext, *, confirm: str | None
    ) -> SubmitOutcome:
        """Create the job `sub` describes, exactly once (`ztui.ops.submit.submit`).

        Args:
            sub: The confirmed submission, with its keys; a step may set its job id or
                renew a key (as `ztui.ops.submit` does).
            ctx: The journal and re-read settings of a direct connection.
            confirm: On production, the tenant name the user typed; None elsewhere.
        """
        ...

    async def retry_upload(
        self, sub: Submission, ctx: SubmitContext, *, confirm: str | None
    ) -> SubmitOutcome:
        """Upload the file of a submitted custom-object job again, with its key."""
        ...

    async def cancel_pending(
        self, sub: Submission, ctx: SubmitContext, *, confirm: str | None
    ) -> SubmitOutcome:
        """Cancel the pending custom-object job of a failed upload."""
        ...

    async def slots_in_use(self) -> int | None:
        """Custom-object slots in use on the tenant now, or None when unknown."""
        ...

    async def wait_for_slot(self, *, poll_s: float, on_wait: Callable[[int], None]) -> None:
        """Return once a custom-object slot is free (cancel the task to stop)."""
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

    async def submit(
        self, sub: Submission, ctx: SubmitContext, *, confirm: str | None
    ) -> SubmitOutcome:
        """`ztui.ops.submit.submit` with the app's client."""
        return await submit(self.client, sub, ctx)

    async def retry_upload(
        self, sub: Submission, ctx: SubmitContext, *, confirm: str | None
    ) -> SubmitOutcome:
        """`ztui.ops.submit.retry_upload` with the app's client."""
        return await retry_upload(self.client, sub, ctx)

    async def cancel_pending(
        self, sub: Submission, ctx: SubmitContext, *, confirm: str | None
    ) -> SubmitOutcome:
        """`ztui.ops.submit.cancel_pending` with the app's client."""
        return await cancel_pending(self.client, sub, ctx)

    async def slots_in_use(self) -> int | None:
        """`ztui.ops.slots.custom_object_slots` with the app's client."""
        return await custom_object_slots(self.client)

    async def wait_for_slot(self, *, poll_s: float, on_wait: Callable[[int], None]) -> None:
        """`ztui.ops.slots.wait_for_slot` with the app's client."""
        await wait_for_slot(self.client, poll_s=poll_s, on_wait=on_wait)
