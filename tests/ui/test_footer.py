"""KeyFooter: rebuilt when the keys it shows change, left alone when they do not, and
updated in place when only whether a key is enabled changes."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from tests.ui.pilot_support import wait_until
from ztui.widgets.footer import KeyFooter


class _FooterApp(App[None]):
    BINDINGS = [
        Binding("s", "stop", "Stop"),
        Binding("r", "refresh", "Refresh"),
    ]

    stop_offered = True
    refresh_offered = True

    def compose(self) -> ComposeResult:
        yield Static("body")
        yield KeyFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return True if self.stop_offered else None
        if action == "refresh":
            return self.refresh_offered
        return True

    def action_stop(self) -> None:
        """Nothing: the test only looks at the footer."""

    def action_refresh(self) -> None:
        """Nothing: the test only looks at the footer."""


def _keys(app: App[None]) -> dict[str, FooterKey]:
    return {key.key: key for key in app.screen.query(FooterKey)}


@pytest.mark.anyio
async def test_same_keys_keep_their_widgets() -> None:
    app = _FooterApp()
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: "s" in _keys(app), "the footer's keys")
        before = _keys(app)
        for _ in range(3):
            app.screen.refresh_bindings()
            await pilot.pause()
        await pilot.pause(0.05)
        after = _keys(app)
        assert after.keys() == before.keys()
        assert all(after[key] is before[key] for key in before)


@pytest.mark.anyio
async def test_changed_state_updates_the_key_in_place() -> None:
    app = _FooterApp()
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: "s" in _keys(app), "the footer's keys")
        before = _keys(app)
        assert not before["s"].has_class("-disabled")
        app.stop_offered = False
        app.screen.refresh_bindings()
        await wait_until(pilot, lambda: before["s"].has_class("-disabled"), "the key dimmed")
        assert _keys(app)["s"] is before["s"]
        assert not _keys(app)["r"].has_class("-disabled")
        app.stop_offered = True
        app.screen.refresh_bindings()
        await wait_until(pilot, lambda: not before["s"].has_class("-disabled"), "the key lit")
        assert _keys(app)["s"] is before["s"]


@pytest.mark.anyio
async def test_a_key_that_goes_rebuilds_the_keys() -> None:
    app = _FooterApp()
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: "r" in _keys(app), "the footer's keys")
        before = _keys(app)
        app.refresh_offered = False  # hidden, not dimmed
        app.screen.refresh_bindings()
        await wait_until(pilot, lambda: "r" not in _keys(app), "a rebuild without r")
        assert _keys(app)["s"] is not before["s"]


class _HeldFooterApp(_FooterApp):
    def compose(self) -> ComposeResult:
        yield Static("body")
        yield KeyFooter(held=0.3)


@pytest.mark.anyio
async def test_a_held_footer_draws_its_keys_on_release() -> None:
    app = _HeldFooterApp()
    async with app.run_test() as pilot:
        await pilot.pause(0.1)
        assert _keys(app) == {}
        app.query_one(KeyFooter).release()
        await wait_until(pilot, lambda: "s" in _keys(app), "the keys after release")


@pytest.mark.anyio
async def test_a_held_footer_draws_its_keys_after_its_time() -> None:
    app = _HeldFooterApp()
    async with app.run_test() as pilot:
        await pilot.pause(0.1)
        assert _keys(app) == {}
        await wait_until(pilot, lambda: "s" in _keys(app), "the keys after the hold")


@pytest.mark.anyio
async def test_the_stop_key_follows_the_cursor_between_two_running_jobs() -> None:
    """A custom-object job in progress cannot be cancelled, a data backfill running can
    be stopped: moving from one to the other lights the key, though both are running."""
    from ztui.api.models import Family, JobState
    from ztui.screens.jobs import JobListScreen

    from .board_harness import BoardHarness, make_job, make_snapshot

    app = BoardHarness()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, JobListScreen)
        newest = make_job(2, JobState.RUNNING, family=Family.CUSTOM_OBJECT, status="in_progress")
        older = make_job(1, JobState.RUNNING, status="Processing")
        app.jobs = make_snapshot([newest, older])
        await wait_until(pilot, lambda: "s" in _keys(app), "the footer's keys")
        assert screen.table.cursor_key == newest.key
        await wait_until(pilot, lambda: _keys(app)["s"].has_class("-disabled"), "stop dimmed")
        await pilot.press("down")
        assert screen.table.cursor_key == older.key
        await wait_until(pilot, lambda: not _keys(app)["s"].has_class("-disabled"), "stop lit")
