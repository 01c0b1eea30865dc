"""Provides what every route module shares: JSON answers, error rendering, route building."""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import ztui.sim.quirks as quirks
from ztui.sim.gateway import GZIP_OVER, error_body, process_id
from ztui.sim.simulator import Simulator
from ztui.sim.util import SimApiError

Handler = Callable[[Request], Awaitable[Response]]


def json_answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A compact JSON response with `Content-Type: application/json`."""
    data = json.dumps(body, separators=(",", ":")).encode("utf-8")
    return Response(data, status, headers=headers, media_type="application/json")


class UnoJobsBody:
    """The uno list body `{"success":true,"jobs":[...]}`, written a job at a time.

    The bytes are those `uno_ok(jobs=[...])` sends; but each job is encoded as it is
    handed over (`add`), so a 50,000-job list exists only as the body being written. For
    a client that accepts gzip (`request`'s `Accept-Encoding`), a body longer than the
    gateway's gzip size is compressed as it is written, as the gateway would compress it
    whole (`Gateway._finish`): not even the uncompressed body exists at once.
    """

    def __init__(self, request: Request | None = None) -> None:
        accepts = request.headers.get("accept-encoding", "") if request is not None else ""
        self._may_gzip = "gzip" in accepts.lower()
        self._gzip: Any = None
        self._out = io.BytesIO()
        self._count = 0
        self._write(b'{"success":true,"jobs":[')

    def _write(self, data: bytes) -> None:
        if self._gzip is not None:
            self._out.write(self._gzip.compress(data))
            return
        self._out.write(data)
        if self._may_gzip and self._out.tell() > GZIP_OVER:
            # From here on the body is compressed as it comes, its start included.
            self._gzip = zlib.compressobj(1, zlib.DEFLATED, 31)
            start = self._out.getvalue()
            self._out = io.BytesIO()
            self._out.write(self._gzip.compress(start))

    def add(self, job: Any) -> None:
        """Append one job (its JSON value)."""
        if self._count:
            self._write(b",")
        self._write(json.dumps(job, separators=(",", ":")).encode("utf-8"))
        self._count += 1

    def response(self) -> Response:
        """The finished body as an HTTP 200 answer."""
        self._write(b"]}")
        if self._gzip is None:
            return Response(self._out.getvalue(), 200, media_type="application/json")
        self._out.write(self._gzip.flush())
        return Response(
            self._out.getvalue(),
            200,
            media_type="application/json",
            headers={"content-encoding": "gzip", "vary": "Accept-Encoding"},
        )


def request_id(request: Request) -> str:
    """The `Zuora-Request-Id` the gateway gave this request."""
    return str(getattr(request.state, "zuora_request_id", ""))


def base_url(request: Request) -> str:
    """The simulator's base URL as the client addressed it."""
    return str(request.base_url).rstrip("/")


def uno_ok(**fields: Any) -> Response:
    """A uno success body: `{"success": true, ...fields}`."""
    return json_answer({"success": True, **fields})


def common_ok(request: Request) -> Response:
    """The uno `CommonResponse` of a successful stop (docs/zuora-api.md §3)."""
    return json_answer(
        {
            "processId": process_id(),
            "reasons": [],
            "requestId": request_id(request),
            "success": True,
        }
    )


async def json_body(request: Request, res: str | None = None) -> Any:
    """The request's JSON body (None when empty).

    Raises:
        SimApiError: a category-90 uno error for a body that is not JSON, when `res`
            (the uno resource code) is given; otherwise the decoding error itself.
    """
    raw = await request.body()
    try:
        return json.loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        if res is None:
            raise
        raise SimApiError(400, res + "90", "The body is not valid JSON.") from None


def guard(sim: Simulator, family: str, fn: Handler) -> Handler:
    """Render a `SimApiError` raised by `fn` in the family's error shape."""

    async def handler(request: Request) -> Response:
        try:
            return await fn(request)
        except SimApiError as exc:
            status = exc.status
            if family == "uno" and status == 400 and sim.config.success_false_http_200:
                status = 200  # docs/zuora-api.md §2.5A: v1 may answer 200 with success:false
            body = error_body(family, exc.code, exc.message, request_id(request))
            if family == "uno" and sim.config.quirks and str(exc.code)[-2:] in ("30", "40"):
                # Real-tenant mode: refusals in the older v1 `Success`/`Errors` shape.
                body = quirks.v1_error(exc.code, exc.message)
            return json_answer(body, status)

    return handler


def route(path: str, **handlers: Handler) -> Route:
    """One route serving several methods, so a 405's `Allow` lists all of them."""

    async def handler(request: Request) -> Response:
        return await handlers[request.method](request)

    return Route(path, handler, methods=list(handlers))
