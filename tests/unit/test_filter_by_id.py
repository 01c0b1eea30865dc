"""A job typed by id is found even when the age limit hides it."""

from __future__ import annotations

from tests.ui.board_harness import NOW, make_job
from ztui.api.models import JobState
from ztui.widgets.facets import FacetState, _summary
from ztui.widgets.job_view import ViewOptions, compute_view

OLD = make_job(1, JobState.SUCCEEDED, age_min=3 * 24 * 60)
OTHER_OLD = make_job(2, JobState.SUCCEEDED, age_min=3 * 24 * 60)
JOBS = {job.key: job for job in (OLD, OTHER_OLD, make_job(3))}
HIDE_A_DAY = 86400.0


def _view(text: str) -> tuple[list[str], int, int]:
    view = compute_view(JOBS, ViewOptions(text=text, hide_finished_after_s=HIDE_A_DAY), NOW)
    return [key[1] for key in view.order], view.hidden_finished, view.revealed_finished


def test_an_exact_id_finds_an_old_finished_job() -> None:
    assert _view(OLD.id) == ([OLD.id], 0, 1)


def test_a_unique_prefix_of_eight_or_more_finds_it_too() -> None:
    prefix = OLD.id[:31]  # every id here differs only in the last character
    running = make_job(3).id
    assert _view(prefix) == ([running], 2, 0)  # not unique: the old ones stay hidden
    assert _view(OLD.id.upper()) == ([OLD.id], 0, 1)


def test_other_text_keeps_the_age_limit() -> None:
    assert _view("") == ([make_job(3).id], 2, 0)
    assert _view(OLD.id[:7]) == ([make_job(3).id], 2, 0)  # too short to name a job


def test_the_line_says_the_job_was_shown_by_id() -> None:
    state = FacetState(
        family_counts={}, state_counts={}, shown=1, revealed_finished=1, filter_text=OLD.id
    )
    assert "1 old finished, shown by id" in _summary(state, "full")
