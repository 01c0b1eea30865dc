"""Provides the board's view model: which jobs are shown, in which order, with what counts.

`compute_view` is a pure function (snapshot jobs + the user's filter, facets and sort →
the visible keys and the facet counts), so it can be tested without a terminal. The
columns the board draws are `COLUMNS` from `ztui.view.columns`, re-exported here; the
headless commands use the same model. Nothing here imports Textual.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ztui.api.models import Family, Job, JobState, may_have_key
from ztui.view.columns import (
    BOARD_COLUMNS,
    COLUMN_KEYS,
    COLUMNS,
    Column,
    ColumnLayout,
    RowContext,
    column_by_key,
    fit_cells,
    format_age,
    format_progress,
    job_age,
    layout_columns,
)

__all__ = [
    "BOARD_COLUMNS",
    "COLUMNS",
    "COLUMN_KEYS",
    "Column",
    "ColumnLayout",
    "HaystackCache",
    "JobKey",
    "RowContext",
    "ViewOptions",
    "ViewResult",
    "column_by_key",
    "compute_view",
    "fit_cells",
    "format_age",
    "format_progress",
    "haystack",
    "job_age",
    "layout_columns",
    "neighbour",
    "same_place",
    "sorted_keys",
]

JobKey = tuple[Family, str]
"""Identity of a row: `(family, id)`, the same as `Job.key`."""

_DEFAULT_SORT = next(column for column in COLUMNS if column.key == "created")


@dataclass(frozen=True)
class ViewOptions:
    """What the user asked to see and in which order."""

    text: str = ""
    """Filter text; every word must occur in the id, kind, object or status."""
    families: frozenset[Family] = frozenset()
    """Families to show; empty means all."""
    states: frozenset[JobState] = frozenset()
    """Normalised states to show; empty means all."""
    show_finished: bool = False
    """Show finished jobs however old they are."""
    hide_finished_after_s: float | None = 86400.0
    """Finished jobs last updated longer ago than this are hidden (None: never)."""
    sort_column: str = "created"
    """Key of the column to sort by."""
    sort_reverse: bool = True
    """Descending when True (newest first by default)."""


@dataclass(frozen=True)
class ViewResult:
    """The outcome of applying `ViewOptions` to a set of jobs."""

    order: tuple[JobKey, ...]
    """Keys of the jobs shown, in display order."""
    family_counts: Mapping[Family, int] = field(default_factory=dict)
    """Jobs per family passing every filter except the family facet."""
    state_counts: Mapping[JobState, int] = field(default_factory=dict)
    """Jobs per state passing every filter except the state facet."""
    hidden_finished: int = 0
    """Finished jobs hidden because of their age (and matching everything else)."""
    revealed_finished: int = 0
    """Old finished jobs shown anyway because the filter names them by id."""
    text_matches: tuple[JobKey, ...] | None = None
    """Keys matching the filter text alone (None when there is no text); a longer text
    can only match a subset, which lets typing narrow without scanning every job."""
    hides_next_at: float | None = None
    """When the next finished job that counts now becomes old enough to be hidden (epoch
    seconds); None when time alone changes nothing. Until then the same jobs give the
    same view."""


def haystack(job: Job) -> str:
    """The lower-cased text the filter searches: id, kind, status, state, family and the
    job's `object` (custom objects)."""
    text = f"{job.id} {job.kind} {job.status} {job.state.value} {job.family.label}"
    raw = job.raw
    # Most jobs have no `object`: their text says so without being decoded.
    raw_object = raw.get("object") if may_have_key(raw, "object") else None
    if isinstance(raw_object, str):
        text = f"{text} {raw_object}"
    return text.lower()


class HaystackCache:
    """Lower-cased search text per job, rebuilt only when the job object changes."""

    def __init__(self) -> None:
        self._entries: dict[JobKey, tuple[Job, str]] = {}

    def get(self, key: JobKey, job: Job) -> str:
        entry = self._entries.get(key)
        if entry is None or entry[0] is not job:
            text = haystack(job)
            self._entries[key] = (job, text)
            return text
        return entry[1]

    def prune(self, keys: Mapping[JobKey, Job]) -> None:
        if len(self._entries) > 2 * max(len(keys), 64):
            self._entries = {k: v for k, v in self._entries.items() if k in keys}


def _sorted_keys(
    jobs: Mapping[JobKey, Job], keys: list[JobKey], options: ViewOptions
) -> list[JobKey]:
    column = column_by_key(options.sort_column) or _DEFAULT_SORT
    # Sort by key first so equal values keep a stable, deterministic order; Python's sort
    # is stable (also with reverse=True). Missing values go last in either direction.
    keys.sort()
    present: list[tuple[Any, JobKey]] = []
    missing: list[JobKey] = []
    for key in keys:
        value = column.sort_value(jobs[key])
        if value is None:
            missing.append(key)
        else:
            present.append((value, key))
    present.sort(key=lambda pair: pair[0], reverse=options.sort_reverse)
    return [key for _, key in present] + missing


ID_PREFIX_MIN: Final = 8
"""A filter word this long that starts exactly one job id finds that job even when it is
old (uno ids share their first 8 characters, so a shorter one names nothing)."""


def _id_prefix(words: Sequence[str]) -> str | None:
    """The id (or id prefix) the filter names, when it is one word of 8+ id characters."""
    if len(words) != 1 or len(words[0]) < ID_PREFIX_MIN:
        return None
    word = words[0]
    return word if all(c in "0123456789abcdef-" for c in word) else None


def _named_by_id(jobs: Mapping[JobKey, Job], prefix: str | None) -> frozenset[JobKey]:
    """The job the filter names by id: an exact id, or a prefix only one id starts with."""
    if prefix is None:
        return frozenset()
    hits = [key for key, job in jobs.items() if job.id.lower().startswith(prefix)]
    exact = [key for key in hits if jobs[key].id.lower() == prefix]
    if exact:
        return frozenset(exact)
    return frozenset(hits) if len(hits) == 1 else frozenset()


def compute_view(
    jobs: Mapping[JobKey, Job],
    options: ViewOptions,
    now: float,
    *,
    cache: HaystackCache | None = None,
    candidates: Sequence[JobKey] | None = None,
    presorted: Sequence[JobKey] | None = None,
) -> ViewResult:
    """Filter, count and sort jobs for display.

    Args:
        jobs: Every known job.
        options: Filter, facets and sort.
        now: Epoch seconds used to decide which finished jobs are old.
        cache: Reused search texts (the table keeps one between calls).
        candidates: Keys known to include every job the text matches (the matches of a
            shorter text); None to consider every job.
        presorted: Every key of `jobs` already in the order `options` asks for; None to
            sort here.

    Returns:
        The visible keys in order, facet counts and the number of hidden old jobs.
    """
    words = options.text.lower().split()
    reveal = _named_by_id(jobs, _id_prefix(words))
    cutoff = (
        None
        if options.show_finished or options.hide_finished_after_s is None
        else now - options.hide_finished_after_s
    )
    families = options.families
    states = options.states
    family_counts: dict[Family, int] = {}
    state_counts: dict[JobState, int] = {}
    hidden = 0
    revealed = 0
    oldest_kept = math.inf
    shown: list[JobKey] = []
    matched: list[JobKey] | None = [] if words else None
    keys: Iterable[JobKey] = jobs.keys() if candidates is None else candidates
    get_text = cache.get if cache is not None else (lambda _key, job: haystack(job))
    for key in keys:
        job = jobs.get(key)
        if job is None:
            continue
        if matched is not None:
            text = get_text(key, job)
            if not all(word in text for word in words):
                continue
            matched.append(key)
        family_ok = not families or job.family in families
        state_ok = not states or job.state in states
        if cutoff is not None and job.state.is_terminal:
            stamp = job.updated_at or job.created_at
            at = stamp.timestamp() if stamp is not None else None
            if at is not None and at < cutoff:
                if key in reveal:
                    # Typed by id: the user is looking for this very job, however old.
                    revealed += 1
                else:
                    if family_ok and state_ok:
                        hidden += 1
                    continue
            elif at is not None and at < oldest_kept:
                oldest_kept = at
        if state_ok:
            family_counts[job.family] = family_counts.get(job.family, 0) + 1
        if family_ok:
            state_counts[job.state] = state_counts.get(job.state, 0) + 1
        if family_ok and state_ok:
            shown.append(key)
    if cache is not None:
        cache.prune(jobs)
    if presorted is not None:
        # Filtering an already sorted list is much cheaper than sorting the matches.
        wanted = set(shown)
        order = tuple(key for key in presorted if key in wanted)
    else:
        order = tuple(_sorted_keys(jobs, shown, options))
    hides_next_at = (
        oldest_kept + options.hide_finished_after_s
        if cutoff is not None
        and options.hide_finished_after_s is not None
        and math.isfinite(oldest_kept)
        else None
    )
    return ViewResult(
        order=order,
        family_counts=family_counts,
        state_counts=state_counts,
        hidden_finished=hidden,
        revealed_finished=revealed,
        text_matches=tuple(matched) if matched is not None else None,
        hides_next_at=hides_next_at,
    )


def same_place(before: Job, job: Job, options: ViewOptions) -> bool:
    """True when `job`, a newer version of `before`, takes the same place in any view made
    with `options`: it passes the same filters and sorts alike (what changed is only
    shown in its row, like its progress)."""
    if (
        before.state is not job.state
        or before.status != job.status
        or before.kind != job.kind
        or (before.updated_at or before.created_at) != (job.updated_at or job.created_at)
    ):
        return False
    column = column_by_key(options.sort_column) or _DEFAULT_SORT
    if column.sort_value(before) != column.sort_value(job):
        return False
    return before.raw is job.raw or not options.text or haystack(before) == haystack(job)


def sorted_keys(jobs: Mapping[JobKey, Job], options: ViewOptions) -> list[JobKey]:
    """Every key of `jobs` in the order `options` asks for (missing values last)."""
    return _sorted_keys(jobs, list(jobs), options)


def neighbour(
    old_order: Sequence[JobKey], index: int, present: Mapping[JobKey, int]
) -> JobKey | None:
    """The nearest row at or after `index` in the old order that is still shown, else before."""
    for i in range(index, len(old_order)):
        if old_order[i] in present:
            return old_order[i]
    for i in range(min(index, len(old_order)) - 1, -1, -1):
        if old_order[i] in present:
            return old_order[i]
    return None
