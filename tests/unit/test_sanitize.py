"""The one sanitiser for text that reaches a terminal (`ztui.core.sanitize`)."""

from __future__ import annotations

import io
import json
import sys

import pytest
from rich.cells import cell_len

from ztui.core.sanitize import (
    UNSAFE_RE,
    SafeStream,
    drop_unsafe,
    exact_stream,
    guarded_std_streams,
    is_safe,
    json_safe,
    visible,
)

UNSAFE = [
    *(chr(c) for c in range(0x20) if c not in (0x09, 0x0A)),
    "\x7f",
    *(chr(c) for c in range(0x80, 0xA0)),
    *(chr(c) for c in range(0x202A, 0x202F)),
    *(chr(c) for c in range(0x2066, 0x206A)),
    "\u2028",
    "\u2029",
]


@pytest.mark.parametrize("char", UNSAFE, ids=lambda c: f"U+{ord(c):04X}")
def test_every_unsafe_character_is_shown_dropped_and_json_escaped(char: str) -> None:
    text = f"a{char}b"
    assert not is_safe(text)
    shown = visible(text)
    assert is_safe(shown)
    assert shown.startswith("a")
    assert shown.endswith("b")
    assert len(shown) > 2  # a stand-in, not a silent drop
    assert drop_unsafe(text) == "ab"
    assert cell_len(char) == 0  # so dropping it moves no column on screen
    dumped = json_safe(json.dumps({"k": text}, ensure_ascii=False))
    assert is_safe(dumped)
    assert json.loads(dumped) == {"k": text}


def test_stand_ins_are_recognisable() -> None:
    assert visible("\x1b]52;c;AAAA\x07") == "␛]52;c;AAAA␇"
    assert visible("a\rb\x00") == "a␍b␀"
    assert visible("\x7f\x9b\u202e") == "␡\\u009b\\u202e"


def test_tab_and_line_feed_are_kept_unless_one_line() -> None:
    assert visible("a\tb\nc") == "a\tb\nc"
    assert visible("a\tb\nc", one_line=True) == "a\tb␤c"
    assert is_safe("a\tb\nc")


def test_ordinary_text_is_returned_unchanged() -> None:
    text = "Café 東京 🚀 — ü"
    assert visible(text) is text
    assert drop_unsafe(text) is text
    assert UNSAFE_RE.search(text) is None


def test_safe_stream_shows_what_is_written_and_keeps_the_exact_stream() -> None:
    raw = io.StringIO()
    stream = SafeStream(raw)
    print("x\x1b[2Jy", file=stream)
    assert raw.getvalue() == "x␛[2Jy\n"
    assert exact_stream(stream) is raw  # type: ignore[arg-type]
    assert exact_stream(raw) is raw


def test_guarded_std_streams_restore_the_originals(capsys: pytest.CaptureFixture[str]) -> None:
    before = sys.stdout, sys.stderr
    with guarded_std_streams():
        print("out\x1b]0;title\x07")
        print("err\x9b", file=sys.stderr)
    assert (sys.stdout, sys.stderr) == before
    captured = capsys.readouterr()
    assert captured.out == "out␛]0;title␇\n"
    assert captured.err == "err\\u009b\n"
