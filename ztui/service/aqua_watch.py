"""Provides `AquaWatch`: the AQuA jobs the watcher follows by id, and fetching them.

AQuA has no list call (docs/zuora-api.md §7), so the watcher follows the ids it is given: those
created from ztui (the journal), entered by hand, or passed on the command line. Each
poll fetches the ones that are not terminal yet.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Iterator, MutableMapping
from typing import Final

from ztui.api.errors import BadRequest, MalformedResponse, NotFound
from ztui.api.models import Family, Job, unreadable_job
from ztui.families import aqua
from ztui.families.base import JobsApi

AQUA_CONCURRENCY: Final = 6
"""How many AQuA gets one poll runs at once."""

log = logging.getLogger("ztui.service")


class AquaWatch:
    """The AQuA job ids being watched, in the order they were added.

    Args:
        ids: Ids to watch from the start.
    """

    family: Final[Family] = aqua.DEFINITION.family
    """The family whose jobs this follows."""

    def __init__(self, ids: Iterable[str] = ()) -> None:
        self._ids: dict[str, None] = dict.fromkeys(ids)

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._ids

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def add(self, job_id: str) -> None:
        """Watch `job_id` (no change when it is watched already)."""
        self._ids.setdefault(job_id, None)

    def discard(self, job_id: str) -> None:
        """Stop watching `job_id`."""
        self._ids.pop(job_id, None)

    async def poll(self, client: JobsApi, jobs: MutableMapping[str, Job]) -> None:
        """Fetch each watched job that is not terminal in `jobs`, and store the answers.

        Gets run a few at a time (well under the tenant's concurrency limit of 40), so a
        journal that knows hundreds of AQuA jobs does not hold up the first snapshot. A
        job the server no longer knows (purged after 180 days, or mistyped) is no longer
        watched. An answer that cannot be read as a job becomes an unreadable row.
        Successful answers are kept even when another get fails; the first failure is
        then raised so the family is marked stale.

        Raises:
            ApiError: The first get that failed for another reason.
        """
        pending = [
            job_id
            for job_id in self._ids
            if not ((current := jobs.get(job_id)) is not None and current.state.is_terminal)
        ]
        if not pending:
            return
        gate = asyncio.Semaphore(AQUA_CONCURRENCY)
        get = aqua.DEFINITION.calls.get

        async def fetch(job_id: str) -> Job:
            async with gate:
                return await get(client, job_id)

        gone: tuple[type[Exception], ...] = (
            (NotFound, BadRequest) if aqua.DEFINITION.unknown_id_is_bad_request else (NotFound,)
        )
        results = await asyncio.gather(*(fetch(i) for i in pending), return_exceptions=True)
        failure: BaseException | None = None
        for job_id, result in zip(pending, results, strict=True):
            if isinstance(result, Job):
                jobs[job_id] = result
            elif isinstance(result, MalformedResponse):
                # One job that cannot be read never hides the others (docs/tolerance.md
                # rule 1); it is read again on the next poll.
                jobs[job_id] = unreadable_job(
                    self.family, result.body_excerpt, result.message, job_id=job_id
                )
            elif isinstance(result, gone):
                # Nothing will ever come of polling it.
                log.warning("AQuA job %s no longer watched: %s", job_id, result)
                self.discard(job_id)
            elif failure is None:
                failure = result
        if failure is not None:
            raise failure
