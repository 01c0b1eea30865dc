"""Provides the one sanitiser for text that reaches a terminal, UI-free.

Every string a server sends (a job's kind, status, file or object name, an error message,
raw JSON) and every string a user typed into a job name is untrusted: printed as received
it can drive the operator's terminal (OSC 52 writes the clipboard, CSI clears the screen,
OSC 0 sets the window title) or reorder what is shown (bidirectional overrides). What is
unsafe here:

- C0 controls except tab and (where the text is multi-line) line feed, and DEL;
- C1 controls (U+0080 to U+009F; U+009B is a one-byte CSI on some terminals);
- bidirectional embeddings, overrides and isolates (U+202A to U+202E, U+2066 to U+2069)
  and the line and paragraph separators U+2028 and U+2029.

Three ways out, one table:

- `visible` shows each unsafe character as a harmless stand-in (ESC as `␛`, other C0 as
  their control pictures, the rest as `\\u009b`), for headless output;
- `drop_unsafe` removes them; every one of them is zero cells wide, so a screen laid out
  around the text keeps its widths (the TUI's line filter uses it);
- `json_safe` escapes them as `\\uXXXX` inside JSON text, which stays exactly the same JSON
  value (`json.dumps` already escapes C0, but not DEL, C1 or the bidi characters).
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final, TextIO, cast

__all__ = [
    "UNSAFE_RE",
    "SafeStream",
    "drop_unsafe",
    "exact_stream",
    "guarded_std_streams",
    "is_safe",
    "json_safe",
    "visible",
]

_C0: Final = [c for c in range(0x20) if c not in (0x09, 0x0A)]
_OTHER: Final = [0x7F, *range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_SEPARATORS: Final = [0x2028, 0x2029]
_ALL: Final = (*_C0, *_OTHER, *_SEPARATORS)

UNSAFE_RE: Final = re.compile("[" + "".join(re.escape(chr(c)) for c in _ALL) + "]")
"""Matches one unsafe character (line feed and tab are safe)."""

_UNSAFE_OR_LF_RE: Final = re.compile("[\n" + UNSAFE_RE.pattern[1:])


def _stand_in(code: int) -> str:
    if code == 0x1B:
        return "␛"
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode control pictures: ␀ ␇ ␍ ...
    if code == 0x7F:
        return "␡"
    return f"\\u{code:04x}"


_VISIBLE: Final = {code: _stand_in(code) for code in _ALL}
_VISIBLE_ONE_LINE: Final = {**_VISIBLE, 0x0A: "␤"}
_DROP: Final[dict[int, None]] = dict.fromkeys(_ALL)
_JSON: Final = {code: f"\\u{code:04x}" for code in _ALL if code >= 0x20}


def is_safe(text: str) -> bool:
    """True when `text` holds nothing a terminal would act on (tab and LF allowed)."""
    return UNSAFE_RE.search(text) is None


def visible(text: str, *, one_line: bool = False) -> str:
    """`text` with every unsafe character replaced by a visible stand-in.

    Args:
        text: Untrusted text.
        one_line: Also show line feeds (as `␤`), for a table cell or a log line.
    """
    pattern = _UNSAFE_OR_LF_RE if one_line else UNSAFE_RE
    if pattern.search(text) is None:
        return text
    return text.translate(_VISIBLE_ONE_LINE if one_line else _VISIBLE)


def drop_unsafe(text: str) -> str:
    """`text` without its unsafe characters (each is zero cells wide)."""
    if UNSAFE_RE.search(text) is None:
        return text
    return text.translate(_DROP)


def json_safe(json_text: str) -> str:
    """JSON text with DEL, C1 and the bidi characters written as `\\uXXXX` escapes.

    Only valid on the output of `json.dumps`, which has already escaped every C0
    control, so each remaining unsafe character sits inside a string literal.
    """
    if UNSAFE_RE.search(json_text) is None:
        return json_text
    return json_text.translate(_JSON)


class SafeStream(io.TextIOBase):
    """A text stream that shows the unsafe characters of whatever is written to it.

    Headless commands print through it, so no server string reaches the terminal raw,
    whichever code path prints it. Data meant to be exact (a CSV written to a file) is
    written to `exact` instead.
    """

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.exact = stream
        """The stream underneath, for output that must stay byte-exact."""

    def write(self, text: str) -> int:
        self.exact.write(visible(text))
        return len(text)

    def flush(self) -> None:
        self.exact.flush()

    def fileno(self) -> int:
        return self.exact.fileno()

    def isatty(self) -> bool:
        return self.exact.isatty()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]  # read-only here, as on sys.stdout
        return self.exact.encoding


def exact_stream(stream: TextIO) -> TextIO:
    """The stream under a `SafeStream`, or `stream` itself."""
    return stream.exact if isinstance(stream, SafeStream) else stream


@contextmanager
def guarded_std_streams() -> Iterator[None]:
    """Route `sys.stdout` and `sys.stderr` through `SafeStream` while the block runs."""
    saved = sys.stdout, sys.stderr
    sys.stdout = cast(TextIO, SafeStream(saved[0]))
    sys.stderr = cast(TextIO, SafeStream(saved[1]))
    try:
        yield
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            sys.stdout, sys.stderr = saved
