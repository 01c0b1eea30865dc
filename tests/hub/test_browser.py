"""Browser mode (`ztui serve --web`): the board in a real headless Chromium, and who may
open the page.

The Chromium test needs Debian's `chromium` and `chromium-driver` (`/usr/bin/chromium`,
`/usr/bin/chromedriver`); `.ci/run` installs them. Without them it fails, never skips.
`SAVE_SCREENSHOT=1` also writes its picture to `screenshots/browser.png`.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest

from ztui.api.models import Family
from ztui.cli.serve import build_serve_parser
from ztui.cli.serve_web import web_port
from ztui.hub.web import COOKIE, BrowserOptions, BrowserServer, session_cookie, viewer_argv

from .conftest import TOKEN, wait_for

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"

TERMINAL_HOOK = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal", {
      value, writable: true, configurable: true, enumerable: true,
    });
    window.__ztuiTerminal = value;
  },
});
"""
"""Keeps the page's xterm.js terminal where the test can read its buffer: textual-serve
assigns it to `this.terminal`, and that assignment goes through this setter."""

TERMINAL_TEXT = """
const terminal = window.__ztuiTerminal;
if (!terminal) { return null; }
const buffer = terminal.buffer.active;
const lines = [];
for (let row = 0; row < buffer.length; row++) {
  const line = buffer.getLine(row);
  lines.push(line ? line.translateToString(true) : "");
}
return lines.join("\\n");
"""
"""The terminal's text, row by row, as xterm.js holds it."""


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "hub-token"
    path.write_text(TOKEN + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture
def start_browser() -> Iterator[Callable[..., BrowserServer]]:
    """Factory: `start_browser(options)` runs browser mode; each is stopped afterwards."""
    started: list[BrowserServer] = []

    def factory(options: BrowserOptions) -> BrowserServer:
        server = BrowserServer(options)
        server.start()
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


def _chrome() -> Any:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} missing: the browser test runs Debian's Chromium "
            "(`.ci/run` installs it: apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1280,800",
        "--enable-unsafe-swiftshader",
    ):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


def test_the_board_shows_in_headless_chromium(
    make_sim: Callable[..., Any],
    make_hub: Callable[..., Any],
    start_browser: Callable[..., BrowserServer],
    token_file: Path,
    tmp_path: Path,
) -> None:
    hub = make_hub(make_sim(jobs=30, clock="wall", running=3))
    wait_for(lambda: hub.hub.latest is not None and hub.hub.latest.complete, "a full poll")
    jobs = [j for j in hub.hub.latest.jobs.values() if j.family is not Family.CUSTOM_OBJECT]
    newest = max(jobs, key=lambda j: j.created_at.timestamp() if j.created_at else 0.0)
    browser = start_browser(
        BrowserOptions(hub_url=hub.url, token=TOKEN, token_file=token_file, token_required=True)
    )
    driver = _chrome()
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": TERMINAL_HOOK})
        driver.get(f"{browser.url}/?token={TOKEN}")
        assert driver.current_url == f"{browser.url}/"  # the token left the address bar
        text = ""
        deadline = time.monotonic() + 45
        while newest.id not in text or newest.family.label not in text:
            if time.monotonic() > deadline:
                raise AssertionError(f"the board never showed {newest.id}; the page had:\n{text}")
            time.sleep(0.25)
            text = driver.execute_script(TERMINAL_TEXT) or ""
        assert "via hub" in text
        assert hub.hub.viewers == 1  # the session is one of the hub's viewers
        assert browser.sessions == 1
        shot = tmp_path / "browser.png"
        assert driver.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000
        if os.environ.get("SAVE_SCREENSHOT"):
            shutil.copyfile(shot, SCREENSHOTS / "browser.png")
    finally:
        driver.quit()
    wait_for(lambda: browser.sessions == 0, "the session to end with its page")
    wait_for(lambda: hub.hub.viewers == 0, "the viewer to leave the hub")


# ---------------------------------------------------------------------------- the page's gate


def _options(token_file: Path, **more: Any) -> BrowserOptions:
    fake_app = [sys.executable, "-c", "import sys; sys.stdin.buffer.read(1)"]
    return BrowserOptions(
        hub_url="http://127.0.0.1:9",
        token=TOKEN,
        token_file=token_file,
        argv=tuple(fake_app),
        **more,
    )


def test_off_loopback_the_page_wants_the_token_once(
    start_browser: Callable[..., BrowserServer], token_file: Path
) -> None:
    browser = start_browser(_options(token_file, token_required=True))
    url = browser.url
    for path in ("/", "/?token=wrong", "/static/js/textual.js", "/ws", "/download/x"):
        refused = httpx.get(url + path)
        assert refused.status_code == 401, path
        assert "textual" not in refused.text.lower()
    opened = httpx.get(url + f"/?token={TOKEN}")
    assert opened.status_code == 303
    assert opened.headers["location"] == "/"
    cookie = opened.cookies[COOKIE]
    assert cookie == session_cookie(TOKEN)
    assert TOKEN not in cookie
    set_cookie = opened.headers["set-cookie"].lower()
    assert "httponly" in set_cookie
    assert "samesite=strict" in set_cookie
    page = httpx.get(url + "/", cookies={COOKIE: cookie})
    assert page.status_code == 200
    assert f'data-session-websocket-url="ws://{url.removeprefix("http://")}/ws"' in page.text
    assert "googleapis" not in page.text
    assert httpx.get(url + "/static/js/textual.js", cookies={COOKIE: cookie}).status_code == 200
    font_path = "/static/fonts/RobotoMono-VariableFont_wght.ttf"
    font = httpx.get(url + font_path, cookies={COOKIE: cookie})
    assert font.status_code == 200
    assert httpx.get(url + "/", cookies={COOKIE: "x" * 64}).status_code == 401
    bearer = httpx.get(url + "/", headers={"Authorization": f"Bearer {TOKEN}"})
    assert bearer.status_code == 200


def test_on_loopback_the_page_answers_loopback_names_only(
    start_browser: Callable[..., BrowserServer], token_file: Path
) -> None:
    browser = start_browser(_options(token_file, token_required=False))
    port = browser.url.rsplit(":", 1)[1]
    assert httpx.get(browser.url + "/").status_code == 200
    assert httpx.get(f"http://localhost:{port}/").status_code == 200
    rebound = httpx.get(browser.url + "/", headers={"Host": f"attacker.example:{port}"})
    assert rebound.status_code == 421


async def _session(url: str, origin: str) -> bytes:
    """Open a session's websocket and return its first screen bytes."""
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(url + "/ws?width=80&height=24", origin=origin) as websocket,
    ):
        message = await asyncio.wait_for(websocket.receive(), 10)
        assert message.type == aiohttp.WSMsgType.BINARY, message
        data: bytes = message.data
        return data


def test_a_session_from_another_site_is_refused(
    start_browser: Callable[..., BrowserServer], token_file: Path
) -> None:
    browser = start_browser(_options(token_file, token_required=False))

    async def attempt() -> int:
        async with aiohttp.ClientSession() as http:
            try:
                async with http.ws_connect(browser.url + "/ws", origin="http://evil.example"):
                    return 101
            except aiohttp.WSServerHandshakeError as exc:
                return exc.status

    assert asyncio.run(attempt()) == 403
    assert browser.sessions_started == 0


FAKE_APP = textwrap.dedent(
    """
    import os, sys
    out = sys.stdout.buffer
    out.write(b"__GANGLION__\\n")
    seen = " ".join(f"{name}={name in os.environ}" for name in sys.argv[1:]).encode()
    out.write(b"D" + len(seen).to_bytes(4, "big") + seen)
    out.flush()
    sys.stdin.buffer.read(1)
    """
)
"""A stand-in for the viewer: speaks textual-serve's start line and one data packet
saying which of the named environment variables it was given, then quits when told."""


def test_a_session_gets_no_tenant_secret_and_sessions_are_capped(
    start_browser: Callable[..., BrowserServer],
    token_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ZTUI_CLIENT_SECRET", "s3cret")
    monkeypatch.setenv("SANDBOX_SECRET", "s3cret")
    monkeypatch.setenv("ZTUI_KEPT", "1")
    argv = (sys.executable, "-c", FAKE_APP, "ZTUI_CLIENT_SECRET", "SANDBOX_SECRET", "ZTUI_KEPT")
    options = BrowserOptions(
        hub_url="http://127.0.0.1:9",
        token=TOKEN,
        token_file=token_file,
        token_required=False,
        argv=argv,
        drop_env=frozenset({"ZTUI_CLIENT_SECRET", "SANDBOX_SECRET"}),
        max_sessions=1,
    )
    browser = start_browser(options)
    origin = browser.url

    async def two_sessions() -> tuple[bytes, int]:
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(browser.url + "/ws", origin=origin) as first,
        ):
            message = await asyncio.wait_for(first.receive(), 10)
            try:
                async with http.ws_connect(browser.url + "/ws", origin=origin):
                    status = 101
            except aiohttp.WSServerHandshakeError as exc:
                status = exc.status
            data: bytes = message.data
            return data, status

    seen, second = asyncio.run(two_sessions())
    assert seen == b"ZTUI_CLIENT_SECRET=False SANDBOX_SECRET=False ZTUI_KEPT=True"
    assert second == 503
    wait_for(lambda: browser.sessions == 0, "the session to end")
    assert browser.sessions_started == 1


def test_a_session_runs_an_attached_viewer(token_file: Path) -> None:
    with_token = BrowserOptions(hub_url="http://127.0.0.1:8765", token=TOKEN, token_file=token_file)
    assert with_token.command() == "exec " + " ".join(
        [
            sys.executable,
            "-m",
            "ztui.hub.session",
            "--hub",
            "http://127.0.0.1:8765",
            "--hub-token-file",
            str(token_file),
        ]
    )
    open_page = BrowserOptions(
        hub_url="http://127.0.0.1:8765", token=TOKEN, token_file=token_file, token_required=False
    )
    assert "--hub-token-file" not in open_page.command()
    assert viewer_argv("http://h:1", None)[-2:] == ["--hub", "http://h:1"]


@pytest.mark.parametrize(
    ("argv", "port"),
    [
        ([], None),
        (["--web"], 8766),
        (["--port", "9000", "--web"], 9001),
        (["--port", "0", "--web"], 0),
        (["--web-port", "7000"], 7000),
    ],
)
def test_the_web_port(argv: list[str], port: int | None) -> None:
    assert web_port(build_serve_parser().parse_args(argv)) == port


def test_browser_mode_loads_no_textual_in_the_hub(token_file: Path) -> None:
    code = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from ztui.cli.serve import build_serve_parser
        from ztui.hub.server import build_app
        from ztui.hub.web import BrowserOptions, _make_server, _Sessions
        _make_server(BrowserOptions("http://127.0.0.1:1", "t" * 40, Path({str(token_file)!r})),
                     _Sessions())
        loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
        assert not loaded, loaded
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_ztui_serve_web_says_where_the_page_is(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ztui",
            "serve",
            "--demo",
            "--sim-jobs",
            "5",
            "--port",
            "0",
            "--web-port",
            "0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        said = ""
        deadline = time.monotonic() + 30
        while "browser page: " not in said and time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            said += line
        found = re.search(
            r"browser page: open (http://127\.0\.0\.1:\d+)/\?token=<the token in (.+?)> once", said
        )
        assert found, said
        page, token_file = found[1], Path(found[2])
        assert f"token file (made, mode 0600): {token_file}" in said
        token = token_file.read_text().strip()
        assert token not in said
        assert httpx.get(page + "/").status_code == 401
        with httpx.Client(base_url=page) as browser:
            assert browser.get(f"/?token={token}", follow_redirects=True).status_code == 200
            assert browser.get("/").status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(20)
    assert process.returncode == 130


def test_a_viewer_ends_with_the_hub_that_started_it(tmp_path: Path) -> None:
    """A hub killed outright (SIGKILL) leaves no browser session's viewer behind."""
    pid_file = tmp_path / "viewer.pid"
    hub = textwrap.dedent(
        f"""
        import os, subprocess, sys, time
        environment = dict(os.environ, TEXTUAL_DRIVER="textual.drivers.web_driver:WebDriver",
                           COLUMNS="80", ROWS="24", ZTUI_SESSION_PARENT=str(os.getpid()))
        viewer = subprocess.Popen(
            [sys.executable, "-m", "ztui.hub.session", "--hub", "http://127.0.0.1:9"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=environment,
        )
        open({str(pid_file)!r}, "w").write(str(viewer.pid))
        time.sleep(60)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", hub])
    try:
        wait_for(pid_file.exists, "the viewer to start")
        viewer = int(pid_file.read_text())
        time.sleep(2)  # the viewer is up (the app runs, the hub unreachable)
        assert _alive(viewer)
    finally:
        parent.kill()
        parent.wait(10)
    try:
        wait_for(lambda: not _alive(viewer), "the viewer to end with its hub")
    finally:
        if _alive(viewer):
            os.kill(viewer, signal.SIGKILL)


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie has ended: it only waits for its parent's reaper)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"
