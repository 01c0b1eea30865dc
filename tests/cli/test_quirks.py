"""The headless commands against the simulator's real-tenant mode (docs/tolerance.md).

`ztui jobs --json --all` ends by itself and lists every readable job of every family
(every custom-object page included), the unreadable ones as such; a cancel that reaches
an AQuA job after it finished is a refusal; a profile naming two entities is refused
before anything is sent.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ztui.api.models import Family
from ztui.sim import quirks
from ztui.store.journal import Journal

from .helpers import SLOW_SIM, Sim, Ztui, finish, no_traceback


def _write_config(text: str) -> Path:
    path = Path(os.environ["ZTUI_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_two_entity_ids_are_refused_before_any_request(make_sim: Callable[..., Any]) -> None:
    sim = Sim(make_sim(jobs=5, quirks=True))
    path = _write_config(
        "[profiles.two]\n"
        f'base_url = "{sim.url}"\n'
        'entity_ids = ["0e5c1b2a-3d4f-4a6b-8c7d-9e0f1a2b3c4d", '
        '"1e5c1b2a-3d4f-4a6b-8c7d-9e0f1a2b3c4d"]\n'
    )
    runner = Ztui(sim)
    before = len(sim.requests())
    commands = (
        ("jobs", "--profile", "two"),
        ("config", "check", "--profile", "two"),
        ("--profile", "two"),  # the app's start-up
    )
    for command in commands:
        result = runner.run(*command)
        no_traceback(result)
        assert result.code == 2, result
        assert str(path) in result.err
        assert "line 3" in result.err
        assert "profiles.two.entity_ids" in result.err
        assert "one entity per profile" in result.err
    assert len(sim.requests()) == before
    sim.close()


def test_stop_of_an_aqua_job_that_finished_during_the_cancel_exits_non_zero(
    make_sim: Callable[..., Any],
) -> None:
    """The DELETE reaches the job just after it finished: 200, `errorCode`, a refusal."""
    sim = Sim(make_sim(quirks=True, **SLOW_SIM))
    runner = Ztui(sim)
    [job_id] = sim.create(Family.AQUA)
    sim.advance(15)  # executing
    route = f"DELETE /v1/batch-query/jobs/{job_id}"
    sim.fault(kind="latency", route=route, delay_s=2.0, times=1)
    proc = runner.start("stop", job_id, "--yes")
    deadline = time.monotonic() + 20
    while not any(
        r.get("method") == "DELETE" and job_id in str(r.get("path")) for r in sim.requests()
    ):
        assert time.monotonic() < deadline, "the cancel never reached the simulator"
        time.sleep(0.05)
    sim.advance(400)  # the job finishes while the DELETE is held
    result = finish(proc, 30)
    no_traceback(result)
    assert result.code == 1, result
    assert "before the cancel reached it" in result.err
    assert f"Job {job_id} is completed and cannot be cancelled." in result.err
    assert "90003" in result.err
    intent, entry = [e for e in Journal().read() if e.action == "cancel"]
    assert intent.outcome == "sending"  # written before the cancel was sent
    assert entry.outcome == "refused"
    assert entry.job_id == job_id
    assert "90003" in entry.message
    sim.close()


def test_jobs_json_all_ends_by_itself_and_lists_every_readable_job(
    make_sim: Callable[..., Any],
) -> None:
    import json

    sim = Sim(make_sim(jobs=300, quirks=True))
    wire = sim.jobs()
    runner = Ztui(sim)
    started = time.monotonic()
    result = runner.run("jobs", "--json", "--all", timeout=60)
    elapsed = time.monotonic() - started
    no_traceback(result)
    assert result.code == 0, result
    assert elapsed < 20  # no retry loop
    listed = json.loads(result.out)
    for family in ("data_backfill", "booking_date", "propagation", "custom_object"):
        readable = {j["id"] for j in listed if j["family"] == family and j["state"] != "unreadable"}
        assert readable == {str(j.get("id") or j.get("Id")) for j in wire[family]}, family
    assert len(wire["custom_object"]) > 40  # more than two pages of 20
    unreadable = [j for j in listed if j["state"] == "unreadable"]
    assert len(unreadable) == 4
    by_family = {j["family"]: j for j in unreadable}
    assert by_family["data_backfill"]["id"] is None
    assert by_family["data_backfill"]["raw"] == quirks.UNREADABLE["data_backfill"]
    assert by_family["propagation"]["raw"] == quirks.UNREADABLE["propagation"]
    assert by_family["booking_date"]["id"] == quirks.UNREADABLE_BOOKING_ID
    assert by_family["custom_object"]["id"] == quirks.UNREADABLE_CO_ID
    warnings = [line for line in result.err.splitlines() if "could not be read" in line]
    assert len(warnings) == 4
    assert "left out" not in result.err  # no family is missing
    # The table lists the readable jobs only, and warns the same way.
    table = runner.run("jobs", "--all", "--family", "booking-date", timeout=60)
    assert table.code == 0, table
    assert quirks.UNREADABLE_BOOKING_ID not in table.out
    assert len(table.lines) == 1 + len(wire["booking_date"])  # header + one row each
    assert quirks.UNREADABLE_BOOKING_ID in table.err
    sim.close()


def test_an_unusable_list_answer_is_reported_once_not_retried(
    make_sim: Callable[..., Any],
) -> None:
    sim = Sim(make_sim(jobs=20))
    sim.fault(kind="malformed", route="GET /v1/uno/data-backfill/bookingdate/jobs")
    runner = Ztui(sim)
    before = len(sim.requests())
    result = runner.run("jobs", "--json", "--family", "booking-date", timeout=60)
    no_traceback(result)
    assert result.code == 1, result
    assert result.err.count("Booking date") == 1
    assert "retrying" not in result.err
    calls = [r for r in sim.requests()[before:] if r["path"].endswith("/bookingdate/jobs")]
    assert len(calls) == 1
    sim.close()


def test_watch_of_a_job_that_comes_back_unreadable_ends_as_an_error() -> None:
    import io

    from ztui.api.models import unreadable_job
    from ztui.cli.headless.exitcodes import ExitCode
    from ztui.cli.headless.watch import Watch, WatchOptions

    job_id = "a" * 32
    out, err = io.StringIO(), io.StringIO()
    watch = Watch(object(), WatchOptions(ids=(job_id,)), out=out, err=err)  # type: ignore[arg-type]
    item = watch.tracked[job_id]
    odd = unreadable_job(Family.BOOKING_DATE, {"id": job_id, "status": 3}, "Unreadable: status")
    watch._show(item, odd)
    assert item.outcome is ExitCode.ERROR
    assert f"{job_id}  error" in out.getvalue()
    assert "unreadable" in out.getvalue()
