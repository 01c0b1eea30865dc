"""Provides which AQuA jobs the board follows at start-up, and the record of those that ended.

AQuA has no list call (docs/zuora-api.md §7): the board follows the ids the journal knows
(created from ztui) and those added by id (`ztui.store.watchlist`), one get each. A job
is followed only while it can still change or its results can still be downloaded:

- a create is followed for `AQUA_FOLLOW_HOURS` after it was made (result files are
  removed after 3 days, §7; the journal is read back only that far);
- a job seen failed, aborted or cancelled has nothing left to show: it is recorded here
  as ended and not fetched again on later starts;
- a job seen completed is followed until its result files are gone (the same window
  from when it was first seen completed), then not any more.

The record lives in `state.toml` under `aqua_ended`, one table per connection
(`profile@host`): job id to the epoch second after which it is no longer followed. An id
added by hand that has ended is taken off the watch list. No Textual here.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from ztui.api.models import Family, Job, JobState
from ztui.store import watchlist
from ztui.store.journal import AQUA_FOLLOW_HOURS, Journal, host_of
from ztui.store.state import load_state, save_state

__all__ = ["STATE_KEY", "ended", "followed", "record_ended"]

STATE_KEY: Final = "aqua_ended"
WINDOW_S: Final = AQUA_FOLLOW_HOURS * 3600.0
"""How long a completed job's results can still be fetched."""
KEEP_S: Final = 30 * 86400.0
"""How long an ended job stays on record after it stopped being followed (so an id added
by hand is taken off its list at one of the next starts)."""


def _connection(profile: str, base_url: str) -> str:
    return f"{profile}@{host_of(base_url)}"


def _table(state: Mapping[str, Any], key: str) -> dict[str, float]:
    raw = state.get(STATE_KEY)
    if not isinstance(raw, dict):
        return {}
    entries = raw.get(key)
    if not isinstance(entries, dict):
        return {}
    return {
        str(job_id): float(until)
        for job_id, until in entries.items()
        if isinstance(until, int | float) and not isinstance(until, bool)
    }


def ended(profile: str, base_url: str, *, path: Path | None = None) -> dict[str, float]:
    """AQuA jobs on record as ended for this connection: id to the time (epoch seconds)
    from which it is no longer followed."""
    return _table(load_state(path), _connection(profile, base_url))


def until_for(job: Job, now: float) -> float | None:
    """When a terminal AQuA job stops being worth following, or None while it may change.

    Failed, aborted and cancelled jobs: now (nothing to download). Completed jobs: once
    their result files are gone, `WINDOW_S` after the job was first seen completed (its
    `startTime` is in a zone the API does not document, docs/zuora-api.md §2.9, so the
    local clock decides)."""
    if not job.state.is_terminal or job.state is JobState.UNREADABLE:
        return None
    if job.state is JobState.SUCCEEDED:
        return now + WINDOW_S
    return now


def record_ended(
    profile: str,
    base_url: str,
    jobs: Iterable[Job],
    *,
    now: float | None = None,
    path: Path | None = None,
) -> int:
    """Put the terminal AQuA jobs among `jobs` on record (a no-op for those already on it).

    Returns:
        How many were added. The state file is written only when that is not zero.
    """
    at = time.time() if now is None else now
    state = load_state(path)
    key = _connection(profile, base_url)
    table = _table(state, key)
    added = 0
    for job in jobs:
        if job.family is not Family.AQUA or job.id in table:
            continue
        until = until_for(job, at)
        if until is None:
            continue
        table[job.id] = until
        added += 1
    if not added:
        return 0
    # Drop what no start needs any more.
    table = {job_id: until for job_id, until in table.items() if until + KEEP_S >= at}
    raw = state.get(STATE_KEY)
    tables: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
    tables[key] = table
    state[STATE_KEY] = tables
    save_state(state, path)
    return added


def followed(
    journal: Journal | None,
    profile: str,
    base_url: str,
    *,
    now: float | None = None,
    path: Path | None = None,
) -> list[str]:
    """The AQuA ids to follow at start-up: the journal's recent creates, then those added
    by id, without the ones on record as ended. An id added by hand that has ended is
    taken off the watch list.

    Raises:
        OSError: The journal exists but cannot be read.
    """
    at = time.time() if now is None else now
    done = {job_id for job_id, until in ended(profile, base_url, path=path).items() if until <= at}
    ids: list[str] = []
    if journal is not None:
        ids.extend(i for i in journal.known_aqua_ids(profile, base_url) if i not in done)
    for job_id in watchlist.watched(profile, base_url, path=path):
        if job_id in done:
            watchlist.remove(profile, base_url, job_id, path=path)
        else:
            ids.append(job_id)
    return list(dict.fromkeys(ids))
