"""Provides `SimServer`: the simulator served by uvicorn in a daemon thread on loopback."""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import logging
import socket
import sys
import threading
import time
import types
from types import TracebackType
from typing import Any


def _enter_uvicorn_without_cli() -> None:
    """Put the `uvicorn` package in place with its server and config, without its
    command line.

    `import uvicorn` runs `uvicorn/__init__.py`, which imports `uvicorn.main` (the
    command line, and click with it): a seventh of the simulator's start-up, which the
    demo waits for. When nothing has imported uvicorn yet, the package is entered
    without running its `__init__`; the names it would define are there, `main` and
    `run` loaded when first used.
    """
    if "uvicorn" in sys.modules:
        return
    spec = importlib.util.find_spec("uvicorn")
    if spec is None or not spec.submodule_search_locations:
        return
    package = types.ModuleType("uvicorn")
    package.__path__ = list(spec.submodule_search_locations)
    package.__spec__ = spec
    package.__file__ = spec.origin

    def command_line(name: str) -> Any:
        if name in ("main", "run"):
            return getattr(importlib.import_module("uvicorn.main"), name)
        raise AttributeError(f"module 'uvicorn' has no attribute {name!r}")

    setattr(package, "__getattr__", command_line)  # noqa: B010 - PEP 562 hook
    sys.modules["uvicorn"] = package
    try:
        for name, module in (
            ("__version__", "uvicorn._version"),
            ("Config", "uvicorn.config"),
            ("Server", "uvicorn.server"),
        ):
            setattr(package, name, getattr(importlib.import_module(module), name))
    except Exception:
        # Laid out otherwise than this expects: the package as it comes, then.
        for name in [m for m in sys.modules if m == "uvicorn" or m.startswith("uvicorn.")]:
            del sys.modules[name]
        return
    setattr(package, "__all__", ["main", "run", "Config", "Server"])  # noqa: B010


_enter_uvicorn_without_cli()

import uvicorn  # noqa: E402 - after `_enter_uvicorn_without_cli` put the package in place

from ztui.sim.app import create_app  # noqa: E402
from ztui.sim.config import SimConfig  # noqa: E402
from ztui.sim.seed import seeded_simulator  # noqa: E402


class _WakeableServer(uvicorn.Server):
    """uvicorn's server whose idle loop `stop()` can wake at once.

    uvicorn polls `should_exit` every 0.1 s. This loop wakes once a second instead (the
    date header still refreshes every second; an idle simulator beside the app should
    cost next to nothing) and `wake()` cuts the wait short, so a stop is still at once.
    """

    _loop: asyncio.AbstractEventLoop | None = None
    _wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            # uvicorn counts tenths of a second: a multiple of 10 refreshes the date.
            counter = (counter + 10) % 864000
            try:
                await asyncio.wait_for(self._wake.wait(), 1.0)
            except TimeoutError:
                pass
            should_exit = await self.on_tick(counter)

    def wake(self) -> None:
        """Make the idle loop check `should_exit` now (callable from any thread)."""
        loop, event = self._loop, self._wake
        if loop is not None and event is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # the loop closed in between
                pass


class SimServer:
    """Runs a `Simulator` behind HTTP in a background thread (tests, `ztui sim`).

    The socket is bound in `start()` (port 0 picks a free port), so `base_url` carries
    the real port. No signal handlers are installed, which makes it safe inside the TUI
    process (`ztui --demo`).

    Example:
        with SimServer(SimConfig(clock="manual")) as server:
            httpx.post(server.base_url + "/oauth/token", data=...)
    """

    def __init__(
        self, config: SimConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        """Create the simulator (seeding its scenario); nothing listens until `start()`."""
        self.host = host
        self.port = port
        self.sim = seeded_simulator(config or SimConfig())
        self.app = create_app(self.sim)
        self.base_url = ""
        self._server: _WakeableServer | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def config(self) -> SimConfig:
        """The simulator's current config (`/_sim/config` may have changed it)."""
        return self.sim.config

    def start(self) -> str:
        """Start serving; block until listening and return the base URL.

        Raises:
            OSError: the address could not be bound.
            RuntimeError: the server did not come up within 10 seconds.
        """
        if self._server is not None:
            return self.base_url
        _quiet_uvicorn()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit this on Linux: without it, h11's separate header and
        # body writes meet the client's delayed ACK and every answer takes ~40 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.host, self.port))
        sock.listen(128)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_config=None,
            access_log=False,
            lifespan="off",
            http="h11",
            ws="none",
            loop="asyncio",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=5,
        )
        server = _WakeableServer(config)
        self._server = server

        def run() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException as exc:  # reported by start(); the thread must not die loudly
                self._error = exc
            finally:
                sock.close()

        self._thread = threading.Thread(target=run, name="ztui-sim", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"the simulator failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                raise RuntimeError("the simulator did not start within 10 seconds")
            time.sleep(0.005)
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.base_url = f"http://{host}:{self.port}"
        return self.base_url

    def recent_aqua_job_ids(self, limit: int) -> list[str]:
        """The seeded AQuA jobs a journal would know (see `Simulator.recent_aqua_job_ids`)."""
        return self.sim.recent_aqua_job_ids(limit)

    def stop(self) -> None:
        """Stop serving; returns within about a second even with open connections."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        server.wake()
        thread.join(timeout=0.8)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=0.2)
        self._server = None
        self._thread = None

    def __enter__(self) -> SimServer:
        """Start on entry."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop on exit."""
        self.stop()


def _quiet_uvicorn() -> None:
    """Keep uvicorn's records off the terminal unless the host app configured logging.

    Without a handler anywhere, Python's last-resort handler would print warnings to
    stderr, which would scribble over the TUI in `ztui --demo`.
    """
    logger = logging.getLogger("uvicorn")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
