"""Provides the JSON form of jobs that `ztui jobs --json` prints and a hub's `/api/jobs`
serves: the normalised fields (the same `Job` the board shows) and the job exactly as the
server sent it (`raw`), in the board's default order, old finished jobs left out as the
board leaves them out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from ztui.api.models import Family, Job, JobError
from ztui.core.sanitize import json_safe

__all__ = [
    "board_order",
    "dumps",
    "error_to_dict",
    "hide_old_finished",
    "job_to_dict",
    "jobs_listing",
    "jsonable",
]


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def job_to_dict(job: Job) -> dict[str, Any]:
    """A JSON-ready dict of a job: normalised fields plus `raw`, the wire JSON as received.

    Args:
        job: The job to convert.

    Returns:
        A dict whose values are JSON types only.
    """
    return {
        "family": job.family.value,
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "state": job.state.value,
        "terminal": job.state.is_terminal,
        "progress": job.progress,
        "processed": job.processed,
        "succeeded": job.succeeded,
        "failed": job.failed,
        "total": job.total,
        "created_at": _iso(job.created_at),
        "updated_at": _iso(job.updated_at),
        "message": job.message,
        "dry_run": job.dry_run,
        "raw": jsonable(job.raw),
        **_unreadable_fields(job),
    }


def _unreadable_fields(job: Job) -> dict[str, Any]:
    # docs/tolerance.md rule 1: the id the object carries (None when it has none) and the
    # element exactly as received, whatever its JSON type.
    if job.unreadable is None:
        return {}
    return {"id": job.unreadable.job_id, "raw": jsonable(job.unreadable.value)}


def error_to_dict(error: JobError) -> dict[str, Any]:
    """A JSON-ready dict of one row error."""
    return {
        "row": error.row,
        "code": error.code,
        "message": error.message,
        "record": jsonable(error.record),
    }


def jsonable(value: object) -> Any:
    # `raw` is parsed JSON already, but behind read-only mapping views; copy to plain types.
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(value: object, *, indent: int | None = 2) -> str:
    """Serialise to JSON text (UTF-8 kept, keys in insertion order); the characters a
    terminal could act on are `\\u` escapes, so the text is safe to print and the same
    JSON value (`ztui.core.sanitize.json_safe`)."""
    return json_safe(json.dumps(value, indent=indent, ensure_ascii=False))


def board_order(jobs: Iterable[Job]) -> list[Job]:
    """Jobs in the board's default order: newest created first, unknown times last.

    Ties keep `(family, id)` order, as the board's stable sort does.
    """
    ordered = sorted(jobs, key=lambda job: (list(Family).index(job.family), job.id))
    dated = [job for job in ordered if job.created_at is not None]
    undated = [job for job in ordered if job.created_at is None]
    dated.sort(key=lambda job: job.created_at or datetime.min, reverse=True)
    return dated + undated


def hide_old_finished(
    jobs: Iterable[Job], hide_after_s: float, now: float
) -> tuple[list[Job], int]:
    """Drop finished jobs last updated longer ago than `hide_after_s`, as the board does.

    The board's rule (`ztui.widgets.job_table.compute_view`): a terminal job whose
    `updated_at` (else `created_at`) is older than the cutoff is hidden; active jobs and
    jobs without a time are always shown.

    Returns:
        The jobs kept and how many were hidden.
    """
    cutoff = now - hide_after_s
    kept: list[Job] = []
    hidden = 0
    for job in jobs:
        stamp = job.updated_at or job.created_at
        if job.state.is_terminal and stamp is not None and stamp.timestamp() < cutoff:
            hidden += 1
        else:
            kept.append(job)
    return kept, hidden


def jobs_listing(
    jobs: Iterable[Job], *, hide_after_s: float | None, now: float
) -> tuple[list[dict[str, Any]], int]:
    """The jobs as `ztui jobs --json` lists them: board order, old finished ones hidden.

    Args:
        jobs: The jobs of a snapshot.
        hide_after_s: Hide finished jobs last updated longer ago than this; None keeps all.
        now: Epoch seconds.

    Returns:
        The JSON-ready dicts and how many finished jobs were hidden.
    """
    kept, hidden = (
        hide_old_finished(jobs, hide_after_s, now) if hide_after_s is not None else (list(jobs), 0)
    )
    return [job_to_dict(job) for job in board_order(kept)], hidden
