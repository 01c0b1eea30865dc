"""Provides `Secret`, a holder for credentials whose text never shows in repr, str or logs.

It also runs the command that prints a secret (a profile's `client_secret_command`): without
a shell, in its own process group, killed as a group when it runs too long.
"""

from __future__ import annotations

import os
import signal
import subprocess
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


SECRET_COMMAND_TIMEOUT_S: Final = 15.0
"""How long a secret command may run before it is killed (a password manager may prompt
for a passphrase, so this is generous)."""


class SecretCommandError(Exception):
    """A secret command could not give a secret; `str()` says why, never what it printed."""


def run_secret_command(
    argv: Sequence[str],
    *,
    timeout_s: float = SECRET_COMMAND_TIMEOUT_S,
    fail: Callable[[str], Exception] = SecretCommandError,
) -> str:
    """Run `argv` without a shell and return its stdout, stripped, as the secret.

    Neither its output nor its error output ever appears in a message or log.

    Args:
        argv: The command and its arguments.
        timeout_s: Seconds before the command (and its process group) is killed.
        fail: Makes the exception raised for a reason (the caller's own error type, so it
            can say where the command was configured).

    Returns:
        The secret text.

    Raises:
        SecretCommandError: (or what `fail` makes) The command is missing or not
            executable, timed out, failed, or printed nothing or no UTF-8 text.
    """
    program = argv[0]
    try:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
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
        out, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        raise fail(f"command {program!r} timed out after {timeout_s:g} s") from None
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


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):
        proc.kill()
