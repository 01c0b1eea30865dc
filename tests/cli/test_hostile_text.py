"""Server text printed by the headless commands is shown, never obeyed by the terminal.

An AQuA job's name and a data-backfill job's file name are chosen by whoever created the
job and come back in every answer; here they carry an OSC 52 clipboard write, a screen
clear, a one-byte C1 CSI and a bidi override.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from dataclasses import dataclass

import pytest

from ztui.api.client import ZuoraClient
from ztui.core.sanitize import UNSAFE_RE
from ztui.core.secret import Secret
from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

from .helpers import AQUA_BODY, Sim, Ztui, finish, no_traceback

HOSTILE = "n\x1b]52;c;cm0g\x07\x1b[2J\x9b31m\u202eexe"
"""25 characters: AQuA job names are at most 32."""


@dataclass(frozen=True)
class Hostile:
    aqua_id: str
    backfill_id: str
    file_name: str
    """The data-backfill file name as the server keeps it."""


async def _create(sim: Sim) -> tuple[str, str]:
    from ztui.sim.uno import synth_rows
    from ztui.sim.util import csv_bytes

    async with ZuoraClient(
        sim.url, client_id=DEMO_CLIENT_ID, client_secret=Secret(DEMO_CLIENT_SECRET)
    ) as client:
        aqua = await client.create_aqua_job({**AQUA_BODY, "name": HOSTILE})
        header, rows = synth_rows("RatePlanCharge", 10, "hostile")
        backfill = await client.create_data_backfill_job(
            "RatePlanCharge", csv_bytes(header, rows), filename=f"{HOSTILE}.csv"
        )
        return aqua.id, backfill


@pytest.fixture
def hostile(slow_sim: Sim) -> Hostile:
    aqua_id, backfill_id = asyncio.run(_create(slow_sim))
    wire = [
        j
        for jobs in slow_sim.jobs().values()
        for j in jobs
        if backfill_id in (j.get("id"), j.get("Id"))
    ]
    name = str(wire[0]["uploadedFileName"])
    assert "\x1b" in name  # the server kept the controls
    assert "\x9b" in name
    return Hostile(aqua_id, backfill_id, name)


def _assert_inert(text: str) -> None:
    for char in ("\x1b", "\x9b", "\u202e"):
        assert char not in text, repr(text)
    assert UNSAFE_RE.search(text.replace("\r\n", "\n")) is None, repr(text)


def test_jobs_and_show_show_the_escapes_instead_of_sending_them(
    ztui: Ztui, hostile: Hostile
) -> None:
    results = [
        ztui.run("jobs", "--all"),
        ztui.run("show", hostile.aqua_id),
        ztui.run("show", hostile.backfill_id),
    ]
    for result in results:
        assert result.code == 0, result.err
        no_traceback(result)
        _assert_inert(result.out)
        _assert_inert(result.err)
    # Still recognisable: each control is drawn by a stand-in.
    assert "n␛]52;c;cm0g␇␛[2J\\u009b31m\\u202eexe" in results[1].out
    assert "\\u009b31m\\u202eexe.csv" in results[2].out


def test_json_output_is_inert_and_the_exact_value(ztui: Ztui, hostile: Hostile) -> None:
    listing = ztui.run("jobs", "--all", "--json")
    aqua = ztui.run("show", hostile.aqua_id, "--json")
    lines = ztui.run("jobs", "--all", "--jsonl")
    for result in (listing, aqua, lines):
        assert result.code == 0, result.err
        _assert_inert(result.out)
    listed = {j["id"]: j for j in json.loads(listing.out)}
    assert listed[hostile.backfill_id]["raw"]["uploadedFileName"] == hostile.file_name
    assert json.loads(aqua.out)["raw"]["name"] == HOSTILE
    per_line = {j["id"]: j for j in map(json.loads, lines.lines)}
    assert per_line[hostile.backfill_id]["raw"]["uploadedFileName"] == hostile.file_name


def test_watch_lines_are_inert(slow_sim: Sim, ztui: Ztui, hostile: Hostile) -> None:
    proc = ztui.start("watch", hostile.aqua_id, hostile.backfill_id)
    try:
        slow_sim.outcome(hostile.aqua_id, "completed")
        slow_sim.outcome(hostile.backfill_id, "completed")
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            slow_sim.advance(30)
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    result = finish(proc, 30)
    no_traceback(result)
    assert result.lines, result.err
    _assert_inert(result.out)
    _assert_inert(result.err)
