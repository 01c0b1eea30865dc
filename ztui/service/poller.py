"""Provides `JobPoller`, the watcher: a plain async class that polls the job lists.

The app starts it in its `poller` worker on mount and stops it on unmount; the headless
`ztui watch` command drives it one tick at a time with `poll_once()`. Each tick makes one
list call per family (docs/zuora-api.md §3-§6), follows only the custom-object pages it needs, and
fetches each watched AQuA job (§7 has no list) until it is terminal. It never fetches a
job's detail per tick: `fetch_detail` does that on demand, and keeps terminal jobs for
good. Every tick yields a whole, immutable `JobSnapshot`.

Failures by kind (STYLE §4): transient errors (5xx, timeouts, dropped connections, 429
once the client's own retries are spent) keep the last data and mark the family stale
with the reason; the next polls recover by themselves. An answer that asking again would
not change (malformed, a 4xx) keeps the last data too and marks the family `error`, at
the usual pace. A job object that cannot be read is a row of its own, in the
`UNREADABLE` state, counted in its family's status (docs/tolerance.md rule 1). Token
expiry is the client's business (it refreshes silently). Refused credentials stop
polling with one message that says what to fix.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import statistics
import time
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType, TracebackType
from typing import Any, Self

from ztui.api.budget import backoff_delay
from ztui.api.errors import (
    ApiError,
    AuthError,
    NotFound,
    NotSupported,
    PermissionDenied,
    RateLimited,
    ServerError,
    TokenAnswerMalformed,
    TransportError,
    Unreachable,
    WrongEndpoint,
)
from ztui.api.models import Family, Job, JobState
from ztui.families import POLL_ORDER, family_def
from ztui.families.base import JobPage, JobsApi
from ztui.service.aqua_watch import AquaWatch
from ztui.service.pacing import PollSettings, family_intervals
from ztui.service.snapshot import BudgetView, FamilyStatus, JobSnapshot

log = logging.getLogger("ztui.service")

DEFAULT_FATAL_HINT = (
    "Fix the profile's client_id and secret (client_secret_env or client_secret_command, "
    "or ZTUI_CLIENT_ID/ZTUI_CLIENT_SECRET) or use another profile; `ztui config init` "
    "writes an example config."
)
"""What to fix when the server refuses the credentials."""


Sleep = Callable[[float], Awaitable[None]]

EVERY_PAGE_LIMIT = 100_000
"""Pages `read_every_page` reads at most: in practice, all of them (4 million jobs)."""


@dataclass(frozen=True)
class PollTiming:
    """How long one family's polls take (what `ztui serve`'s `/metrics` reports)."""

    last_s: float
    """Seconds the family's last poll took, whatever its outcome."""
    total_s: float
    """Seconds all its polls took since the poller started."""
    count: int
    """Polls of the family since the poller started."""


class JobPoller:
    """Polls the job lists, one tick at a time or in a loop, and publishes snapshots.

    Polls never overlap: `run()` arms the next poll only after the previous one finished,
    and `poll_once()` calls are serialised. Each family keeps its own pace
    (`ztui.service.pacing.family_intervals`): a poll of the loop reads the families that
    are due, and the wait runs to the next family's due time. `refresh_now()` cuts the
    wait short (for one family, or all); during a poll it schedules another right after.
    `pause()` stops automatic polls until `resume()`. An `async with` block runs the loop
    in a task and cancels it on exit.

    Args:
        client: The API client (a `ZuoraClient`, or anything with the same family calls).
        settings: Intervals and custom-object paging limits.
        on_snapshot: Called with every new snapshot (whole state, not a delta). It runs
            in the poller's task, so it should only hand the snapshot over.
        families: The families to poll; all of them by default.
        aqua_ids: AQuA jobs to watch from the start (AQuA has no list endpoint).
        job_ids: When given, snapshots hold only the listed jobs with these ids (the
            headless `ztui watch ID...`); watched AQuA jobs are always included.
        clock: Wall-clock time in epoch seconds (as_of, polled_at, retry_at).
        sleep: Awaitable sleep used between polls; tests inject a fake.
        rng: Source of floats in [0, 1) for the 429 backoff jitter.
        fatal_hint: What to tell the user to fix when the credentials are refused.
        shown: Awaited once, after the first snapshot with jobs of the first poll was
            published: the app returns once it is on screen. With it, the first poll
            reads a paged list first and publishes its first page at once.

    Raises:
        LookupError: A family in `families` is not in the registry.
    """

    def __init__(
        self,
        client: JobsApi,
        *,
        settings: PollSettings | None = None,
        on_snapshot: Callable[[JobSnapshot], None] | None = None,
        families: Collection[Family] = POLL_ORDER,
        aqua_ids: Iterable[str] = (),
        job_ids: Collection[str] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        fatal_hint: str = DEFAULT_FATAL_HINT,
        shown: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._client = client
        self._shown = shown
        self._first_shown = False
        self.settings = settings or PollSettings()
        """The pacing in force; replace it to change intervals from the next wait on."""
        self._on_snapshot = on_snapshot
        wanted = set(families)
        for family in wanted:
            family_def(family)  # refuses a family the registry does not know
        self._families: tuple[Family, ...] = tuple(f for f in POLL_ORDER if f in wanted)
        self._job_ids = frozenset(job_ids) if job_ids is not None else None
        self._clock = clock
        self._sleep = sleep
        self._rng = rng
        self._fatal_hint = fatal_hint

        self._jobs: dict[Family, dict[str, Job]] = {f: {} for f in self._families}
        self._status: dict[Family, FamilyStatus] = {f: FamilyStatus(f) for f in self._families}
        self._details: dict[tuple[Family, str], Job] = {}
        self._aqua = AquaWatch(aqua_ids)
        self._disabled: set[Family] = set()
        self._warnings: dict[Family, str] = {}
        self._truncated: dict[Family, int] = {}
        """Families whose list the page limit cut short: jobs read (see `FamilyStatus`)."""
        self._every_page: set[Family] = set()
        """Families whose next poll reads every page (`read_every_page`)."""
        self._warned: set[Family] = set()
        self._fatal: str | None = None
        self.fatal_error: ApiError | None = None
        """The refusal that stopped polling (credentials, or a token URL that is not one)."""
        self._unreachable_text: str | None = None
        self._rate_limit_attempt = 0
        self._hold_until: float | None = None

        self._seq = 0
        self._started_at = clock()
        self._latest: JobSnapshot | None = None
        self._poll_calls: deque[tuple[float, int]] = deque(maxlen=64)
        self._family_calls: dict[Family, deque[int]] = {f: deque(maxlen=16) for f in self._families}
        self._due: dict[Family, float] = {}
        """When each family is next polled by the loop (clock seconds); absent: now."""
        self._intervals: dict[Family, float] = {}
        self._timings: dict[Family, PollTiming] = {}

        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._refresh_requested = False
        self._forced: set[Family] = set()
        self._elapsed: set[Family] = set()
        self._paused = False
        self._stop_requested = False
        self._task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ public state

    @property
    def latest(self) -> JobSnapshot | None:
        """The newest snapshot, or None before the first poll."""
        return self._latest

    @property
    def paused(self) -> bool:
        """True while automatic polls are paused."""
        return self._paused

    @property
    def stopping(self) -> bool:
        """True once `stop()` was called: `run()` returns after the current poll."""
        return self._stop_requested

    @property
    def families(self) -> tuple[Family, ...]:
        """The families this poller watches."""
        return self._families

    @property
    def timings(self) -> Mapping[Family, PollTiming]:
        """How long each family's polls took (families not polled yet are absent)."""
        return MappingProxyType(dict(self._timings))

    @property
    def intervals(self) -> Mapping[Family, float]:
        """Each family's current pace: seconds from one of its polls to the next (absent
        until the first whole poll; infinite for a family not polled again by itself)."""
        return MappingProxyType(dict(self._intervals))

    @property
    def aqua_ids(self) -> tuple[str, ...]:
        """The AQuA job ids being watched (terminal ones included)."""
        return tuple(self._aqua)

    # ------------------------------------------------------------------ control

    def refresh_now(self, family: Family | None = None) -> None:
        """Poll as soon as possible: cut the current wait short, never overlap a poll.

        During a poll, this schedules another one right after it. While paused, it makes
        one poll and stays paused.

        Args:
            family: Poll only this family now (after a submit or a stop of one of its
                jobs); every family when None. The others keep their own pace.
        """
        targets = self._families if family is None else (family,)
        for target in targets:
            if target in self._families:
                self._forced.add(target)
        self._refresh_requested = True
        self._wake.set()

    def read_every_page(self, family: Family) -> None:
        """Read every page of `family`'s list on its next poll (now), past the page limit
        and whatever the newest pages hold: the board's way to show what a cut list left
        out. Later polls go back to reading only the newest pages."""
        if family in self._families:
            self._every_page.add(family)
            self.refresh_now(family)

    def pause(self) -> None:
        """Stop automatic polls until `resume()`; publishes a snapshot saying so."""
        if not self._paused:
            self._paused = True
            self._wake.set()
            self._republish()

    def resume(self) -> None:
        """Resume automatic polls, starting with one right away."""
        if self._paused:
            self._paused = False
            self._forced.update(self._families)
            self._wake.set()
            self._republish()

    def stop(self) -> None:
        """Ask `run()` to return; a poll in progress finishes first."""
        self._stop_requested = True
        self._wake.set()

    def watch_aqua(self, job_id: str) -> None:
        """Start watching an AQuA job (created from ztui, from the journal, or by id).

        It is fetched on the next poll, then on every poll until it is terminal.
        """
        self._aqua.add(job_id)

    def is_watching_aqua(self, job_id: str) -> bool:
        """True while `job_id` is on the AQuA watch list (a get answered 404 takes it off)."""
        return job_id in self._aqua

    def forget_aqua(self, job_id: str) -> None:
        """Stop watching an AQuA job and drop it from later snapshots."""
        self._aqua.discard(job_id)
        if self._aqua.family in self._jobs:
            self._jobs[self._aqua.family].pop(job_id, None)

    # ------------------------------------------------------------------ running

    async def run(self) -> None:
        """Poll until `stop()`: poll, wait the paced interval (or a wake-up), repeat."""
        while not self._should_stop():
            if (self._paused or self._fatal is not None) and not self._refresh_requested:
                await self._wait(math.inf)
                continue
            due = self._due_families()
            if due:
                await self.poll_once(due)
                if self._should_stop():
                    break
            delay = self._next_wait()
            waiting_for = self._next_due_families()
            if await self._wait(delay):
                # The sleep ran its course: those families are due, whatever the clock
                # says (an injected sleep need not move it).
                self._elapsed.update(waiting_for)

    def _next_due_families(self) -> set[Family]:
        """The families whose due time comes first."""
        dues = {f: self._due.get(f, -math.inf) for f in self._families if f not in self._disabled}
        if not dues:
            return set()
        first = min(dues.values())
        return {f for f, at in dues.items() if at <= first}

    def _due_families(self) -> tuple[Family, ...]:
        """The families the loop polls now: those asked for, and (unless paused or
        stopped by a refusal) those whose own interval has run out."""
        if self._paused or self._fatal is not None:
            return tuple(f for f in self._families if f in self._forced)
        now = self._clock()
        return tuple(
            f
            for f in self._families
            if f in self._forced or f in self._elapsed or self._due.get(f, -math.inf) <= now
        )

    def _next_wait(self) -> float:
        """Seconds until the next family is due; `math.inf` when none is."""
        if self._paused or self._fatal is not None:
            return math.inf
        if self._forced:
            return 0.0
        dues = [self._due.get(f, -math.inf) for f in self._families if f not in self._disabled]
        if not dues:
            return math.inf
        return max(0.0, min(dues) - self._clock())

    def _should_stop(self) -> bool:
        # A method, not the attribute: mypy would narrow the flag across the awaits.
        return self._stop_requested

    async def __aenter__(self) -> Self:
        """Start `run()` in a task of the current event loop."""
        self._task = asyncio.create_task(self.run(), name="ztui-poller")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the loop and cancel a poll in progress."""
        self.stop()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def poll_once(self, families: Collection[Family] | None = None) -> JobSnapshot:
        """Make one poll (a tick) now, publish its snapshot and return it.

        Waits for a poll in progress to finish first. After the server refused the
        credentials, an explicit poll tries once more.

        Args:
            families: The families to read; every family when None. The snapshot holds
                every family either way (the others as they were).
        """
        async with self._lock:
            targets = (
                self._families
                if families is None
                else tuple(f for f in self._families if f in families)
            )
            # A refresh asked for from here on must lead to another poll after this one.
            self._wake.clear()
            self._refresh_requested = False
            self._forced.difference_update(targets)
            self._elapsed.difference_update(targets)
            calls_before = self._calls_made()
            await self._poll_families(targets)
            snapshot = self._make_snapshot(calls_before)
            self._schedule(snapshot, targets)
            self._latest = snapshot
        self._publish(snapshot)
        return snapshot

    async def fetch_detail(self, family: Family, job_id: str) -> Job:
        """Fetch one job's detail now (the detail screen); terminal jobs are cached for good.

        The fresher job also replaces the listed one in the next snapshot.

        Raises:
            ApiError: Whatever the client raises (e.g. `NotFound`).
        """
        key = (family, job_id)
        cached = self._details.get(key)
        if cached is not None:
            return cached
        listed = self._jobs.get(family, {}).get(job_id)
        if listed is not None and listed.state is JobState.UNREADABLE:
            # Its list entry is all there is to show (a made-up key has nothing to get).
            return listed
        job = await family_def(family).calls.get(self._client, job_id)
        if job.state.is_terminal:
            self._details[key] = job
        if family in self._jobs:
            self._jobs[family][job_id] = job
        return job

    # ------------------------------------------------------------------ one tick

    async def _poll_families(self, targets: tuple[Family, ...]) -> None:
        # A poll after a refusal is an explicit retry (the loop waits for refresh_now).
        self._fatal = None
        self.fatal_error = None
        now = self._clock()
        if self._hold_until is not None and now < self._hold_until:
            # Still inside a 429 back-off: asking again would only earn another 429.
            return
        self._hold_until = None
        if self._latest is None and self._shown is not None:
            # The first poll starts with a paged list: its first page is the quickest
            # answer there is, and it is shown at once (`_poll_pages`).
            targets = (
                *(f for f in targets if family_def(f).paged),
                *(f for f in targets if not family_def(f).paged),
            )
        for family in targets:
            if family in self._disabled:
                continue
            family_calls_before = self._calls_made()
            started = time.perf_counter()
            try:
                await self._poll_family(family)
            except AuthError as exc:
                self._refused(exc)
                return
            except PermissionDenied as exc:
                self._disabled.add(family)
                self._status[family] = replace(
                    self._status[family],
                    state="auth_error",
                    error=f"Permission denied: {exc.message}. Ask a Zuora admin for access.",
                    retry_at=None,
                )
                continue
            except (NotSupported, NotFound) as exc:
                definition = family_def(family)
                if definition.list_optional:
                    # E.g. auto-backfill list/get exist only on newer tenants
                    # (docs/zuora-api.md §5): skip the family quietly.
                    self._disabled.add(family)
                    self._status[family] = FamilyStatus(family, "unsupported")
                    log.info("%s list not offered by this tenant: %s", definition.noun, exc)
                    continue
                self._failed(family, exc)
                continue
            except RateLimited as exc:
                self._rate_limited(family, exc)
                # Limits are per tenant: the other families would get a 429 too.
                return
            except Unreachable as exc:
                # The same host serves every family: no use trying the others now.
                self._unreachable(exc)
                return
            except WrongEndpoint as exc:
                self._refused(exc)
                return
            except (ServerError, TransportError, TokenAnswerMalformed) as exc:
                self._transient(family, exc)
                continue
            except ApiError as exc:
                # Malformed answers and 4xx refusals: asking again at once would get the
                # same answer (docs/tolerance.md rule 2).
                self._failed(family, exc)
                continue
            finally:
                self._timed(family, time.perf_counter() - started)
            self._family_calls[family].append(self._calls_made() - family_calls_before)
            self._rate_limit_attempt = 0
            self._unreachable_text = None
            unreadable = sum(
                1
                for job_id, job in self._jobs[family].items()
                if job.state is JobState.UNREADABLE and self._wanted(family, job_id)
            )
            self._status[family] = FamilyStatus(
                family,
                "ok",
                as_of=self._clock(),
                unreadable=unreadable,
                warning=self._warnings.get(family),
                truncated=self._truncated.get(family),
            )
            if self._latest is None and family is not targets[-1]:
                # First poll: show each family as soon as it arrives, not after the last.
                self._publish_interim()
                if not self._first_shown and self._shown is not None:
                    # The first rows: let them reach the screen before the next family's
                    # answer is read (that would hold the event loop meanwhile).
                    self._first_shown = True
                    await self._shown()

    def _timed(self, family: Family, seconds: float) -> None:
        before = self._timings.get(family)
        total, count = (before.total_s, before.count) if before is not None else (0.0, 0)
        self._timings[family] = PollTiming(seconds, total + seconds, count + 1)

    async def _poll_family(self, family: Family) -> None:
        definition = family_def(family)
        self._warnings.pop(family, None)
        if definition.calls.page is not None:
            await self._poll_pages(family, definition.calls.page)
        elif definition.calls.list_all is not None:
            jobs = await definition.calls.list_all(self._client, None)
            # These lists return every job, so a job missing from it is gone.
            self._jobs[family] = {job.id: job for job in jobs}
        elif family == self._aqua.family:
            await self._aqua.poll(self._client, self._jobs[family])
        else:
            raise LookupError(f"{definition.label} jobs have no list and no watch list")

    async def _poll_pages(
        self, family: Family, page_of: Callable[[JobsApi, int, str | None], Awaitable[JobPage]]
    ) -> None:
        """Read the newest pages, going deeper only while they tell us something new.

        The list is newest first with no total (docs/zuora-api.md §6). A page is worth
        following when it holds a job we have never seen (we are not yet below what is
        known), or while a job we show as unfinished has not turned up yet. An empty page
        or a missing cursor ends the list; only then can a known job be declared gone. A
        cursor that comes back stops the walk, with one warning.
        """
        known = self._jobs[family]
        awaited = {
            job_id
            for job_id, job in known.items()
            if not job.state.is_terminal
            and job.state is not JobState.UNREADABLE
            and self._wanted(family, job_id)
        }
        seen: dict[str, Job] = {}
        size = self.settings.co_page_size
        cursor: str | None = None
        cursors: set[str] = set()
        reached_end = False
        cut = True
        every = family in self._every_page
        self._every_page.discard(family)
        for _ in range(EVERY_PAGE_LIMIT if every else self.settings.co_max_pages):
            page = await page_of(self._client, size, cursor)
            new_here = False
            for job in page.jobs:
                new_here = new_here or job.id not in known
                seen[job.id] = job
                awaited.discard(job.id)
            if self._latest is None and not self._first_shown and self._shown and page.jobs:
                # The first rows of the first poll: on screen before the walk goes on.
                self._first_shown = True
                known.update(seen)
                self._publish_interim()
                await self._shown()
            # Only an empty page or a missing cursor ends the list; a short page does not
            # (a tenant may cap its pages: docs/tolerance.md rule 8).
            if not page.jobs or page.cursor is None:
                reached_end = True
                break
            if page.cursor in cursors or page.cursor == cursor:
                self._repeated_cursor(family, page.cursor)
                cut = False
                break
            cursors.add(page.cursor)
            if not new_here and not awaited and not every:
                cut = False
                break
            cursor = page.cursor
        if reached_end:
            self._jobs[family] = seen
            self._truncated.pop(family, None)
        else:
            known.update(seen)
            if cut:
                # The page limit ended the walk while pages still held unseen jobs: what
                # lies deeper was not read, and the list has no total to say how much.
                self._truncated[family] = len(known)
            elif family in self._truncated:
                self._truncated[family] = len(known)

    # ------------------------------------------------------------------ failures

    def _transient(self, family: Family, exc: ApiError) -> None:
        log.info("polling %s failed, keeping the last data: %s", family.value, exc)
        self._status[family] = replace(
            self._status[family], state="stale", error=_describe(exc), retry_at=None
        )

    def _repeated_cursor(self, family: Family, cursor: str) -> None:
        text = (
            f"the job list returned cursor {cursor} a second time; paging stopped there, "
            "so older jobs may be missing"
        )
        if family not in self._warned:
            self._warned.add(family)
            log.warning("polling %s: %s", family.value, text)
        self._warnings[family] = text

    def _failed(self, family: Family, exc: ApiError) -> None:
        previous = self._status[family]
        if previous.state != "error" or previous.error != _describe(exc):
            log.warning("polling %s failed, keeping the last data: %s", family.value, exc)
        self._status[family] = replace(
            previous, state="error", error=_describe(exc), retry_at=None, unreadable=0
        )

    def _rate_limited(self, family: Family, exc: RateLimited) -> None:
        delay = backoff_delay(
            self._rate_limit_attempt,
            retry_after=exc.retry_after,
            reset=exc.reset,
            rng=self._rng,
            base=self.settings.backoff_base_s,
            cap=self.settings.backoff_cap_s,
        )
        self._rate_limit_attempt += 1
        retry_at = self._clock() + delay
        self._hold_until = retry_at
        log.info("rate limited while polling %s; next poll in %.1f s", family.value, delay)
        self._status[family] = replace(
            self._status[family],
            state="rate_limited",
            error=f"Rate limited (HTTP 429); retrying in {math.ceil(delay)} s",
            retry_at=retry_at,
        )

    def _unreachable(self, exc: Unreachable) -> None:
        if self._unreachable_text != exc.message:
            log.warning("cannot reach the server: %s", exc.message)
        self._unreachable_text = exc.message
        for family in self._families:
            if family in self._disabled:
                continue
            self._status[family] = replace(
                self._status[family], state="stale", error=exc.message, retry_at=None
            )

    def _refused(self, exc: AuthError | WrongEndpoint) -> None:
        # The client's message already says what was refused and why; add what to do.
        self.fatal_error = exc
        if isinstance(exc, WrongEndpoint):
            self._fatal = exc.message
        else:
            self._fatal = f"{exc.message.rstrip('. ')}. {self._fatal_hint}"
        log.warning("polling stopped: %s", exc.message)
        for family in self._families:
            self._status[family] = replace(
                self._status[family], state="auth_error", error=exc.message, retry_at=None
            )

    # ------------------------------------------------------------------ snapshots

    def _wanted(self, family: Family, job_id: str) -> bool:
        if self._job_ids is None or job_id in self._job_ids:
            return True
        return family == self._aqua.family and job_id in self._aqua

    def _snapshot_jobs(self) -> dict[tuple[Family, str], Job]:
        out: dict[tuple[Family, str], Job] = {}
        for family, jobs in self._jobs.items():
            for job_id, job in jobs.items():
                if family == self._aqua.family and job_id not in self._aqua:
                    continue
                if not self._wanted(family, job_id):
                    continue
                key = (family, job_id)
                # A terminal job's detail is final and richer than its list entry.
                out[key] = self._details.get(key, job)
        return out

    def _publish_interim(self) -> None:
        """Publish what the first poll has so far (families not yet read stay pending)."""
        now = self._clock()
        self._publish(self._current_snapshot(now, self._budget(now, self._calls_made(), None)))

    def _make_snapshot(self, calls_before: int) -> JobSnapshot:
        now = self._clock()
        calls = self._calls_made()
        self._poll_calls.append((now, calls - calls_before))
        budget = replace(self._budget(now, calls, None), calls_per_poll=self._per_poll(now))
        snapshot = self._current_snapshot(now, budget)
        self._intervals = family_intervals(snapshot, self.settings, self._family_costs())
        projection = self._projection(self._intervals, self._family_costs())
        return replace(
            snapshot, budget=replace(snapshot.budget, calls_per_day_projection=projection)
        )

    def _schedule(self, snapshot: JobSnapshot, polled: tuple[Family, ...]) -> None:
        """Set the next due time of each family just polled from its own interval."""
        now = snapshot.polled_at
        hold = max((s.retry_at for s in snapshot.families.values() if s.retry_at), default=0.0)
        for family in polled:
            self._due[family] = max(now + self._intervals.get(family, math.inf), hold)
        for family in self._families:
            # A family that was never read waits no longer than its interval from now.
            self._due.setdefault(family, now + self._intervals.get(family, 0.0))
            if hold > self._due[family]:
                self._due[family] = hold

    def _family_costs(self) -> dict[Family, float]:
        """Calls one poll of each family cost lately (the median of its recent polls)."""
        return {
            family: float(statistics.median(calls))
            for family, calls in self._family_calls.items()
            if calls
        }

    def _current_snapshot(self, now: float, budget: BudgetView) -> JobSnapshot:
        """A new snapshot (next sequence number) of the jobs and family states as they are."""
        self._seq += 1
        return JobSnapshot(
            seq=self._seq,
            # Frozen here: nothing else holds this dict, so the snapshot need not copy it.
            jobs=MappingProxyType(self._snapshot_jobs()),
            families=dict(self._status),
            budget=budget,
            polled_at=now,
            paused=self._paused,
            fatal=self._fatal,
            unreachable=self._unreachable_text,
            started_at=self._started_at,
        )

    def _per_poll(self, now: float) -> float | None:
        """What a poll costs lately: the median within the projection window, or None.

        The median, because one-off costs (the first poll's token and AQuA gets, a token
        refresh) would otherwise inflate the per-day projection for the whole window.
        """
        window_start = now - self.settings.projection_window_s
        recent = [calls for at, calls in self._poll_calls if at >= window_start]
        return float(statistics.median(recent)) if recent else None

    @staticmethod
    def _projection(intervals: dict[Family, float], costs: dict[Family, float]) -> float | None:
        """Calls per day if each family's polls keep costing what they cost lately, at
        its current interval."""
        if not costs:
            return None
        return sum(
            cost * 86400.0 / max(intervals.get(family, math.inf), 0.001)
            for family, cost in costs.items()
        )

    def _budget(self, now: float, calls: int, projection: float | None) -> BudgetView:
        budget = getattr(self._client, "budget", None)
        limit = getattr(budget, "limit", None)
        remaining = getattr(budget, "remaining", None)
        reset_at: float | None = None
        reset_in = getattr(budget, "reset_in", None)
        if callable(reset_in):
            seconds = reset_in()
            if isinstance(seconds, int | float):
                reset_at = now + float(seconds)
        return BudgetView(
            limit=limit if isinstance(limit, int) else None,
            remaining=remaining if isinstance(remaining, int) else None,
            reset_at=reset_at,
            calls_made=calls,
            calls_per_day_projection=projection,
        )

    def _calls_made(self) -> int:
        calls = getattr(self._client, "calls_made", 0)
        return calls if isinstance(calls, int) else 0

    def _republish(self) -> None:
        """Publish the latest data again with the current pause flag (no network)."""
        if self._latest is None:
            return
        self._seq += 1
        snapshot = replace(self._latest, seq=self._seq, paused=self._paused, fatal=self._fatal)
        self._latest = snapshot
        self._publish(snapshot)

    def _publish(self, snapshot: JobSnapshot) -> None:
        if self._on_snapshot is not None:
            self._on_snapshot(snapshot)

    async def _wait(self, delay: float) -> bool:
        """Wait `delay` seconds (via the injected sleep) or until woken, whichever is first.

        Returns:
            True when the sleep ran its course, False when woken first.
        """
        if self._wake.is_set():
            # Consume the wake-up, or a loop that is paused would spin on it.
            self._wake.clear()
            return False
        waiter: asyncio.Future[Any] = asyncio.ensure_future(self._wake.wait())
        pending: set[asyncio.Future[Any]] = {waiter}
        sleeper: asyncio.Future[Any] | None = None
        if math.isfinite(delay):
            sleeper = asyncio.ensure_future(self._sleep(max(0.0, delay)))
            pending.add(sleeper)
        try:
            await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        finally:
            slept = (
                sleeper is not None
                and sleeper.done()
                and not sleeper.cancelled()
                and sleeper.exception() is None
                and not waiter.done()
            )
            for future in pending:
                future.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._wake.clear()
        return slept


def _describe(exc: ApiError) -> str:
    """One line for the status bar saying why a family is stale."""
    if isinstance(exc, ServerError):
        return f"Server error (HTTP {exc.status}): {exc.message}"
    if isinstance(exc, TransportError):
        return f"Connection problem: {exc.message}"
    status = f" (HTTP {exc.status})" if exc.status is not None else ""
    return f"{exc.message}{status}"
