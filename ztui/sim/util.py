"""Provides small helpers shared by the simulator: ids, time formats, sizes, CSV, errors."""

from __future__ import annotations

import csv
import io
import random
import re
import zipfile
from datetime import UTC, datetime, timedelta, timezone

HEX32 = re.compile(r"[0-9a-f]{32}")
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class SimApiError(Exception):
    """A request the simulator refuses; the route layer renders it in the family's shape.

    Attributes:
        status: HTTP status.
        code: Family error code (uno: 8-digit string; CO: int; AQuA: 5-digit string).
        message: Human-readable text.
    """

    def __init__(self, status: int, code: str | int, message: str) -> None:
        """Create the failure."""
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class IdMaker:
    """Makes reproducible ids from one seeded random generator."""

    def __init__(self, rng: random.Random) -> None:
        """Wrap `rng`."""
        self.rng = rng

    def uno(self) -> str:
        """A 32-char lowercase hex id shaped like Zuora's (`ff808081...`)."""
        return "ff808081" + f"{self.rng.getrandbits(96):024x}"

    def aqua(self) -> str:
        """A 32-char lowercase hex id shaped like AQuA's (`8ad0...`)."""
        return "8ad0" + f"{self.rng.getrandbits(112):028x}"

    def hex32(self) -> str:
        """A plain 32-char lowercase hex id."""
        return f"{self.rng.getrandbits(128):032x}"

    def uuid4(self) -> str:
        """A UUID v4 string (what `str(uuid.UUID(int=bits, version=4))` gives, made
        without the `UUID` object: seeding 50,000 jobs makes 15,000 of them)."""
        bits = self.rng.getrandbits(128)
        bits = (bits & ~(0xC000 << 48)) | (0x8000 << 48)  # the RFC 4122 variant
        bits = (bits & ~(0xF000 << 64)) | (4 << 76)  # version 4
        h = f"{bits:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def epoch_ms(t: float) -> int:
    """Epoch seconds to integer epoch milliseconds."""
    return round(t * 1000)


def iso_z(t: float, millis: bool = True) -> str:
    """ISO-8601 UTC with a `Z`, e.g. `2021-03-10T00:05:54.207Z`."""
    dt = datetime.fromtimestamp(t, UTC)
    text = dt.isoformat(timespec="milliseconds" if millis else "seconds")
    return text.replace("+00:00", "Z")


def readable(t: float, offset_min: int) -> str:
    """Booking-style readable time: `2023-12-14T16:03:26+0800` (offset without a colon)."""
    tz = timezone(timedelta(minutes=offset_min))
    return datetime.fromtimestamp(t, tz).strftime("%Y-%m-%dT%H:%M:%S%z")


def aqua_time(t: float) -> str:
    """AQuA `startTime` text, e.g. `2014-09-03 08:20:07` (UTC; the zone is undocumented)."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S")


def human_size(n: int) -> str:
    """Sizes as the data-backfill samples show them: `798Byte`, `1.5KB`, `2.1MB`."""
    if n < 1024:
        return f"{n}Byte"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f}KB"
    return f"{n / (1024 * 1024):.1f}MB"


def duration_text(seconds: int) -> str:
    """A short remaining-time text: `0 sec`, `42 sec`, `3 min 5 sec`, `1 hr 2 min`."""
    if seconds < 60:
        return f"{seconds} sec"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {sec} sec"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} hr {minutes} min"


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    """Render a CSV (header + rows) as UTF-8 bytes with CRLF line ends."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def zip_one(name: str, data: bytes) -> bytes:
    """A zip archive holding one file."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, data)
    return buf.getvalue()


def parse_csv(text: str) -> tuple[list[str], list[list[str]]]:
    """Split CSV text into its header and data rows, skipping blank lines.

    Raises:
        ValueError: when the CSV cannot be read or has no header.
    """
    try:
        rows = [row for row in csv.reader(io.StringIO(text)) if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise ValueError(f"unreadable CSV: {exc}") from None
    if not rows:
        raise ValueError("the file has no header row")
    return [h.strip() for h in rows[0]], rows[1:]
