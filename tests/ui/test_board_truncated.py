"""A list the page limit cut short is said in the status bar, with how to read the rest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.ui.pilot_support import wait_until
from ztui.api.models import Family
from ztui.screens.jobs import JobListScreen

pytestmark = pytest.mark.anyio


async def test_fifteen_thousand_custom_object_jobs_say_what_was_left_out(
    make_app: Callable[..., Any], make_sim: Callable[..., Any]
) -> None:
    server = make_sim(jobs=0, co_jobs=15_000)
    app = make_app(server)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.jobs is not None and app.jobs.complete, "jobs", 30)
        screen = app.screen
        assert isinstance(screen, JobListScreen)
        status = app.jobs.families[Family.CUSTOM_OBJECT]
        assert status.truncated == 2_000  # 50 pages of 40, the board's limit
        await wait_until(
            pilot,
            lambda: "Custom object: newest 2,000 only (l reads older)" in screen.status_bar.text,
            f"the status line: {screen.status_bar.text!r}",
        )
        await pilot.press("l")
        await wait_until(
            pilot,
            lambda: (
                len(app.jobs.jobs) == 15_000
                and app.jobs.families[Family.CUSTOM_OBJECT].truncated is None
            ),
            "every page read",
            60,
        )
        await wait_until(
            pilot, lambda: "newest" not in screen.status_bar.text, "the status line cleared"
        )


async def test_at_80_columns_the_short_form_still_says_it(
    make_app: Callable[..., Any], make_sim: Callable[..., Any]
) -> None:
    # Enough jobs of every state that the counts alone fill the line.
    server = make_sim(jobs=3_000, co_jobs=3_000)
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.jobs is not None and app.jobs.complete, "jobs", 30)
        screen = app.screen
        assert isinstance(screen, JobListScreen)

        def visible() -> str:
            # What fits in the bar's 78 cells (80 less its padding) is what is seen.
            return screen.status_bar.text.splitlines()[2][:78]

        await wait_until(
            pilot, lambda: "Custom object: 2,000 newest (l)" in visible(), "the status line"
        )
