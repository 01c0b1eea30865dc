"""Helpers of the watcher's simulator tests: control routes, a clock, a client factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from ztui.api.client import ZuoraClient
from ztui.core.secret import Secret


class SimCtl:
    """Drives a running simulator through its `/_sim/...` control routes."""

    def __init__(self, server: Any) -> None:
        self.base_url: str = server.base_url
        self._last_seq = 0

    async def _call(self, method: str, path: str, body: object = None) -> Any:
        async with httpx.AsyncClient(base_url=self.base_url) as http:
            response = await http.request(method, path, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    async def advance(self, seconds: float) -> float:
        """Move the manual sim clock forward; returns the new sim time."""
        body = await self._call("POST", "/_sim/clock", {"advance": seconds})
        return float(body["now"])

    async def fault(self, route: str, kind: str, **extra: Any) -> None:
        """Inject a fault, e.g. `fault("GET /objects/jobs*", "status", status=500, times=2)`."""
        await self._call("POST", "/_sim/faults", {"route": route, "kind": kind, **extra})

    async def configure(self, **changes: Any) -> None:
        """Change simulator flags at runtime."""
        await self._call("POST", "/_sim/config", changes)

    async def requests(self, since: int = 0) -> list[dict[str, Any]]:
        """API requests the simulator received after sequence number `since`."""
        body = await self._call("GET", f"/_sim/requests?since={since}")
        result: list[dict[str, Any]] = body["requests"]
        return result

    async def mark(self) -> None:
        """Remember where the request log ends now (see `new_requests`)."""
        log = await self.requests(self._last_seq)
        if log:
            self._last_seq = max(int(entry["seq"]) for entry in log)

    async def new_requests(self) -> list[tuple[str, str]]:
        """`(method, path)` of the requests since the last `mark()`, then mark again."""
        log = await self.requests(self._last_seq)
        log = [entry for entry in log if int(entry["seq"]) > self._last_seq]
        if log:
            self._last_seq = max(int(entry["seq"]) for entry in log)
        return [(entry["method"], entry["path"]) for entry in log]


class Clock:
    """The poller's wall clock, moved by hand."""

    def __init__(self, now: float = 1_768_478_400.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class SleepLog:
    """An injectable sleep that records its argument and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@asynccontextmanager
async def open_client(server: Any, **kwargs: Any) -> AsyncIterator[ZuoraClient]:
    """A real client on the simulator, demo credentials, sleeps recorded not slept."""
    from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    options: dict[str, Any] = {
        "client_id": DEMO_CLIENT_ID,
        "client_secret": Secret(DEMO_CLIENT_SECRET),
        "sleep": SleepLog(),
    }
    options.update(kwargs)
    client = ZuoraClient(server.base_url, **options)
    try:
        yield client
    finally:
        await client.aclose()
