"""Provides the hub's HTTP side: the Starlette app (`build_app`) and `HubServer`, its runner.

Routes (every answer is a `ztui.hub.protocol` message unless said otherwise):

| route | what |
|---|---|
| `GET /api/hello` | the hub's facts (`HubInfo`): version, profile, environment, read-only |
| `GET /api/events` | server-sent events: the snapshot now, then each new one; keep-alives |
| `GET /api/jobs` | the JSON of `ztui jobs --json` (`?all=1`: old finished jobs too) |
| `GET /metrics` | the watcher in the Prometheus text format (`ztui.hub.metrics`) |
| `GET /api/job/{family}/{id}` | one job's detail (cached per poll interval) |
| `GET /api/job/{family}/{id}/errors` | why it failed, as the error viewer reads it (cached) |
| `GET /api/file/{file_id}` | a result file, as bytes (cached) |
| `POST /api/refresh` | poll now (`{"family": ...}` or every family), at most once per interval |
| `POST /api/aqua/{id}` | follow an AQuA job by id |
| `GET /api/slots` | custom-object slots in use (cached) |
| `POST /api/stop` | stop or cancel a job (a write) |
| `POST /api/create` | one step of a create: submit, upload, cancel (a write) |

The token (`ztui.hub.auth`) is checked before any route runs, by `TokenGate`: on every
route when the hub is not on loopback, and on writes (`WRITE_PATHS`) always. A missing or
wrong token gets 401 and a one-line body, nothing else. More routes (metrics, a browser
view) are added with `build_app(hub, extra_routes=...)`, behind the same gate.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Final

import uvicorn
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ztui.api.errors import ApiError, NotFound
from ztui.api.models import Family
from ztui.hub import VIEWER_HEADER
from ztui.hub.auth import bearer_matches
from ztui.hub.metrics import metrics_route
from ztui.hub.protocol import (
    HubProtocolError,
    decode_stop_request,
    encode_errors,
    encode_failure,
    encode_info,
    encode_job,
    encode_stop_outcome,
    wire_dumps,
)
from ztui.hub.state import Hub, describe_viewer

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

log = logging.getLogger("ztui.hub.server")

KEEPALIVE_S: Final = 15.0
"""Seconds between keep-alive comments on `/api/events`."""

WRITE_PATHS: Final = frozenset({"/api/stop", "/api/create"})
"""Routes that change something on the tenant: they always need the token."""

JSON: Final = "application/json"


# ---------------------------------------------------------------------------- the gate


class TokenGate:
    """ASGI middleware: 401 without the hub's token where the hub asks for it."""

    def __init__(self, app: ASGIApp, hub: Hub) -> None:
        self.app = app
        self.hub = hub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        refused = kind in ("http", "websocket") and self._needs_token(scope)
        if refused and not self._has_token(scope) and kind == "websocket":
            # Closed before it is accepted: the client sees the handshake refused (403).
            await send({"type": "websocket.close", "code": 1008})
            return
        if refused and not self._has_token(scope):
            response = PlainTextResponse(
                "401 Unauthorized: this hub needs its token (ztui --hub-token-file)\n",
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _needs_token(self, scope: Scope) -> bool:
        options = self.hub.options
        return options.token_required or scope.get("path", "") in WRITE_PATHS

    def _has_token(self, scope: Scope) -> bool:
        token = self.hub.options.token
        if not token:
            return False
        header = next(
            (v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"authorization"),
            None,
        )
        return bearer_matches(header, token)


# ---------------------------------------------------------------------------- routes


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def _message(text: str, status: int = 200) -> Response:
    return Response(text, status_code=status, media_type=JSON)


def _failure(exc: Exception) -> Response:
    status = 404 if isinstance(exc, NotFound) else 502
    return _message(encode_failure(exc), status)


def _family(text: str) -> Family | None:
    try:
        return Family(text)
    except ValueError:
        return None


def _bad(what: str) -> Response:
    return _message(encode_failure(HubProtocolError(what)), 400)


async def hello(request: Request) -> Response:
    """`GET /api/hello`."""
    return _message(encode_info(_hub(request).info()))


async def events(request: Request) -> Response:
    """`GET /api/events`: each snapshot as one `snapshot` event."""
    hub = _hub(request)

    async def stream() -> AsyncIterator[ServerSentEvent]:
        async for message in hub.subscribe():
            yield ServerSentEvent(data=message, event="snapshot")

    return EventSourceResponse(stream(), ping=KEEPALIVE_S, send_timeout=30)


async def jobs(request: Request) -> Response:
    """`GET /api/jobs`: what `ztui jobs --json` prints."""
    from ztui.view.listing import dumps, jobs_listing

    hub = _hub(request)
    snapshot = hub.latest
    every = request.query_params.get("all", "") not in ("", "0", "false", "no")
    hide = None if every else hub.options.settings.ui.hide_finished_after_s
    listed, _hidden = jobs_listing(
        snapshot.jobs.values() if snapshot is not None else (), hide_after_s=hide, now=time.time()
    )
    return _message(dumps(listed))


async def job(request: Request) -> Response:
    """`GET /api/job/{family}/{job_id}`."""
    family = _family(request.path_params["family"])
    if family is None:
        return _bad("no such job family")
    try:
        found = await _hub(request).detail(family, request.path_params["job_id"])
    except ApiError as exc:
        return _failure(exc)
    return _message(encode_job(found))


async def job_errors(request: Request) -> Response:
    """`GET /api/job/{family}/{job_id}/errors`."""
    from ztui.ops.export import ExportError

    family = _family(request.path_params["family"])
    if family is None:
        return _bad("no such job family")
    try:
        fetched = await _hub(request).errors(family, request.path_params["job_id"])
    except (ApiError, ExportError) as exc:
        return _failure(exc)
    return _message(encode_errors(fetched))


async def file(request: Request) -> Response:
    """`GET /api/file/{file_id}`: the file's bytes."""
    try:
        path = await _hub(request).download(request.path_params["file_id"])
    except ApiError as exc:
        return _failure(exc)
    except OSError as exc:
        return _failure(ApiError(f"the hub could not keep the file: {exc.strerror}"))
    return FileResponse(path, media_type="application/octet-stream")


async def _body(request: Request, limit: int = 64 * 1024) -> bytes:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HubProtocolError(f"a request body of more than {limit:,} bytes")
    return body


async def refresh(request: Request) -> Response:
    """`POST /api/refresh`."""
    family: Family | None = None
    every_page = False
    try:
        body = await _body(request)
        if body.strip():
            import json

            value = json.loads(body)
            name = value.get("family") if isinstance(value, dict) else None
            family = _family(name) if isinstance(name, str) else None
            every_page = isinstance(value, dict) and value.get("every_page") is True
    except (ValueError, HubProtocolError):
        return _bad("a refresh request that is not JSON")
    hub = _hub(request)
    if every_page and family is not None and hub.poller is not None:
        # A viewer's `l`: the hub's next poll of that family reads every page, for all.
        hub.poller.read_every_page(family)
        polled = True
    else:
        polled = hub.refresh(family)
    return _message(wire_dumps({"type": "refresh", "polled": polled}))


async def watch_aqua(request: Request) -> Response:
    """`POST /api/aqua/{job_id}`."""
    job_id = request.path_params["job_id"].strip()
    if not job_id or len(job_id) > 64 or not job_id.isalnum():
        return _bad("an AQuA job id that is not one")
    _hub(request).watch_aqua(job_id)
    return _message(wire_dumps({"type": "watch", "id": job_id}))


def _viewer(request: Request) -> dict[str, str]:
    client = request.client
    return describe_viewer(request.headers.get(VIEWER_HEADER), client.host if client else None)


async def slots(request: Request) -> Response:
    """`GET /api/slots`: custom-object slots in use (a viewer's queued create)."""
    try:
        used = await _hub(request).slots()
    except ApiError as exc:
        return _failure(exc)
    return _message(wire_dumps({"type": "slots", "used": used}))


async def create(request: Request) -> Response:
    """`POST /api/create`: one step of a create, through `ztui.ops.submit` in the hub."""
    from ztui.hub.creates import MAX_CREATE_BYTES, decode_create_request, encode_create_outcome

    try:
        sub, step, confirm = decode_create_request(await _body(request, MAX_CREATE_BYTES))
    except HubProtocolError as exc:
        return _message(encode_failure(exc), 400)
    outcome = await _hub(request).create(sub, step, confirm=confirm, viewer=_viewer(request))
    return _message(encode_create_outcome(outcome, sub))


async def stop(request: Request) -> Response:
    """`POST /api/stop`: a write, through `ztui.ops.stop` in the hub."""
    try:
        key, confirm = decode_stop_request(await _body(request))
    except HubProtocolError as exc:
        return _message(encode_failure(exc), 400)
    outcome = await _hub(request).stop(key, confirm=confirm, viewer=_viewer(request))
    return _message(encode_stop_outcome(outcome))


ROUTES: Final[tuple[Route, ...]] = (
    Route("/api/hello", hello),
    Route("/api/events", events),
    Route("/api/jobs", jobs),
    Route("/api/job/{family}/{job_id}", job),
    Route("/api/job/{family}/{job_id}/errors", job_errors),
    Route("/api/file/{file_id}", file),
    Route("/api/refresh", refresh, methods=["POST"]),
    Route("/api/aqua/{job_id}", watch_aqua, methods=["POST"]),
    Route("/api/slots", slots),
    Route("/api/stop", stop, methods=["POST"]),
    Route("/api/create", create, methods=["POST"]),
)
"""The hub's own routes."""


def build_app(hub: Hub, extra_routes: Sequence[BaseRoute] = ()) -> ASGIApp:
    """The hub's ASGI app: `ROUTES`, `/metrics` and `extra_routes`, behind `TokenGate`.

    The app's lifespan starts the hub's watcher and closes it on shutdown.
    """

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await hub.start()
        try:
            yield
        finally:
            await hub.close()

    app = Starlette(routes=[*ROUTES, metrics_route(hub), *extra_routes], lifespan=lifespan)
    app.state.hub = hub
    return TokenGate(app, hub)


# ---------------------------------------------------------------------------- running


class _Server(uvicorn.Server):
    """uvicorn's server, told to close the hub's subscriptions before it waits for them."""

    hub: Hub | None = None

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.hub is not None:
            self.hub.end_subscriptions()
        await super().shutdown(sockets)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on `host:port` (port 0: any free one).

    Raises:
        OSError: The address cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _config(app: ASGIApp) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="on",
        http="h11",
        ws="none",
        loop="asyncio",
        timeout_graceful_shutdown=2,
        timeout_keep_alive=30,
    )


def url_of(sock: socket.socket) -> str:
    """`http://host:port` of a bound socket."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve_forever(hub: Hub, sock: socket.socket, extra_routes: Sequence[BaseRoute] = ()) -> int:
    """Serve the hub on `sock` in this thread until SIGINT or SIGTERM (`ztui serve`).

    uvicorn shuts down gracefully on either, then raises the signal again; here that ends
    in a return, so the caller's clean-up (the demo's simulator) runs.

    Returns:
        130 after SIGINT, 143 after SIGTERM.
    """
    import signal

    def terminated(_signum: int, _frame: object) -> None:
        raise SystemExit(143)

    server = _Server(_config(build_app(hub, extra_routes)))
    server.hub = hub
    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        return 130
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else 1
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


class HubServer:
    """Runs a hub behind HTTP in a background thread on loopback (tests).

    Example:
        with HubServer(Hub(options)) as server:
            httpx.get(server.url + "/api/hello")
    """

    def __init__(
        self,
        hub: Hub,
        host: str = "127.0.0.1",
        port: int = 0,
        extra_routes: Sequence[BaseRoute] = (),
    ) -> None:
        self.hub = hub
        self.host = host
        self.port = port
        self.url = ""
        self._extra = tuple(extra_routes)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        """The hub's event loop, once it runs (to hand it work from another thread)."""

    def start(self) -> str:
        """Start serving; block until listening and return the hub's URL.

        Raises:
            OSError: The address could not be bound.
            RuntimeError: The server did not come up within 10 seconds.
        """
        if self._server is not None:
            return self.url
        sock = bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        server = _Server(_config(build_app(self.hub, self._extra)))
        server.hub = self.hub
        self._server = server

        def run() -> None:
            try:
                asyncio.run(self._serve(server, sock))
            except BaseException as exc:  # reported by start(); the thread must not die loudly
                self._error = exc
            finally:
                sock.close()

        self._thread = threading.Thread(target=run, name="ztui-hub", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"the hub failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                raise RuntimeError("the hub did not start within 10 seconds")
            time.sleep(0.005)
        self.url = url_of(sock)
        return self.url

    async def _serve(self, server: _Server, sock: socket.socket) -> None:
        self.loop = asyncio.get_running_loop()
        await server.serve(sockets=[sock])

    def call(self, work: Callable[[], Coroutine[Any, Any, Any]], timeout: float = 10.0) -> Any:
        """Run `work()` in the hub's loop from another thread and return its result."""
        loop = self.loop
        if loop is None:
            raise RuntimeError("the hub is not running")
        return asyncio.run_coroutine_threadsafe(work(), loop).result(timeout)

    def stop(self) -> None:
        """Stop serving (open event streams end first)."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(timeout=5)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=2)
        self._server = None
        self._thread = None

    def __enter__(self) -> HubServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
