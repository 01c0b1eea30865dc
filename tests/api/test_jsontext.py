"""`ztui.api.jsontext.decode`: `json.loads`' value, or the text of each listed job."""

from __future__ import annotations

import json
import re

import pytest

from ztui.api.jsontext import TOO_DEEP, JsonTexts, decode, decode_element
from ztui.api.models import RawJson, may_have_key

SAMPLES = [
    '{"success":true,"jobs":[{"id":"a","n":1},{"id":"b","x":[1,{"y":null}]}]}',
    ' { "jobs" : [ {"id" : "é"} , 3 , "s" ] , "count" : 2 , "o" : {"k": [1]} } ',
    '{"jobs":[]}',
    "{}",
    "[1, 2]",
    '"text"',
    '{"a": NaN, "b": -1.5e3}',
    '{"jobs":[{"id":"a"}],"jobs":[{"id":"b"}]}',
]


def _plain(value: object) -> object:
    """`value` with its `JsonTexts` decoded again."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, JsonTexts):
        return [decode_element(t) for t in value.texts]
    return value


@pytest.mark.parametrize("text", SAMPLES)
@pytest.mark.parametrize("texts_of", [None, "jobs"])
def test_the_value_is_json_loads_value(text: str, texts_of: str | None) -> None:
    decoded = decode(text.encode(), texts_of)
    assert json.dumps(_plain(decoded)) == json.dumps(json.loads(text))
    if texts_of is None:
        assert "JsonTexts" not in repr(decoded)


def test_the_named_array_comes_as_each_element_s_text() -> None:
    body = decode(SAMPLES[1].encode(), "jobs")
    jobs = body["jobs"]
    assert isinstance(jobs, JsonTexts)
    assert jobs.texts == ['{"id" : "é"}', "3", '"s"']
    assert body["o"] == {"k": [1]}
    assert decode(b'{"jobs": 3}', "jobs") == {"jobs": 3}


@pytest.mark.parametrize(
    "content",
    [
        b'{"a":1}x',
        b'{"a":[1,]}',
        b"{",
        b'{"a" 1}',
        b"",
        b"\xff",
        b'{"jobs":[1 2]}',
        b'{"jobs":[{"a":tru}]}',
    ],
)
def test_what_is_not_json_fails_as_json_loads_does(content: bytes) -> None:
    try:
        json.loads(content)
    except ValueError as exc:
        expected = str(exc)
    with pytest.raises(ValueError, match=re.escape(expected)):
        decode(content, "jobs")


def test_encodings_are_detected_as_json_loads_does() -> None:
    for content in ('\ufeff{"jobs":[{"id":1}]}'.encode(), '{"jobs":[1]}'.encode("utf-16")):
        assert _plain(decode(content, "jobs")) == json.loads(content)


def test_depth_is_bounded_and_raw_json_reads_alike() -> None:
    deep = '{"jobs":[{"id":"a","v":' + "[" * 70 + "]" * 70 + "}]}"
    whole = decode(deep.encode())
    raw = RawJson(decode(deep.encode(), "jobs")["jobs"].texts[0])
    assert TOO_DEEP in json.dumps(whole)
    assert dict(raw) == whole["jobs"][0]


def test_raw_json_knows_which_keys_it_surely_lacks() -> None:
    raw = RawJson('{"id":"a","type":"object"}')
    assert may_have_key(raw, "object")  # the word is there, as a value
    assert raw.get("object") is None
    assert not may_have_key(RawJson('{"id":"a"}'), "object")
    assert may_have_key(RawJson('{"obj\\u0065ct":"x"}'), "object")
    assert RawJson('{"obj\\u0065ct":"x"}')["object"] == "x"
    assert may_have_key({"object": 1}, "object")
    assert not may_have_key({}, "object")
