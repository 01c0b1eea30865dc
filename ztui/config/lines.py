"""Provides a TOML key-to-line scanner, so config errors can point at a line.

`tomllib` gives no positions, so a small scanner maps each dotted key and table header to
the line that defines it. It is only used to point at lines in error messages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_BARE_OR_QUOTED = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_DOTTED = rf"{_BARE_OR_QUOTED}(?:\s*\.\s*{_BARE_OR_QUOTED})*"
_HEADER_RE = re.compile(rf"^\s*\[\s*({_DOTTED})\s*\]")
_ARRAY_HEADER_RE = re.compile(rf"^\s*\[\[\s*({_DOTTED})\s*\]\]")
_KEY_RE = re.compile(rf"^\s*({_DOTTED})\s*=")
_PART_RE = re.compile(r"""[A-Za-z0-9_-]+|"((?:[^"\\]|\\.)*)"|'([^']*)'""")
_TOML_POS_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_END_RE = re.compile(r"\s*\(at end of document\)\s*$")


def _split_dotted(text: str) -> tuple[str, ...]:
    parts = []
    for match in _PART_RE.finditer(text):
        if match.group(1) is not None:
            parts.append(match.group(1))
        elif match.group(2) is not None:
            parts.append(match.group(2))
        else:
            parts.append(match.group(0))
    return tuple(parts)


def scan_lines(text: str) -> dict[tuple[str, ...], int]:
    """Map each table header and key in `text` to the 1-based line defining it."""
    found: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    in_multiline: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if in_multiline is not None:
            if raw.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        if (match := _ARRAY_HEADER_RE.match(raw)) or (match := _HEADER_RE.match(raw)):
            table = _split_dotted(match.group(1))
            found.setdefault(table, number)
        elif match := _KEY_RE.match(raw):
            found.setdefault(table + _split_dotted(match.group(1)), number)
        for delimiter in ('"""', "'''"):
            if raw.count(delimiter) % 2 == 1:
                in_multiline = delimiter
                break
    return found


def dotted(parts: Sequence[str]) -> str:
    """Write a key path as TOML does: `profiles."my prod".environment`."""
    return ".".join(p if re.fullmatch(r"[A-Za-z0-9_-]+", p) else f'"{p}"' for p in parts)


def locate_syntax_error(text: str, message: str) -> tuple[str, int | None, str | None]:
    """Split a `tomllib` syntax error into what is wrong, where, and the key being defined.

    Args:
        text: The document that failed to parse.
        message: The `TOMLDecodeError` text, which ends with its position.

    Returns:
        The message without its position, the 1-based line (None when unknown), and the
        dotted key defined on or last before that line (None when there is none).
    """
    line: int | None = None
    if match := _TOML_POS_RE.search(message):
        line = int(match.group(1))
        message = message[: match.start()]
    elif match := _TOML_END_RE.search(message):
        line = max(1, len(text.splitlines()))
        message = message[: match.start()]
    key = None
    if line is not None:
        candidates = [(n, k) for k, n in scan_lines(text).items() if n <= line]
        if candidates:
            key = dotted(max(candidates)[1])
    return message, line, key
