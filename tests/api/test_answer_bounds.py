"""Every answer has a bound: a size cap (after gzip) and a deadline for the whole answer.

A raw asyncio server plays the hostile tenant: a gzip bomb, an answer that never ends, and
one that trickles a byte at a time (each byte well inside the read timeout).
"""

from __future__ import annotations

import asyncio
import gzip
import resource
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from ztui.api.client import ZuoraClient
from ztui.api.errors import MalformedResponse, TransportError
from ztui.api.models import Family
from ztui.api.transport import AnswerTooLarge
from ztui.core.secret import Secret

pytestmark = pytest.mark.anyio

Handler = Callable[[asyncio.StreamWriter], Awaitable[None]]


async def _serve(handler: Handler) -> tuple[asyncio.Server, str]:
    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        try:
            await handler(writer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


def _head(extra: str = "", length: int | None = None) -> bytes:
    lines = ["HTTP/1.1 200 OK", "Content-Type: application/json", extra]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(line for line in lines if line) + "\r\n\r\n").encode()


@pytest.fixture
async def client_for() -> AsyncIterator[Callable[[Handler], Awaitable[ZuoraClient]]]:
    servers: list[asyncio.Server] = []
    clients: list[ZuoraClient] = []

    async def make(handler: Handler) -> ZuoraClient:
        server, url = await _serve(handler)
        servers.append(server)
        client = ZuoraClient(url, bearer_token=Secret("t" * 32), timeout=2.0, max_retries=0)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()
    for server in servers:
        server.close()


async def test_a_gzip_bomb_is_refused_without_inflating_it(
    client_for: Callable[[Handler], Awaitable[ZuoraClient]],
) -> None:
    bomb = gzip.compress(b"[" + b" " * (256 * 1024 * 1024) + b"]", compresslevel=9)
    assert len(bomb) < 1024 * 1024

    async def handler(writer: asyncio.StreamWriter) -> None:
        writer.write(_head("Content-Encoding: gzip", len(bomb)) + bomb)
        await writer.drain()

    client = await client_for(handler)
    client._transport.max_list_answer_bytes = 8 * 1024 * 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(AnswerTooLarge, match="larger than 8 MB, the limit for a list") as caught:
        await client.list_jobs(Family.BOOKING_DATE)
    grew_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grew_mb < 64, f"reading the bomb grew the process by {grew_mb:.0f} MB"
    assert isinstance(caught.value, MalformedResponse)  # never retried
    assert caught.value.path is not None


async def test_a_declared_length_over_the_cap_is_refused_before_reading(
    client_for: Callable[[Handler], Awaitable[ZuoraClient]],
) -> None:
    sent: list[int] = []

    async def handler(writer: asyncio.StreamWriter) -> None:
        writer.write(_head(length=10 * 1024 * 1024 * 1024))
        for _ in range(1000):
            writer.write(b" " * 65536)
            await writer.drain()
            sent.append(1)

    client = await client_for(handler)
    client._transport.max_list_answer_bytes = 1024 * 1024
    with pytest.raises(AnswerTooLarge):
        await client.list_jobs(Family.BOOKING_DATE)


async def test_a_trickling_answer_ends_at_the_deadline(
    client_for: Callable[[Handler], Awaitable[ZuoraClient]],
) -> None:
    async def handler(writer: asyncio.StreamWriter) -> None:
        writer.write(_head(length=1000))
        await writer.drain()
        for _ in range(1000):  # one byte every 0.5 s: each read is inside the 2 s timeout
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.5)

    client = await client_for(handler)
    client._transport.answer_deadline_s = 2.5
    start = time.monotonic()
    with pytest.raises(TransportError, match=r"No complete answer within 2\.5 s"):
        await client.list_jobs(Family.BOOKING_DATE)
    assert time.monotonic() - start < 6


async def test_an_answer_within_the_bounds_is_read_whole(
    client_for: Callable[[Handler], Awaitable[ZuoraClient]],
) -> None:
    body = gzip.compress(b'{"success": true, "jobs": []}')

    async def handler(writer: asyncio.StreamWriter) -> None:
        writer.write(_head("Content-Encoding: gzip", len(body)) + body)
        await writer.drain()

    client = await client_for(handler)
    assert await client.list_jobs(Family.BOOKING_DATE) == []


async def test_a_job_nested_900_levels_deep_is_read_and_printed(
    client_for: Callable[[Handler], Awaitable[ZuoraClient]],
) -> None:
    from ztui.api.jsontext import TOO_DEEP
    from ztui.cli.headless.output import dumps, job_detail, job_to_dict

    deep = "[" * 900 + '"bottom"' + "]" * 900
    job = (
        '{"id": "8ad0823f8b2b4c5d018b2c3d4e5f0001", "name": "q", "status": "completed",'
        f' "version": "1.1", "batches": [], "extra": {deep}}}'
    ).encode()

    async def handler(writer: asyncio.StreamWriter) -> None:
        writer.write(_head(length=len(job)) + job)
        await writer.drain()

    client = await client_for(handler)
    read = await client.get_job(Family.AQUA, "8ad0823f8b2b4c5d018b2c3d4e5f0001")
    printed = dumps(job_to_dict(read))
    assert TOO_DEEP in printed
    assert TOO_DEEP in job_detail(read)


def _body_of(size: int, prefix: bytes, suffix: bytes) -> bytes:
    return prefix + b" " * (size - len(prefix) - len(suffix)) + suffix


async def test_one_job_is_capped_at_16_mb_and_a_list_at_64_mb(
    client_for: Callable[[Handler], Awaitable[ZuoraClient]],
) -> None:
    from ztui.api.transport import MAX_JOB_ANSWER_BYTES, MAX_LIST_ANSWER_BYTES

    assert MAX_JOB_ANSWER_BYTES == 16 * 1024 * 1024
    assert MAX_LIST_ANSWER_BYTES == 64 * 1024 * 1024
    size = 17 * 1024 * 1024  # over the one-job limit, well under the list limit
    job = _body_of(
        size,
        b'{"success": true, "job": {"id": "ff8080818bb300af018bb325fe0c58f3", "status": "x"',
        b"}}",
    )
    jobs = _body_of(size, b'{"success": true, "jobs": [', b"]}")

    async def handler(writer: asyncio.StreamWriter) -> None:
        body = answers.pop(0)
        writer.write(_head(length=len(body)) + body)
        await writer.drain()

    answers = [job, jobs]
    client = await client_for(handler)
    with pytest.raises(AnswerTooLarge) as caught:
        await client.get_job(Family.BOOKING_DATE, "ff8080818bb300af018bb325fe0c58f3")
    message = caught.value.message
    assert "larger than 16 MB, the limit for the answer of one job" in message
    assert "[network] max_job_answer_mb" in message
    assert "GET /v1/uno/data-backfill/bookingdate/jobs/ff8080818bb300af018bb325fe0c58f3" in message
    # The same size as a list is read.
    assert await client.list_jobs(Family.BOOKING_DATE) == []


async def test_a_result_file_download_is_not_limited(
    client_for: Callable[[Handler], Awaitable[ZuoraClient]], tmp_path: Path
) -> None:
    size = 3 * 1024 * 1024

    async def handler(writer: asyncio.StreamWriter) -> None:
        writer.write(_head("Content-Type: text/csv", size).replace(b"application/json", b"text"))
        for _ in range(size // 65536):
            writer.write(b"a" * 65536)
            await writer.drain()

    client = await client_for(handler)
    client._transport.max_list_answer_bytes = 1024 * 1024
    client._transport.max_job_answer_bytes = 1024 * 1024
    target = await client.download_file("8ad0823f8b2b4c5d018b2c3d4e5f0002", tmp_path / "r.csv")
    assert target.stat().st_size == size
