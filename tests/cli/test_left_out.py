"""`ztui jobs` says what it left out: on stderr, and with `--json --meta` in the output."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .helpers import Sim, Ztui, no_traceback


def test_fifteen_thousand_custom_object_jobs_and_what_was_left_out(
    make_sim: Callable[..., Any],
) -> None:
    sim = Sim(make_sim(jobs=0, co_jobs=15_000))
    ztui = Ztui(sim)
    everything, recent, bare = ztui.run_all(
        [
            ("jobs", "--family", "custom_object", "--all", "--json", "--meta"),
            ("jobs", "--family", "custom_object", "--json", "--meta"),
            ("jobs", "--family", "custom_object", "--json"),
        ],
        timeout=120,
    )
    for result in (everything, recent, bare):
        no_traceback(result)
        assert result.code == 0, result.err
    listed = json.loads(everything.out)
    assert len(listed["jobs"]) == 15_000
    assert listed["meta"] == {"complete": True, "left_out": []}

    shown = json.loads(recent.out)
    (age,) = shown["meta"]["left_out"]
    assert shown["meta"]["complete"] is False
    assert age["reason"] == "age"
    assert age["how_to_see"] == "ztui jobs --all"
    assert age["count"] > 0
    assert len(shown["jobs"]) + age["count"] == 15_000
    assert f"{age['count']} finished job(s) older than 7d hidden" in recent.err

    # Without --meta the output stays the bare array scripts already read.
    plain = json.loads(bare.out)
    assert isinstance(plain, list)
    assert plain == shown["jobs"]


def test_meta_goes_with_json_only(slow_sim: Sim, ztui: Ztui) -> None:
    result = ztui.run("jobs", "--meta")
    assert result.code == 2
    assert "--meta goes with --json" in result.err


def test_a_failing_family_is_in_the_meta(slow_sim: Sim, ztui: Ztui) -> None:
    slow_sim.fault(route="GET /v1/uno/data-backfill/bookingdate/jobs", kind="status", status=400)
    result = ztui.run("jobs", "--json", "--meta")
    no_traceback(result)
    assert result.code == 1
    meta = json.loads(result.out)["meta"]
    assert meta["complete"] is False
    assert [(i["reason"], i["family"]) for i in meta["left_out"]] == [("failed", "booking_date")]
