"""Pilot tests of the journal screen: newest first, every field in the detail panel,
unreadable lines skipped, and `J` in the app after a real create."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePath
from typing import Any, ClassVar

import pytest
from textual.app import App
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from tests.ui.test_detail_support import connected, wait_until
from ztui.core.paths import demo_journal_path, stylesheet_paths
from ztui.screens.journal import JournalScreen, action_text, detail_text
from ztui.store.journal import Journal, JournalEntry

pytestmark = pytest.mark.anyio


class Host(App[None]):
    """A bare app showing one journal screen."""

    CSS_PATH: ClassVar[list[str | PurePath]] = list(stylesheet_paths())

    def __init__(self, screen: JournalScreen) -> None:
        super().__init__()
        self.journal_screen = screen

    def on_mount(self) -> None:
        self.push_screen(self.journal_screen)


def _entries(journal: Journal) -> None:
    journal.append(
        JournalEntry(
            family="data_backfill",
            action="create",
            at="2026-01-15T11:00:00+00:00",
            profile="demo",
            host="http://user:pw@127.0.0.1:9999/v1",
            file_name="prpc.csv",
            size=267,
            md5="2c0baee51510349195b245b912a56659",
            sha256="ab" * 32,
            http_status=200,
            job_id="ff" * 16,
            outcome="ok",
            message="created",
            extra={"type": "ProductRatePlanCharge", "rows": 5},
        )
    )
    journal.append(
        JournalEntry(
            family="custom_object",
            action="upload",
            at="2026-01-15T11:05:00+00:00",
            profile="demo",
            host="127.0.0.1:9999",
            idempotency_key="0d9b7e0e-5d1c-4a47-9d43-4b8e6b2a7c11",
            http_status=None,
            job_id="6c0fd4f5-f813-4c42-b773-0edfafbd67f9",
            outcome="unknown",
            message="TransportError: connection dropped",
        )
    )


async def test_newest_first_with_every_field(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    _entries(journal)
    with journal.path.open("a", encoding="utf-8") as handle:
        handle.write("{torn line\n")
    screen = JournalScreen(journal)
    host = Host(screen)
    async with host.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: len(screen.entries) == 2, "entries")
        table: DataTable[Any] = screen.query_one(DataTable)
        assert table.row_count == 2
        assert str(table.get_cell_at(Coordinate(0, 1))) == "upload"  # newest first
        assert str(table.get_cell_at(Coordinate(1, 2))) == "Data backfill"
        title = str(screen.query_one("#journal-title").render())
        assert "1 unreadable line(s) skipped" in title
        detail = str(screen.query_one("#journal-detail").render())
        assert "0d9b7e0e-5d1c-4a47-9d43-4b8e6b2a7c11" in detail
        await pilot.press("down")
        await pilot.pause()
        detail = str(screen.query_one("#journal-detail").render())
        assert "SHA-256" in detail
        assert "ab" * 32 in detail
        assert "Host             127.0.0.1:9999" in detail  # no user info, no path
        assert "pw" not in detail.split("Host", 1)[1].splitlines()[0]


async def test_empty_journal_says_so(tmp_path: Path) -> None:
    screen = JournalScreen(Journal(tmp_path / "none.jsonl"))
    host = Host(screen)
    async with host.run_test(size=(120, 40)) as pilot:
        await wait_until(
            pilot, lambda: "0 write(s)" in str(screen.query_one("#journal-title").render()), "read"
        )
        assert "Nothing has been written yet" in str(screen.query_one("#journal-detail").render())


async def test_capital_j_shows_a_create_made_in_the_app(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        from ztui.ops.submit import BookingDateSpec, Submission

        app.submissions.start(Submission(BookingDateSpec()))
        await wait_until(
            pilot,
            lambda: demo_journal_path().is_file() and len(Journal(demo_journal_path()).read()) == 2,
            "journalled",
        )
        await pilot.press("J")
        await wait_until(pilot, lambda: isinstance(app.screen, JournalScreen), "journal")
        screen = app.screen
        assert isinstance(screen, JournalScreen)
        await wait_until(pilot, lambda: len(screen.entries) == 1, "entry shown")
        (entry,) = screen.entries
        assert (entry.family, entry.action, entry.outcome) == ("booking_date", "create", "ok")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, JournalScreen), "closed")


def test_a_dry_run_create_says_so_in_the_action() -> None:
    dry = JournalEntry(family="propagation", action="create", extra={"dry_run": True})
    real = JournalEntry(family="propagation", action="create", extra={"dry_run": False})
    assert action_text(dry) == "create (dry run)"
    assert action_text(real) == "create"
    assert "create (dry run)" in detail_text(dry)
