"""Provides the exit codes of the headless commands and how several outcomes combine.

`ztui watch --exit-status` maps each job's outcome to one code; when jobs end differently
the most urgent outcome wins, in the order of `PRECEDENCE` (the order of the table in
`EXIT_STATUS_HELP`). Codes 2 and 130 keep their usual meaning for every command.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes of `ztui jobs|show|errors|stop|watch`."""

    OK = 0
    """Done; with `watch --exit-status`, every job succeeded."""
    ERROR = 1
    """The command could not do its work for another reason (unreadable answer, ...)."""
    USAGE = 2
    """Bad arguments or configuration (always, with or without `--exit-status`)."""
    FAILED = 3
    """A job failed, was aborted or ended in error."""
    CANCELLED = 4
    """A job was cancelled or stopped."""
    TIMEOUT = 5
    """`--timeout` passed before a job finished."""
    NOT_FOUND = 6
    """No job with that id (in the family asked for)."""
    AUTH = 7
    """Credentials or permissions were refused."""
    REFUSED = 8
    """`stop` sent nothing: read-only, declined, or the job cannot be stopped."""
    INTERRUPTED = 130
    """Interrupted with Ctrl-C (SIGINT)."""


PRECEDENCE: tuple[ExitCode, ...] = (
    ExitCode.AUTH,
    ExitCode.NOT_FOUND,
    ExitCode.ERROR,
    ExitCode.FAILED,
    ExitCode.CANCELLED,
    ExitCode.TIMEOUT,
    ExitCode.OK,
)
"""Most urgent first: the code a watch of several jobs exits with is the first one here
that any job produced. A definite bad outcome beats "not finished yet"."""


def combine(codes: Iterable[ExitCode]) -> ExitCode:
    """The exit code for several per-job outcomes (OK when there are none).

    Args:
        codes: One code per job.

    Returns:
        The first code of `PRECEDENCE` present in `codes`.
    """
    present = set(codes)
    for code in PRECEDENCE:
        if code in present:
            return code
    # Codes outside the table (USAGE, REFUSED, INTERRUPTED) never come from one job.
    return max(present, default=ExitCode.OK)


EXIT_STATUS_HELP = """\
exit status with --exit-status (when jobs end differently, the first matching row wins):
  7    authentication or permission refused
  6    a job id was not found
  1    the watch could not run for another reason (e.g. an unreadable answer)
  3    a job failed, was aborted or ended in error
  4    a job was cancelled or stopped
  5    --timeout passed before every job finished
  0    every job succeeded
  2    usage or configuration error (also without --exit-status)
  130  interrupted (Ctrl-C)
without --exit-status: 0 once every job has finished (whatever the outcome) or the timeout
passed; 7, 6, 1 or 2 when the watch itself could not run.
Transient errors (HTTP 5xx, 429, timeouts, dropped connections) never end a watch: they are
retried with backoff and reported on stderr once per change.
"""
"""The table shown by `ztui watch --help` (and copied into the README)."""
