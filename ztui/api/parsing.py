"""Provides the lenient field readers every job parser is built from.

Each reader takes the JSON object, a key and `what` (the thing being read, for the
message) and either returns a typed value or raises `MalformedResponse`; nothing else
escapes, so callers can show "the server sent something unreadable" without a
traceback. The readers accept the variations docs/zuora-api.md records (§2.9, §8): ids and
counts as numbers or digit strings, timestamps as epoch milliseconds or ISO 8601.
"""

from __future__ import annotations

import contextvars
import math
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from ztui.api.errors import MalformedResponse
from ztui.api.models import JobState


def bad(what: str, detail: str) -> MalformedResponse:
    """The error for an unreadable `what`."""
    return MalformedResponse(f"Unreadable {what}: {detail}")


def as_mapping(value: object, what: str) -> Mapping[str, Any]:
    """`value` as a JSON object.

    Raises:
        MalformedResponse: It is not one.
    """
    if not isinstance(value, Mapping):
        raise bad(what, f"expected a JSON object, got {type(value).__name__}")
    return value


def opt_str(d: Mapping[str, Any], key: str, what: str) -> str | None:
    """The text at `key`, or None; plain integers are accepted as their digits.

    Raises:
        MalformedResponse: The value is of another type.
    """
    value = d.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    # Ids and codes sometimes arrive as numbers (docs/zuora-api.md §8 #13); accept plain integers.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise bad(what, f"field {key!r} should be text, got {type(value).__name__}")


def req_id(d: Mapping[str, Any], keys: tuple[str, ...], what: str) -> str:
    """The first non-empty id among `keys`.

    Raises:
        MalformedResponse: None of them holds an id.
    """
    for key in keys:
        value = opt_str(d, key, what)
        if value:
            return value
    raise bad(what, f"missing job id ({' or '.join(repr(k) for k in keys)})")


def opt_int(d: Mapping[str, Any], key: str, what: str) -> int | None:
    """The integer at `key`, or None; whole floats and digit strings are accepted.

    Raises:
        MalformedResponse: The value cannot be read as an integer.
    """
    value = d.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise bad(what, f"field {key!r} should be a number, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    # AQuA `recordCount` is typed as a string by one source (docs/zuora-api.md §8 #9);
    # any counter may come as text (docs/tolerance.md rule 3), "12" or "12.0".
    if isinstance(value, str) and (digits := _WHOLE_TEXT.fullmatch(value)):
        return int(digits[1])
    if isinstance(value, str) and not value.strip():
        return None
    raise bad(what, f"field {key!r} should be an integer, got {value!r:.40}")


_WHOLE_TEXT = re.compile(r"\s*(-?\d{1,18})(?:\.0*)?\s*")


def opt_number(d: Mapping[str, Any], key: str, what: str) -> float | None:
    """The finite number at `key`, or None; numeric text is accepted, with or without a
    `%` sign (`"45.5"`, `"100.00%"`; docs/tolerance.md rule 3).

    Raises:
        MalformedResponse: The value is not a finite number.
    """
    value = d.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise bad(what, f"field {key!r} should be a number, got a boolean")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().removesuffix("%").strip()
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            raise bad(what, f"field {key!r} should be a number, got {value!r:.40}") from None
    else:
        raise bad(what, f"field {key!r} should be a number, got {type(value).__name__}")
    if not math.isfinite(number):
        raise bad(what, f"field {key!r} is not a finite number")
    return number


def clamp01(value: float) -> float:
    """`value` limited to 0..1."""
    return min(1.0, max(0.0, value))


def ratio(part: int | None, whole: int | None) -> float | None:
    """`part / whole` in 0..1, or None when either is unknown or `whole` is not positive."""
    if part is None or whole is None or whole <= 0:
        return None
    return clamp01(part / whole)


def non_empty(text: str | None) -> str | None:
    """`text`, or None when it is empty or blank."""
    return text if text and text.strip() else None


_ISO_OFFSET_NO_COLON = re.compile(r"([+-])(\d{2})(\d{2})$")
_EPOCH_MS = re.compile(r"-?\d{1,16}")
# Python's datetime covers years 1..9999; epoch-ms outside this range is unreadable.
_MAX_EPOCH_MS = 253_402_300_799_000
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_READABLE_US = re.compile(
    r"(?P<month>[A-Za-z]{3})[a-z]*\.? +(?P<day>\d{1,2}), *(?P<year>\d{4}),? +"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))? *(?P<half>[AaPp])\.?[Mm]\.?"
)
"""The readable US form, `Nov 9, 2023 8:14 AM` (docs/tolerance.md rule 5)."""

_ZONE: contextvars.ContextVar[tzinfo] = contextvars.ContextVar("ztui_tenant_zone", default=UTC)


@contextmanager
def tenant_zone(zone: tzinfo | None) -> Iterator[None]:
    """Read timestamps that name no zone in `zone` (UTC when None) inside the block.

    The client sets this around every parse with its profile's `timezone`
    (docs/tolerance.md rule 6).
    """
    token = _ZONE.set(zone or UTC)
    try:
        yield
    finally:
        _ZONE.reset(token)


def load_zone(name: str) -> tzinfo:
    """The zone an IANA name such as `America/Los_Angeles` stands for (`UTC` too).

    Raises:
        ValueError: No such zone is known.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    text = name.strip()
    if text.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"unknown time zone {name!r} (expected an IANA name such as "
            '"America/Los_Angeles" or "UTC")'
        ) from None


def current_zone() -> tzinfo:
    """The zone a timestamp without one is read in, here and now (see `tenant_zone`)."""
    return _ZONE.get()


def parse_timestamp(value: object, zone: tzinfo | None = None) -> datetime | None:
    """Turn any timestamp the job APIs send into a timezone-aware datetime.

    Accepted (docs/zuora-api.md §2.9, docs/tolerance.md rule 5): epoch milliseconds as
    an integer or a digit string (`1699517693000`, `"1699517693000"`); ISO 8601 with or
    without milliseconds and zone (`2021-03-10T00:05:54.207Z`, `2021-03-15T06:47:18Z`,
    `2023-11-09T08:14:53`), including offsets without a colon
    (`2023-12-14T16:03:26+0800`); AQuA's `"2014-09-03 08:20:07"`; and the readable US
    form `Nov 9, 2023 8:14 AM`. A value that names no zone is read in `zone`, else in the
    tenant zone of `tenant_zone`, else in UTC (rule 6).

    Args:
        value: The JSON value: int, float, string or null.
        zone: The zone for a value that names none; None for the current tenant zone.

    Returns:
        An aware datetime, or None for null or an empty string.

    Raises:
        MalformedResponse: The value is of the wrong type or cannot be read as a time.
    """
    return parse_timestamp_zone(value, zone)[0]


def parse_timestamp_zone(
    value: object, zone: tzinfo | None = None
) -> tuple[datetime | None, tzinfo | None]:
    """`parse_timestamp`, and the zone that was assumed (None when the value named one).

    Raises:
        MalformedResponse: The value is of the wrong type or cannot be read as a time.
    """
    if value is None:
        return None, None
    if isinstance(value, bool):
        raise bad("timestamp", "got a boolean")
    if isinstance(value, int | float):
        return _from_epoch_ms(float(value), value), None
    if not isinstance(value, str):
        raise bad("timestamp", f"expected text or a number, got {type(value).__name__}")
    text = value.strip()
    if not text:
        return None, None
    if _EPOCH_MS.fullmatch(text):
        return _from_epoch_ms(float(text), value), None
    assumed = zone or current_zone()
    readable = _READABLE_US.fullmatch(text)
    if readable is not None:
        return _from_readable(readable, value).replace(tzinfo=assumed), assumed
    iso = text
    if iso.endswith(("Z", "z")):
        iso = iso[:-1] + "+00:00"
    iso = _ISO_OFFSET_NO_COLON.sub(r"\1\2:\3", iso)
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        raise bad("timestamp", f"{value!r:.60} is not a known date-time format") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=assumed), assumed
    return parsed, None


def _from_readable(match: re.Match[str], original: object) -> datetime:
    month = match["month"].lower()
    hour = int(match["hour"])
    if month not in _MONTHS or not 1 <= hour <= 12:
        raise bad("timestamp", f"{original!r:.60} is not a known date-time format")
    hour = hour % 12 + (12 if match["half"].lower() == "p" else 0)
    try:
        return datetime(
            int(match["year"]),
            _MONTHS.index(month) + 1,
            int(match["day"]),
            hour,
            int(match["minute"]),
            int(match["second"] or 0),
        )
    except ValueError:
        raise bad("timestamp", f"{original!r:.60} is not a valid date") from None


def _from_epoch_ms(ms: float, original: object) -> datetime:
    if not math.isfinite(ms) or abs(ms) > _MAX_EPOCH_MS:
        raise bad("timestamp", f"{original!r:.40} is out of range")
    try:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    except (OverflowError, ValueError):
        raise bad("timestamp", f"{original!r:.40} is out of range") from None


def timestamp(d: Mapping[str, Any], key: str, what: str) -> datetime | None:
    """The timestamp at `key` (see `parse_timestamp`), or None.

    Raises:
        MalformedResponse: The value cannot be read as a time; the message names `key`.
    """
    try:
        return parse_timestamp(d.get(key))
    except MalformedResponse as exc:
        raise bad(what, f"field {key!r}: {exc.message}") from None


def latest(*values: datetime | None) -> datetime | None:
    """The latest of the known `values`, or None when none is known."""
    present = [v for v in values if v is not None]
    return max(present) if present else None


def lookup_state(table: Mapping[str, JobState], status: str) -> JobState:
    """The state `status` stands for in a family's `table` (`UNKNOWN` when absent).

    Lookups are case-insensitive, so a casing change on the server doesn't turn known
    states into UNKNOWN; a string missing from the table stays UNKNOWN.
    """
    return table.get(status.strip().lower(), JobState.UNKNOWN)


def status_field(
    d: Mapping[str, Any], table: Mapping[str, JobState], what: str
) -> tuple[str, JobState]:
    """The raw `status` and its state in `table`; `("", UNKNOWN)` when there is none.

    Raises:
        MalformedResponse: `status` is not text.
    """
    raw = opt_str(d, "status", what)
    if raw is None:
        return "", JobState.UNKNOWN
    # Interned: thousands of jobs share a handful of statuses.
    return sys.intern(raw), lookup_state(table, raw)
