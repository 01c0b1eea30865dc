"""Provides browser mode: the hub's board in a web page, through textual-serve.

`ztui serve --web` starts `BrowserServer` beside the hub, on its own port (the hub's port
+ 1 unless `--web-port` says otherwise) and on the hub's address. Each browser session
runs `viewer_argv`: an attached viewer (`python -m ztui --hub URL`, ended with the hub by
`ztui.hub.session`) whose screen textual-serve draws in the page with xterm.js. A
session makes no Zuora calls: it reads the hub like any terminal viewer, and is one of
the hub's viewers on `/metrics`.

The page always asks for the hub's token, on loopback too: a session's viewer runs as
the hub's user on the hub's machine, so what it downloads, exports or picks for an
upload is that user's files, a power no terminal viewer has over the hub (it runs as its
own user, on its own machine). So the page is guarded like a write (`ztui.hub.auth`):

- Opened once as `/?token=TOKEN` (or with `Authorization: Bearer TOKEN`), it sets a
  cookie (HttpOnly, SameSite=Strict) holding a digest of the token, not the token, and
  sends the browser on to `/`, out of the address bar. Anything else gets 401 and one
  line.
- On loopback, the page answers only requests addressed to a loopback name, so a web
  page elsewhere cannot reach it through a DNS name that points at 127.0.0.1.
- The session's websocket is refused when its `Origin` is not the page's own, so another
  site open in the same browser cannot start a session.

A session's environment is the hub's less the tenant's secrets (`drop_env`), and at most
`max_sessions` run at once (each is a Python process). textual-serve imports no Textual
at import time; it is imported only when browser mode starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import os
import re
import shlex
import socket
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from ztui.hub.auth import bearer_matches, is_loopback
from ztui.hub.session import PARENT_ENV

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger("ztui.hub.web")

MAX_SESSIONS: Final = 8
"""Browser sessions running at once, at most (each is a viewer process of about 60 MB)."""

COOKIE: Final = "ztui_hub_session"
"""The cookie that says the browser showed the token once."""

SECRET_ENV: Final = frozenset({"ZTUI_CLIENT_SECRET"})
"""Environment variables a session never gets, beyond each profile's `client_secret_env`."""

_LOOPBACK_NAMES: Final = ("127.0.0.1", "localhost", "[::1]")

_WEB_FONT: Final = re.compile(r"<link[^>]*fonts\.googleapis\.com[^>]*>")
_LOCAL_FONT: Final = (
    '<style>@font-face { font-family: "Roboto Mono"; '
    'src: url("STATICfonts/RobotoMono-VariableFont_wght.ttf"); }</style>'
)


def viewer_argv(hub_url: str, token_file: Path | None) -> list[str]:
    """The command a browser session runs: a viewer attached to the hub at `hub_url`
    (`python -m ztui --hub URL`, started through `ztui.hub.session` so that it ends
    with the hub)."""
    token = ["--hub-token-file", str(token_file)] if token_file is not None else []
    return [sys.executable, "-m", "ztui.hub.session", "--hub", hub_url, *token]


def session_cookie(token: str) -> str:
    """The cookie value that stands for `token`: a digest, so the cookie is not the token."""
    return hmac.new(token.encode("utf-8"), b"ztui browser session", hashlib.sha256).hexdigest()


def local_url(sock: socket.socket) -> str:
    """`http://host:port` at which this machine reaches a socket bound to any address
    (a wildcard bind is reached on loopback)."""
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@dataclass(frozen=True)
class BrowserOptions:
    """How browser mode runs."""

    hub_url: str
    """Where sessions reach the hub (a loopback URL on the hub's machine)."""
    token: str
    """The hub's token."""
    token_file: Path
    """The file holding it, handed to sessions that may have it."""
    host: str = "127.0.0.1"
    """The address the page is served on (the hub's)."""
    port: int = 0
    """Its port (0: any free one)."""
    token_required: bool = True
    """The page asks for the token (`ztui serve --web` always does; tests turn it off)."""
    max_sessions: int = MAX_SESSIONS
    """Sessions running at once, at most."""
    drop_env: frozenset[str] = SECRET_ENV
    """Environment variables removed from each session's."""
    argv: tuple[str, ...] | None = None
    """The session's command; None: `viewer_argv` (tests give another)."""
    title: str = "ztui"
    """The page's title."""

    def command(self) -> str:
        """The shell command line textual-serve runs per session."""
        argv = self.argv
        if argv is None:
            argv = tuple(
                viewer_argv(self.hub_url, self.token_file if self.token_required else None)
            )
        return "exec " + shlex.join(argv)


def drop_env_for(secret_env_names: Collection[str | None]) -> frozenset[str]:
    """`SECRET_ENV` and the given variable names (each profile's `client_secret_env`)."""
    return SECRET_ENV | {name for name in secret_env_names if name}


QUIT_WAIT_S: Final = 3.0
"""Seconds a session's viewer has to quit when browser mode stops, before it is ended."""

CLOSE_WAIT_S: Final = 2.0
"""Seconds a closing session waits for the browser to answer its websocket close."""


@dataclass
class _Sessions:
    running: int = 0
    started: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    services: set[Any] = field(default_factory=set)
    """The sessions' viewers running now (touched in the server's loop only)."""

    async def end_all(self) -> None:
        """Ask every viewer to quit, and end those still running after `QUIT_WAIT_S`."""
        services = list(self.services)
        for service in services:
            await service.send_meta({"type": "quit"})
        for service in services:
            process: asyncio.subprocess.Process | None = service._process
            if process is None:
                continue
            try:
                await asyncio.wait_for(process.wait(), QUIT_WAIT_S)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()


def _make_server(options: BrowserOptions, sessions: _Sessions) -> Any:
    """textual-serve's server, with ztui's checks (imported here: browser mode only)."""
    import aiohttp_jinja2
    from aiohttp import web
    from textual_serve.app_service import AppService
    from textual_serve.server import Server

    drop = options.drop_env
    allowed_hosts = _allowed_hosts(options)
    expected_cookie = session_cookie(options.token)

    class _Session(AppService):
        def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
            environment: dict[str, str] = super()._build_environment(width, height)
            for name in drop:
                environment.pop(name, None)
            environment[PARENT_ENV] = str(os.getpid())
            return environment

        async def run(self) -> None:
            sessions.services.add(self)
            try:
                await super().run()
            finally:
                sessions.services.discard(self)

    def refused(status: int, text: str) -> web.Response:
        return web.Response(status=status, text=text + "\n", content_type="text/plain")

    @web.middleware
    async def gate(
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        if allowed_hosts is not None and request.host.lower() not in allowed_hosts:
            return refused(421, "421 Misdirected Request: open the page on 127.0.0.1")
        if options.token_required:
            query = request.query.get("token")
            if query is not None and request.path == "/" and _matches(query, options.token):
                # The token leaves the address bar at once; the cookie stands for it.
                response = web.Response(status=303, headers={"Location": "/"})
                response.set_cookie(
                    COOKIE, expected_cookie, httponly=True, samesite="Strict", path="/"
                )
                return response
            cookie = request.cookies.get(COOKIE, "")
            if not (
                hmac.compare_digest(cookie.encode(), expected_cookie.encode())
                or bearer_matches(request.headers.get("Authorization"), options.token)
            ):
                return refused(
                    401, "401 Unauthorized: open this page once as /?token=<the hub's token>"
                )
        if request.path == "/ws":
            return await session(request, handler)
        return await handler(request)

    async def session(
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        """A session's websocket: refused from another site's page, and past
        `max_sessions`; counted while it runs."""
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc.lower() != request.host.lower():
            return refused(403, "403 Forbidden: a session starts from this page only")
        with sessions.lock:
            full = sessions.running >= options.max_sessions
            if not full:
                sessions.running += 1
                sessions.started += 1
        if full:
            return refused(503, f"503: {options.max_sessions} browser sessions run already")
        try:
            return await handler(request)
        finally:
            with sessions.lock:
                sessions.running -= 1

    class _Server(Server):
        def __init__(self) -> None:
            super().__init__(options.command(), host=options.host, title=options.title)

        async def _make_app(self) -> web.Application:
            app: web.Application = await super()._make_app()
            app.middlewares.append(gate)
            return app

        async def on_startup(self, app: web.Application) -> None:
            """Say nothing: `ztui serve` prints the page's address itself."""

        async def handle_index(self, request: web.Request) -> web.StreamResponse:
            """The page, with the websocket on the address the browser used."""
            static = str(request.app.router["static"].url_for(filename="/")).rstrip("/") + "/"
            scheme = "wss" if request.secure else "ws"
            context = {
                "font_size": _int(request.query.get("fontsize", "16"), 16),
                "app_websocket_url": f"{scheme}://{request.host}/ws",
                "config": {"static": {"url": static}},
                "application": {"name": self.title},
            }
            response = aiohttp_jinja2.render_template("app_index.html", request, context)
            if response.text is not None:
                # The font ships with textual-serve: the page asks no other site for it.
                face = _LOCAL_FONT.replace("STATIC", static)
                response.text = _WEB_FONT.sub(face, response.text)
            response.headers["Cache-Control"] = "no-store"
            return response

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            """One session: an attached viewer drawn in the browser."""
            websocket = web.WebSocketResponse(heartbeat=15, timeout=CLOSE_WAIT_S)
            width = _int(request.query.get("width", "80"), 80)
            height = _int(request.query.get("height", "24"), 24)

            async def close() -> None:
                await websocket.close()

            service: _Session | None = None
            try:
                await websocket.prepare(request)
                service = _Session(
                    self.command,
                    write_bytes=websocket.send_bytes,
                    write_str=websocket.send_str,
                    close=close,
                    download_manager=self.download_manager,
                    debug=False,
                )
                await service.start(width, height)
                await self._process_messages(websocket, service)
            except asyncio.CancelledError:
                await websocket.close()
            except Exception as exc:  # a session's failure must not reach the server
                log.warning("browser session ended: %s", exc)
            finally:
                if service is not None:
                    await service.stop()
            return websocket

    return _Server()


def _int(text: str, default: int) -> int:
    try:
        return max(1, min(1000, int(text)))
    except ValueError:
        return default


def _matches(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8"))


def _allowed_hosts(options: BrowserOptions) -> frozenset[str] | None:
    """The `Host` headers a loopback page answers (None: any, the token guards it)."""
    if not is_loopback(options.host):
        return None
    return frozenset(f"{name}:{options.port}" for name in _LOOPBACK_NAMES)


class BrowserServer:
    """Serves the board to browsers in a background thread, with its own event loop.

    Example:
        with BrowserServer(options) as browser:
            print(browser.url)
    """

    def __init__(self, options: BrowserOptions) -> None:
        self.options = options
        self.url = ""
        self._sessions = _Sessions()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._ready = threading.Event()

    @property
    def sessions(self) -> int:
        """Browser sessions running now."""
        return self._sessions.running

    @property
    def sessions_started(self) -> int:
        """Browser sessions started since the server started."""
        return self._sessions.started

    def start(self, sock: socket.socket | None = None) -> str:
        """Serve on `sock` (else bind the options' address); return the page's URL.

        Raises:
            OSError: The address could not be bound.
            RuntimeError: The server did not come up within 10 seconds.
        """
        if self._thread is not None:
            return self.url
        from ztui.hub.server import bind, url_of

        if sock is None:
            sock = bind(self.options.host, self.options.port)
        port = sock.getsockname()[1]
        if port != self.options.port:
            from dataclasses import replace

            self.options = replace(self.options, port=port)
        self.url = url_of(sock)
        server = _make_server(self.options, self._sessions)
        self._thread = threading.Thread(
            target=self._run, args=(server, sock), name="ztui-browser", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._ready.wait(0.05):
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"browser mode failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                raise RuntimeError("browser mode did not start within 10 seconds")
        return self.url

    def _run(self, server: Any, sock: socket.socket) -> None:
        try:
            asyncio.run(self._serve(server, sock))
        except BaseException as exc:  # reported by start(); the thread must not die loudly
            self._error = exc
        finally:
            sock.close()

    async def _serve(self, server: Any, sock: socket.socket) -> None:
        from aiohttp import web

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        app: web.Application = await server._make_app()
        runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=CLOSE_WAIT_S
        )
        await runner.setup()
        try:
            await web.SockSite(runner, sock).start()
            self._ready.set()
            await self._stop.wait()
        finally:
            await self._sessions.end_all()
            await runner.cleanup()

    def stop(self) -> None:
        """Stop serving; running sessions are told to quit."""
        thread, loop, stop = self._thread, self._loop, self._stop
        if thread is None:
            return
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)
        self._thread = None

    def __enter__(self) -> BrowserServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
