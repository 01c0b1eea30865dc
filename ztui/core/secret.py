"""Provides `Secret`, a holder for credentials whose text never shows in repr, str or logs.

It also runs the command that prints a secret (a profile's `client_secret_command`): without
a shell, in its own process group, killed as a group when it runs too long.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from typing import Final

_MASK: Final = "********"


class Secret:
    """A secret string (client secret, bearer token) that masks itself.

    `str()`, `repr()` and `format()` all give a mask; only `reveal()` gives the value, and
    it is meant to be called at the single place the value goes on the wire.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret's text. Call only where it is sent to the server."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({_MASK!r})"

    def __str__(self) -> str:
        return _MASK

    def __format__(self, spec: str) -> str:
        return _MASK

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> tuple[object, ...]:
        # Pickling would write the value somewhere; refuse rather than leak.
        raise TypeError("Secret values cannot be pickled")


def mask(value: str, keep: int = 4) -> str:
    """Return `value` with all but its last `keep` characters replaced, for display."""
    if len(value) <= keep * 2:
        return _MASK
    return _MASK + value[-keep:]


SECRET_COMMAND_MAX_BYTES: Final = 64 * 1024
"""The most a secret command may print; a secret is a line, so more is a mistake."""

EXIT_GRACE_S: Final = 1.0
"""How long output may stay open after the command itself exited (a helper it spawned
and left running), before the group is killed and the output used."""

SECRET_COMMAND_TIMEOUT_S: Final = 15.0
"""How long a secret command may run before it is killed (a password manager may prompt
for a passphrase, so this is generous)."""


class SecretCommandError(Exception):
    """A secret command could not give a secret; `str()` says why, never what it printed."""


def run_secret_command(
    argv: Sequence[str],
    *,
    timeout_s: float = SECRET_COMMAND_TIMEOUT_S,
    max_bytes: int = SECRET_COMMAND_MAX_BYTES,
    fail: Callable[[str], Exception] = SecretCommandError,
) -> str:
    """Run `argv` without a shell and return its stdout, stripped, as the secret.

    Neither its output nor its error output ever appears in a message or log. The whole
    run is bounded: `timeout_s` covers start to finish, however the output arrives, and
    stdout may hold at most `max_bytes`. Past either bound the command's process group
    (its own session, so anything it spawned too) is killed. Once the command itself has
    exited, a helper it left behind holding the output open gets `EXIT_GRACE_S`, then is
    killed with the group, and what was printed is used.

    Args:
        argv: The command and its arguments.
        timeout_s: Seconds before the command (and its process group) is killed.
        max_bytes: The most stdout may hold; more is refused, not truncated.
        fail: Makes the exception raised for a reason (the caller's own error type, so it
            can say where the command was configured).

    Returns:
        The secret text.

    Raises:
        SecretCommandError: (or what `fail` makes) The command is missing or not
            executable, timed out, printed too much, failed, or printed nothing or no
            UTF-8 text.
    """
    program = argv[0]
    try:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            # Its own session, so a timeout can kill helpers it spawned too.
            start_new_session=True,
        )
    except FileNotFoundError:
        raise fail(f"command not found: {program!r}") from None
    except PermissionError:
        raise fail(f"command not executable: {program!r}") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise fail(f"cannot run {program!r}: {reason}") from None
    try:
        out = _read_bounded(proc, timeout_s, max_bytes)
    except _TooMuchOutputError:
        raise fail(
            f"command {program!r} printed more than {max_bytes // 1024} KB "
            "(a secret is a line of text)"
        ) from None
    except _DeadlineError:
        raise fail(f"command {program!r} timed out after {timeout_s:g} s") from None
    finally:
        if proc.stdout is not None:
            proc.stdout.close()
    if proc.returncode != 0:
        raise fail(
            f"command {program!r} exited with code {proc.returncode} (its output is not shown)"
        )
    try:
        secret = out.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise fail(f"command {program!r} printed something that is not UTF-8 text") from None
    if not secret:
        raise fail(f"command {program!r} printed nothing")
    return secret


class _TooMuchOutputError(Exception):
    pass


class _DeadlineError(Exception):
    pass


def _read_bounded(proc: subprocess.Popen[bytes], timeout_s: float, max_bytes: int) -> bytes:
    """Collect `proc`'s stdout within the deadline and the size cap; reap the process.

    Raises:
        _TooMuchOutputError: stdout passed `max_bytes` (the group is killed).
        _DeadlineError: the deadline passed before the command exited (the group is killed).
    """
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    deadline = time.monotonic() + timeout_s
    exited_at: float | None = None
    buffer = bytearray()
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            now = time.monotonic()
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at >= EXIT_GRACE_S:
                # The command is done; whatever still holds its output open is not.
                _kill_group(proc)
                break
            if now >= deadline:
                _kill_group(proc)
                proc.wait()
                raise _DeadlineError
            wait = deadline - now
            wait = min(wait, 0.05 if exited_at is None else EXIT_GRACE_S)
            if not selector.select(wait):
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buffer += chunk
            if len(buffer) > max_bytes:
                _kill_group(proc)
                proc.wait()
                raise _TooMuchOutputError
    try:
        proc.wait(timeout=max(deadline - time.monotonic(), 0.0))
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.wait()
        raise _DeadlineError from None
    _kill_group(proc)
    return bytes(buffer)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the command's session (it leads its own group), helpers included."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):
        if proc.returncode is None:
            proc.kill()
