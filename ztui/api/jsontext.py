"""Provides the decoding of answers: depth-bounded JSON that can keep the text of each listed job.

A list answer is one object whose `jobs` array holds the job objects. `decode` returns
the value `json.loads` does; asked for the texts of an array (`texts_of="jobs"`), it
returns that array as `JsonTexts` instead: the text of each element exactly as it arrived,
checked to be JSON but not kept decoded. The board keeps a job's text instead of its
decoded dict (`ztui.api.models.RawJson`, a third of the size), compares texts to skip
parsing jobs that did not change (`ztui.api.endpoints.common.JobParseCache`) and decodes
only the others, one at a time: the decoded objects of a whole answer never exist at
once. The texts are slices of the answer, taken while the C decoder walks it.
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


ELEMENT_DEPTH: Final = 2
"""How deep the elements of a top-level array of an answer's object lie: decoded on their
own, they are bounded to `MAX_DEPTH - ELEMENT_DEPTH` levels, as in the whole answer."""


class JsonTexts:
    """A JSON array of an answer kept as the text of each element (each one valid JSON)."""

    __slots__ = ("texts",)

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts

    def __len__(self) -> int:
        return len(self.texts)

    def __repr__(self) -> str:
        return f"JsonTexts({len(self.texts)} elements)"


def decode_element(text: str) -> Any:
    """One element of a `JsonTexts`, decoded and depth-bounded as in the whole answer."""
    return bound_depth(json.loads(text), MAX_DEPTH - ELEMENT_DEPTH)


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


def decode(content: bytes | str, texts_of: str | None = None) -> Any:
    """The JSON value of `content`, depth-bounded; when it is an object whose `texts_of`
    is an array, that array as `JsonTexts`.

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
        value = _decode_object(text, texts_of) if texts_of is not None else None
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


def _decode_object(text: str, texts_of: str) -> dict[str, Any] | None:
    """`text` decoded when it is one JSON object, its array `texts_of` as texts; None when
    it is something else (the caller decodes it plainly).

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
        if key == texts_of and text[i] == "[":
            value, i = _texts(text, i + 1)
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


def _texts(text: str, i: int) -> tuple[JsonTexts, int]:
    """The array whose `[` is just before `i`, as texts, and the index after its `]`."""
    scan = _SCAN
    texts: list[str] = []
    i = _skip(text, i)
    if text[i] == "]":
        return JsonTexts(texts), i + 1
    while True:
        # Decoded to find its end (and to be sure it is JSON), then let go at once.
        _value, end = scan(text, i)
        texts.append(text[i:end])
        i = _skip(text, end)
        if text[i] == ",":
            i = _skip(text, i + 1)
            continue
        if text[i] == "]":
            return JsonTexts(texts), i + 1
        raise ValueError("expected ',' or ']'")
