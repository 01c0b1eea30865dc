"""Writes an earlier run left open are told at start, and a journal that cannot record is
said on screen."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from tests.ui.pilot_support import wait_until
from tests.ui.test_detail_support import notes
from ztui.app import ZtuiApp
from ztui.config.load import load_settings
from ztui.config.resolve import resolve_profile
from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from ztui.store.journal import Journal, JournalEntry

pytestmark = pytest.mark.anyio


def _real_profile_app(make_sim: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> ZtuiApp:
    server = make_sim(jobs=3)
    monkeypatch.setenv("ZTUI_BASE_URL", server.base_url)
    monkeypatch.setenv("ZTUI_CLIENT_ID", DEMO_CLIENT_ID)
    monkeypatch.setenv("ZTUI_CLIENT_SECRET", DEMO_CLIENT_SECRET)
    settings = load_settings()
    profile = resolve_profile(settings, env=dict(os.environ))
    return ZtuiApp(settings=settings, profile=profile)


async def test_a_create_in_flight_at_a_crash_is_told_at_start(
    make_sim: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _real_profile_app(make_sim, monkeypatch)
    Journal().append(
        JournalEntry(
            family="aqua",
            action="create",
            profile=app.profile.name,
            host=app.profile.base_url,
            outcome="sending",
            extra={"attempt": "a" * 32},
        )
    )
    seen: list[Any] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await wait_until(
            pilot,
            lambda: any("in flight when ztui stopped" in n for n in notes(seen)),
            "the unsettled write told",
            15,
        )
        assert any("may or may not have reached Zuora" in n for n in notes(seen))


async def test_a_settled_write_is_not_told(
    make_sim: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _real_profile_app(make_sim, monkeypatch)
    base = {"family": "aqua", "action": "create", "extra": {"attempt": "b" * 32}}
    for outcome in ("sending", "ok"):
        Journal().append(
            JournalEntry(
                **base,  # type: ignore[arg-type]
                profile=app.profile.name,
                host=app.profile.base_url,
                outcome=outcome,
            )
        )
    seen: list[Any] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await wait_until(pilot, lambda: app.jobs is not None and app.jobs.complete, "jobs")
        await pilot.pause(0.3)
        assert not any("in flight" in n for n in notes(seen))


async def test_an_aqua_create_in_flight_at_a_crash_is_settled_and_followed(
    make_sim: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import uuid

    from tests.journal.test_reconcile import AQUA_BODY
    from ztui.api.client import ZuoraClient
    from ztui.core.secret import Secret

    app = _real_profile_app(make_sim, monkeypatch)
    key = str(uuid.uuid4())
    Journal().append(
        JournalEntry(
            family="aqua",
            action="create",
            profile=app.profile.name,
            host=app.profile.base_url,
            idempotency_key=key,
            outcome="sending",
            extra={"attempt": "d" * 32, "name": "settle-me", "request": AQUA_BODY},
        )
    )
    # The create had reached Zuora when ztui was killed.
    async with ZuoraClient(
        app.profile.base_url, client_id=DEMO_CLIENT_ID, client_secret=Secret(DEMO_CLIENT_SECRET)
    ) as client:
        made = await client.create_aqua_job(AQUA_BODY, idempotency_key=key)
    seen: list[Any] = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await wait_until(
            pilot,
            lambda: any("Zuora answered with AQuA job" in n for n in notes(seen)),
            "the settled write told",
            15,
        )
        assert app.poller is not None
        assert app.poller.is_watching_aqua(made.id)
        await wait_until(
            pilot,
            lambda: app.jobs is not None and any(job_id == made.id for _, job_id in app.jobs.jobs),
            "the AQuA job on the board",
            15,
        )
        assert not any("in flight when ztui stopped" in n for n in notes(seen))
    lines = [e for e in Journal().read() if e.extra.get("attempt") == "d" * 32]
    assert [e.outcome for e in lines] == ["sending", "ok"]
    assert lines[-1].job_id == made.id
    assert lines[-1].extra["settled"] == "replay"
    assert "settled at start-up" in lines[-1].message
    # Followed on the next start too, from the journal.
    assert made.id in Journal().known_aqua_ids(app.profile.name, app.profile.base_url)


async def test_a_journal_that_cannot_record_is_said_in_the_status_bar_until_it_can(
    make_sim: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from ztui.screens.jobs import JobListScreen

    app = _real_profile_app(make_sim, monkeypatch)
    seen: list[Any] = []
    entry = JournalEntry(family="booking_date", action="stop", job_id="j1", outcome="sending")
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await wait_until(pilot, lambda: app.jobs is not None and app.jobs.complete, "jobs")
        screen = app.screen
        assert isinstance(screen, JobListScreen)
        assert "JOURNAL" not in screen.status_bar.text
        journal = app.journal
        assert journal is not None
        real_write = os.write

        def full_disk(fd: int, data: Any) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(os, "write", full_disk)
        with pytest.raises(OSError, match="No space left"):
            journal.append(entry)
        monkeypatch.setattr(os, "write", real_write)
        await wait_until(
            pilot,
            lambda: "JOURNAL NOT RECORDING: No space left on device" in screen.status_bar.text,
            "the status bar warning",
        )
        # It stays through later polls, whatever they bring.
        app.refresh_now()
        seq = app.jobs.seq if app.jobs else 0
        await wait_until(pilot, lambda: app.jobs is not None and app.jobs.seq > seq, "a poll")
        await pilot.pause(0.1)
        assert "JOURNAL NOT RECORDING" in screen.status_bar.text
        journal.append(entry)  # the disk has room again
        await wait_until(
            pilot, lambda: "JOURNAL" not in screen.status_bar.text, "the warning taken down"
        )
        await wait_until(
            pilot, lambda: any("records again" in n for n in notes(seen)), "the recovery told"
        )
