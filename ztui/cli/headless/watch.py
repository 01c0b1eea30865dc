"""Provides `ztui watch`: follow jobs of any family until each reaches a terminal state.

The watch resolves every id with its family's get (so a job already finished answers at
once), then drives the shared `JobPoller` one tick at a time, restricted to the watched
jobs and their families, and paced by the board's own rule (`next_interval`). Transient
trouble never ends it: the poller keeps the last data and marks the family stale, and
this command reports that on stderr once per change. Refused credentials end it (exit 7).
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO, TypeVar

from ztui.api.errors import (
    TRANSIENT_ERRORS,
    ApiError,
    AuthError,
    NotFound,
    NotSupported,
    PermissionDenied,
)
from ztui.api.models import Family, Job, JobState
from ztui.cli.headless.connection import (
    CommandError,
    Connection,
    TransientReporter,
    candidate_families,
    describe,
    error_kind,
    exit_for,
    resolve_job,
)
from ztui.cli.headless.exitcodes import ExitCode, combine
from ztui.cli.headless.output import OUTCOME_WORDS, change_line, final_line, format_progress
from ztui.families import family_def

if TYPE_CHECKING:
    from ztui.service.poller import JobPoller

T = TypeVar("T")

PROG = "ztui watch"

_STATE_CODES: dict[JobState, ExitCode] = {
    JobState.SUCCEEDED: ExitCode.OK,
    JobState.FAILED: ExitCode.FAILED,
    JobState.CANCELLED: ExitCode.CANCELLED,
    JobState.STOPPED: ExitCode.CANCELLED,
}


@dataclass(frozen=True)
class WatchOptions:
    """What `ztui watch` was asked to do."""

    ids: tuple[str, ...]
    """Job ids, duplicates removed, in the order given."""
    family: Family | None = None
    """Look the ids up in this family only."""
    interval: float = 5.0
    """Seconds between polls while jobs run (the board's active interval by default)."""
    timeout: float | None = None
    """Give up after this many seconds (None: never)."""
    exit_status: bool = False
    """Exit with the outcome's code rather than 0."""
    quiet: bool = False
    """Print only the final line of each job."""
    low_budget_s: float = 120.0
    """The board's interval while the rate-limit budget is low."""


@dataclass
class _Tracked:
    """One watched id and what was last printed about it."""

    job_id: str
    job: Job | None = None
    last_shown: tuple[str, str, str] | None = None
    warned_unknown: set[str] = field(default_factory=set)
    outcome: ExitCode | None = None


class Watch:
    """One run of `ztui watch` over an open connection."""

    def __init__(
        self,
        conn: Connection,
        options: WatchOptions,
        *,
        out: TextIO | None = None,
        err: TextIO | None = None,
    ) -> None:
        """Prepare a watch.

        Args:
            conn: The open connection.
            options: What to watch and how.
            out: Where job lines go (stdout by default).
            err: Where warnings go (stderr by default).
        """
        self.conn = conn
        self.options = options
        self.out = out
        self.err = err
        self.reporter = TransientReporter(PROG, err)
        self.started = time.monotonic()
        self.deadline = None if options.timeout is None else self.started + options.timeout
        self.tracked = {job_id: _Tracked(job_id) for job_id in options.ids}
        # The first backoff step follows the interval, so a fast watch recovers fast.
        self.base_delay = min(1.0, options.interval)

    # ------------------------------------------------------------------ output

    def _print(self, text: str) -> None:
        print(text, file=self.out or sys.stdout, flush=True)

    def _warn(self, text: str) -> None:
        from ztui.core.logsetup import redact

        print(f"{PROG}: {redact(text)}", file=self.err or sys.stderr, flush=True)

    def _left(self) -> float | None:
        if self.deadline is None:
            return None
        return self.deadline - time.monotonic()

    # ------------------------------------------------------------------ job updates

    def _show(self, item: _Tracked, job: Job) -> None:
        """Record a fresh version of a job: change line, unknown-status warning, end."""
        if job.unreadable is not None:
            # Reported once, not polled for ever (docs/tolerance.md rules 1 and 2).
            self._end(item, ExitCode.ERROR, "error", f"unreadable: {job.unreadable.reason}")
            return
        item.job = job
        shown = (job.status, format_progress(job), job.message or "")
        if shown != item.last_shown:
            item.last_shown = shown
            if not self.options.quiet:
                self._print(change_line(job))
        if job.state is JobState.UNKNOWN and job.status not in item.warned_unknown:
            item.warned_unknown.add(job.status)
            self._warn(
                f"warning: job {job.id} reports status {job.status!r}, which ztui does not "
                "know; still watching"
            )
        if job.state.is_terminal:
            item.outcome = _STATE_CODES[job.state]
            self._print(final_line(job.id, OUTCOME_WORDS[job.state], job))

    def _end(self, item: _Tracked, code: ExitCode, outcome: str, detail: str) -> None:
        item.outcome = code
        self._print(final_line(item.job_id, outcome, item.job, detail))

    def _open(self) -> list[_Tracked]:
        return [item for item in self.tracked.values() if item.outcome is None]

    # ------------------------------------------------------------------ run

    async def run(self) -> ExitCode:
        """Watch until every job is terminal, the timeout passes, or the watch cannot go on.

        Returns:
            The combined outcome (before `--exit-status` is applied).

        Raises:
            CommandError: An id that is not a job id (usage).
        """
        for job_id in self.options.ids:
            candidate_families(job_id, self.options.family)  # shape errors before any call
        try:
            await self._resolve_all()
            if not self._undecidable():
                await self._follow()
        except (AuthError, PermissionDenied) as exc:
            self._warn(f"error: {describe(exc)}")
            for item in self._open():
                self._end(item, ExitCode.AUTH, "auth-error", "credentials or permission refused")
        except TimeoutError:
            pass
        for item in self._open():
            if item.job is not None:
                detail = f"still {item.job.status} after {_seconds(self.options.timeout)}"
            else:
                detail = f"no usable answer from the server in {_seconds(self.options.timeout)}"
            self._end(item, ExitCode.TIMEOUT, "timeout", detail)
        return combine(item.outcome or ExitCode.OK for item in self.tracked.values())

    async def _resolve_all(self) -> None:
        for item in self.tracked.values():
            try:
                job = await resolve_job(
                    self.conn.client,
                    item.job_id,
                    self.options.family,
                    reporter=self.reporter,
                    deadline=self.deadline,
                    base_delay=self.base_delay,
                )
            except CommandError as exc:
                if exc.code is not ExitCode.NOT_FOUND:
                    raise
                self._end(item, ExitCode.NOT_FOUND, "not-found", exc.message)
                continue
            except TRANSIENT_ERRORS as exc:
                # Retried until the deadline: the watch timed out while the server was down.
                self._warn(f"warning: {describe(exc)}")
                raise TimeoutError from None
            except (AuthError, PermissionDenied):
                raise
            except ApiError as exc:
                # An answer ztui cannot use (malformed job, unexpected 4xx): this job
                # cannot be watched.
                self._end(item, exit_for(exc), "error", describe(exc))
                continue
            self._show(item, job)
        if self._undecidable():
            # The exit code is decided (not found and errors outrank every job outcome):
            # stop here rather than make a CI job wait for the others.
            decided = combine(i.outcome for i in self.tracked.values() if i.outcome is not None)
            for item in self._open():
                self._end(item, decided, "unwatched", "another id could not be watched")

    def _undecidable(self) -> bool:
        return any(
            item.outcome in (ExitCode.NOT_FOUND, ExitCode.ERROR) for item in self.tracked.values()
        )

    async def _follow(self) -> None:
        from ztui.service.pacing import PollSettings, next_interval
        from ztui.service.poller import JobPoller

        open_items = self._open()
        if not open_items:
            return
        jobs = [item.job for item in open_items if item.job is not None]
        families = {job.family for job in jobs}
        interval = self.options.interval
        settings = PollSettings(
            active_s=interval,
            idle_s=interval,
            low_budget_s=max(interval, self.options.low_budget_s),
            backoff_base_s=self.base_delay,
            daily_call_budget=self.conn.profile.daily_call_budget,
        )
        poller = JobPoller(
            self.conn.client,
            settings=settings,
            families=families,
            aqua_ids=[job.id for job in jobs if family_def(job.family).followed_by_id],
            job_ids=[job.id for job in jobs],
        )
        delay = interval
        while self._open():
            await self._sleep(delay)
            snapshot = await self._bounded(poller.poll_once())
            if snapshot.fatal is not None:
                raise AuthError(snapshot.fatal)
            for family, status in snapshot.families.items():
                source = f"polling {family.label.lower()} jobs"
                if status.state in ("stale", "error", "rate_limited"):
                    kind: str = status.state
                    if status.state in ("stale", "error") and status.error:
                        kind += ":" + status.error.split(":", 1)[0]
                    self.reporter.problem(source, kind, status.error or status.state)
                elif status.state in ("ok", "unsupported"):
                    self.reporter.recovered(source)
            for item in self._open():
                assert item.job is not None  # resolved above, or ended
                family = item.job.family
                fam_status = snapshot.families.get(family)
                if fam_status is not None and fam_status.state == "auth_error":
                    self._end(item, ExitCode.AUTH, "auth-error", fam_status.error or "")
                    continue
                job = snapshot.get(family, item.job_id)
                listed_state = fam_status.state if fam_status is not None else None
                if listed_state == "error" or (
                    job is None and listed_state in ("ok", "unsupported")
                ):
                    # Not in the list (a deep custom-object page, no auto-backfill list,
                    # or a watched AQuA job the poller dropped), or the list answer could
                    # not be used: ask for it directly.
                    job = await self._fetch(poller, item)
                if job is not None:
                    self._show(item, job)
            delay = next_interval(snapshot, settings)
            if math.isinf(delay):
                delay = interval

    async def _fetch(self, poller: JobPoller, item: _Tracked) -> Job | None:
        assert item.job is not None
        family = item.job.family
        source = f"get {family.label.lower()} job {item.job_id}"
        try:
            job = await self._bounded(poller.fetch_detail(family, item.job_id))
        except (NotFound, NotSupported):
            self._end(item, ExitCode.NOT_FOUND, "not-found", "the job disappeared")
            return None
        except (AuthError, PermissionDenied):
            raise
        except TRANSIENT_ERRORS as exc:
            self.reporter.problem(source, error_kind(exc), describe(exc))
            return None
        except ApiError as exc:
            self._end(item, exit_for(exc), "error", describe(exc))
            return None
        self.reporter.recovered(source)
        return job

    async def _sleep(self, delay: float) -> None:
        left = self._left()
        if left is not None:
            if left <= 0:
                raise TimeoutError
            delay = min(delay, left)
        await asyncio.sleep(max(0.0, delay))
        left = self._left()
        if left is not None and left <= 0:
            raise TimeoutError

    async def _bounded(self, awaitable: Awaitable[T]) -> T:
        """Await within the timeout; `TimeoutError` once it passes."""
        left = self._left()
        if left is None:
            return await awaitable
        if left <= 0:
            raise TimeoutError
        return await asyncio.wait_for(awaitable, left)


def _seconds(value: float | None) -> str:
    if value is None:
        return "the watch"
    return f"{value:g} s"


def dedupe(ids: Sequence[str]) -> tuple[str, ...]:
    """The ids without repeats, in the order given."""
    return tuple(dict.fromkeys(i.strip() for i in ids if i.strip()))
