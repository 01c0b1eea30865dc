"""Provides the text and JSON forms of jobs and errors printed by the headless commands.

JSON carries both the normalised fields (the same `Job` the board shows) and the job
exactly as the server sent it (`raw`), so scripts can rely on either.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rich.cells import cell_len

from ztui.api.models import Job, JobError, JobState
from ztui.families import family_def
from ztui.view.columns import fit_cells, plain_table
from ztui.view.listing import dumps, error_to_dict, job_to_dict, jsonable

__all__ = ["dumps", "error_to_dict", "job_to_dict"]

OUTCOME_WORDS: Mapping[JobState, str] = {
    JobState.SUCCEEDED: "succeeded",
    JobState.FAILED: "failed",
    JobState.CANCELLED: "cancelled",
    JobState.STOPPED: "stopped",
}
"""How a terminal state is named in a watch's final line."""


def format_progress(job: Job) -> str:
    """`42%`, or `-` when the family does not report progress."""
    if job.progress is None:
        return "-"
    return f"{math.floor(job.progress * 100)}%"


def _short_time(value: datetime | None) -> str:
    if value is None:
        return "-"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _one_line(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if cell_len(flat) <= width else fit_cells(flat, width)


def format_table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """A plain left-aligned table: header row, then rows, columns separated by two spaces.

    Widths are terminal cells, so wide characters (CJK, emoji) keep the columns aligned.
    """
    widths = [cell_len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], cell_len(cell))
    lines = ["  ".join(fit_cells(h, widths[i]) for i, h in enumerate(headers)).rstrip()]
    for row in rows:
        lines.append("  ".join(fit_cells(cell, widths[i]) for i, cell in enumerate(row)).rstrip())
    return "\n".join(lines)


def jobs_table(jobs: Iterable[Job], now: float | None = None) -> str:
    """The plain table `ztui jobs` prints: one row per job, in the board's columns.

    The headers and cell text are the board's (`ztui.view.columns`), plus the State and
    Message columns the board leaves out; an empty cell prints as `-`.

    Args:
        jobs: The rows, in order.
        now: Epoch seconds for the Upd column (default: the current time).
    """
    return plain_table(jobs, datetime.now(UTC).timestamp() if now is None else now)


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def job_detail(job: Job) -> str:
    """Everything about one job as `key: value` lines, its queries (AQuA), then the raw JSON."""
    lines = [
        f"id:         {job.id}",
        f"family:     {job.family.label} ({job.family.value})",
        f"kind:       {job.kind}",
        f"status:     {job.status or '-'}",
        f"state:      {job.state.value}{' (finished)' if job.state.is_terminal else ''}",
        f"progress:   {format_progress(job)}",
        f"processed:  {_count(job.processed)}",
        f"succeeded:  {_count(job.succeeded)}",
        f"failed:     {_count(job.failed)}",
        f"total:      {_count(job.total)}",
        f"created:    {_short_time(job.created_at)}",
        f"updated:    {_short_time(job.updated_at)}",
    ]
    if job.message:
        lines.append(f"message:    {job.message}")
    parse_batches = family_def(job.family).parse_batches
    if parse_batches is not None:
        batches = parse_batches(job.raw)
        if batches:
            lines.append("batches:")
            for batch in batches:
                records = "-" if batch.record_count is None else str(batch.record_count)
                extra = f"  file {batch.file_id}" if batch.file_id else ""
                note = f"  ({batch.message})" if batch.message else ""
                lines.append(
                    f"  {batch.name or batch.batch_id or '?'}: {batch.status}, "
                    f"{records} records{extra}{note}"
                )
    lines.append("raw:")
    lines.extend("  " + line for line in dumps(jsonable(job.raw)).splitlines())
    return "\n".join(lines)


def errors_table(errors: Sequence[JobError]) -> str:
    """The plain table `ztui errors` prints for row errors."""
    rows = [
        (_count(e.row), e.code or "-", _one_line(e.message, 100), _record_id(e.record))
        for e in errors
    ]
    return format_table(rows, ("ROW", "CODE", "MESSAGE", "RECORD"))


def _record_id(record: Mapping[str, Any]) -> str:
    for key in ("Id", "id"):
        value = record.get(key)
        if isinstance(value, str) and value:
            return value
    return "-"


def change_line(job: Job, now: datetime | None = None) -> str:
    """One `watch` line for a job whose status or progress changed."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%H:%M:%SZ")
    parts = [stamp, job.id, job.family.value, job.status or "(no status)", format_progress(job)]
    if job.message:
        parts.append(_one_line(job.message, 100))
    return "  ".join(parts)


def final_line(job_id: str, outcome: str, job: Job | None = None, detail: str = "") -> str:
    """One `watch` final line: `ID  OUTCOME  family=F status=S[  message]`."""
    parts = [job_id, outcome]
    if job is not None:
        parts.append(f"family={job.family.value} status={job.status or '-'}")
    text = detail or (job.message if job is not None and job.message else "")
    if text:
        parts.append(_one_line(text, 200))
    return "  ".join(parts)
