"""`ztui.api.jsontext.decode`: `json.loads`' value, with the text of each listed job."""

from __future__ import annotations

import json
import re

import pytest

from ztui.api.jsontext import TOO_DEEP, JsonArray, decode
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


@pytest.mark.parametrize("text", SAMPLES)
def test_the_value_is_json_loads_value(text: str) -> None:
    decoded = decode(text.encode())
    assert json.dumps(decoded) == json.dumps(json.loads(text))


def test_top_level_arrays_carry_each_element_s_text() -> None:
    body = decode(SAMPLES[1].encode())
    jobs = body["jobs"]
    assert isinstance(jobs, JsonArray)
    assert jobs.texts == ['{"id" : "é"}', "3", '"s"']
    assert [json.loads(t) for t in jobs.texts] == list(jobs)
    assert not isinstance(body["o"]["k"], JsonArray)


@pytest.mark.parametrize(
    "content",
    [b'{"a":1}x', b'{"a":[1,]}', b"{", b'{"a" 1}', b"", b"\xff", b'{"jobs":[1 2]}'],
)
def test_what_is_not_json_fails_as_json_loads_does(content: bytes) -> None:
    try:
        json.loads(content)
    except ValueError as exc:
        expected = str(exc)
    with pytest.raises(ValueError, match=re.escape(expected)):
        decode(content)


def test_encodings_are_detected_as_json_loads_does() -> None:
    for content in ('\ufeff{"jobs":[{"id":1}]}'.encode(), '{"jobs":[1]}'.encode("utf-16")):
        assert decode(content) == json.loads(content)


def test_depth_is_bounded_and_raw_json_reads_alike() -> None:
    deep = '{"jobs":[{"id":"a","v":' + "[" * 70 + "]" * 70 + "}]}"
    body = decode(deep.encode())
    raw = RawJson(body["jobs"].texts[0])
    assert TOO_DEEP in json.dumps(body)
    assert dict(raw) == body["jobs"][0]


def test_raw_json_knows_which_keys_it_surely_lacks() -> None:
    raw = RawJson('{"id":"a","type":"object"}')
    assert may_have_key(raw, "object")  # the word is there, as a value
    assert raw.get("object") is None
    assert not may_have_key(RawJson('{"id":"a"}'), "object")
    assert may_have_key(RawJson('{"obj\\u0065ct":"x"}'), "object")
    assert RawJson('{"obj\\u0065ct":"x"}')["object"] == "x"
    assert may_have_key({"object": 1}, "object")
    assert not may_have_key({}, "object")
