"""Provides `ztui serve --web`: the options of browser mode and its start beside the hub.

Browser mode is off unless asked for. `--web` serves the page on the hub's port + 1
(8766 by default; a free port when `--port 0`), `--web-port PORT` on that port; either
way on the hub's address, so on loopback by default. The page asks for the hub's token
(on loopback too: see `ztui.hub.web`, which also says what a session runs).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ztui.cli.args import non_negative_int

if TYPE_CHECKING:
    import socket

    from ztui.config.schema import Settings
    from ztui.hub.state import Hub
    from ztui.hub.web import BrowserServer


def add_web_options(parser: argparse.ArgumentParser) -> None:
    """Add `--web` and `--web-port` to `ztui serve`'s parser."""
    parser.add_argument(
        "--web",
        action="store_true",
        help="also serve the board to browsers, on the hub's port + 1 (see --web-port)",
    )
    parser.add_argument(
        "--web-port",
        type=non_negative_int,
        metavar="PORT",
        help="serve the board to browsers on this port (implies --web; 0 picks a free one)",
    )


def web_port(args: argparse.Namespace) -> int | None:
    """The port browser mode asks for, or None when it is off."""
    if args.web_port is not None:
        return int(args.web_port)
    if args.web:
        return int(args.port) + 1 if args.port else 0
    return None


def start_browser(
    args: argparse.Namespace,
    settings: Settings,
    hub: Hub,
    hub_sock: socket.socket,
    token_file: Path,
    say: Callable[[str], None],
) -> BrowserServer | int | None:
    """Start browser mode when asked for and say where the page is.

    Returns:
        The running server; None when browser mode is off; 1 when it could not start
        (what went wrong is said).
    """
    port = web_port(args)
    if port is None:
        return None
    from ztui.hub.server import bind
    from ztui.hub.web import BrowserOptions, BrowserServer, drop_env_for, local_url

    try:
        sock = bind(args.host, port)
    except OSError as exc:
        say(f"cannot serve the browser page on {args.host}:{port}: {exc.strerror or exc}")
        return 1
    options = BrowserOptions(
        hub_url=local_url(hub_sock),
        token=hub.options.token,
        token_file=token_file,
        host=args.host,
        port=sock.getsockname()[1],
        drop_env=drop_env_for([p.client_secret_env for p in settings.profiles.values()]),
    )
    browser = BrowserServer(options)
    try:
        url = browser.start(sock)
    except (OSError, RuntimeError) as exc:
        say(f"browser mode could not start: {exc}")
        return 1
    say(
        f"browser page: open {url}/?token=<the token in {token_file}> once (a cookie keeps "
        "it; the page's viewers run as this user on this machine)"
    )
    return browser
