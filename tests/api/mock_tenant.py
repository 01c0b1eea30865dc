"""A scripted tenant for client tests: every answer is chosen by the test, byte for byte.

The simulator keeps to its own (strict or real-tenant) answers; these tests need answers
no simulator mode sends on purpose (an HTML page, a repeated cursor), so the client's
HTTP transport is swapped for an `httpx.MockTransport` that calls the test's handler.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from ztui.api.client import ZuoraClient
from ztui.core.secret import Secret

Handler = Callable[[httpx.Request], httpx.Response]


def answer(status: int = 200, body: object = None, **headers: str) -> httpx.Response:
    """A JSON answer (or raw bytes when `body` is bytes)."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.Response(
        status, content=content, headers={"Content-Type": "application/json", **headers}
    )


class Recorder:
    """Calls `handler` for each request and keeps the requests it saw."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def paths(self) -> list[str]:
        """`METHOD path` of every request, in order."""
        return [f"{r.method} {r.url.path}" for r in self.requests]


async def _no_sleep(_seconds: float) -> None:
    return None


@asynccontextmanager
async def tenant(handler: Handler, **options: Any) -> AsyncIterator[tuple[ZuoraClient, Recorder]]:
    """A client whose every request is answered by `handler`, and the recorder."""
    recorder = Recorder(handler)
    options.setdefault("bearer_token", Secret("t0ken"))
    options.setdefault("sleep", _no_sleep)
    client = ZuoraClient("https://tenant.example", **options)
    # The facade builds its own httpx client; route it to the scripted tenant.
    client._http._transport = httpx.MockTransport(recorder)
    try:
        yield client, recorder
    finally:
        await client.aclose()
