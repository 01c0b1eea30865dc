"""Unit tests for the snapshot diff (pure)."""

from __future__ import annotations

from ztui.api.models import Family, JobState
from ztui.service.diff import diff_snapshots

from .helpers import job, snap


def test_first_snapshot_adds_everything_and_reports_no_transition() -> None:
    new = snap([job("b", JobState.SUCCEEDED), job("a", JobState.RUNNING)])
    diff = diff_snapshots(None, new)
    assert [j.id for j in diff.added] == ["a", "b"]
    assert diff.terminal == ()
    assert diff.removed == ()
    assert diff.changed == ()


def test_identical_snapshots_give_empty_diff() -> None:
    jobs = [job("a"), job("b", JobState.FAILED)]
    diff = diff_snapshots(snap(jobs), snap(jobs, seq=2))
    assert diff.is_empty
    assert diff.terminal == ()


def test_changed_running_job_is_reported_with_new_version() -> None:
    old = snap([job("a", progress=0.1)])
    new = snap([job("a", progress=0.5)], seq=2)
    diff = diff_snapshots(old, new)
    assert diff.changed == (job("a", progress=0.5),)
    assert diff.terminal == ()
    assert not diff.is_empty


def test_running_to_terminal_is_a_transition_with_previous_state() -> None:
    old = snap([job("a", JobState.RUNNING), job("b", JobState.QUEUED)])
    new = snap([job("a", JobState.SUCCEEDED), job("b", JobState.RUNNING)], seq=2)
    diff = diff_snapshots(old, new)
    assert [(t.job.id, t.previous_state) for t in diff.terminal] == [("a", JobState.RUNNING)]
    assert {j.id for j in diff.changed} == {"a", "b"}


def test_unknown_to_terminal_is_a_transition_but_terminal_to_terminal_is_not() -> None:
    old = snap([job("a", JobState.UNKNOWN), job("b", JobState.FAILED)])
    new = snap([job("a", JobState.FAILED), job("b", JobState.SUCCEEDED)], seq=2)
    diff = diff_snapshots(old, new)
    assert [t.job.id for t in diff.terminal] == ["a"]


def test_removed_jobs_are_reported_as_old_version() -> None:
    old = snap([job("a"), job("b")])
    new = snap([job("a")], seq=2)
    diff = diff_snapshots(old, new)
    assert diff.removed == (job("b"),)
    assert diff.added == ()


def test_new_job_already_terminal_and_newer_than_known_is_a_transition() -> None:
    old = snap([job("a", JobState.SUCCEEDED, minutes=0)])
    new = snap([job("a", JobState.SUCCEEDED), job("fast", JobState.SUCCEEDED, minutes=5)], seq=2)
    diff = diff_snapshots(old, new)
    assert [(t.job.id, t.previous_state) for t in diff.terminal] == [("fast", None)]
    assert [j.id for j in diff.added] == ["fast"]


def test_new_job_already_terminal_but_older_than_known_is_not_a_transition() -> None:
    old = snap([job("a", JobState.RUNNING, minutes=10)])
    new = snap([job("a"), job("old", JobState.FAILED, minutes=-60)], seq=2)
    diff = diff_snapshots(old, new)
    assert diff.terminal == ()
    assert [j.id for j in diff.added] == ["old"]


def test_new_terminal_job_in_empty_loaded_family_is_a_transition() -> None:
    old = snap([])
    new = snap([job("x", JobState.SUCCEEDED)], seq=2)
    assert [t.job.id for t in diff_snapshots(old, new).terminal] == ["x"]


def test_family_loaded_for_the_first_time_gives_no_transitions() -> None:
    """A family that was pending or failing before its first good list is not news."""
    old = snap([], loaded=False, state="stale")
    new = snap([job("x", JobState.SUCCEEDED), job("y", JobState.FAILED)], seq=2)
    diff = diff_snapshots(old, new)
    assert diff.terminal == ()
    assert len(diff.added) == 2


def test_newness_threshold_is_per_family() -> None:
    fams = (Family.DATA_BACKFILL, Family.AQUA)
    old = snap([job("d", JobState.RUNNING, minutes=100)], families=fams)
    aqua_old = job("q", JobState.SUCCEEDED, family=Family.AQUA, minutes=-500)
    new = snap([job("d", JobState.RUNNING, minutes=100), aqua_old], families=fams, seq=2)
    # The AQuA family knew no job, so any finished AQuA job is news, however old.
    assert [t.job.id for t in diff_snapshots(old, new).terminal] == ["q"]


def test_job_without_creation_time_counts_as_new() -> None:
    from dataclasses import replace

    old = snap([job("a", JobState.RUNNING, minutes=10)])
    timeless = replace(job("t", JobState.SUCCEEDED), created_at=None)
    new = snap([job("a"), timeless], seq=2)
    assert [t.job.id for t in diff_snapshots(old, new).terminal] == ["t"]


def test_raw_payload_alone_is_not_a_change() -> None:
    from dataclasses import replace

    old = snap([replace(job("a"), raw={"x": 1})])
    new = snap([replace(job("a"), raw={"x": 2})], seq=2)
    assert diff_snapshots(old, new).is_empty


def test_with_a_start_time_only_jobs_created_after_it_are_news() -> None:
    from dataclasses import replace

    from .helpers import T0

    start = (T0.timestamp()) + 30 * 60  # watcher started 30 min after T0
    old = replace(snap([]), started_at=start)
    new = replace(
        snap(
            [
                job("before", JobState.SUCCEEDED, minutes=10),
                job("after", JobState.FAILED, minutes=45),
            ],
            seq=2,
        ),
        started_at=start,
    )
    diff = diff_snapshots(old, new)
    assert [(t.job.id, t.previous_state) for t in diff.terminal] == [("after", None)]
    assert {j.id for j in diff.added} == {"before", "after"}
