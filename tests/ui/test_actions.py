"""Pilot tests of the stop/cancel flow against the simulator, checked in its request log."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from tests.ui.test_detail_support import (
    connected,
    in_snapshot,
    new_booking_job,
    notes,
    sim_post,
    wait_until,
    writes_to,
)
from ztui.api.models import Family, Job, JobState
from ztui.dialogs.confirm import ConfirmDialog
from ztui.families import normalise_status
from ztui.families.base import ActionKind
from ztui.ops.stop import action_for, is_actionable, refusal_reason

pytestmark = pytest.mark.anyio


def _job(family: Family, status: str) -> Job:
    return Job(
        family=family,
        id="f" * 32,
        kind="k",
        status=status,
        state=normalise_status(family, status),
    )


@pytest.mark.parametrize(
    ("family", "allowed", "refused"),
    [
        (Family.DATA_BACKFILL, ("Pending", "Processing"), ("Completed", "Stopping", "Stopped")),
        (Family.BOOKING_DATE, ("ACCEPTED", "PROCESSING"), ("COMPLETED", "FAILED", "STOPPED")),
        (Family.PROPAGATION, ("ACCEPTED", "PROCESSING"), ("COMPLETED",)),
        (Family.CUSTOM_OBJECT, ("accepted", "pending"), ("in_progress", "completed", "failed")),
        (Family.AQUA, ("submitted", "executing"), ("completed", "aborted", "cancelled")),
    ],
)
def test_actionable_states_follow_the_api_doc(
    family: Family, allowed: tuple[str, ...], refused: tuple[str, ...]
) -> None:
    for status in allowed:
        assert is_actionable(_job(family, status)), status
        assert refusal_reason(_job(family, status)) is None
    for status in refused:
        assert not is_actionable(_job(family, status)), status
        assert refusal_reason(_job(family, status))


def test_refusal_reasons_say_why() -> None:
    assert refusal_reason(_job(Family.AQUA, "completed")) == (
        "Completed jobs cannot be cancelled (this one is completed)."
    )
    assert "only while accepted or pending" in (
        refusal_reason(_job(Family.CUSTOM_OBJECT, "in_progress")) or ""
    )
    assert "does not know the status 'Accepted'" in (
        refusal_reason(_job(Family.DATA_BACKFILL, "Accepted")) or ""
    )
    assert action_for(Family.CUSTOM_OBJECT).kind is ActionKind.CANCEL
    assert action_for(Family.PROPAGATION).kind is ActionKind.STOP


async def _open_modal(pilot: Any, key: tuple[Family, str]) -> ConfirmDialog:
    pilot.app.request_stop(key)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog), "confirm modal")
    modal = pilot.app.screen
    assert isinstance(modal, ConfirmDialog)
    await wait_until(pilot, lambda: modal.focused is not None, "modal focus")
    return modal


async def test_modal_default_enter_sends_nothing(make_app: Callable[..., Any]) -> None:
    app = make_app()
    seen: list[Any] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await connected(pilot)
        key = await new_booking_job(pilot)
        modal = await _open_modal(pilot, key)
        assert modal.focused is not None
        assert modal.focused.id == "confirm-no"
        assert dict(modal.rows)["Job id"] == key[1]
        assert key in app.stops.pending_keys
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmDialog), "modal closed")
        await pilot.pause(0.1)
        assert await writes_to(app._sim_server, key[1]) == []
        assert key not in app.stops.pending_keys
        assert any("nothing was sent" in n for n in notes(seen))


async def test_escape_and_n_send_nothing(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        key = await new_booking_job(pilot)
        for press in ("escape", "n"):
            await _open_modal(pilot, key)
            await pilot.press(press)
            await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmDialog), "closed")
        assert await writes_to(app._sim_server, key[1]) == []


async def test_y_sends_exactly_one_stop_to_the_right_job(make_app: Callable[..., Any]) -> None:
    app = make_app()
    seen: list[Any] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await connected(pilot)
        key = await new_booking_job(pilot)
        other = await new_booking_job(pilot)
        await _open_modal(pilot, key)
        # Double y: the modal answers once, so one request.
        await pilot.press("y", "y")
        await wait_until(pilot, lambda: key not in app.stops.pending_keys, "action finished")
        writes = await writes_to(app._sim_server, key[1])
        assert [(w["method"], w["status"]) for w in writes] == [("PUT", 200)]
        assert writes[0]["path"].endswith(f"/bookingdate/jobs/{key[1]}")
        assert await writes_to(app._sim_server, other[1]) == []
        # The row shows the new status at once, from the re-read after the stop.
        job = app.jobs.get(*key)
        assert job.state in (JobState.STOPPED, JobState.STOPPING)
        assert any("Stop requested" in n for n in notes(seen))
        intent, entry = [e for e in app.journal.read() if e.job_id == key[1]]
        assert (intent.action, intent.outcome) == ("stop", "sending")
        assert (entry.action, entry.family, entry.outcome) == ("stop", "booking_date", "ok")
        assert entry.http_status == 200
        assert entry.request_id is not None
        assert len(entry.request_id) == 36
        assert entry.track_id == writes[0]["track_id"]  # the stop's own ids, not a poll's


async def test_not_actionable_state_sends_nothing_and_explains(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    seen: list[Any] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await connected(pilot)
        done = next(j for j in app.jobs.jobs.values() if j.state is JobState.SUCCEEDED)
        app.request_stop(done.key)
        await wait_until(pilot, lambda: any("cannot be" in n for n in notes(seen)), "the refusal")
        assert not isinstance(app.screen, ConfirmDialog)
        assert await writes_to(app._sim_server, done.id) == []


async def test_job_finishing_before_confirm_is_refused(make_app: Callable[..., Any]) -> None:
    app = make_app()
    seen: list[Any] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await connected(pilot)
        key = await new_booking_job(pilot)
        await _open_modal(pilot, key)
        # The job completes while the modal is open (the board still says ACCEPTED).
        await sim_post(app._sim_server, "/_sim/outcome", {"job_id": key[1], "outcome": "completed"})
        await sim_post(app._sim_server, "/_sim/clock", {"advance": 3600})
        await pilot.press("y")
        await wait_until(pilot, lambda: key not in app.stops.pending_keys, "action finished")
        assert await writes_to(app._sim_server, key[1]) == []
        assert any("Nothing was sent" in n for n in notes(seen))
        assert app.jobs.get(*key).state is JobState.SUCCEEDED


async def test_custom_object_cancel_sends_one_patch_with_idempotency_key(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        job = await app.client.submit_custom_object_job("vehicle", "default", "create")
        key = (Family.CUSTOM_OBJECT, job.id)
        await in_snapshot(pilot, key)
        await _open_modal(pilot, key)
        await pilot.press("y")
        await wait_until(pilot, lambda: key not in app.stops.pending_keys, "action finished")
        writes = [w for w in await writes_to(app._sim_server, key[1]) if w["method"] != "POST"]
        assert [(w["method"], w["status"]) for w in writes] == [("PATCH", 200)]
        assert writes[0]["path"].endswith(f"/objects/jobs/{job.id}/cancel")
        assert writes[0].get("idempotency_key")
        assert app.jobs.get(*key).status == "cancelled"


async def test_aqua_cancel_sends_one_delete(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        job = await app.client.create_aqua_job(
            {
                "format": "csv",
                "version": "1.1",
                "name": "cancel-me",
                "queries": [{"name": "a", "query": "select Id from Account", "type": "zoql"}],
            }
        )
        key = (Family.AQUA, job.id)
        app.poller.watch_aqua(job.id)
        await in_snapshot(pilot, key)
        await _open_modal(pilot, key)
        await pilot.press("y")
        await wait_until(pilot, lambda: key not in app.stops.pending_keys, "action finished")
        writes = [w for w in await writes_to(app._sim_server, key[1]) if w["method"] != "POST"]
        assert [(w["method"], w["status"]) for w in writes] == [("DELETE", 200)]
        assert app.jobs.get(*key).status == "cancelled"


async def test_production_requires_the_tenant_name(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        app.profile = dataclasses.replace(app.profile, is_production=True, tenant_name="acme")
        key = await new_booking_job(pilot)
        modal = await _open_modal(pilot, key)
        assert modal.typed_phrase == "acme"
        await pilot.press("y", "enter")  # "y" goes into the box; "y" is not "acme"
        await pilot.pause(0.1)
        assert isinstance(app.screen, ConfirmDialog)
        assert await writes_to(app._sim_server, key[1]) == []
        await pilot.press("backspace", *"acme", "enter")
        await wait_until(pilot, lambda: key not in app.stops.pending_keys, "action finished")
        writes = await writes_to(app._sim_server, key[1])
        assert [w["method"] for w in writes] == ["PUT"]


async def test_read_only_profile_sends_nothing(make_app: Callable[..., Any]) -> None:
    app = make_app(read_only=True)
    seen: list[Any] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await connected(pilot)
        # Made behind the API's back: a read-only client cannot create one.
        created = app._sim_server.sim.booking_create()
        running = await in_snapshot(pilot, (Family.BOOKING_DATE, created.id))
        assert is_actionable(running)
        app.request_stop(running.key)
        await wait_until(pilot, lambda: any("read-only" in n for n in notes(seen)), "the refusal")
        assert not isinstance(app.screen, ConfirmDialog)
        assert await writes_to(app._sim_server, running.id) == []
