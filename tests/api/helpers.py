"""Shared helpers of the client's integration tests: simulator control, a sleep recorder."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from ztui.core.secret import Secret


class SimControl:
    """Drives a running simulator through its `/_sim/...` control routes."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.base_url: str = server.base_url

    async def _call(self, method: str, path: str, body: object = None) -> Any:
        async with httpx.AsyncClient(base_url=self.base_url) as http:
            response = await http.request(method, path, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    async def advance(self, seconds: float) -> None:
        """Move the manual clock forward."""
        await self._call("POST", "/_sim/clock", {"advance": seconds})

    async def fault(self, route: str, kind: str, **extra: Any) -> None:
        """Inject a fault, e.g. `fault("GET /objects/jobs", "status", status=503, times=1)`."""
        await self._call("POST", "/_sim/faults", {"route": route, "kind": kind, **extra})

    async def configure(self, **changes: Any) -> None:
        """Change simulator flags at runtime."""
        await self._call("POST", "/_sim/config", changes)

    async def outcome(self, job_id: str, outcome: str) -> None:
        """Make a job end as `outcome`."""
        await self._call("POST", "/_sim/outcome", {"job_id": job_id, "outcome": outcome})

    async def requests(self, since: int = 0) -> list[dict[str, Any]]:
        """Requests the simulator received (API routes only)."""
        body = await self._call("GET", f"/_sim/requests?since={since}")
        result: list[dict[str, Any]] = body["requests"]
        return result

    async def jobs(self) -> dict[str, list[dict[str, Any]]]:
        """Every job in its wire shape, by family."""
        result: dict[str, list[dict[str, Any]]] = await self._call("GET", "/_sim/jobs")
        return result


class SleepRecorder:
    """An injectable `sleep` that records its arguments and moves the sim clock instead."""

    def __init__(self, control: SimControl | None = None) -> None:
        self.calls: list[float] = []
        self.control = control

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if self.control is not None:
            await self.control.advance(seconds)


def demo_credentials() -> dict[str, Any]:
    """The credentials the simulator accepts by default."""
    from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    return {"client_id": DEMO_CLIENT_ID, "client_secret": Secret(DEMO_CLIENT_SECRET)}


OpenClient = Callable[..., Any]
"""`open_client(server, **kwargs)`: an async context manager yielding a `ZuoraClient`."""
