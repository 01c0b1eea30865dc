"""Each asyncio task sees the ids of its own latest call, never another task's."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from .helpers import OpenClient, SimControl

pytestmark = pytest.mark.anyio


async def test_last_call_is_per_task(sim: Any, ctl: SimControl, open_client: OpenClient) -> None:
    """A poll in another task does not change the ids an action reads back."""
    async with open_client(sim) as client:
        job_id = await client.create_booking_date_job()
        mine = client.last_call
        assert mine is not None
        assert mine.method == "POST"
        assert mine.status == 200

        async def poll() -> None:
            await client.list_booking_date_jobs()

        await asyncio.create_task(poll())
        assert client.last_call == mine  # the other task's GET left ours alone
        assert client.last_request_id != mine.request_id  # the shared one moved on
        requests = await ctl.requests()
        log = [r for r in requests if r["method"] == "POST" and "bookingdate" in r["path"]]
        assert [r["track_id"] for r in log] == [mine.track_id]
        assert job_id
