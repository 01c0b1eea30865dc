"""Fixtures of the client's integration tests: sim control and a client factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from ztui.api.client import ZuoraClient

from .helpers import OpenClient, SimControl, SleepRecorder, demo_credentials


@pytest.fixture
def ctl(sim: Any) -> SimControl:
    """Control of the default simulator."""
    return SimControl(sim)


@pytest.fixture
def open_client() -> OpenClient:
    """`async with open_client(server, **kwargs) as client:` with demo credentials."""

    @asynccontextmanager
    async def factory(server: Any, **kwargs: Any) -> AsyncIterator[ZuoraClient]:
        options: dict[str, Any] = {**demo_credentials(), "sleep": SleepRecorder()}
        options.update(kwargs)
        client = ZuoraClient(server.base_url, **options)
        try:
            yield client
        finally:
            await client.aclose()

    return factory
