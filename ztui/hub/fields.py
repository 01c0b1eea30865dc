"""Provides the checks a viewer applies to each field of a hub's message.

Each returns the value when it has the right type and raises `HubProtocolError`
otherwise, with a message naming the field ("The hub sent a job id that is not text").
Text meant for the screen loses the characters a terminal would act on
(`ztui.core.sanitize.drop_unsafe`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, NoReturn, cast

from ztui.api.errors import MalformedResponse
from ztui.api.models import Family
from ztui.core.sanitize import drop_unsafe

MAX_TEXT: Final = 4096
"""The most characters kept of one line of text meant for the screen."""


class HubProtocolError(MalformedResponse):
    """A hub sent something a viewer cannot use; the message says what, in one line."""


def fail(what: str) -> NoReturn:
    """Raise `HubProtocolError`: "The hub sent <what>"."""
    raise HubProtocolError(f"The hub sent {what}")


def obj(value: object, what: str) -> Mapping[str, Any]:
    """`value` when it is a JSON object."""
    if not isinstance(value, dict):
        fail(f"{what} that is not an object")
    return cast("Mapping[str, Any]", value)


def items(value: object, what: str) -> list[Any]:
    """`value` when it is a JSON list."""
    if not isinstance(value, list):
        fail(f"{what} that is not a list")
    return value


def string(value: object, what: str) -> str:
    """`value` when it is text, kept as sent (an id, a key)."""
    if not isinstance(value, str):
        fail(f"{what} that is not text")
    return value


def opt_str(value: object, what: str) -> str | None:
    """`string`, or None."""
    return None if value is None else string(value, what)


def text(value: object, what: str) -> str:
    """Screen text: unsafe characters dropped, capped at `MAX_TEXT`."""
    return drop_unsafe(string(value, what))[:MAX_TEXT]


def opt_text(value: object, what: str) -> str | None:
    """`text`, or None."""
    return None if value is None else text(value, what)


def flag(value: object, what: str) -> bool:
    """`value` when it is true or false."""
    if not isinstance(value, bool):
        fail(f"{what} that is not true or false")
    return value


def opt_int(value: object, what: str) -> int | None:
    """`value` when it is a whole number (not a flag), or None."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        fail(f"{what} that is not a whole number")
    return value


def whole(value: object, what: str) -> int:
    """`opt_int`, required."""
    found = opt_int(value, what)
    if found is None:
        fail(f"no {what}")
    return found


def opt_float(value: object, what: str) -> float | None:
    """`value` as a float when it is a number (not a flag), or None."""
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        fail(f"{what} that is not a number")
    return float(value)


def number(value: object, what: str) -> float:
    """`opt_float`, required."""
    found = opt_float(value, what)
    if found is None:
        fail(f"no {what}")
    return found


def family(value: object, what: str) -> Family:
    """The job family `value` names."""
    name = string(value, what)
    try:
        return Family(name)
    except ValueError:
        fail(f"{what} {name[:40]!r}, which is no job family")
