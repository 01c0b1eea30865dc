"""`ztui jobs`, `show`, `errors` and `stop` against the simulator, as scripts use them."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ztui.api.client import ZuoraClient
from ztui.api.models import Family
from ztui.core.secret import Secret
from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from ztui.store.journal import Journal, JournalEntry

from .helpers import Sim, Ztui, no_traceback

UNKNOWN_HEX = "0123456789abcdef0123456789abcdef"


def _wire_id(job: dict[str, Any]) -> str:
    return str(job.get("id") or job.get("Id"))


@pytest.fixture
def seeded(make_sim: Callable[..., Any]) -> Sim:
    """A simulator with a seeded scenario of every family."""
    return Sim(make_sim(jobs=40, seed=7))


def test_jobs_json_lists_every_simulator_job(seeded: Sim) -> None:
    """--json and --jsonl parse and hold every job, with normalised and raw fields.

    AQuA has no list endpoint: the board follows the AQuA jobs the journal knows, and
    `--aqua-id` adds others.
    """
    wire = seeded.jobs()
    aqua = [_wire_id(j) for j in wire["aqua"]]
    assert len(aqua) >= 2
    # One journal entry: the board follows it; the rest come in with --aqua-id.
    Journal().append(
        JournalEntry(
            family="aqua",
            action="create",
            profile="default",
            host=seeded.url.split("://", 1)[1],
            job_id=aqua[0],
            outcome="ok",
        )
    )
    extra = [arg for job_id in aqua[1:] for arg in ("--aqua-id", job_id)]
    ztui = Ztui(seeded)
    as_json, as_jsonl = ztui.run_all(
        [("jobs", "--json", "--all", *extra), ("jobs", "--jsonl", "--all", *extra)]
    )
    for result in (as_json, as_jsonl):
        no_traceback(result)
        assert result.code == 0, result.err
    listed = json.loads(as_json.out)
    assert [json.loads(line) for line in as_jsonl.lines] == listed
    expected = {(family, _wire_id(job)): job for family, jobs in wire.items() for job in jobs}
    assert {(item["family"], item["id"]) for item in listed} == set(expected)
    assert len(listed) == len(expected)
    for item in listed:
        raw = expected[(item["family"], item["id"])]
        assert item["raw"]["status"] == raw["status"]
        assert item["status"] == raw["status"]
        assert item["state"] in {
            "queued",
            "running",
            "stopping",
            "succeeded",
            "failed",
            "cancelled",
            "stopped",
            "unknown",
        }
        assert isinstance(item["terminal"], bool)
    created = [item["created_at"] for item in listed if item["created_at"]]
    assert created == sorted(created, reverse=True)  # the board's order: newest first


def test_jobs_hides_old_finished_jobs_like_the_board(seeded: Sim) -> None:
    """Without --all, finished jobs older than the board's cut-off are left out (and
    counted on stderr); filters narrow the list."""
    ztui = Ztui(seeded)
    full, board, co_done, table = ztui.run_all(
        [
            ("jobs", "--json", "--all"),
            ("jobs", "--json"),
            ("jobs", "--json", "--all", "--family", "co", "--state", "finished"),
            ("jobs", "--all", "--family", "data_backfill,booking"),
        ]
    )
    every = json.loads(full.out)
    shown = json.loads(board.out)
    cutoff = datetime.now(UTC) - timedelta(days=7)

    def old_and_done(item: dict[str, Any]) -> bool:
        stamp = item["updated_at"] or item["created_at"]
        return bool(item["terminal"] and stamp and datetime.fromisoformat(stamp) < cutoff)

    assert [i for i in every if not old_and_done(i)] == shown
    hidden = len(every) - len(shown)
    if hidden:
        assert f"{hidden} finished job(s)" in board.err
    co = json.loads(co_done.out)
    assert co
    assert {i["family"] for i in co} == {"custom_object"}
    assert all(i["terminal"] for i in co)
    lines = table.out.splitlines()
    assert lines[0].split()[:2] == ["Family", "Id"]
    uno = {i["id"] for i in every if i["family"] in ("data_backfill", "booking_date")}
    assert {line.split("  ")[1].strip() for line in lines[1:] if line.strip()} <= uno
    assert len(lines) - 1 == len(uno)


def test_show(seeded: Sim) -> None:
    """`show` finds the id in any family; --json carries raw fields and AQuA batches."""
    wire = seeded.jobs()
    aqua_id = _wire_id(wire["aqua"][0])
    co_id = _wire_id(wire["custom_object"][0])
    db_id = _wire_id(wire["data_backfill"][0])
    ztui = Ztui(seeded)
    aqua, co, db, missing, wrong_family = ztui.run_all(
        [
            ("show", aqua_id, "--json"),
            ("show", co_id),
            ("show", db_id, "--json"),
            ("show", UNKNOWN_HEX),
            ("show", db_id, "--family", "booking_date"),
        ]
    )
    data = json.loads(aqua.out)
    assert data["family"] == "aqua"
    assert data["raw"]["id"] == aqua_id
    assert len(data["batches"]) == len(wire["aqua"][0]["batches"])
    assert co.code == 0
    assert f"id:         {co_id}" in co.out
    assert "family:     Custom object" in co.out
    assert json.loads(db.out)["raw"] == wire["data_backfill"][0] | json.loads(db.out)["raw"]
    for result in (missing, wrong_family):
        no_traceback(result)
        assert result.code == 6
        assert "not found" in result.err
        assert len(result.err.strip().splitlines()) == 1


def _co_job_with_row_errors(sim: Sim) -> str:
    async def make() -> str:
        async with ZuoraClient(
            sim.url, client_id=DEMO_CLIENT_ID, client_secret=Secret(DEMO_CLIENT_SECRET)
        ) as client:
            job = await client.submit_custom_object_job(
                object="vehicle", namespace="default", operation="update"
            )
            body = (
                "Id,brand__c\r\n"
                "not-a-uuid,Volvo\r\n"
                "5f3c7a9e-1b2d-4c3e-8f4a-0123456789ab,Kia\r\n"
                "12345,Ford\r\n"
            )
            await client.upload_custom_object_file(job.id, body.encode())
            return job.id

    job_id = asyncio.run(make())
    sim.advance(30)
    return job_id


def test_errors_of_a_custom_object_job(slow_sim: Sim, ztui: Ztui, tmp_path: Path) -> None:
    """Row errors as a table, as JSON, and as the failed-rows CSV (file or stdout)."""
    job_id = _co_job_with_row_errors(slow_sim)
    dest = tmp_path / "out" / "failed.csv"
    table, as_json, to_file, to_stdout = ztui.run_all(
        [
            ("errors", job_id),
            ("errors", job_id, "--json"),
            ("errors", job_id, "--csv", str(dest)),
            ("errors", job_id, "--csv", "-"),
        ]
    )
    for result in (table, as_json, to_file, to_stdout):
        no_traceback(result)
        assert result.code == 0, result.err
    errors = json.loads(as_json.out)
    assert [e["row"] for e in errors] == [2, 4]
    assert all(e["code"] == "71012520" for e in errors)
    assert "not a valid UUID" in table.out
    assert table.out.splitlines()[0].split() == ["ROW", "CODE", "MESSAGE", "RECORD"]
    assert "wrote 2 failed row(s)" in to_file.err
    rows = list(csv.DictReader(io.StringIO(dest.read_text(encoding="utf-8"))))
    assert [r["brand__c"] for r in rows] == ["Volvo", "Ford"]
    assert to_stdout.out == dest.read_text(encoding="utf-8")


def test_errors_of_other_families(seeded: Sim) -> None:
    """Families without a row-error list show the job's own messages; --csv is refused."""
    wire = seeded.jobs()
    aborted = [j for j in wire["aqua"] if j["status"] == "aborted"]
    failed_db = [j for j in wire["data_backfill"] if j["status"] == "Failed"]
    ztui = Ztui(seeded)
    commands: list[tuple[str, ...]] = [
        ("errors", _wire_id(wire["booking_date"][0]), "--csv", "x.csv")
    ]
    if aborted:
        commands.append(("errors", _wire_id(aborted[0]), "--json"))
    if failed_db:
        commands.append(("errors", _wire_id(failed_db[0])))
    refused, *others = ztui.run_all(commands)
    assert refused.code == 1
    assert "custom-object jobs only" in refused.err
    assert others, "the seeded scenario should hold a failed job"
    for result in others:
        assert result.code == 0, result.err
        assert result.out.strip()


def _writes(sim: Sim) -> list[dict[str, Any]]:
    return [r for r in sim.requests() if r.get("method") in ("PUT", "PATCH", "DELETE")]


def test_stop_refusals_send_nothing(slow_sim: Sim, ztui: Ztui) -> None:
    """Read-only, no terminal without --yes, or a finished job: nothing reaches the server."""
    [running, finished] = slow_sim.create(Family.DATA_BACKFILL, 2)
    slow_sim.outcome(finished, "completed")
    slow_sim.advance(3)
    read_only = ztui.run("stop", running, "--yes", "--read-only")
    env_read_only = ztui.run("stop", running, "--yes", env={"ZTUI_READ_ONLY": "1"})
    no_tty = ztui.run("stop", running)
    done = ztui.run("stop", finished, "--yes")
    for result in (read_only, env_read_only):
        no_traceback(result)
        assert result.code == 8
        assert "read-only" in result.err
        assert "nothing was sent" in result.err
    assert no_tty.code == 2
    assert "--yes" in no_tty.err
    assert done.code == 8
    assert "Nothing was sent" in done.err
    assert _writes(slow_sim) == []
    ok = ztui.run("stop", running, "--yes")
    assert ok.code == 0, ok.err
    assert len(_writes(slow_sim)) == 1
    again = ztui.run("stop", running, "--yes")
    assert again.code == 8  # already stopping
    assert len(_writes(slow_sim)) == 1


def test_jobs_into_a_closed_pipe_ends_quietly(make_sim: Callable[..., Any]) -> None:
    """`ztui jobs --jsonl | head -1`: no traceback when the reader leaves early."""

    server = make_sim(jobs=400, seed=5)
    sim = Sim(server)
    try:
        proc = Ztui(sim).start("jobs", "--jsonl", "--all")
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("{")
        proc.stdout.close()  # the reader goes away with most of the output unread
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0
        assert "Traceback" not in err
        assert "BrokenPipe" not in err
    finally:
        sim.close()
