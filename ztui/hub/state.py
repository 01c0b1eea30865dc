"""Provides `Hub`: one watcher for a profile, shared by every viewer.

The hub runs one `JobPoller` (the same pacing and budget rules as the app), encodes each
snapshot once and hands the same message to every subscriber of `/api/events`; a slow
subscriber only ever skips to the newest snapshot. Reads a viewer makes on demand (a
job's detail, its errors, a result file) go through `ReadCache`: each is fetched from
Zuora at most once per `poll_active_s`, however many viewers ask at once. Writes (stop,
cancel, create) are made here, through `ztui.ops` (re-read before sending, sent once,
journalled in the hub's journal with the viewer that asked), and only when the hub was
started with `--allow-writes` on a profile that is not read-only.

No Textual, no HTTP server here: `ztui.hub.server` serves a `Hub`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar, cast
from urllib.parse import urlsplit

from ztui import __version__
from ztui.api.errors import ApiError
from ztui.api.models import Family, Job
from ztui.families import followed_by_id
from ztui.hub.protocol import HubInfo, encode_snapshot
from ztui.ops.confirm import phrase_matches, typed_phrase
from ztui.ops.job_errors import FetchedErrors, fetch_job_errors
from ztui.ops.slots import custom_object_slots
from ztui.ops.specs import file_of, is_two_step
from ztui.ops.stop import ActionOutcome, action_for, perform_stop
from ztui.ops.submit import (
    Submission,
    SubmitContext,
    SubmitOutcome,
    cancel_pending,
    retry_upload,
    submit,
)
from ztui.service.pacing import PollSettings
from ztui.service.poller import JobPoller

if TYPE_CHECKING:
    from ztui.api.client import ZuoraClient
    from ztui.config.schema import ResolvedProfile, Settings
    from ztui.hub.creates import CreateStep
    from ztui.service.snapshot import JobSnapshot
    from ztui.store.journal import Journal

log = logging.getLogger("ztui.hub")

T = TypeVar("T")

MAX_RETRY_WAIT_S: Final = 5.0
"""The longest the hub's client waits inside one call before handing a 429 to the
watcher, which then paces itself (as the app does)."""

MAX_CACHED: Final = 2000
"""Reads kept at most; expired ones are dropped first."""


@dataclass
class _Entry(Generic[T]):
    at: float
    value: T | None = None
    error: ApiError | None = None


class ReadCache:
    """On-demand reads shared between viewers: each key is fetched at most once per `ttl`.

    Viewers asking for the same key while it is being fetched wait for that one fetch. A
    refusal is kept for the same time as an answer, so many viewers cannot make a failing
    read hammer the tenant either.
    """

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[Hashable, _Entry[Any]] = {}
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self.fetches = 0
        """How many reads reached the fetch function (for tests and metrics)."""

    def _fresh(self, key: Hashable) -> _Entry[Any] | None:
        entry = self._entries.get(key)
        if entry is not None and self._clock() - entry.at < self.ttl:
            return entry
        return None

    async def get(self, key: Hashable, fetch: Callable[[], Awaitable[T]]) -> T:
        """The cached value of `key`, or the result of one `fetch()`.

        Raises:
            ApiError: What the fetch raised (kept for `ttl` too).
        """
        entry = self._fresh(key)
        if entry is None:
            lock = self._locks.setdefault(key, asyncio.Lock())
            async with lock:
                entry = self._fresh(key)
                if entry is None:
                    self.fetches += 1
                    try:
                        entry = _Entry(self._clock(), value=await fetch())
                    except ApiError as exc:
                        entry = _Entry(self._clock(), error=exc)
                    self._store(key, entry)
        if entry.error is not None:
            raise entry.error
        return cast("T", entry.value)

    def forget(self, match: Callable[[Hashable], bool]) -> None:
        """Drop the entries whose key `match`es (after a write changed them)."""
        for key in [k for k in self._entries if match(k)]:
            del self._entries[key]

    def _store(self, key: Hashable, entry: _Entry[Any]) -> None:
        self._entries[key] = entry
        if len(self._entries) > MAX_CACHED:
            now = self._clock()
            for old in [k for k, e in self._entries.items() if now - e.at >= self.ttl]:
                del self._entries[old]
                self._locks.pop(old, None)
            while len(self._entries) > MAX_CACHED:
                oldest = next(iter(self._entries))
                del self._entries[oldest]
                self._locks.pop(oldest, None)


@dataclass(frozen=True)
class HubOptions:
    """How a hub runs: what it watches and what it lets viewers do."""

    profile: ResolvedProfile
    """The profile watched (its credentials never leave the hub)."""
    settings: Settings
    """The configuration: pacing in `[ui]`."""
    allow_writes: bool = False
    """`--allow-writes`: viewers may stop, cancel and create through the hub."""
    token: str = ""
    """The hub's token (`ztui.hub.auth`)."""
    token_required: bool = False
    """Every route asks for the token (not on loopback); writes always do."""
    aqua_ids: Sequence[str] = ()
    """AQuA jobs to follow from the start (AQuA has no list)."""
    journal_path: Path | None = None
    """The journal of writes; None: the default journal."""
    clock: Callable[[], float] = time.time
    """Wall clock of the watcher."""
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    """The watcher's sleep between polls (tests drive it by hand)."""
    client_options: dict[str, Any] = field(default_factory=dict)
    """More `ZuoraClient` arguments (tests)."""


class Hub:
    """The watcher of one profile and everything its viewers ask of it."""

    def __init__(self, options: HubOptions) -> None:
        """Describe the hub; `start()` connects and starts the watcher."""
        self.options = options
        self.profile = options.profile
        ui = options.settings.ui
        self.poll_settings = PollSettings(
            active_s=ui.poll_active_s,
            idle_s=ui.poll_idle_s,
            low_budget_s=ui.poll_low_budget_s,
            daily_call_budget=self.profile.daily_call_budget,
        )
        self.read_cache = ReadCache(float(ui.poll_active_s))
        self.client: ZuoraClient | None = None
        self.poller: JobPoller | None = None
        self.journal: Journal | None = None
        self._task: asyncio.Task[None] | None = None
        self._latest: tuple[JobSnapshot, str] | None = None
        self._subscribers: set[asyncio.Queue[str | None]] = set()
        self._pending_writes: set[tuple[Family, str]] = set()
        self._pending_creates: set[str] = set()
        self._created: dict[str, SubmitOutcome] = {}
        """Creates this hub made, by attempt: a repeated request gets the same answer."""
        self._refreshed: dict[Family | None, float] = {}
        self._files: Path | None = None
        self._closed = False

    # ------------------------------------------------------------------ facts

    @property
    def read_only(self) -> bool:
        """True when the hub performs no write for its viewers."""
        return not self.options.allow_writes or self.profile.read_only

    def read_only_reason(self) -> str | None:
        """How to allow writes, for the viewer's "why not" (None when they are allowed)."""
        if not self.options.allow_writes:
            return "start it with --allow-writes"
        if self.profile.read_only:
            return (
                f"its profile {self.profile.name!r} is read-only: start it with --write "
                "--allow-writes"
            )
        return None

    def info(self) -> HubInfo:
        """What `GET /api/hello` says: never a secret or a credential."""
        url = urlsplit(self.profile.base_url)
        netloc = url.hostname or ""
        if ":" in netloc:
            netloc = f"[{netloc}]"
        if url.port is not None:
            netloc = f"{netloc}:{url.port}"
        return HubInfo(
            version=__version__,
            profile=self.profile.name,
            base_url=f"{url.scheme}://{netloc}",
            environment=self.profile.environment,
            production=self.profile.is_production,
            tenant_name=self.profile.tenant_name,
            timezone=self.profile.timezone,
            read_only=self.read_only,
            read_only_reason=self.read_only_reason(),
            daily_call_budget=self.profile.daily_call_budget,
            poll_active_s=float(self.poll_settings.active_s),
            token_required=self.options.token_required,
        )

    @property
    def latest(self) -> JobSnapshot | None:
        """The newest snapshot, or None before the first poll."""
        return self._latest[0] if self._latest is not None else None

    @property
    def viewers(self) -> int:
        """How many `/api/events` subscribers are connected now."""
        return len(self._subscribers)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Open the client and start the watcher in a task of the running loop."""
        from ztui.service.connection import open_client
        from ztui.store.journal import Journal

        options = self.options
        self.journal = Journal(options.journal_path) if options.journal_path else Journal()
        self.journal.on_failure(lambda text: log.error("journal: %s", text))
        self.client = open_client(
            self.profile,
            max_retry_wait=MAX_RETRY_WAIT_S,
            **options.client_options,
        )
        self.poller = JobPoller(
            self.client,
            settings=self.poll_settings,
            on_snapshot=self._publish,
            aqua_ids=options.aqua_ids,
            clock=options.clock,
            sleep=options.sleep,
        )
        self._task = asyncio.create_task(self.poller.run(), name="ztui-hub-poller")

    def end_subscriptions(self) -> None:
        """End every `/api/events` stream (the server is shutting down)."""
        self._closed = True
        for queue in list(self._subscribers):
            _offer(queue, None)

    async def close(self) -> None:
        """Stop the watcher, end every subscription and close the client."""
        self.end_subscriptions()
        if self.poller is not None:
            self.poller.stop()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.client is not None:
            await self.client.aclose()
        if self._files is not None:
            shutil.rmtree(self._files, ignore_errors=True)

    # ------------------------------------------------------------------ snapshots

    def _publish(self, snapshot: JobSnapshot) -> None:
        message = encode_snapshot(snapshot)
        self._latest = (snapshot, message)
        for queue in list(self._subscribers):
            _offer(queue, message)

    async def subscribe(self) -> AsyncIterator[str]:
        """The current snapshot's message at once (when there is one), then each new one.

        A subscriber that falls behind skips to the newest snapshot: each is whole.
        """
        queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=1)
        if self._latest is not None:
            queue.put_nowait(self._latest[1])
        self._subscribers.add(queue)
        try:
            while not self._closed:
                message = await queue.get()
                if message is None:
                    return
                yield message
        finally:
            self._subscribers.discard(queue)

    def refresh(self, family: Family | None) -> bool:
        """Poll now for a viewer's `r` (one family or all), at most once per
        `poll_active_s` however many viewers ask; True when a poll was asked for."""
        if self.poller is None:
            return False
        now = time.monotonic()
        last = max(self._refreshed.get(family, -1e9), self._refreshed.get(None, -1e9))
        if now - last < self.poll_settings.active_s:
            return False
        self._refreshed[family] = now
        self.poller.refresh_now(family)
        return True

    def watch_aqua(self, job_id: str) -> None:
        """Follow an AQuA job by id (a viewer's `a`), from the next poll on."""
        if self.poller is not None:
            self.poller.watch_aqua(job_id)
            self.poller.refresh_now(followed_by_id())

    # ------------------------------------------------------------------ reads

    def _require_poller(self) -> JobPoller:
        if self.poller is None or self.client is None:
            raise ApiError("the hub is not connected to its tenant yet")
        return self.poller

    async def detail(self, family: Family, job_id: str) -> Job:
        """One job's detail, fetched at most once per `poll_active_s`.

        Raises:
            ApiError: The fetch failed (e.g. `NotFound`).
        """
        poller = self._require_poller()
        return await self.read_cache.get(
            ("detail", family, job_id), lambda: poller.fetch_detail(family, job_id)
        )

    async def errors(self, family: Family, job_id: str) -> FetchedErrors:
        """Why a job failed, as the error viewer reads it, at most once per `poll_active_s`.

        Raises:
            ApiError: The job or its errors could not be read.
            ExportError: A result file could not be read.
        """
        poller = self._require_poller()
        client = self.client
        assert client is not None

        async def fetch() -> FetchedErrors:
            latest = poller.latest
            job = latest.get(family, job_id) if latest is not None else None
            if job is None:
                job = await poller.fetch_detail(family, job_id)
            return await fetch_job_errors(client, job)

        return await self.read_cache.get(("errors", family, job_id), fetch)

    async def download(self, file_id: str) -> Path:
        """A result file, downloaded once per `poll_active_s` into the hub's own folder.

        Raises:
            ApiError: The download failed.
            OSError: The file could not be written.
        """
        self._require_poller()
        client = self.client
        assert client is not None
        if self._files is None:
            self._files = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="ztui-hub-"))
        folder = self._files
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in file_id)[:120]

        async def fetch() -> Path:
            target = folder / f"{safe}-{time.monotonic_ns()}"
            return await client.download_file(file_id, target)

        return await self.read_cache.get(("file", file_id), fetch)

    # ------------------------------------------------------------------ writes

    def _refusal(self, what: str, confirm: str | None) -> str | None:
        """Why the hub sends no write (`what` names it), or None when it may."""
        if self.read_only:
            return f"The hub is read-only ({self.read_only_reason()}); {what} was not sent."
        phrase = typed_phrase(self.profile)
        if not phrase_matches(confirm or "", phrase):
            return (
                f"{self.profile.name} is a production tenant: a write through the hub must "
                f"carry the typed tenant name {phrase!r}; {what} was not sent."
            )
        return None

    def write_refusal(self, key: tuple[Family, str], confirm: str | None) -> str | None:
        """Why the hub will not send a stop or cancel of `key`, or None when it will."""
        action = action_for(key[0])
        refusal = self._refusal(f"the {action.kind} of {key[0].label} job {key[1]}", confirm)
        if refusal is not None:
            return refusal
        if key in self._pending_writes:
            return f"A {action.kind} of job {key[1]} is already in progress; nothing was sent."
        return None

    async def stop(
        self, key: tuple[Family, str], *, confirm: str | None, viewer: dict[str, str]
    ) -> ActionOutcome:
        """Stop or cancel a job for a viewer: re-read, send once, journal (with `viewer`).

        Never raises for API failures: every end is an `ActionOutcome`.
        """
        action = action_for(key[0])
        refusal = self.write_refusal(key, confirm)
        if refusal is not None:
            return ActionOutcome(key, action.kind, sent=False, ok=False, message=refusal)
        poller = self.poller
        client = self.client
        if poller is None or client is None:
            return ActionOutcome(
                key, action.kind, sent=False, ok=False, message="The hub is not connected yet."
            )
        self._pending_writes.add(key)
        try:
            netloc = urlsplit(self.profile.base_url).netloc or None
            outcome = await perform_stop(
                client,
                key,
                journal=self.journal,
                profile=self.profile.name,
                host=netloc,
                require_journal=True,
                extra=viewer,
            )
        finally:
            self._pending_writes.discard(key)
        self.read_cache.forget(lambda k: isinstance(k, tuple) and key[1] in k)
        if outcome.sent:
            poller.refresh_now(key[0])
        log.info("%s of %s asked by %s: %s", action.kind, key[1], viewer, outcome.message)
        return outcome

    async def slots(self) -> int | None:
        """Custom-object slots in use now (a viewer's queued create), at most one listing
        per `poll_active_s`; None when they cannot be counted."""
        self._require_poller()
        client = self.client
        assert client is not None
        return await self.read_cache.get(("slots",), lambda: custom_object_slots(client))

    async def create(
        self, sub: Submission, step: CreateStep, *, confirm: str | None, viewer: dict[str, str]
    ) -> SubmitOutcome:
        """One step of a viewer's create, through `ztui.ops.submit` with the viewer's keys.

        Never raises for API failures: every end is a `SubmitOutcome`. `sub` is changed
        as the step changes it (its job id, a renewed key), for the answer.
        """
        family = sub.family
        what = f"the {family.label.lower()} create"
        refusal = self._refusal(what, confirm)
        if refusal is None and sub.attempt in self._pending_creates:
            refusal = f"This create is already being sent; {what} was not sent again."
        spec = sub.spec
        if refusal is None and step != "submit":
            ready = is_two_step(spec) and sub.job_id is not None
            if not ready or (step == "upload" and file_of(spec) is None):
                refusal = f"Only a submitted custom-object job has a {step} step; nothing was sent."
        made = self._created.get(sub.attempt) if step == "submit" else None
        if refusal is None and made is not None:
            return replace(made, message=f"Already sent once: {made.message}")
        poller, client = self.poller, self.client
        if refusal is None and (poller is None or client is None):
            refusal = "The hub is not connected yet; nothing was sent."
        if refusal is not None:
            return SubmitOutcome("not_sent", refusal, job_id=sub.job_id)
        assert poller is not None
        assert client is not None
        latest = poller.latest
        known = (
            frozenset(jid for fam, jid in latest.jobs if fam is family) if latest else frozenset()
        )
        ctx = SubmitContext(
            journal=self.journal,
            profile=self.profile.name,
            host=self.profile.base_url,
            known_ids=known,
            extra=viewer,
        )
        self._pending_creates.add(sub.attempt)
        try:
            if step == "upload":
                outcome = await retry_upload(client, sub, ctx)
            elif step == "cancel":
                outcome = await cancel_pending(client, sub, ctx)
            else:
                outcome = await submit(client, sub, ctx)
        finally:
            self._pending_creates.discard(sub.attempt)
        if outcome.ok and step == "submit":
            self._created[sub.attempt] = outcome
            while len(self._created) > MAX_CACHED:
                del self._created[next(iter(self._created))]
        if outcome.ok and outcome.job_id and family is followed_by_id():
            poller.watch_aqua(outcome.job_id)
        poller.refresh_now(family)
        self.read_cache.forget(lambda k: k == ("slots",))
        log.info("%s step of a %s create asked by %s: %s", step, family, viewer, outcome.message)
        return outcome


def _offer(queue: asyncio.Queue[str | None], message: str | None) -> None:
    """Put `message` in a one-place queue, replacing what the subscriber has not taken."""
    with contextlib.suppress(asyncio.QueueEmpty):
        if queue.full():
            queue.get_nowait()
    with contextlib.suppress(asyncio.QueueFull):
        queue.put_nowait(message)


def describe_viewer(name: str | None, address: str | None) -> dict[str, str]:
    """What the journal keeps of the viewer that asked for a write: the `user@host` it
    named itself (shown, never obeyed) and the address it came from."""
    from ztui.core.sanitize import visible

    text = visible((name or "").strip(), one_line=True)[:120] or "unnamed viewer"
    out = {"viewer": text}
    if address:
        out["viewer_address"] = visible(address, one_line=True)[:80]
    return out
