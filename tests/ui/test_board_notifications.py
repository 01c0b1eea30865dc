"""Notifications: toasts on terminal transitions and connection changes, the command hook."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from ztui.api.models import Family, JobState
from ztui.config.schema import NotifySettings, Settings, UiSettings
from ztui.flows.notify import (
    MAX_SINGLE_TOASTS,
    announce,
    job_payload,
    osc9_sequence,
    run_command,
)
from ztui.service.snapshot import FamilyStatus

from .board_harness import NOW, BoardHarness, make_job, make_snapshot

pytestmark = pytest.mark.anyio


async def test_terminal_transitions_toast_and_failed_ones_stay_longer() -> None:
    app = BoardHarness()
    async with app.run_test(size=(120, 40)) as pilot:
        ok_job = make_job(1, JobState.RUNNING)
        bad_job = make_job(2, JobState.RUNNING)
        before = make_snapshot([ok_job, bad_job], seq=1)
        after = make_snapshot(
            [
                replace(ok_job, state=JobState.SUCCEEDED, status="Completed"),
                replace(bad_job, state=JobState.FAILED, status="Failed", message="bad row"),
            ],
            seq=2,
        )
        announce(app, None, before)
        assert list(app._notifications) == []  # the first snapshot is not news
        announce(app, before, after)
        await pilot.pause()
        toasts = list(app._notifications)
        assert len(toasts) == 2
        by_severity = {toast.severity: toast for toast in toasts}
        assert by_severity["error"].timeout > by_severity["information"].timeout
        assert "bad row" in by_severity["error"].message
        assert by_severity["error"].title == "Data backfill job failed"


async def test_many_transitions_collapse_into_one_summary() -> None:
    app = BoardHarness()
    async with app.run_test(size=(120, 40)) as pilot:
        jobs = [make_job(i) for i in range(MAX_SINGLE_TOASTS + 3)]
        before = make_snapshot(jobs, seq=1)
        after = make_snapshot(
            [replace(j, state=JobState.SUCCEEDED, status="Completed") for j in jobs], seq=2
        )
        announce(app, before, after)
        await pilot.pause()
        toasts = list(app._notifications)
        assert len(toasts) == 1
        assert toasts[0].title == f"{len(jobs)} jobs finished"


async def test_connection_changes_toast_once_per_change_and_fatal_once() -> None:
    app = BoardHarness()
    async with app.run_test(size=(120, 40)) as pilot:
        jobs = [make_job(1)]
        good = make_snapshot(jobs, seq=1)
        stale = make_snapshot(jobs, seq=2, stale=[Family.AQUA])
        still_stale = make_snapshot(jobs, seq=3, stale=[Family.AQUA])
        announce(app, good, stale)
        announce(app, stale, still_stale)
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert len(messages) == 1
        assert "AQuA: data is stale" in messages[0]
        recovered = make_snapshot(jobs, seq=4)
        announce(app, still_stale, recovered)
        await pilot.pause()
        assert "AQuA: connection recovered." in [n.message for n in app._notifications]
        fatal = replace(recovered, seq=5, fatal="Bad credentials: check client_id")
        announce(app, recovered, fatal)
        announce(app, fatal, replace(fatal, seq=6))
        await pilot.pause()
        errors = [n for n in app._notifications if n.severity == "error"]
        assert [n.message for n in errors] == ["Bad credentials: check client_id"]


async def test_toasts_can_be_switched_off() -> None:
    app = BoardHarness()
    app.settings = Settings(ui=UiSettings(notify=NotifySettings(toast=False)))
    async with app.run_test(size=(120, 40)) as pilot:
        job = make_job(1)
        before = make_snapshot([job], seq=1)
        after = make_snapshot([replace(job, state=JobState.FAILED)], seq=2)
        announce(app, before, after)
        await pilot.pause()
        assert list(app._notifications) == []


def test_command_hook_gets_the_job_as_json_on_stdin(tmp_path: Path) -> None:
    out = tmp_path / "payload.json"
    script = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_bytes(sys.stdin.buffer.read())"
    job = make_job(3, JobState.FAILED, family=Family.AQUA)
    thread = run_command([sys.executable, "-c", script, str(out)], job_payload(job, "demo"))
    thread.join(timeout=20)
    payload = json.loads(out.read_text())
    assert payload["id"] == job.id
    assert payload["family"] == "aqua"
    assert payload["state"] == "failed"
    assert payload["profile"] == "demo"


def test_command_hook_failure_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    thread = run_command(["/nonexistent/ztui-notify"], {"id": "x"})
    thread.join(timeout=10)
    assert "notify command" in caplog.text


def test_osc9_sequence_strips_control_characters() -> None:
    assert osc9_sequence("done\x1b]0;evil\x07") == "\x1b]9;done ]0;evil \x07"


def test_family_status_pending_to_ok_is_quiet() -> None:
    status = FamilyStatus(Family.AQUA, "ok", as_of=NOW)
    from ztui.flows.notify import _family_change

    assert _family_change(None, status) is None
