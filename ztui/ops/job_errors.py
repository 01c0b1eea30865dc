"""Provides `fetch_job_errors`: why a job failed, for every family, UI-free.

The error viewer and `ztui errors` both call it, so they give the same answer. What each
family can tell (docs/zuora-api.md §3-§7), read from its `FamilyDef`:

- a row-error list (custom objects): every entry, malformed ones kept raw;
- a result file (data backfill): the failed rows of your file, downloaded and read;
- queries (AQuA): the job's `errorCode`/`message` and each batch that did not complete;
- otherwise (booking date, auto-backfill): the failure message, and the error count when
  the API gives no detail.

The job's own failure message, when it has one, always comes first.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ztui.api.errors import MalformedResponse
from ztui.api.models import Job, JobError, JobState
from ztui.families import family_def
from ztui.ops.export import MALFORMED_CODE, cell_text, parse_errors_tolerant, read_backfill_result

if TYPE_CHECKING:
    from ztui.api.client import ZuoraClient

__all__ = [
    "COUNT_ONLY_CODE",
    "ExportShape",
    "FetchedErrors",
    "export_shape",
    "fetch_job_errors",
    "job_message_errors",
]

COUNT_ONLY_CODE = "errorCount"
"""The code of the entry standing for failures the API counts but does not list."""

_ENDED_BADLY = frozenset({"aborted", "deleted_notallowed", "cancelled"})
"""AQuA batch statuses that mean the query did not complete."""


@dataclass(frozen=True)
class FetchedErrors:
    """The errors of one job and where they came from."""

    job: Job
    """The job as read while fetching (fresh, unless it was given)."""
    errors: list[JobError]
    """Every error, in the server's order (the job's own message first)."""
    source: str
    """What was read, for a summary line ("GET /objects/jobs/{id}/errors")."""

    @property
    def failed(self) -> bool:
        """True when the job reports any failure: an error, a failure count, a bad end."""
        return bool(self.errors) or bool(self.job.failed) or self.job.state is JobState.FAILED


@dataclass(frozen=True)
class ExportShape:
    """How a fix-and-resubmit export of a job's failed rows is laid out (see
    `ztui.ops.export.plan_export`)."""

    reference_prefix: str | None
    """Errors as reference columns with this prefix; None: in a file beside the rows."""
    key_column: str | None
    """The column the re-upload must carry even when the errors do not echo it."""


_KEYED_OPERATIONS = frozenset({"update", "delete"})
"""Custom-object operations whose file names each record by id (docs/zuora-api.md §6)."""


def export_shape(job: Job) -> ExportShape:
    """The export layout a re-upload of `job`'s failed rows needs."""
    definition = family_def(job.family)
    operation = str(job.raw.get("operation") or "").lower()
    keyed = definition.has_row_errors and operation in _KEYED_OPERATIONS
    return ExportShape(definition.create.reference_prefix, "Id" if keyed else None)


def job_message_errors(job: Job) -> list[JobError]:
    """The job's own failure message as an error entry (none when it has no message)."""
    if not job.message:
        return []
    code = job.raw.get("errorCode")
    return [JobError(row=None, code=cell_text(code) if code else job.status, message=job.message)]


def _batch_errors(job: Job) -> list[JobError]:
    parse_batches = family_def(job.family).parse_batches
    if parse_batches is None:
        return []
    try:
        batches = parse_batches(job.raw)
    except MalformedResponse as exc:
        return [JobError(row=None, code=MALFORMED_CODE, message=exc.message)]
    return [
        JobError(
            row=None,
            code=batch.status,
            message=batch.message or f"batch {batch.status}",
            record={"batch": batch.name or batch.batch_id or "", "query": batch.query},
        )
        for batch in batches
        if batch.message or batch.status.lower() in _ENDED_BADLY
    ]


async def _result_rows(client: ZuoraClient, file_id: str) -> list[JobError]:
    folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="ztui-result-"))
    try:
        path = await client.download_file(file_id, folder / f"{file_id}.result")
        return await asyncio.to_thread(read_backfill_result, path)
    finally:
        # The rows are in memory now; the downloaded copy is not the user's to keep.
        await asyncio.to_thread(shutil.rmtree, folder, True)


async def fetch_job_errors(client: ZuoraClient, job: Job) -> FetchedErrors:
    """Everything the API says about why `job` failed.

    Args:
        client: The API client.
        job: The job, as last read (it is read again when its own fields are the answer).

    Returns:
        The errors and their source.

    Raises:
        ApiError: The job or its errors could not be read.
        ExportError: The result file could not be read.
    """
    definition = family_def(job.family)
    calls = definition.calls
    if calls.row_errors_raw is not None:
        body = await calls.row_errors_raw(client, job.id)
        rows = await asyncio.to_thread(parse_errors_tolerant, body)
        return FetchedErrors(job, [*job_message_errors(job), *rows], "the job's error list")
    if calls.row_errors is not None:
        rows = await calls.row_errors(client, job.id)
        return FetchedErrors(job, [*job_message_errors(job), *rows], "the job's error list")
    job = await client.get_job(job.family, job.id)
    errors = job_message_errors(job)
    if definition.parse_batches is not None:
        # An AQuA `message` is the job's own; the batches say which query failed.
        return FetchedErrors(job, [*errors, *_batch_errors(job)], "job and batch messages")
    result_file = definition.result_file
    file_id = job.raw.get(result_file.id_key) if result_file is not None else None
    if isinstance(file_id, str) and file_id and job.failed:
        rows = await _result_rows(client, file_id)
        return FetchedErrors(job, [*errors, *rows], "failure message and result file")
    if job.failed:
        errors.append(
            JobError(
                row=None,
                code=COUNT_ONLY_CODE,
                message=f"{job.failed:,} error(s) counted; the API gives no detail",
            )
        )
    return FetchedErrors(job, errors, "failure message")
