"""Unit tests for the snapshot value objects."""

from __future__ import annotations

import pytest

from ztui.api.models import Family, JobState
from ztui.service.snapshot import BudgetView, FamilyStatus

from .helpers import job, snap


def test_snapshot_is_immutable_and_copies_its_input() -> None:
    source = {job("a").key: job("a")}
    s = snap([])
    s2 = type(s)(seq=1, jobs=source, families={})
    source.clear()
    assert len(s2.jobs) == 1
    with pytest.raises(TypeError):
        s2.jobs[job("b").key] = job("b")  # type: ignore[index]
    with pytest.raises(AttributeError):
        s2.seq = 3  # type: ignore[misc]


def test_counts_and_lookups() -> None:
    s = snap(
        [
            job("a", JobState.RUNNING),
            job("b", JobState.SUCCEEDED),
            job("c", JobState.SUCCEEDED, family=Family.AQUA),
        ],
        families=(Family.DATA_BACKFILL, Family.AQUA),
    )
    assert s.counts_by_state() == {JobState.RUNNING: 1, JobState.SUCCEEDED: 2}
    assert s.counts_by_family() == {Family.DATA_BACKFILL: 2, Family.AQUA: 1}
    assert s.any_active
    assert s.get(Family.AQUA, "c") is not None
    assert s.get(Family.DATA_BACKFILL, "c") is None
    assert s.find("c") == job("c", JobState.SUCCEEDED, family=Family.AQUA)
    assert s.find("zz") is None
    assert {j.id for j in s.jobs_of(Family.DATA_BACKFILL)} == {"a", "b"}


@pytest.mark.parametrize(
    ("state", "stale"),
    [
        ("ok", False),
        ("stale", True),
        ("rate_limited", True),
        ("auth_error", False),
        ("unsupported", False),
        ("pending", False),
    ],
)
def test_is_stale_by_state(state: str, stale: bool) -> None:
    s = snap([], statuses=[FamilyStatus(Family.DATA_BACKFILL, state, as_of=1.0)])  # type: ignore[arg-type]
    assert s.is_stale(Family.DATA_BACKFILL) is stale
    assert s.is_stale(Family.AQUA) is False  # not watched


def test_budget_fraction() -> None:
    assert BudgetView(limit=100, remaining=5).fraction_remaining == pytest.approx(0.05)
    assert BudgetView().fraction_remaining is None
    assert BudgetView(limit=0, remaining=0).fraction_remaining is None
