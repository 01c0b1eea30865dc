"""Pilot tests of the new-job screen against the simulator: every family end to end, the
fault cases (exactly one job afterwards), the file checks, read-only and production."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Checkbox, Input, Select, TextArea

from tests.ui.test_detail_support import (
    connected,
    notes,
    requests_log,
    sim_get,
    sim_post,
    wait_until,
)
from ztui.api.models import Family
from ztui.dialogs.choice import ChoiceModal
from ztui.dialogs.confirm import ConfirmDialog
from ztui.flows import submission
from ztui.screens.new_job import NewJobScreen
from ztui.store.journal import Journal
from ztui.view.columns import DRY_RUN

pytestmark = pytest.mark.anyio

GOOD_DB = "ProductRatePlanChargeId,ProductFamily\n" + "".join(
    f"{i:032x},Hardware\n" for i in range(1, 6)
)
BLANKS_DB = "ProductRatePlanChargeId,ProductFamily,ProductLine\n" + "".join(
    f"{i:032x},Hardware,{'' if i % 2 else 'Line'}\n" for i in range(1, 6)
)
BAD_DB = "ProductRatePlanChargeId,NotAColumn\n" + f"{1:032x},x\n"
CO_CSV = "name__c,brand__c\nAlpha,x\nBeta,y\n"


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """No real waiting: client retries, re-reads, the large-file countdown, the queue."""
    monkeypatch.setattr("ztui.api.transport.backoff_delay", lambda *a, **k: 0.0)
    monkeypatch.setattr(submission, "REREAD_DELAY_S", 0.05)
    monkeypatch.setattr(submission, "SEND_DELAY_S", 0.0)
    monkeypatch.setattr(submission, "QUEUE_POLL_S", 0.1)


def _write(home: Path, name: str, text: str) -> Path:
    folder = home / "uploads"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


async def _open(pilot: Any, family: Family) -> NewJobScreen:
    app: Any = pilot.app
    await connected(pilot)
    await pilot.press("u")
    await wait_until(pilot, lambda: isinstance(app.screen, NewJobScreen), "new-job screen")
    screen = app.screen
    assert isinstance(screen, NewJobScreen)
    screen.open_form(family)
    await pilot.pause()
    return screen


async def _with_file(pilot: Any, screen: NewJobScreen, family: Family, path: Path) -> None:
    if family is Family.DATA_BACKFILL:
        # The template header arrives from the API first; the check waits for it.
        await wait_until(pilot, lambda: screen.template_type() in screen.templates, "template")
    screen.choose_file(family, path)
    await wait_until(
        pilot,
        lambda: family in screen.files and screen.checking is None,
        "file checked",
    )


async def _confirm(pilot: Any, *, send: bool = True) -> ConfirmDialog:
    app: Any = pilot.app
    await pilot.press("ctrl+r")
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "confirm modal")
    modal = app.screen
    assert isinstance(modal, ConfirmDialog)
    await wait_until(pilot, lambda: modal.focused is not None, "modal focus")
    assert modal.focused is not None
    assert modal.focused.id == "confirm-no"  # opens focused on Cancel
    if send:
        await pilot.press("y")
    return modal


async def _sim_jobs(app: Any, family: str) -> list[dict[str, Any]]:
    body = await sim_get(app._sim_server, "/_sim/jobs")
    result: list[dict[str, Any]] = body[family]
    return result


async def _on_board(pilot: Any, family: Family, job_id: str) -> None:
    app: Any = pilot.app
    app.refresh_now()
    await wait_until(
        pilot,
        lambda: app.jobs is not None and app.jobs.get(family, job_id) is not None,
        f"{family} job {job_id} on the board",
    )


async def _writes(app: Any, path_part: str) -> list[dict[str, Any]]:
    return [
        r
        for r in await requests_log(app._sim_server)
        if r["method"] in ("POST", "PATCH") and path_part in r["path"]
    ]


def _journal(isolated_home: Path) -> Journal:
    """The demo app's journal: demo writes never go into the real one."""
    from ztui.core.paths import demo_journal_path, journal_path

    assert not journal_path().exists()
    return Journal(demo_journal_path())


async def test_data_backfill_end_to_end(make_app: Callable[..., Any], isolated_home: Path) -> None:
    app = make_app()
    path = _write(isolated_home, "prpc.csv", BLANKS_DB)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, Family.DATA_BACKFILL)
        before = {j["id"] for j in await _sim_jobs(app, "data_backfill")}
        await _with_file(pilot, screen, Family.DATA_BACKFILL, path)
        report = screen.files[Family.DATA_BACKFILL].report
        assert report.warnings  # blank ProductLine cells
        assert (0, 2) in report.blank_cells
        # Warnings need the explicit acknowledgement before anything is offered.
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmDialog)
        screen.query_one("#db-ack", Checkbox).value = True
        modal = await _confirm(pilot, send=False)
        facts = dict(modal.rows)
        assert facts["File"] == "prpc.csv"
        assert facts["Rows"] == "5"
        assert facts["MD5"] == report.md5
        assert facts["Profile"].startswith("demo (127.0.0.1)")
        await pilot.press("y")
        await wait_until(
            pilot, lambda: not isinstance(app.screen, (ConfirmDialog, NewJobScreen)), "done"
        )
        (job,) = [j for j in await _sim_jobs(app, "data_backfill") if j["id"] not in before]
        assert job["uploadedFileName"] == "prpc.csv"
        await _on_board(pilot, Family.DATA_BACKFILL, job["id"])
        sending, entry = _journal(isolated_home).read()
        assert (sending.action, sending.outcome) == ("create", "sending")  # written first
        assert (entry.action, entry.outcome, entry.job_id) == ("create", "ok", job["id"])
        assert entry.md5 == report.md5
        assert entry.sha256 == report.sha256
        assert entry.extra["path"] == str(path.resolve())  # for the fix-and-resubmit export
        from ztui.screens.error_viewer import original_upload

        assert original_upload(app.journal, job["id"]) == path.resolve()


async def test_a_file_failing_a_check_never_reaches_the_network(
    make_app: Callable[..., Any], isolated_home: Path
) -> None:
    app = make_app()
    seen: list[Any] = []
    path = _write(isolated_home, "bad.csv", BAD_DB)
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        screen = await _open(pilot, Family.DATA_BACKFILL)
        await _with_file(pilot, screen, Family.DATA_BACKFILL, path)
        errors = screen.files[Family.DATA_BACKFILL].report.errors
        assert errors
        assert errors[0].line == 1
        assert errors[0].column == 2
        await pilot.press("ctrl+r")
        await wait_until(
            pilot, lambda: any("cannot be sent" in n for n in notes(seen)), "the refusal"
        )
        assert not isinstance(app.screen, ConfirmDialog)
        assert await _writes(app, "/data-backfill/jobs") == []


async def test_enter_on_cancel_sends_nothing_then_booking_date_is_created(
    make_app: Callable[..., Any],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(pilot, Family.BOOKING_DATE)
        before = {j["id"] for j in await _sim_jobs(app, "booking_date")}
        await _confirm(pilot, send=False)
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert await _writes(app, "/bookingdate/jobs") == []
        assert isinstance(app.screen, NewJobScreen)
        await _confirm(pilot)
        await wait_until(pilot, lambda: not isinstance(app.screen, NewJobScreen), "closed")
        (job,) = [j for j in await _sim_jobs(app, "booking_date") if j["id"] not in before]
        await _on_board(pilot, Family.BOOKING_DATE, job["id"])


async def test_dry_run_then_run_for_real_with_the_same_parameters(
    make_app: Callable[..., Any], isolated_home: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, Family.PROPAGATION)
        before = {j["id"] for j in await _sim_jobs(app, "propagation")}
        screen.query_one("#pr-type", Select).value = "OrderLineItem"
        screen.query_one("#pr-batch", Input).value = "250"
        assert screen.query_one("#pr-dry", Checkbox).value  # dry run by default
        modal = await _confirm(pilot, send=False)
        assert dict(modal.rows)["Dry run"].startswith("yes")
        await pilot.press("y")
        await wait_until(pilot, lambda: not isinstance(app.screen, NewJobScreen), "closed")
        (job,) = [j for j in await _sim_jobs(app, "propagation") if j["id"] not in before]
        await _on_board(pilot, Family.PROPAGATION, job["id"])
        # The simulator does not echo `dryRun`; the board still marks the dry run.
        assert "dryRun" not in job
        assert _kind_cell(pilot, (Family.PROPAGATION, job["id"])).startswith(DRY_RUN)
        # Let the dry run finish on the simulator's clock.
        await sim_post(app._sim_server, "/_sim/clock", {"advance": 3600})
        app.refresh_now()
        # The modal must be composed, not just pushed, before its button can be pressed.
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ChoiceModal) and bool(app.screen.query("#choice-real")),
            "offer",
        )
        await pilot.pause()
        # Press, not click: a toast may sit over the button at this size.
        app.screen.query_one("#choice-real", Button).press()
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "confirm")
        modal = app.screen
        assert isinstance(modal, ConfirmDialog)
        facts = dict(modal.rows)
        assert facts["Dry run"].startswith("NO")
        assert facts["Type"] == "OrderLineItem"
        assert facts["Batch size"] == "250"
        await pilot.press("y")
        await wait_until(pilot, lambda: len(_journal(isolated_home).read()) == 4, "second create")
        first, second = [e for e in _journal(isolated_home).read() if e.outcome != "sending"]
        assert first.extra["dry_run"] is True
        assert second.extra["dry_run"] is False
        assert second.extra["batch_size"] == 250
        assert first.idempotency_key != second.idempotency_key
        assert second.job_id is not None
        await _on_board(pilot, Family.PROPAGATION, second.job_id)
        assert not _kind_cell(pilot, (Family.PROPAGATION, second.job_id)).startswith(DRY_RUN)


def _kind_cell(pilot: Any, key: tuple[Family, str]) -> str:
    """The Kind cell of `key` as the board draws it."""
    from ztui.screens.jobs import JobListScreen
    from ztui.view.columns import column_by_key

    board = next(s for s in pilot.app.screen_stack if isinstance(s, JobListScreen))
    table = board.table
    column = column_by_key("kind")
    assert column is not None
    return column.cell(table.jobs[key], table._row_context(table.jobs[key]), 40)


async def test_a_dry_run_is_marked_after_a_restart(
    make_app: Callable[..., Any], make_sim: Callable[..., Any], isolated_home: Path
) -> None:
    """Only the journal knows a dry run when Zuora does not echo `dryRun`."""
    from ztui.core.paths import demo_journal_path
    from ztui.store.journal import Journal, JournalEntry

    sim = make_sim(jobs=3)
    dry = sim.sim.propagation_create({"type": "RatePlanCharge", "dryRun": True})
    real = sim.sim.propagation_create({"type": "RatePlanCharge", "dryRun": False})
    app = make_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await _on_board(pilot, Family.PROPAGATION, dry.id)
        assert not _kind_cell(pilot, (Family.PROPAGATION, dry.id)).startswith(DRY_RUN)
    host = sim.base_url.split("://", 1)[1]
    journal = Journal(demo_journal_path())
    for job_id, flag in ((dry.id, True), (real.id, False)):
        journal.append(
            JournalEntry(
                family="propagation",
                action="create",
                profile=app.profile.name,
                host=host,
                job_id=job_id,
                outcome="ok",
                extra={"type": "RatePlanCharge", "dry_run": flag},
            )
        )
    again = make_app(sim)
    async with again.run_test(size=(120, 40)) as pilot:
        await _on_board(pilot, Family.PROPAGATION, dry.id)
        await wait_until(
            pilot,
            lambda: _kind_cell(pilot, (Family.PROPAGATION, dry.id)).startswith(DRY_RUN),
            "the dry run marked",
        )
        assert not _kind_cell(pilot, (Family.PROPAGATION, real.id)).startswith(DRY_RUN)
        from ztui.screens.job_detail import JobDetailScreen

        again.open_detail((Family.PROPAGATION, dry.id))
        await wait_until(pilot, lambda: isinstance(again.screen, JobDetailScreen), "the detail")

        def fields() -> str:
            found = again.screen.query("#detail-fields")
            return str(found.first().render()) if found else ""

        await wait_until(pilot, lambda: "Dry run" in fields(), "the dry-run row")
        assert "changes no data" in fields()
        assert "(dry run)" in str(again.screen.query_one("#detail-title").render())


async def test_custom_object_create_uploads_the_checked_file(
    make_app: Callable[..., Any], isolated_home: Path
) -> None:
    app = make_app()
    path = _write(isolated_home, "vehicles.csv", CO_CSV)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, Family.CUSTOM_OBJECT)
        before = {j["Id"] for j in await _sim_jobs(app, "custom_object")}
        screen.query_one("#co-object", Input).value = "vehicle"
        await _with_file(pilot, screen, Family.CUSTOM_OBJECT, path)
        await _confirm(pilot)
        await wait_until(pilot, lambda: not isinstance(app.screen, NewJobScreen), "closed")
        (job,) = [j for j in await _sim_jobs(app, "custom_object") if j["Id"] not in before]
        assert job["status"] == "in_progress"
        await _on_board(pilot, Family.CUSTOM_OBJECT, job["Id"])
        actions = [(e.action, e.outcome) for e in _journal(isolated_home).read()]
        assert actions == [("create", "sending"), ("create", "pending"), ("upload", "ok")]


async def test_custom_object_update_needs_an_id_column(
    make_app: Callable[..., Any], isolated_home: Path
) -> None:
    app = make_app()
    path = _write(isolated_home, "vehicles.csv", CO_CSV)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, Family.CUSTOM_OBJECT)
        screen.query_one("#co-object", Input).value = "vehicle"
        await _with_file(pilot, screen, Family.CUSTOM_OBJECT, path)
        assert not screen.files[Family.CUSTOM_OBJECT].report.errors
        # Changing the operation re-checks the same file against the new rules.
        screen.query_one("#co-operation", Select).value = "update"
        await wait_until(
            pilot,
            lambda: any(
                f.code == "id-missing" for f in screen.files[Family.CUSTOM_OBJECT].report.errors
            ),
            "re-check for update",
        )
        assert isinstance(screen.build_spec(), str)


async def test_aqua_job_follows_on_the_board(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, Family.AQUA)
        screen.query_one("#aq-name", Input).value = "audit"
        screen.query_one(
            "#aq-queries", TextArea
        ).text = "select Id from Account;\nselect Id from Invoice;"
        modal = await _confirm(pilot, send=False)
        assert dict(modal.rows)["Queries"] == "2"
        assert dict(modal.rows)["Mode"] == "stateless"
        await pilot.press("y")
        await wait_until(pilot, lambda: not isinstance(app.screen, NewJobScreen), "closed")
        mine = [j for j in await _sim_jobs(app, "aqua") if j.get("name") == "audit"]
        assert len(mine) == 1
        await _on_board(pilot, Family.AQUA, mine[0]["id"])


async def test_504_after_create_leaves_exactly_one_job(
    make_app: Callable[..., Any], isolated_home: Path
) -> None:
    app = make_app()
    seen: list[Any] = []
    path = _write(isolated_home, "prpc.csv", GOOD_DB)
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        screen = await _open(pilot, Family.DATA_BACKFILL)
        before = {j["id"] for j in await _sim_jobs(app, "data_backfill")}
        await _with_file(pilot, screen, Family.DATA_BACKFILL, path)
        await sim_post(
            app._sim_server,
            "/_sim/faults",
            {
                "route": "POST /v1/uno/data-backfill/jobs",
                "kind": "status",
                "status": 504,
                "times": 1,
            },
        )
        await _confirm(pilot)
        await wait_until(pilot, lambda: not isinstance(app.screen, NewJobScreen), "closed")
        new = [j for j in await _sim_jobs(app, "data_backfill") if j["id"] not in before]
        assert len(new) == 1
        assert len(await _writes(app, "/data-backfill/jobs")) == 1
        assert any("it was not sent again" in n for n in notes(seen))
        await _on_board(pilot, Family.DATA_BACKFILL, new[0]["id"])


async def test_dropped_upload_asks_then_retries_with_the_same_key(
    make_app: Callable[..., Any], isolated_home: Path
) -> None:
    app = make_app()
    path = _write(isolated_home, "vehicles.csv", CO_CSV)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, Family.CUSTOM_OBJECT)
        before = {j["Id"] for j in await _sim_jobs(app, "custom_object")}
        screen.query_one("#co-object", Input).value = "vehicle"
        await _with_file(pilot, screen, Family.CUSTOM_OBJECT, path)
        # More drops than the client retries: the upload fails for good once.
        await sim_post(
            app._sim_server,
            "/_sim/faults",
            {"route": "POST /objects/jobs/*/files", "kind": "drop", "times": 4},
        )
        await _confirm(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceModal), "choice")
        modal = app.screen
        assert isinstance(modal, ChoiceModal)
        assert modal.focused is not None
        assert modal.focused.id == "choice-leave"  # the safe choice has the focus
        (job,) = [j for j in await _sim_jobs(app, "custom_object") if j["Id"] not in before]
        assert job["status"] == "pending"
        modal.query_one("#choice-retry", Button).press()
        await wait_until(pilot, lambda: not isinstance(app.screen, NewJobScreen), "closed")
        jobs = [j for j in await _sim_jobs(app, "custom_object") if j["Id"] not in before]
        assert [j["status"] for j in jobs] == ["in_progress"]
        keys = {u["idempotency_key"] for u in await _writes(app, "/files")}
        assert len(keys) == 1


async def test_409_on_aqua_create_still_makes_one_job(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, Family.AQUA)
        screen.query_one("#aq-name", Input).value = "conflict"
        screen.query_one("#aq-queries", TextArea).text = "select Id from Account"
        await sim_post(
            app._sim_server,
            "/_sim/faults",
            {"route": "POST /v1/batch-query/", "kind": "status", "status": 409, "times": 1},
        )
        await _confirm(pilot)
        await wait_until(pilot, lambda: not isinstance(app.screen, NewJobScreen), "closed")
        mine = [j for j in await _sim_jobs(app, "aqua") if j.get("name") == "conflict"]
        assert len(mine) == 1
        posts = await _writes(app, "/v1/batch-query")
        assert len({p["idempotency_key"] for p in posts}) == 1


async def test_full_custom_object_slots_queue_locally(
    make_app: Callable[..., Any], make_sim: Callable[..., Any]
) -> None:
    app = make_app(make_sim(jobs=0))
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        held = [
            (await app.client.submit_custom_object_job("vehicle", "default", "create")).id
            for _ in range(5)
        ]
        app.refresh_now()
        screen = await _open(pilot, Family.CUSTOM_OBJECT)
        await wait_until(
            pilot,
            lambda: "5 of 5" in str(screen.query_one("#co-slots").render()),
            "slots shown",
        )
        screen.query_one("#co-object", Input).value = "vehicle"
        screen.query_one("#co-operation", Select).value = "delete"
        await pilot.pause()
        await _confirm(pilot)
        await wait_until(pilot, lambda: len(app.submissions.queued) == 1, "queued")
        # Queued locally: only the 5 submits that hold the slots reached the server.
        submits = [w for w in await _writes(app, "/objects/jobs") if w["path"] == "/objects/jobs"]
        assert len(submits) == 5
        assert len(await _sim_jobs(app, "custom_object")) == 5
        await app.client.cancel_custom_object_job(held[0])
        await wait_until(pilot, lambda: not app.submissions.queued, "sent")
        await wait_until(pilot, lambda: not isinstance(app.screen, NewJobScreen), "closed")
        statuses = sorted(j["status"] for j in await _sim_jobs(app, "custom_object"))
        assert statuses.count("accepted") == 1
        assert len(statuses) == 6


async def test_read_only_profile_refuses_to_open(make_app: Callable[..., Any]) -> None:
    app = make_app(read_only=True)
    seen: list[Any] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await connected(pilot)
        app.open_new_job()
        await wait_until(pilot, lambda: any("is read-only" in n for n in notes(seen)), "refusal")
        assert not isinstance(app.screen, NewJobScreen)


async def test_production_needs_the_typed_tenant_name(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(pilot, Family.BOOKING_DATE)
        app.profile = dataclasses.replace(app.profile, is_production=True, tenant_name="acme")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "modal")
        modal = app.screen
        assert isinstance(modal, ConfirmDialog)
        await pilot.pause()
        await pilot.press("y")  # typed into the phrase box, not a confirmation
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert isinstance(app.screen, ConfirmDialog)
        assert await _writes(app, "/bookingdate/jobs") == []
        modal.query_one("#confirm-phrase", Input).value = "acme"
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, NewJobScreen), "sent")
        assert len(await _writes(app, "/bookingdate/jobs")) == 1


async def test_large_upload_can_be_cancelled_before_it_is_sent(
    make_app: Callable[..., Any], isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(submission, "LARGE_FILE", 100)
    monkeypatch.setattr(submission, "SEND_DELAY_S", 5.0)
    app = make_app()
    seen: list[Any] = []
    path = _write(isolated_home, "prpc.csv", GOOD_DB)
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        screen = await _open(pilot, Family.DATA_BACKFILL)
        await _with_file(pilot, screen, Family.DATA_BACKFILL, path)
        await _confirm(pilot)
        await wait_until(pilot, lambda: screen.cancel_send is not None, "countdown")
        assert screen.query_one("#newjob-cancel-send", Button).display
        screen.query_one("#newjob-cancel-send", Button).press()
        await wait_until(pilot, lambda: any("nothing was sent" in n for n in notes(seen)), "note")
        assert await _writes(app, "/data-backfill/jobs") == []
        assert isinstance(app.screen, NewJobScreen)
        assert not screen.busy


async def test_a_typed_path_is_text_not_keys(
    make_app: Callable[..., Any], isolated_home: Path
) -> None:
    """Typing `~/uploads/...` into the path field runs none of the form's one-letter keys
    (t saves a template, f opens the picker, q quits), and enter checks that file."""
    from textual.widgets import Input

    from ztui.screens.file_picker import FilePickerScreen

    app = make_app()
    path = _write(isolated_home, "fqt-test.csv", GOOD_DB)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, Family.DATA_BACKFILL)
        await wait_until(pilot, lambda: screen.template_type() in screen.templates, "template")
        field = screen.query_one("#db-path", Input)
        field.focus()
        await pilot.pause()
        folder = isolated_home / "uploads"
        before = sorted(p.name for p in folder.iterdir())
        await pilot.press(*"~/uploads/fqt-test.csv")
        assert field.value == "~/uploads/fqt-test.csv"
        assert app.is_running
        assert isinstance(app.screen, NewJobScreen)  # no picker opened
        assert sorted(p.name for p in folder.iterdir()) == before  # no template saved
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: Family.DATA_BACKFILL in screen.files and screen.checking is None,
            "checked",
        )
        assert screen.files[Family.DATA_BACKFILL].path == path
        shown: object = app.screen
        assert not isinstance(shown, FilePickerScreen)
