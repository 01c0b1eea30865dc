"""Helpers for the detail, action and error-viewer Pilot tests (no tests here)."""

from __future__ import annotations

from typing import Any

import httpx
from textual.notifications import Notify
from textual.pilot import Pilot

from tests.ui.pilot_support import wait_until as wait_until  # re-exported for the UI tests
from ztui.api.models import Family

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def connected(pilot: Pilot[Any]) -> Any:
    """Wait for the first snapshot; returns the app."""
    app: Any = pilot.app
    await wait_until(
        pilot,
        lambda: app.jobs is not None and app.jobs.complete and app.client is not None,
        "first poll",
    )
    return app


async def sim_get(server: Any, path: str) -> Any:
    """GET a simulator control endpoint."""
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        response = await client.get(path)
        response.raise_for_status()
        return response.json()


async def sim_post(server: Any, path: str, body: Any) -> Any:
    """POST to a simulator control endpoint."""
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        response = await client.post(path, json=body)
        response.raise_for_status()
        return response.json()


async def requests_log(server: Any) -> list[dict[str, Any]]:
    """Every API request the simulator saw."""
    body = await sim_get(server, "/_sim/requests")
    if isinstance(body, dict):
        body = body.get("requests", [])
    assert isinstance(body, list)
    return body


async def writes_to(server: Any, job_id: str) -> list[dict[str, Any]]:
    """The write requests (not creates) that named `job_id` in their path."""
    return [
        r
        for r in await requests_log(server)
        if r.get("method") in WRITE_METHODS and job_id in str(r.get("path", ""))
    ]


async def in_snapshot(pilot: Pilot[Any], key: tuple[Family, str]) -> Any:
    """Ask for a poll and wait until `key` is in the app's snapshot; returns the job."""
    app: Any = pilot.app
    app.refresh_now()
    await wait_until(
        pilot, lambda: app.jobs is not None and app.jobs.get(*key) is not None, f"job {key}"
    )
    return app.jobs.get(*key)


async def new_booking_job(pilot: Pilot[Any]) -> tuple[Family, str]:
    """Create a booking-date job (it starts ACCEPTED) and wait until the board has it."""
    app: Any = pilot.app
    job_id = await app.client.create_booking_date_job()
    key = (Family.BOOKING_DATE, job_id)
    await in_snapshot(pilot, key)
    return key


def notes(seen: list[Any]) -> list[str]:
    """The texts of the notifications among the messages a `message_hook` collected."""
    return [m.notification.message for m in seen if isinstance(m, Notify)]
