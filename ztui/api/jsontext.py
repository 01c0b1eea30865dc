"""Provides the decoding of answers: depth-bounded JSON that keeps the text of each listed job.

A list answer is one object whose arrays (`jobs`, `data`) hold the job objects. `decode`
returns the same value `json.loads` does, except that each array at the top level of the
object is a `JsonArray`: a list that also carries the text of each element exactly as it
arrived. The board keeps a job's text instead of its decoded dict (`ztui.api.models.RawJson`,
a third of the size) and compares texts to skip parsing jobs that did not change
(`ztui.api.endpoints.common.JobParseCache`). The texts are slices of the answer, taken
while the C decoder walks it, so they cost no second pass.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

MAX_DEPTH: Final = 64
"""How deep decoded JSON may nest; no Zuora answer comes near it (a job is 3 or 4 levels)."""

TOO_DEEP: Final = f"(nested more than {MAX_DEPTH} levels deep: not read)"
"""What stands in for a value nested deeper than `MAX_DEPTH`."""

_SPACE = re.compile(r"[ \t\n\r]*")
"""JSON's whitespace (RFC 8259 §2)."""
_SCAN = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


class JsonArray(list[Any]):
    """A decoded JSON array that also holds the text of each element (`texts[i]` is the
    JSON of `self[i]` as it arrived)."""

    __slots__ = ("texts",)

    def __init__(self, items: list[Any], texts: list[str]) -> None:
        super().__init__(items)
        self.texts = texts


def bound_depth(value: Any, limit: int = MAX_DEPTH) -> Any:
    """`value` with every container nested deeper than `limit` replaced by `TOO_DEEP`.

    Iterative, so any depth the decoder accepted is safe here, and everything that walks
    the value later (parsers, `--json` output, the detail view) stays far from Python's
    recursion limit.
    """
    if not isinstance(value, dict | list):
        return value
    stack: list[tuple[dict[Any, Any] | list[Any], int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth < limit:
            children = node.values() if isinstance(node, dict) else node
            stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
            continue
        items = list(node.items() if isinstance(node, dict) else enumerate(node))
        for key, child in items:
            if isinstance(child, dict | list):
                node[key] = TOO_DEEP
    return value


def decode(content: bytes | str) -> Any:
    """The JSON value of `content`, depth-bounded, with the top-level arrays of an object
    as `JsonArray`s.

    Raises:
        ValueError: `content` is not JSON (or not UTF-8).
        RecursionError: It nests deeper than the decoder can follow.
    """
    try:
        if isinstance(content, str):
            text = content
        else:
            # As `json.loads` reads bytes: UTF-8, -16 or -32, a byte order mark allowed.
            text = content.decode(json.detect_encoding(content), "surrogatepass")
        value = _decode_object(text)
    except (ValueError, IndexError, StopIteration):
        value = None
    if value is None:
        # Not an object, or not JSON at all: the plain decoder says which, in its words.
        value = json.loads(content)
    return bound_depth(value)


def _skip(text: str, i: int) -> int:
    """The index of the first non-whitespace character at or after `i`."""
    match = _SPACE.match(text, i)
    return match.end() if match is not None else i


def _decode_object(text: str) -> dict[str, Any] | None:
    """`text` decoded when it is one JSON object, with texts for its arrays; None when it
    is something else (the caller decodes it plainly).

    Raises:
        ValueError, IndexError, StopIteration: `text` is not valid JSON (the caller
            decodes it again to get `json`'s own error).
    """
    scan = _SCAN
    i = _skip(text, 0)
    if text[i : i + 1] != "{":
        return None
    out: dict[str, Any] = {}
    i = _skip(text, i + 1)
    if text[i] == "}":
        return out if _skip(text, i + 1) == len(text) else None
    while True:
        if text[i] != '"':
            raise ValueError("expected a key")
        key, i = scan(text, i)
        i = _skip(text, i)
        if text[i] != ":":
            raise ValueError("expected ':'")
        i = _skip(text, i + 1)
        if text[i] == "[":
            value, i = _array(text, i + 1)
        else:
            value, i = scan(text, i)
        out[key] = value
        i = _skip(text, i)
        if text[i] == ",":
            i = _skip(text, i + 1)
            continue
        if text[i] == "}":
            break
        raise ValueError("expected ',' or '}'")
    if _skip(text, i + 1) != len(text):
        raise ValueError("extra data")
    return out


def _array(text: str, i: int) -> tuple[JsonArray, int]:
    """The array whose `[` is just before `i`, and the index after its `]`."""
    scan = _SCAN
    items: list[Any] = []
    texts: list[str] = []
    i = _skip(text, i)
    if text[i] == "]":
        return JsonArray(items, texts), i + 1
    while True:
        value, end = scan(text, i)
        items.append(value)
        texts.append(text[i:end])
        i = _skip(text, end)
        if text[i] == ",":
            i = _skip(text, i + 1)
            continue
        if text[i] == "]":
            return JsonArray(items, texts), i + 1
        raise ValueError("expected ',' or ']'")
