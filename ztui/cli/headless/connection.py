"""Provides what every headless command shares: the connection, id lookup and error exits.

A command opens one `ZuoraClient` on the resolved profile (the same configuration and
client as the app), resolves job ids across families, and turns API errors into one line
on stderr plus an `ExitCode`. Transient errors are retried with the backoff of docs/zuora-api.md
(§2.7) and reported once per change of what is wrong, never as a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO, TypeVar

from ztui.api.errors import (
    TRANSIENT_ERRORS,
    ApiError,
    AuthError,
    BadRequest,
    NotFound,
    NotSupported,
    PermissionDenied,
    RateLimited,
    ReadOnlyError,
    Unreachable,
    WrongEndpoint,
)
from ztui.api.models import Family, Job
from ztui.cli.headless.exitcodes import ExitCode
from ztui.families import FAMILIES, family_def

if TYPE_CHECKING:
    from ztui.api.client import ZuoraClient
    from ztui.config.schema import ResolvedProfile, Settings

T = TypeVar("T")

FAMILY_ALIASES: dict[str, Family] = {
    **{f.value: f for f in FAMILIES},
    **{f.value.replace("_", "-"): f for f in FAMILIES},
    **{alias: f for f, definition in FAMILIES.items() for alias in definition.aliases},
}
"""Spellings `--family` accepts (case-insensitive)."""


class CommandError(Exception):
    """A command cannot go on: `message` goes to stderr in one line, `code` is the exit."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def parse_family(text: str) -> Family:
    """The family `--family` names.

    Raises:
        argparse.ArgumentTypeError: An unknown name (argparse turns it into a usage error).
    """
    family = FAMILY_ALIASES.get(text.strip().lower())
    if family is None:
        names = ", ".join(f.value for f in FAMILIES)
        raise argparse.ArgumentTypeError(f"unknown family {text!r} (one of: {names})")
    return family


def candidate_families(job_id: str, family: Family | None) -> tuple[Family, ...]:
    """Families to try for an id, from its shape, or only `family` when given.

    Raises:
        CommandError: The id has neither job-id shape (USAGE), or the shape cannot belong
            to `family` (NOT_FOUND).
    """
    # In registry order: the uno families first, then AQuA, which shares their id shape.
    shape = tuple(f for f, definition in FAMILIES.items() if definition.id_pattern.match(job_id))
    if not shape:
        raise CommandError(
            f"{job_id!r} is not a job id (expected 32 hex characters, or a 36-character "
            "UUID for custom-object jobs)",
            ExitCode.USAGE,
        )
    if family is None:
        return shape
    if family not in shape:
        raise CommandError(
            f"job {job_id} not found: {family.label} job ids look different", ExitCode.NOT_FOUND
        )
    return (family,)


def exit_for(exc: ApiError) -> ExitCode:
    """The exit code for an API error that ends a command."""
    if isinstance(exc, AuthError | PermissionDenied):
        return ExitCode.AUTH
    if isinstance(exc, NotFound):
        return ExitCode.NOT_FOUND
    if isinstance(exc, ReadOnlyError):
        return ExitCode.REFUSED
    if isinstance(exc, WrongEndpoint):
        return ExitCode.USAGE  # a configuration error: the base URL
    return ExitCode.ERROR


def describe(exc: ApiError) -> str:
    """One line for an API error, with the request id support asks for (docs/zuora-api.md §2.4)."""
    text = str(exc)
    if isinstance(exc, AuthError):
        text += " (check the client id and secret of the profile, or ZTUI_CLIENT_ID/SECRET)"
    if exc.request_id:
        text += f" [Zuora-Request-Id {exc.request_id}]"
    return " ".join(text.split())


class TransientReporter:
    """Reports transient trouble on stderr once per change of what is wrong, per source.

    The same failure repeating (a 503 every poll) prints once; a different one, or the
    recovery, prints again.
    """

    def __init__(self, prog: str, stream: TextIO | None = None) -> None:
        """Create a reporter.

        Args:
            prog: Prefix of every line (`ztui watch`).
            stream: Where to write; stderr by default.
        """
        self.prog = prog
        self.stream = stream
        self._current: dict[str, str] = {}

    def _write(self, text: str) -> None:
        from ztui.core.logsetup import redact

        # Server text is echoed; redact in case it ever carries a credential.
        print(f"{self.prog}: {redact(text)}", file=self.stream or sys.stderr, flush=True)

    def problem(self, source: str, kind: str, text: str) -> None:
        """Report `text` about `source` unless the same `kind` is already reported."""
        if self._current.get(source) == kind:
            return
        self._current[source] = kind
        self._write(f"warning: {source}: {text} (retrying)")

    def recovered(self, source: str) -> None:
        """Report that `source` works again, if a problem was reported for it."""
        if self._current.pop(source, None) is not None:
            self._write(f"{source}: working again")


def error_kind(exc: ApiError) -> str:
    """What kind of trouble an error is, ignoring details that change on every try."""
    return f"{type(exc).__name__}:{exc.status}"


async def call_with_retry(
    call: Callable[[], Awaitable[T]],
    *,
    source: str,
    reporter: TransientReporter,
    deadline: float | None,
    base_delay: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
    fail_fast: bool = False,
) -> T:
    """Await `call()`, retrying transient errors with backoff until `deadline`.

    Args:
        call: Makes the request; called again for each try.
        source: What is being called, for the stderr report.
        reporter: Where transient trouble is reported.
        deadline: `clock()` value after which the last transient error is raised.
        base_delay: First backoff step in seconds (the watch interval, capped at 1 s).
        clock: Monotonic time source.
        fail_fast: Raise `Unreachable` at once (one-shot commands; a watch keeps trying).

    Returns:
        What `call()` returned.

    Raises:
        ApiError: Any non-transient error at once, or the last transient one at deadline.
        TimeoutError: The deadline passed during the first try.
    """
    from ztui.api.budget import backoff_delay

    attempt = 0
    last: ApiError | None = None
    while True:
        try:
            if deadline is None:
                result = await call()
            else:
                # The client retries inside one call too; the deadline bounds it all.
                result = await asyncio.wait_for(call(), max(0.0, deadline - clock()))
        except TimeoutError:
            if last is not None:
                raise last from None
            raise
        except TRANSIENT_ERRORS as exc:
            if isinstance(exc, Unreachable) and fail_fast:
                # Nothing answers at that address: a one-shot command says so now (the
                # client already tried twice) instead of retrying until its deadline.
                raise
            last = exc
            reporter.problem(source, error_kind(exc), describe(exc))
            retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
            reset = exc.reset if isinstance(exc, RateLimited) else None
            delay = backoff_delay(attempt, retry_after, reset, base=base_delay)
            # Full jitter can pick ~0; keep a floor so a dead server isn't hammered.
            delay = max(delay, base_delay / 4)
            attempt += 1
            if deadline is not None:
                left = deadline - clock()
                if left <= 0:
                    raise
                delay = min(delay, left)
            await asyncio.sleep(delay)
            continue
        reporter.recovered(source)
        return result


async def resolve_job(
    client: ZuoraClient,
    job_id: str,
    family: Family | None,
    *,
    reporter: TransientReporter,
    deadline: float | None = None,
    base_delay: float = 1.0,
    fail_fast: bool = False,
) -> Job:
    """Find a job by id: its shape picks the families, each is asked with a get.

    Args:
        client: The API client.
        job_id: The id as the user typed it.
        family: Only this family, when `--family` was given.
        reporter: Where transient trouble is reported.
        deadline: Monotonic time after which transient errors are given up on.
        base_delay: First backoff step after a transient error.
        fail_fast: Give up at once when the server cannot be reached at all.

    Returns:
        The job as its family's get returns it.

    Raises:
        CommandError: Bad id shape (USAGE) or no family knows it (NOT_FOUND).
        ApiError: Auth, permission or other non-transient errors.
    """
    families = candidate_families(job_id, family)
    for fam in families:

        async def get(fam: Family = fam) -> Job:
            return await client.get_job(fam, job_id)

        try:
            return await call_with_retry(
                get,
                source=f"get {fam.label.lower()} job {job_id}",
                reporter=reporter,
                deadline=deadline,
                base_delay=base_delay,
                fail_fast=fail_fast,
            )
        except (NotFound, NotSupported):
            continue
        except BadRequest:
            # Some families answer an unknown id with 400 rather than 404 (AQuA's 90002,
            # docs/zuora-api.md §7); while guessing the family, that means "not here".
            if family_def(fam).unknown_id_is_bad_request and family is None:
                continue
            raise
    where = family.label if family is not None else " or ".join(f.label for f in families)
    raise CommandError(f"job {job_id} not found ({where})", ExitCode.NOT_FOUND)


@dataclass
class Connection:
    """The resolved configuration and an open client for one command run."""

    settings: Settings
    """The loaded config."""
    profile: ResolvedProfile
    """The profile the options selected."""
    client: ZuoraClient
    """The open API client; closed when the `connect` block ends."""


def load_profile(args: argparse.Namespace) -> tuple[Settings, ResolvedProfile]:
    """Resolve settings and profile from the connection options.

    Raises:
        CommandError: The config is invalid or has no credentials (USAGE).
    """
    from ztui.cli.args import resolve_from_args
    from ztui.config.load import ConfigError

    try:
        settings, profile = resolve_from_args(args)
    except ConfigError as exc:
        raise CommandError(str(exc), ExitCode.USAGE) from None
    if not profile.client_id or not profile.client_secret:
        raise CommandError(
            f"profile {profile.name!r} has no credentials: set ZTUI_CLIENT_ID and "
            "ZTUI_CLIENT_SECRET, or configure them in config.toml (`ztui config check`)",
            ExitCode.USAGE,
        )
    return settings, profile


@asynccontextmanager
async def connect(settings: Settings, profile: ResolvedProfile) -> AsyncIterator[Connection]:
    """Open the API client on `profile`, and close it when the block ends."""
    from ztui.service.connection import open_client

    try:
        client = open_client(profile, settings.network)
    except ValueError as exc:
        raise CommandError(f"profile {profile.name!r}: {exc}", ExitCode.USAGE) from None
    try:
        yield Connection(settings=settings, profile=profile, client=client)
    finally:
        await client.aclose()
