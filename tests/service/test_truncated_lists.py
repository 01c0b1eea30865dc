"""A list the page limit cuts short says so, until a walk reaches its end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ztui.api.models import Family
from ztui.service.pacing import PollSettings
from ztui.service.poller import JobPoller

from .simctl import open_client

pytestmark = pytest.mark.anyio


async def test_a_list_cut_at_the_page_limit_says_how_many_were_read(
    make_sim: Callable[..., Any],
) -> None:
    server = make_sim(co_jobs=500)
    async with open_client(server) as client:
        settings = PollSettings(co_page_size=40, co_max_pages=5)
        poller = JobPoller(client, settings=settings, families=[Family.CUSTOM_OBJECT])
        first = await poller.poll_once()
        status = first.families[Family.CUSTOM_OBJECT]
        assert status.truncated == 200
        assert len(first.jobs) == 200
        # Later polls find nothing new on the newest page: still cut short.
        second = await poller.poll_once()
        assert second.families[Family.CUSTOM_OBJECT].truncated == 200
        # A walk that reaches the end clears it.
        poller.settings = PollSettings(co_page_size=40, co_max_pages=100)
        poller._jobs[Family.CUSTOM_OBJECT].clear()  # as on a fresh start
        third = await poller.poll_once()
        assert third.families[Family.CUSTOM_OBJECT].truncated is None
        assert len(third.jobs) == 500


async def test_a_list_read_to_its_end_is_not_cut(make_sim: Callable[..., Any]) -> None:
    server = make_sim(co_jobs=100)
    async with open_client(server) as client:
        settings = PollSettings(co_page_size=40, co_max_pages=5)
        poller = JobPoller(client, settings=settings, families=[Family.CUSTOM_OBJECT])
        snapshot = await poller.poll_once()
        assert snapshot.families[Family.CUSTOM_OBJECT].truncated is None
        assert len(snapshot.jobs) == 100
