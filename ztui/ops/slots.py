"""Provides the tenant's cap on concurrently active jobs, read from the family registry.

Zuora runs at most 5 custom-object jobs at a time per tenant (docs/zuora-api.md §6); a
family's `CreateFacts.max_active` says so, and these helpers count the jobs holding a slot
so the new-job screen can queue a submit locally while all are taken.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from ztui.api.errors import ApiError, NotSupported
from ztui.api.models import Family, Job
from ztui.families import FAMILIES, family_def

if TYPE_CHECKING:
    from ztui.api.client import ZuoraClient

__all__ = [
    "active_custom_object_jobs",
    "capped_family",
    "custom_object_slots",
    "holds_slot",
    "list_recent",
    "wait_for_slot",
]

log = logging.getLogger("ztui.ops.slots")


def capped_family() -> Family:
    """The family whose jobs the tenant caps (custom objects)."""
    return next(f for f, d in FAMILIES.items() if d.create.max_active is not None)


def _cap() -> int:
    cap = family_def(capped_family()).create.max_active
    assert cap is not None
    return cap


def holds_slot(job: Job) -> bool:
    """True when `job` counts against its family's active-job cap."""
    facts = family_def(job.family).create
    return facts.max_active is not None and job.status.strip().lower() in facts.active_statuses


def active_custom_object_jobs(jobs: list[Job]) -> int:
    """How many of `jobs` hold a custom-object slot."""
    return sum(1 for j in jobs if holds_slot(j))


async def list_recent(client: ZuoraClient, family: Family) -> list[Job] | None:
    """The family's jobs now (the first pages of a paged list), or None when they
    cannot be listed."""
    if not family_def(family).has_list:
        return None
    try:
        # A paged list is newest first: a job made seconds ago is on the first pages.
        return await client.list_jobs(family, max_pages=3)
    except (ApiError, NotSupported) as exc:
        log.info("could not list %s jobs: %s", family, exc)
        return None


async def custom_object_slots(client: ZuoraClient) -> int | None:
    """Custom-object slots in use on the tenant now, or None when it cannot be listed."""
    jobs = await list_recent(client, capped_family())
    return None if jobs is None else active_custom_object_jobs(jobs)


async def wait_for_slot(
    client: ZuoraClient,
    *,
    poll_s: float = 10.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    on_wait: Callable[[int], None] | None = None,
) -> None:
    """Return once fewer than 5 custom-object jobs are active (cancel the task to stop).

    Args:
        client: The API client.
        poll_s: Seconds between checks.
        sleep: Awaited between checks.
        on_wait: Called with the slots in use each time ztui has to wait.
    """
    while True:
        used = await custom_object_slots(client)
        if used is not None and used < _cap():
            return
        if on_wait is not None:
            on_wait(_cap() if used is None else used)
        await sleep(poll_s)
