"""A viewer's feed against a hub that misbehaves: whatever the hub sends, the viewer keeps
its last good snapshot, says what was wrong in one line, and never raises."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC
from typing import Any

import httpx
import pytest

from tests.hub.test_protocol import _handmade
from ztui.hub import protocol
from ztui.hub.client import HubFeed, HubLink, HubTarget, _sse_events
from ztui.hub.protocol import HubInfo, HubProtocolError
from ztui.service.snapshot import JobSnapshot

pytestmark = pytest.mark.anyio

INFO = HubInfo(version="0.1.0", profile="demo", base_url="http://127.0.0.1:1")


def _event(data: str) -> bytes:
    return f"event: snapshot\r\ndata: {data}\r\n\r\n".encode()


def _hub(events: bytes, *, hello: bytes | None = None, status: int = 200) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/hello":
            return httpx.Response(status, content=hello or protocol.encode_info(INFO).encode())
        if request.url.path == "/api/events":
            return httpx.Response(
                200, content=events, headers={"content-type": "text/event-stream"}
            )
        return httpx.Response(404)

    return httpx.MockTransport(handle)


async def _follow(transport: httpx.MockTransport, until: Callable[[JobSnapshot], bool]) -> Any:
    shown: list[JobSnapshot] = []
    link = HubLink(HubTarget("http://hub.test", viewer="t@h"), transport=transport)
    feed: HubFeed

    def publish(snapshot: JobSnapshot) -> None:
        shown.append(snapshot)
        if until(snapshot):
            feed.stop()

    feed = HubFeed(link, on_snapshot=publish)
    await feed.run()
    await link.aclose()
    return feed, shown


GOOD = protocol.encode_snapshot(_handmade())


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("{oops", "not JSON"),
        (json.dumps({"v": 99, "type": "snapshot"}), "protocol version 99"),
        (GOOD.replace('"seq":9', '"seq":"9"'), "snapshot number"),
        (GOOD.replace('"paused":true', '"paused":1'), "paused flag"),
    ],
)
async def test_a_bad_event_keeps_the_last_good_snapshot(bad: str, words: str) -> None:
    feed, shown = await _follow(
        _hub(_event(GOOD) + b": keep-alive\r\n\r\n" + _event(bad)),
        lambda s: s.feed_error is not None,
    )
    good, stale = shown[0], shown[-1]
    assert protocol.same_view(good, protocol.decode_snapshot(GOOD, UTC)) or good.jobs
    assert stale.jobs == good.jobs
    assert stale.feed_error is not None
    assert stale.feed_error.startswith("hub unreachable, showing data from ")
    assert words in stale.feed_error
    assert feed.problem is not None
    assert "\n" not in feed.problem
    assert all(s.is_stale for s in stale.families.values())


async def test_a_bad_hello_is_reported_without_data() -> None:
    feed, shown = await _follow(
        _hub(b"", hello=b'{"v": 1, "type": "hello", "profile": 7}'),
        lambda s: s.feed_error is not None,
    )
    assert shown[-1].unreachable is not None
    assert "version that is not text" in (feed.problem or "")


async def test_a_refused_token_says_how_to_pass_one() -> None:
    feed, _ = await _follow(_hub(b"", status=401), lambda s: s.feed_error is not None)
    assert "--hub-token-file" in (feed.problem or "")


async def test_a_hub_now_watching_another_tenant_ends_the_feed() -> None:
    infos = [INFO, HubInfo(version="0.1.0", profile="prod", base_url="https://rest.zuora.com")]

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/hello":
            return httpx.Response(200, content=protocol.encode_info(infos.pop(0)).encode())
        return httpx.Response(200, content=_event(GOOD))

    _, shown = await _follow(httpx.MockTransport(handle), lambda s: False)
    assert shown[-1].fatal is not None
    assert "now watches profile 'prod'" in shown[-1].fatal


async def test_an_endless_event_is_refused_before_it_fills_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ztui.hub.client as client

    monkeypatch.setattr(client, "MAX_MESSAGE_BYTES", 1000)

    async def chunks() -> Any:
        yield b"event: snapshot\ndata: "
        for _ in range(100):
            yield b"x" * 100

    with pytest.raises(HubProtocolError, match="more than 1,000 bytes"):
        async for _ in _sse_events(chunks()):
            pass
