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
    """Row errors as a table, as JSON, and as the failed-rows CSV (file or stdout); a job
    with errors exits 3."""
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
        assert result.code == 3, result.err
    errors = json.loads(as_json.out)
    assert [e["row"] for e in errors] == [2, 4]
    assert all(e["code"] == "71012520" for e in errors)
    assert "not a valid UUID" in table.out
    assert table.out.splitlines()[0].split() == ["ROW", "CODE", "MESSAGE", "RECORD"]
    assert "Wrote 2 failed row(s)" in to_file.err
    rows = list(csv.DictReader(io.StringIO(dest.read_text(encoding="utf-8"))))
    assert [r["brand__c"] for r in rows] == ["Volvo", "Ford"]
    # A custom-object upload takes only the object's fields: the errors go beside it.
    assert not any(name.startswith(("error", "#")) for name in rows[0])
    side = list(csv.DictReader((tmp_path / "out" / "failed.errors.csv").open(encoding="utf-8")))
    assert [(r["line"], r["source_row"], r["error_code"]) for r in side] == [
        ("2", "2", "71012520"),
        ("3", "4", "71012520"),
    ]
    assert to_stdout.out == dest.read_text(encoding="utf-8")

    # The loop: export → edit → check → send.
    from ztui.ops.preflight import CheckTarget, check_file

    target = CheckTarget("custom_object", "update")
    # Zuora does not echo a malformed id: the key column is there, blank, to fill in, and
    # the pre-flight check says which lines still need one.
    assert dest.read_text(encoding="utf-8") == "Id,brand__c\n,Volvo\n,Ford\n"
    unedited = check_file(dest, target=target)
    assert [(f.code, f.line) for f in unedited.errors] == [("id-blank", 2), ("id-blank", 3)]
    dest.write_text(
        "Id,brand__c\n"
        "0f3c7a9e-1b2d-4c3e-8f4a-0123456789ab,Volvo\n"
        "1f3c7a9e-1b2d-4c3e-8f4a-0123456789ab,Ford\n",
        encoding="utf-8",
    )
    report = check_file(dest, target=target)
    assert report.ok, report.findings
    resent = asyncio.run(_upload_update(slow_sim, dest.read_bytes()))
    slow_sim.advance(30)
    again = ztui.run("errors", resent)
    assert again.code == 0, again.err
    assert "reports no errors" in again.err


async def _upload_update(sim: Sim, data: bytes) -> str:
    async with ZuoraClient(
        sim.url, client_id=DEMO_CLIENT_ID, client_secret=Secret(DEMO_CLIENT_SECRET)
    ) as client:
        job = await client.submit_custom_object_job(
            object="vehicle", namespace="default", operation="update"
        )
        await client.upload_custom_object_file(job.id, data)
        return job.id


def _viewer_answer(sim: Sim, family: Family, job_id: str) -> tuple[int, bool]:
    """How many errors the error viewer's loader finds, and whether the job failed."""
    from ztui.ops.job_errors import fetch_job_errors

    async def load() -> tuple[int, bool]:
        async with ZuoraClient(
            sim.url, client_id=DEMO_CLIENT_ID, client_secret=Secret(DEMO_CLIENT_SECRET)
        ) as client:
            fetched = await fetch_job_errors(client, await client.get_job(family, job_id))
            return len(fetched.errors), fetched.failed

    return asyncio.run(load())


def test_errors_give_the_error_viewers_answer_for_every_family(seeded: Sim) -> None:
    """A failed job of each family: the same errors as the viewer, and never exit 0."""
    wire = seeded.jobs()
    picks: list[tuple[Family, str]] = []
    for family in Family:
        for job in wire[family.value]:
            failed = job.get("failedCount") or job.get("errorCount") or job.get("errorCode")
            if failed or str(job.get("status", "")).lower() in ("failed", "aborted"):
                picks.append((family, _wire_id(job)))
                break
    assert len(picks) >= 3, picks
    ztui = Ztui(seeded)
    results = ztui.run_all([("errors", job_id, "--json") for _, job_id in picks])
    for (family, job_id), result in zip(picks, results, strict=True):
        no_traceback(result)
        count, failed = _viewer_answer(seeded, family, job_id)
        assert failed, (family, job_id)
        assert result.code == 3, (family, result.err)
        assert len(json.loads(result.out)) == count, family
        assert "reports no errors" not in result.err


def test_errors_csv_of_a_job_without_rows_is_refused(seeded: Sim) -> None:
    """Booking-date jobs have no failed rows to re-upload: --csv says so and writes nothing."""
    wire = seeded.jobs()
    ztui = Ztui(seeded)
    refused = ztui.run("errors", _wire_id(wire["booking_date"][0]), "--csv", "x.csv")
    assert refused.code in (1, 3)
    assert "no failed rows to export" in refused.err
    assert not Path("x.csv").exists()


async def _create_backfill(sim: Sim, data: bytes) -> str:
    async with ZuoraClient(
        sim.url, client_id=DEMO_CLIENT_ID, client_secret=Secret(DEMO_CLIENT_SECRET)
    ) as client:
        return await client.create_data_backfill_job("RatePlanCharge", data, filename="f.csv")


def test_errors_of_a_data_backfill_job_list_its_result_file_rows(
    slow_sim: Sim, ztui: Ztui, tmp_path: Path
) -> None:
    """The failed rows of the result file, and a fix file the pre-flight accepts."""
    from ztui.ops.preflight import CheckTarget, check_file
    from ztui.sim.uno import TEMPLATES, synth_rows
    from ztui.sim.util import csv_bytes

    header_with_notes = list(TEMPLATES["RatePlanCharge"])
    header, rows = synth_rows("RatePlanCharge", 6, "fix-loop")
    for n in (1, 4):
        rows[n][3] = "invalid-value"
    job_id = asyncio.run(_create_backfill(slow_sim, csv_bytes(header, rows)))
    slow_sim.advance(3600)
    listed = ztui.run("errors", job_id, "--json")
    assert listed.code == 3, listed.err
    errors = json.loads(listed.out)
    assert sorted(e["row"] for e in errors if e["row"] is not None) == [3, 6]
    dest = tmp_path / "fix.csv"
    exported = ztui.run("errors", job_id, "--csv", str(dest))
    assert exported.code == 3, exported.err
    text = dest.read_text(encoding="utf-8")
    assert text.splitlines()[0].split(",")[-3:] == ["#error_row", "#error_code", "#error_message"]
    assert text.count(",invalid-value,") == 2  # the two failed rows, as uploaded
    target = CheckTarget("data_backfill", template_header=header_with_notes)
    # The loop: export → edit → check → send.
    dest.write_text(text.replace("invalid-value", "Upon Booking"), encoding="utf-8")
    report = check_file(dest, target=target)
    assert report.ok, report.findings
    assert report.row_count == 2
    resent = asyncio.run(_create_backfill(slow_sim, dest.read_bytes()))
    slow_sim.advance(3600)
    again = ztui.run("errors", resent)
    assert again.code == 0, again.err
    assert "reports no errors" in again.err


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
    assert no_tty.code == 8  # not confirmed: nothing was sent
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


def test_jobs_mark_the_dry_runs_the_journal_knows(seeded: Sim) -> None:
    """The simulator does not echo `dryRun`; `ztui jobs` marks a dry run from the journal,
    in the table and in `--json`, and leaves the others alone."""
    wire = seeded.jobs()
    dry, real = (_wire_id(job) for job in wire["propagation"][:2])
    host = seeded.url.split("://", 1)[1]
    for job_id, flag in ((dry, True), (real, False)):
        Journal().append(
            JournalEntry(
                family="propagation",
                action="create",
                profile="default",
                host=host,
                job_id=job_id,
                outcome="ok",
                extra={"type": "RatePlanCharge", "dry_run": flag},
            )
        )
    as_json, as_table = Ztui(seeded).run_all(
        [("jobs", "--json", "--all", "--family", "propagation"), ("jobs", "--all")]
    )
    for result in (as_json, as_table):
        no_traceback(result)
        assert result.code == 0, result.err
    flags = {item["id"]: item["dry_run"] for item in json.loads(as_json.out)}
    assert flags[dry] is True
    assert flags[real] is None  # neither the job nor the journal says it is a dry run
    (line,) = [line for line in as_table.lines if dry in line]
    assert "(dry run)" in line
    assert not [line for line in as_table.lines if real in line and "(dry run)" in line]
