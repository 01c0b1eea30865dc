"""Remembered AQuA jobs are followed only while they can change or their results exist."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ztui.api.models import Family, Job, JobState
from ztui.store import aqua_follow, watchlist
from ztui.store.journal import AQUA_FOLLOW_HOURS, Journal, JournalEntry

NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)
BASE = "https://rest.apisandbox.zuora.com"


def _job(job_id: str, state: JobState, created: datetime | None = NOW) -> Job:
    return Job(
        family=Family.AQUA,
        id=job_id,
        kind="query",
        status=state.value,
        state=state,
        created_at=created,
        raw={},
    )


def _create(journal: Journal, job_id: str, at: datetime) -> None:
    journal.append(
        JournalEntry(
            family="aqua",
            action="create",
            at=at.isoformat(),
            profile="p",
            host=BASE,
            job_id=job_id,
            outcome="ok",
        )
    )


def test_a_job_seen_failed_or_cancelled_is_not_followed_again(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    now = datetime.now(UTC)
    for job_id in ("running", "failed", "cancelled", "completed"):
        _create(journal, job_id, now - timedelta(hours=1))
    state = tmp_path / "state.toml"
    assert aqua_follow.followed(journal, "p", BASE, path=state) == [
        "running",
        "failed",
        "cancelled",
        "completed",
    ]
    seen = [
        _job("running", JobState.RUNNING),
        _job("failed", JobState.FAILED),
        _job("cancelled", JobState.CANCELLED),
        _job("completed", JobState.SUCCEEDED),
    ]
    assert aqua_follow.record_ended("p", BASE, seen, path=state) == 3
    assert aqua_follow.record_ended("p", BASE, seen, path=state) == 0  # nothing new: no write
    # The completed job's results can still be downloaded: it is still followed.
    assert aqua_follow.followed(journal, "p", BASE, path=state) == ["running", "completed"]
    # Once its results are gone, it is not (nor, by then, is anything the journal knows).
    later = now.timestamp() + AQUA_FOLLOW_HOURS * 3600 + 60
    assert "completed" not in aqua_follow.followed(journal, "p", BASE, path=state, now=later)
    # Another connection keeps its own record.
    assert aqua_follow.ended("other", BASE, path=state) == {}


def test_an_id_added_by_hand_that_ended_leaves_the_watch_list(tmp_path: Path) -> None:
    state = tmp_path / "state.toml"
    watchlist.add("p", BASE, "a" * 32, path=state)
    watchlist.add("p", BASE, "b" * 32, path=state)
    aqua_follow.record_ended("p", BASE, [_job("a" * 32, JobState.FAILED)], path=state)
    assert aqua_follow.followed(None, "p", BASE, path=state) == ["b" * 32]
    assert watchlist.watched("p", BASE, path=state) == ["b" * 32]


def test_the_record_forgets_what_no_start_needs(tmp_path: Path) -> None:
    state = tmp_path / "state.toml"
    old = NOW.timestamp()
    aqua_follow.record_ended("p", BASE, [_job("old", JobState.FAILED)], path=state, now=old)
    later = old + aqua_follow.KEEP_S + 10
    aqua_follow.record_ended("p", BASE, [_job("new", JobState.FAILED)], path=state, now=later)
    assert set(aqua_follow.ended("p", BASE, path=state)) == {"new"}


def test_only_terminal_aqua_jobs_are_recorded(tmp_path: Path) -> None:
    state = tmp_path / "state.toml"
    other = replace(_job("co", JobState.FAILED), family=Family.CUSTOM_OBJECT)
    unreadable = _job("u", JobState.UNREADABLE)
    queued = _job("q", JobState.QUEUED)
    assert aqua_follow.record_ended("p", BASE, [other, unreadable, queued], path=state) == 0
    assert not state.exists()
