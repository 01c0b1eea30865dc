"""Provides `ztui serve`: one watcher for a profile, served to every viewer (`ztui --hub`).

The hub binds loopback unless `--host` says otherwise; anywhere else every route asks
for the token. It prints where the token file is, the URL to attach to, and whether
viewers may write. It runs until Ctrl-C (or SIGTERM).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ztui import __version__
from ztui.cli.args import (
    OneLineParser,
    add_connection_options,
    non_negative_int,
    positive_float,
    resolve_from_args,
)
from ztui.cli.serve_web import add_web_options, start_browser
from ztui.hub import DEFAULT_HOST, DEFAULT_PORT

if TYPE_CHECKING:
    import socket

    from ztui.config.schema import ResolvedProfile, Settings


def build_serve_parser() -> OneLineParser:
    """The parser of `ztui serve`."""
    parser = OneLineParser(
        prog="ztui serve",
        description=(
            "Watch one profile once for a whole team: run the watcher (the same pacing and "
            "call budget as the app) and serve what it sees to `ztui --hub URL` viewers, "
            "which make no Zuora calls of their own. Read-only for viewers unless "
            "--allow-writes."
        ),
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}; anything but loopback makes "
        "every route ask for the token)",
    )
    parser.add_argument(
        "--port",
        type=non_negative_int,
        default=DEFAULT_PORT,
        help=f"port to listen on (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    parser.add_argument(
        "--allow-writes",
        action="store_true",
        help="let viewers stop, cancel and create through the hub (with the token; on "
        "production each write carries the typed tenant name)",
    )
    parser.add_argument(
        "--token-file",
        type=Path,
        metavar="PATH",
        help="keep the hub's token here instead of ztui's state folder",
    )
    parser.add_argument(
        "--demo", action="store_true", help="watch an embedded simulator with demo jobs"
    )
    parser.add_argument(
        "--sim-jobs", type=non_negative_int, default=60, help="demo: jobs to seed (default 60)"
    )
    parser.add_argument("--sim-seed", type=int, default=1, help="demo: scenario seed (default 1)")
    parser.add_argument(
        "--sim-speed", type=positive_float, default=1.0, help="demo: clock speed (default 1.0)"
    )
    parser.add_argument(
        "--sim-quirks",
        action="store_true",
        help="demo: the simulator answers like a real tenant may (docs/tolerance.md)",
    )
    parser.add_argument("--version", action="version", version=f"ztui {__version__}")
    add_web_options(parser)
    add_connection_options(parser)
    return parser


def _say(text: str) -> None:
    print(f"ztui serve: {text}", file=sys.stderr, flush=True)


def run_serve(_name: str, argv: list[str]) -> int:
    """`ztui serve`: parse, connect, serve until interrupted; return the exit code."""
    from ztui.core.sanitize import guarded_std_streams

    args = build_serve_parser().parse_args(argv)
    with guarded_std_streams():
        return _serve(args)


def _serve(args: argparse.Namespace) -> int:
    from ztui.config.load import ConfigError
    from ztui.core.logsetup import install_excepthook, setup_logging
    from ztui.hub.auth import TokenError, is_loopback, load_or_create_token

    install_excepthook()
    try:
        settings, profile = resolve_from_args(args)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    for warning in settings.warnings:
        _say(f"warning: {warning}")
    try:
        setup_logging(debug=bool(args.debug))
    except OSError as exc:
        _say(f"warning: logging disabled: {exc}")
    try:
        token, token_file, created = load_or_create_token(args.token_file)
    except TokenError as exc:
        _say(str(exc))
        return 1
    from ztui.hub.server import bind

    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        _say(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
        return 1
    process = None
    try:
        journal_path = None
        if args.demo:
            from ztui.core.paths import demo_journal_path
            from ztui.demo import DemoOptions, demo_profile
            from ztui.sim.process import WATCHED_AQUA

            demo = DemoOptions(
                args.sim_jobs,
                args.sim_seed,
                args.sim_speed,
                bool(args.read_only),
                quirks=bool(args.sim_quirks),
            )
            process = demo.simulator()
            try:
                url = process.spawn().wait_ready()
            except RuntimeError as exc:
                _say(f"the demo simulator could not start: {exc}")
                return 1
            profile = demo_profile(url, profile, demo)
            aqua_ids = process.recent_aqua_job_ids(WATCHED_AQUA)
            journal_path = demo_journal_path()
        else:
            aqua_ids = _known_aqua_ids(profile.name, profile.base_url)
        loopback = is_loopback(args.host)
        return _run(
            args,
            settings,
            profile,
            token,
            sock,
            aqua_ids,
            journal_path,
            token_file,
            created,
            loopback,
        )
    finally:
        if process is not None:
            process.stop()


def _known_aqua_ids(profile: str, base_url: str) -> list[str]:
    """The AQuA jobs the app would follow on this profile: the journal's and the watch list's."""
    from ztui.store import watchlist
    from ztui.store.journal import Journal

    ids: list[str] = []
    try:
        ids.extend(Journal().known_aqua_ids(profile, base_url))
    except OSError as exc:
        _say(f"warning: cannot read the journal ({exc}); its AQuA jobs are not followed")
    ids.extend(watchlist.watched(profile, base_url))
    return list(dict.fromkeys(ids))


def _run(
    args: argparse.Namespace,
    settings: Settings,
    profile: ResolvedProfile,
    token: str,
    sock: socket.socket,
    aqua_ids: list[str],
    journal_path: Path | None,
    token_file: Path,
    created: bool,
    loopback: bool,
) -> int:
    from ztui.hub.server import serve_forever, url_of
    from ztui.hub.state import Hub, HubOptions

    hub = Hub(
        HubOptions(
            profile=profile,
            settings=settings,
            allow_writes=bool(args.allow_writes),
            token=token,
            token_required=not loopback,
            aqua_ids=aqua_ids,
            journal_path=journal_path,
        )
    )
    url = url_of(sock)
    where = profile.environment or profile.base_url
    _say(f"watching profile {profile.name!r} ({where}) for viewers at {url}")
    made = "made" if created else "reused"
    _say(f"token file ({made}, mode 0600): {token_file}")
    if loopback:
        _say("on loopback: viewers need the token for writes only")
    else:
        _say("not on loopback: every route needs the token")
    reason = hub.read_only_reason()
    _say("viewers may stop, cancel and create" if reason is None else f"read-only ({reason})")
    token_arg = f" --hub-token-file {token_file}" if not loopback or reason is None else ""
    _say(f"attach with: ztui --hub {url}{token_arg}")
    browser = start_browser(args, settings, hub, sock, token_file, _say)
    if isinstance(browser, int):
        return browser
    try:
        code = serve_forever(hub, sock)
    finally:
        if browser is not None:
            browser.stop()
    _say("stopped")
    return code
