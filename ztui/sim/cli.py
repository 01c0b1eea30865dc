"""Provides `main` for `ztui sim`: serve the simulator in the foreground until a signal."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

from ztui.sim.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SimConfig

if TYPE_CHECKING:
    from ztui.sim.server import SimServer

DEFAULT_PORT = 8787
"""The port the default config's `base_url` points at."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line and exits 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"ztui sim: {message}\n")
        raise SystemExit(2)


def _positive(kind: type[int] | type[float], allow_zero: bool) -> Callable[[str], int | float]:
    def convert(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value < 0 or (value == 0 and not allow_zero):
            raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
        return value

    return convert


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0..65535, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The `ztui sim` argument parser."""
    parser = _Parser(
        prog="ztui sim",
        description="Serve the Zuora job-API simulator on loopback until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = any)"
    )
    parser.add_argument(
        "--sim-jobs", type=_positive(int, True), default=60, help="seeded jobs (default 60)"
    )
    parser.add_argument("--sim-seed", type=int, default=1, help="scenario seed (default 1)")
    parser.add_argument(
        "--sim-running",
        type=_positive(int, True),
        default=None,
        help="at most this many seeded jobs still running (default: about 8%% of them)",
    )
    parser.add_argument(
        "--sim-speed", type=_positive(float, False), default=1.0, help="clock speed (default 1)"
    )
    parser.add_argument("--client-id", default=DEMO_CLIENT_ID, help="accepted client id (36 chars)")
    parser.add_argument(
        "--client-secret", default=None, help="accepted client secret (<= 42 chars)"
    )
    parser.add_argument(
        "--quirks",
        action="store_true",
        help="real-tenant mode: answer with every variant Zuora's sources allow (odd types "
        "and timestamps, an unreadable job per family, pages of 20, ...); see docs/tolerance.md",
    )
    parser.add_argument(
        "--embedded",
        action="store_true",
        help="print one JSON line ({url, aqua}) when listening and stop when standard "
        "input closes (how `ztui --demo` runs the simulator)",
    )
    return parser


def main(argv: list[str]) -> int:
    """Run `ztui sim`.

    The first stdout line carries the base URL (with the real port), the second the
    client id; with `--embedded`, one JSON line instead (see `ztui.sim.process`). Serves
    until SIGINT or SIGTERM (or, embedded, until standard input closes), then stops and
    returns 0.

    Args:
        argv: Arguments after `sim`.

    Returns:
        The exit code: 0 after a clean stop, 2 for bad arguments, 1 if serving failed.
    """
    from ztui.sim.server import SimServer

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    secret = args.client_secret if args.client_secret is not None else DEMO_CLIENT_SECRET
    config = SimConfig(
        jobs=args.sim_jobs,
        seed=args.sim_seed,
        running=args.sim_running,
        speed=args.sim_speed,
        client_id=args.client_id,
        client_secret=secret,
        quirks=args.quirks,
    )
    try:
        config.validate()
    except ValueError as exc:
        sys.stderr.write(f"ztui sim: {exc}\n")
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    server = SimServer(config, host=args.host, port=args.port)
    try:
        try:
            url = server.start()
        except (OSError, RuntimeError) as exc:
            sys.stderr.write(f"ztui sim: cannot serve on {args.host}:{args.port}: {exc}\n")
            return 1
        if args.embedded:
            _announce_embedded(server, url, stop)
        else:
            _announce(config, url, custom_secret=args.client_secret is not None)
        # No polling: the signal handlers and the parent watcher set the event.
        stop.wait()
        return 0
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _announce(config: SimConfig, url: str, *, custom_secret: bool) -> None:
    """Tell a person where the simulator listens and how to point ztui at it.

    The last line can be pasted into a shell so that the headless commands (`ztui jobs`)
    and the app connect to this simulator. The demo secret is no secret; a secret given
    with `--client-secret` is not printed.
    """
    mode = " (real-tenant mode)" if config.quirks else ""
    print(f"Zuora simulator listening on {url}{mode}", flush=True)
    print(f"client_id: {config.client_id}", flush=True)
    if custom_secret:
        print("client_secret: the one given with --client-secret", flush=True)
        secret = "'<the secret given with --client-secret>'"
    else:
        print(f"client_secret: {config.client_secret} (the demo secret)", flush=True)
        secret = config.client_secret
    print(
        f"export ZTUI_BASE_URL={url} ZTUI_CLIENT_ID={config.client_id} ZTUI_CLIENT_SECRET={secret}",
        flush=True,
    )


def _announce_embedded(server: SimServer, url: str, stop: threading.Event) -> None:
    """Tell the parent app where the simulator listens; stop once the parent's pipe closes."""
    from ztui.sim.process import WATCHED_AQUA

    ready = {"url": url, "aqua": server.sim.recent_aqua_job_ids(WATCHED_AQUA)}
    print(json.dumps(ready), flush=True)

    def watch_parent() -> None:
        try:
            while sys.stdin.buffer.read(65536):
                pass
        except (OSError, ValueError):
            pass
        stop.set()

    threading.Thread(target=watch_parent, name="ztui-sim-parent", daemon=True).start()
