"""Provides `Secret`, a holder for credentials whose text never shows in repr, str or logs."""

from __future__ import annotations

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
