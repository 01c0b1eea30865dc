"""Provides the viewer's side of a hub: `HubLink`, `HubFeed` and `HubAccess`.

`ztui --hub URL` runs the app with a `HubFeed` where a direct connection runs a
`JobPoller`: the feed follows the hub's `/api/events` and hands each snapshot to the app,
and reads on demand go through `HubAccess` to the hub, so the viewer makes no Zuora call
of its own. When the hub cannot be reached, or sends something `ztui.hub.protocol`
refuses, the viewer keeps its last good snapshot, marks it stale ("hub unreachable,
showing data from 12:01 UTC") and reconnects with backoff; a hub restart is survived.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Final
from urllib.parse import quote

import httpx

from ztui import __version__
from ztui.api.budget import backoff_delay
from ztui.api.errors import ApiError, AuthError, ServerError, TransportError, Unreachable
from ztui.api.parsing import load_zone
from ztui.hub import VIEWER_HEADER
from ztui.hub.protocol import (
    MAX_MESSAGE_BYTES,
    HubInfo,
    HubProtocolError,
    decode_errors,
    decode_failure,
    decode_info,
    decode_job_message,
    decode_snapshot,
    decode_stop_outcome,
    stop_request,
    wire_dumps,
)
from ztui.ops.stop import ActionOutcome, action_for

if TYPE_CHECKING:
    from ztui.api.models import Family, Job
    from ztui.config.schema import ResolvedProfile
    from ztui.hub.creates import CreateStep
    from ztui.ops.job_errors import FetchedErrors
    from ztui.ops.submit import Submission, SubmitContext, SubmitOutcome
    from ztui.service.snapshot import FamilyState, JobSnapshot

log = logging.getLogger("ztui.hub.client")

RECONNECT_BASE_S: Final = 0.5
"""The first reconnect comes within this many seconds; each next one waits up to twice as
long, up to `RECONNECT_CAP_S`."""
RECONNECT_CAP_S: Final = 15.0
"""The longest wait between two reconnects."""
EVENTS_READ_TIMEOUT_S: Final = 45.0
"""A stream silent for this long (three missed keep-alives) is taken as lost."""

_KEPT_STATES: Final[frozenset[str]] = frozenset({"unsupported", "auth_error"})
"""Family states a lost hub does not turn into `stale` (they do not depend on freshness)."""


def viewer_name() -> str:
    """How this viewer names itself to the hub: `user@host`."""
    from ztui.store.journal import os_user

    return f"{os_user()}@{socket.gethostname()}"


@dataclass(frozen=True)
class HubTarget:
    """The hub a viewer attaches to."""

    url: str
    """The hub's URL, e.g. `http://127.0.0.1:8765`."""
    token: str | None = None
    """The hub's token (`--hub-token-file`), sent as a bearer token."""
    viewer: str = field(default_factory=viewer_name)
    """`user@host`, recorded by the hub with each write this viewer asks for."""


def viewer_profile(info: HubInfo, url: str) -> ResolvedProfile:
    """The profile a viewer shows and confirms writes with: the hub's, without credentials.

    A read-only hub makes the profile read-only, with `read_only_hint` saying so.
    """
    from ztui.config.schema import ResolvedProfile

    hint = f"The hub at {url} is read-only; {info.read_only_reason}." if info.read_only else None
    return ResolvedProfile(
        name=info.profile,
        base_url=info.base_url,
        environment=info.environment,
        is_production=info.production,
        client_id=None,
        client_secret=None,
        timezone=info.timezone,
        read_only=info.read_only,
        tenant_name=info.tenant_name,
        daily_call_budget=info.daily_call_budget,
        read_only_hint=hint,
    )


def placeholder_profile(url: str) -> ResolvedProfile:
    """The profile shown until the hub has said which one it watches (read-only)."""
    from ztui.config.schema import ResolvedProfile

    return ResolvedProfile(
        name="hub",
        base_url=url,
        environment=None,
        is_production=False,
        client_id=None,
        client_secret=None,
        read_only=True,
        read_only_hint=f"Not connected to the hub at {url} yet; nothing is sent.",
    )


# ---------------------------------------------------------------------------- the link


class HubLink:
    """HTTP to one hub: the token and the viewer's name on every request.

    Every failure is an `ApiError`: `Unreachable` when no connection could be made,
    `TransportError` when the answer was lost, `AuthError` when the token was refused,
    what the hub's failure message names otherwise, `HubProtocolError` for an answer
    that cannot be read.
    """

    def __init__(
        self,
        target: HubTarget,
        *,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.target = target
        self.url = target.url.rstrip("/")
        headers = {"User-Agent": f"ztui/{__version__}", VIEWER_HEADER: target.viewer}
        if target.token:
            headers["Authorization"] = f"Bearer {target.token}"
        self._http = httpx.AsyncClient(
            base_url=self.url,
            headers=headers,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            verify=self.url.startswith("https:"),
            transport=transport,
        )
        self.info: HubInfo | None = None
        """The hub's facts, once `hello()` read them."""
        self.zone: tzinfo | None = None
        """The tenant's zone from those facts."""

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    def _lost(self, exc: httpx.HTTPError) -> ApiError:
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            return Unreachable(f"Cannot reach the hub at {self.url} ({type(exc).__name__})")
        return TransportError(f"The hub at {self.url} did not answer ({type(exc).__name__})")

    async def _read(self, response: httpx.Response, limit: int = MAX_MESSAGE_BYTES) -> bytes:
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body.extend(chunk)
            if len(body) > limit:
                raise HubProtocolError(
                    f"The hub sent an answer of more than {limit:,} bytes, more than a viewer reads"
                )
        return bytes(body)

    def _refusal(self, status: int, body: bytes) -> ApiError:
        if status == 401:
            return AuthError(
                f"The hub at {self.url} refused this viewer's token (pass --hub-token-file "
                "with the file `ztui serve` printed)",
                status=401,
            )
        try:
            return decode_failure(body)
        except HubProtocolError:
            cls = ServerError if status >= 500 else ApiError
            return cls(f"The hub at {self.url} answered HTTP {status}", status=status)

    async def request(self, method: str, path: str, *, content: str | None = None) -> bytes:
        """One request; the body of a 200 answer.

        Raises:
            ApiError: See the class.
        """
        try:
            async with self._http.stream(method, path, content=content) as response:
                body = await self._read(response)
        except httpx.HTTPError as exc:
            raise self._lost(exc) from None
        if response.status_code != 200:
            raise self._refusal(response.status_code, body)
        return body

    async def hello(self) -> HubInfo:
        """Read the hub's facts (and the tenant zone from them)."""
        info = decode_info(await self.request("GET", "/api/hello"))
        try:
            self.zone = load_zone(info.timezone) if info.timezone else None
        except ValueError as exc:
            raise HubProtocolError(f"The hub sent {exc}") from None
        self.info = info
        return info

    async def events(self) -> AsyncIterator[bytes]:
        """The data of each `snapshot` event of `/api/events`, as it arrives.

        Ends when the hub closes the stream.

        Raises:
            ApiError: See the class; `HubProtocolError` also for an event too large.
        """
        timeout = httpx.Timeout(30.0, read=EVENTS_READ_TIMEOUT_S)
        try:
            async with self._http.stream("GET", "/api/events", timeout=timeout) as response:
                if response.status_code != 200:
                    raise self._refusal(response.status_code, await self._read(response, 4096))
                async for data in _sse_events(response.aiter_bytes()):
                    yield data
        except httpx.HTTPError as exc:
            raise self._lost(exc) from None

    async def download(self, file_id: str, dest: Path) -> Path:
        """Save a result file the hub fetched for this viewer.

        Raises:
            ApiError: See the class.
            OSError: `dest` could not be written.
        """
        path = f"/api/file/{quote(file_id, safe='')}"
        try:
            async with self._http.stream("GET", path) as response:
                if response.status_code != 200:
                    raise self._refusal(response.status_code, await self._read(response, 65536))
                partial = dest.with_name(dest.name + ".part")
                with partial.open("wb") as handle:
                    async for chunk in response.aiter_bytes():
                        handle.write(chunk)
                partial.replace(dest)
        except httpx.HTTPError as exc:
            raise self._lost(exc) from None
        return dest


async def _sse_events(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The data of each `snapshot` event in a server-sent event stream.

    Comments (keep-alives) and other events are skipped. An event larger than
    `MAX_MESSAGE_BYTES` raises `HubProtocolError` before it is held in full.
    """
    buffer = bytearray()
    event = b""
    data: list[bytes] = []
    size = 0
    async for chunk in chunks:
        buffer.extend(chunk)
        while True:
            end = buffer.find(b"\n")
            if end < 0:
                break
            line = bytes(buffer[:end]).rstrip(b"\r")
            del buffer[: end + 1]
            if not line:
                if data and event in (b"", b"snapshot"):
                    yield b"\n".join(data)
                event, data, size = b"", [], 0
                continue
            if line.startswith(b":"):
                continue
            name, _, value = line.partition(b":")
            value = value[1:] if value.startswith(b" ") else value
            if name == b"event":
                event = value
            elif name == b"data":
                data.append(value)
                size += len(value)
        if size + len(buffer) > MAX_MESSAGE_BYTES:
            raise HubProtocolError(
                f"The hub sent an event of more than {MAX_MESSAGE_BYTES:,} bytes, more than a "
                "viewer reads"
            )


# ---------------------------------------------------------------------------- the feed


def _clock_text(epoch: float) -> str:
    return time.strftime("%H:%M", time.gmtime(epoch))


class HubFeed:
    """The watcher of a viewer: snapshots from the hub, with the calls of a `JobPoller`.

    Args:
        link: The link to the hub.
        on_snapshot: Called with each snapshot to show (in the feed's task).
        on_info: Called with the hub's facts after each (re)connection.
        rng: Uniform [0, 1) source for the backoff jitter.
    """

    def __init__(
        self,
        link: HubLink,
        *,
        on_snapshot: Callable[[JobSnapshot], None] | None = None,
        on_info: Callable[[HubInfo], None] | None = None,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.link = link
        self._on_snapshot = on_snapshot
        self._on_info = on_info
        self._rng = rng
        self._good: JobSnapshot | None = None
        self._shown: JobSnapshot | None = None
        self._seq = 0
        self._paused = False
        self._stop = False
        self._wake = asyncio.Event()
        self._first: HubInfo | None = None
        self._watching: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.problem: str | None = None
        """What is wrong with the hub now (unreachable, bad data), or None while fine."""
        self.connections = 0
        """How many times the feed connected to the hub's events."""

    # ------------------------------------------------------------------ state

    @property
    def latest(self) -> JobSnapshot | None:
        """The snapshot shown now."""
        return self._shown

    @property
    def paused(self) -> bool:
        """True while new snapshots are held back (the hub goes on watching)."""
        return self._paused

    # ------------------------------------------------------------------ running

    async def run(self) -> None:
        """Follow the hub until `stop()`: reconnect with backoff whenever it is lost."""
        attempt = 0
        while not self._stopping():
            try:
                info = await self.link.hello()
                if not self._same_hub(info):
                    return
                if self._on_info is not None:
                    self._on_info(info)
                self.connections += 1
                async for data in self.link.events():
                    # Off the UI's loop: a 10,000-job snapshot takes a while to check.
                    snapshot = await asyncio.to_thread(
                        decode_snapshot, data, self.link.zone, self._good
                    )
                    self._received(snapshot)
                    attempt = 0
                problem = "the hub closed the connection"
            except HubProtocolError as exc:
                problem = exc.message
                log.warning("the hub at %s sent bad data: %s", self.link.url, exc.message)
            except ApiError as exc:
                problem = exc.message
                log.info("lost the hub at %s: %s", self.link.url, exc.message)
            if self._stopping():
                break
            self._lost(problem)
            delay = backoff_delay(
                attempt, rng=self._rng, base=RECONNECT_BASE_S, cap=RECONNECT_CAP_S
            )
            attempt += 1
            await self._wait(max(delay, 0.05))

    def _same_hub(self, info: HubInfo) -> bool:
        first = self._first
        if first is None:
            self._first = info
            return True
        if _tenant(info) == _tenant(first):
            return True
        text = (
            f"The hub at {self.link.url} now watches profile {info.profile!r} "
            f"({info.base_url}) instead of {first.profile!r}; start this viewer again."
        )
        self.problem = text
        base = self._good or _empty(self._seq)
        self._show(replace(base, fatal=text, feed_error=text))
        return False

    async def _wait(self, delay: float) -> None:
        """Wait `delay` seconds, or less when `stop()` or a refresh wakes the feed."""
        if self._stopping():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), delay)
        self._wake.clear()

    def _stopping(self) -> bool:
        # A method, not the attribute: mypy would narrow the flag across the awaits.
        return self._stop

    def stop(self) -> None:
        """Ask `run()` to return (it does at its next wait or event)."""
        self._stop = True
        self._wake.set()

    # ------------------------------------------------------------------ snapshots

    def _received(self, snapshot: JobSnapshot) -> None:
        self.problem = None
        self._good = snapshot
        if not self._paused:
            self._show(snapshot)

    def _lost(self, problem: str) -> None:
        self.problem = problem
        good = self._good
        if good is None:
            text = f"hub unreachable: {problem}"
            self._show(replace(_empty(self._seq), unreachable=text, feed_error=text))
            return
        families = {
            family: status
            if status.state in _KEPT_STATES
            else replace(status, state=_stale(), error=f"hub unreachable: {problem}")
            for family, status in good.families.items()
        }
        text = f"hub unreachable, showing data from {_clock_text(good.polled_at)} UTC · {problem}"
        self._show(replace(good, families=families, feed_error=text))

    def _show(self, snapshot: JobSnapshot) -> None:
        self._seq += 1
        shown = replace(snapshot, seq=self._seq, paused=self._paused or snapshot.paused)
        self._shown = shown
        if self._on_snapshot is not None:
            self._on_snapshot(shown)

    # ------------------------------------------------------------------ requests

    def _background(self, what: str, method: str, path: str, body: str | None = None) -> None:
        async def send() -> None:
            try:
                await self.link.request(method, path, content=body)
            except ApiError as exc:
                log.info("%s through the hub failed: %s", what, exc.message)

        task = asyncio.get_running_loop().create_task(send())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def refresh_now(self, family: Family | None = None) -> None:
        """Ask the hub to poll now (it polls at most once per interval for all viewers);
        reconnect at once while the hub is lost."""
        if self.problem is not None:
            self._wake.set()
            return
        body = wire_dumps({"type": "refresh", "family": family.value if family else None})
        self._background("a refresh", "POST", "/api/refresh", body)

    def read_every_page(self, family: Family) -> None:
        """Ask the hub to read every page of `family`'s list on its next poll (a list the
        page limit cut short); every viewer then sees the whole list."""
        if self.problem is not None:
            self._wake.set()
            return
        body = wire_dumps({"type": "refresh", "family": family.value, "every_page": True})
        self._background("reading every page", "POST", "/api/refresh", body)

    def pause(self) -> None:
        """Freeze this viewer's board; the hub and the other viewers go on."""
        if not self._paused and self._shown is not None:
            self._paused = True
            self._show(self._shown)
        self._paused = True

    def resume(self) -> None:
        """Show the hub's newest snapshot again."""
        if self._paused:
            self._paused = False
            if self._good is not None and self.problem is None:
                self._show(self._good)
            elif self._shown is not None:
                self._show(self._shown)

    def watch_aqua(self, job_id: str) -> None:
        """Ask the hub to follow an AQuA job by id."""
        self._watching.add(job_id)
        self._background("following an AQuA job", "POST", f"/api/aqua/{quote(job_id, safe='')}")

    def is_watching_aqua(self, job_id: str) -> bool:
        """True for the AQuA ids this viewer asked the hub to follow."""
        return job_id in self._watching

    async def fetch_detail(self, family: Family, job_id: str) -> Job:
        """One job's detail, through the hub's cache.

        Raises:
            ApiError: The hub could not read it, or could not be reached.
        """
        path = f"/api/job/{family.value}/{quote(job_id, safe='')}"
        return decode_job_message(await self.link.request("GET", path), self.link.zone)


def _tenant(info: HubInfo) -> tuple[str, str | None, str]:
    """What must stay the same across a hub's restarts: its profile and tenant host (a
    demo hub's simulator comes back on another port)."""
    from urllib.parse import urlsplit

    return (info.profile, info.environment, urlsplit(info.base_url).hostname or "")


def _stale() -> FamilyState:
    return "stale"


def _empty(seq: int) -> JobSnapshot:
    from ztui.service.snapshot import JobSnapshot

    return JobSnapshot(seq=seq, jobs={}, families={}, polled_at=time.time())


# ---------------------------------------------------------------------------- access


class HubAccess:
    """`ztui.ops.access.JobAccess` through a hub: its cache for reads, its ops for writes."""

    def __init__(self, feed: HubFeed) -> None:
        self.feed = feed
        self.link = feed.link

    @property
    def timezone(self) -> tzinfo | None:
        """The tenant zone the hub said."""
        return self.link.zone

    async def get_job(self, family: Family, job_id: str) -> Job:
        """One job, through the hub's cache."""
        return await self.feed.fetch_detail(family, job_id)

    async def job_errors(self, job: Job) -> FetchedErrors:
        """Why `job` failed, read by the hub."""
        path = f"/api/job/{job.family.value}/{quote(job.id, safe='')}/errors"
        return decode_errors(await self.link.request("GET", path), self.link.zone)

    async def download_file(self, file_id: str, dest: Path) -> Path:
        """A result file, fetched by the hub."""
        return await self.link.download(file_id, dest)

    async def stop(self, key: tuple[Family, str], *, confirm: str | None) -> ActionOutcome:
        """Ask the hub to stop or cancel a job; it re-reads, sends once and journals."""
        action = action_for(key[0])
        noun = f"{key[0].label} job {key[1]}"
        try:
            body = await self.link.request("POST", "/api/stop", content=stop_request(key, confirm))
            return decode_stop_outcome(body, self.link.zone)
        except Unreachable as exc:
            message = f"{exc.message}; the {action.kind} of {noun} was not sent."
            return ActionOutcome(key, action.kind, sent=False, ok=False, message=message)
        except (TransportError, HubProtocolError) as exc:
            return ActionOutcome(
                key,
                action.kind,
                sent=True,
                ok=False,
                message=f"The hub's answer to the {action.kind} of {noun} was lost "
                f"({exc.message}): it may or may not have been sent. Look at the board; the "
                "hub's journal has it.",
            )
        except ApiError as exc:
            message = f"The hub did not take the {action.kind} of {noun}: {exc.message}"
            return ActionOutcome(key, action.kind, sent=False, ok=False, message=message)

    async def _create(
        self, sub: Submission, step: CreateStep, confirm: str | None
    ) -> SubmitOutcome:
        from ztui.hub.creates import create_request, decode_create_outcome
        from ztui.ops.submit import SubmitOutcome

        what = f"the {sub.family.label.lower()} create"
        try:
            body = await self.link.request(
                "POST", "/api/create", content=create_request(sub, step, confirm)
            )
            return decode_create_outcome(body, sub, self.link.zone)
        except Unreachable as exc:
            return SubmitOutcome("not_sent", f"{exc.message}; {what} was not sent.")
        except (TransportError, HubProtocolError) as exc:
            keyed = sub.uses_key or step != "submit"
            again = (
                "sending it again uses the same Idempotency-Key, so it cannot create a second job"
                if keyed
                else "look at the board before sending it again"
            )
            return SubmitOutcome(
                "unknown",
                f"The hub's answer to {what} was lost ({exc.message}): it may or may not have "
                f"been sent; {again}.",
                job_id=sub.job_id,
                can_retry=keyed,
            )
        except ApiError as exc:
            return SubmitOutcome("not_sent", f"The hub did not take {what}: {exc.message}")

    async def submit(
        self, sub: Submission, ctx: SubmitContext, *, confirm: str | None
    ) -> SubmitOutcome:
        """Ask the hub to create the job (it journals; `ctx` is the viewer's, unused)."""
        return await self._create(sub, "submit", confirm)

    async def retry_upload(
        self, sub: Submission, ctx: SubmitContext, *, confirm: str | None
    ) -> SubmitOutcome:
        """Ask the hub to upload a custom-object job's file again, with its key."""
        return await self._create(sub, "upload", confirm)

    async def cancel_pending(
        self, sub: Submission, ctx: SubmitContext, *, confirm: str | None
    ) -> SubmitOutcome:
        """Ask the hub to cancel the pending job of a failed upload."""
        return await self._create(sub, "cancel", confirm)

    async def slots_in_use(self) -> int | None:
        """Custom-object slots in use, as the hub counts them (None when unknown)."""
        from ztui.hub import fields
        from ztui.hub.protocol import message_of

        try:
            body = await self.link.request("GET", "/api/slots")
            return fields.opt_int(message_of(body, "slots").get("used"), "a slot count")
        except ApiError as exc:
            log.info("could not count the slots through the hub: %s", exc.message)
            return None

    async def wait_for_slot(self, *, poll_s: float, on_wait: Callable[[int], None]) -> None:
        """Return once the hub counts a free custom-object slot."""
        from ztui.families import family_def
        from ztui.ops.slots import capped_family

        cap = family_def(capped_family()).create.max_active or 0
        while True:
            used = await self.slots_in_use()
            if used is not None and used < cap:
                return
            on_wait(cap if used is None else used)
            await asyncio.sleep(poll_s)
