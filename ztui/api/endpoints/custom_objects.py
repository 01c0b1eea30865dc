"""Provides the custom-object bulk job endpoints (`/objects/jobs…`, docs/zuora-api.md §6).

The list is paged newest first by cursor, with no total; a job is submitted, then (for
create and update) gets its CSV uploaded; cancel works while it is accepted or pending.
Errors come in the flat `{code, message}` shape (§2.5B).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, Final

from ztui.api.endpoints.common import JobParseCache, body_jobs, checked_key, reading, segment
from ztui.api.errors import BadRequest, MalformedResponse
from ztui.api.models import Family, Job, JobError
from ztui.api.transport import Transport
from ztui.families.custom_object import (
    CUSTOM_OBJECT_MAX_BYTES,
    CUSTOM_OBJECT_MAX_PAGE_SIZE,
    CustomObjectPage,
    parse_custom_object_job,
    parse_job_errors,
)

_CO: Final = "/objects/jobs"

log = logging.getLogger("ztui.api")


class CustomObjectEndpoints:
    """The custom-object calls over one transport.

    Args:
        transport: Sends the requests.
    """

    def __init__(self, transport: Transport) -> None:
        self._t = transport
        self._warned_repeat = False
        self._parsed = JobParseCache()
        """The list's jobs by the text of their JSON: unchanged jobs are not parsed again."""

    def _repeated_cursor(self, cursor: str) -> None:
        """Warn (once per client) and record that the list sent `cursor` a second time."""
        if not self._warned_repeat:
            self._warned_repeat = True
            log.warning(
                "the custom-object job list returned cursor %s a second time; paging stopped",
                cursor,
            )
        self._t.record(
            MalformedResponse(
                f"The custom-object job list returned cursor {cursor} a second time; "
                "the jobs after it are not listed",
                method="GET",
                path=_CO,
            )
        )

    async def list_custom_object_jobs(
        self,
        page_size: int = CUSTOM_OBJECT_MAX_PAGE_SIZE,
        cursor: str | None = None,
        status: str | None = None,
    ) -> CustomObjectPage:
        """Fetch one page of custom-object bulk jobs, newest first.

        Args:
            page_size: Jobs per page; values above 40 are sent as 40 (docs/zuora-api.md §6).
            cursor: The previous page's `cursor` (exclusive), or None for the first page.
            status: Only jobs in this status (`pending`, `in_progress`, ...).
        """
        if page_size < 1:
            raise BadRequest(f"Page size must be at least 1, not {page_size}")
        size = min(page_size, CUSTOM_OBJECT_MAX_PAGE_SIZE)
        params: dict[str, str | int] = {"pageSize": size}
        if cursor:
            params["cursor"] = cursor
        if status:
            params["status"] = status
        response, body = await self._t.call(
            "GET", _CO, shape="co", params=params, answer="list", texts_of="jobs"
        )
        if not cursor:
            # The first page starts a walk: jobs not seen in the last two are forgotten.
            self._parsed.start_walk(self._t.zone)
        with reading(self._t, response):
            jobs = body_jobs(
                body,
                parse_custom_object_job,
                "custom-object list",
                response,
                Family.CUSTOM_OBJECT,
                self._parsed,
                whole=False,
            )
        count = body.get("count")
        next_cursor = body.get("cursor")
        if isinstance(count, bool) or not isinstance(count, int):
            count = len(jobs)
        if not isinstance(next_cursor, str) or not next_cursor:
            next_cursor = None
        return CustomObjectPage(jobs, next_cursor, count, size)

    async def iter_custom_object_pages(
        self,
        *,
        page_size: int = CUSTOM_OBJECT_MAX_PAGE_SIZE,
        status: str | None = None,
        stop_when: Callable[[CustomObjectPage], bool] | None = None,
        max_pages: int | None = None,
    ) -> AsyncIterator[CustomObjectPage]:
        """Yield every page of custom-object jobs, newest first.

        The walk follows the cursor until the server sends none or an empty page; a short
        page does not end it. A cursor that comes back stops it, with one warning.

        Args:
            page_size: Jobs per page (≤ 40 is sent).
            status: Only jobs in this status.
            stop_when: Called with each page after it is yielded; True stops paging (e.g.
                once a page holds only jobs older than those already known).
            max_pages: Stop after this many pages.
        """
        cursor: str | None = None
        seen: set[str] = set()
        pages = 0
        while True:
            page = await self.list_custom_object_jobs(page_size, cursor, status)
            pages += 1
            yield page
            if page.is_last or (stop_when is not None and stop_when(page)):
                return
            if max_pages is not None and pages >= max_pages:
                return
            assert page.cursor is not None  # is_last otherwise
            if page.cursor in seen or page.cursor == cursor:
                # A server repeating a cursor would loop the walk for ever
                # (docs/tolerance.md rule 8).
                self._repeated_cursor(page.cursor)
                return
            seen.add(page.cursor)
            cursor = page.cursor

    async def list_all_custom_object_jobs(
        self, *, status: str | None = None, max_pages: int | None = None
    ) -> list[Job]:
        """Collect the jobs of every page (see `iter_custom_object_pages`)."""
        jobs: list[Job] = []
        async for page in self.iter_custom_object_pages(status=status, max_pages=max_pages):
            jobs.extend(page.jobs)
        return jobs

    async def get_custom_object_job(self, job_id: str) -> Job:
        """Fetch one custom-object bulk job by its UUID."""
        path = f"{_CO}/{segment(job_id, 'Job id')}"
        response, body = await self._t.call("GET", path, shape="co")
        with reading(self._t, response):
            return parse_custom_object_job(body)

    async def list_custom_object_errors(self, job_id: str) -> list[JobError]:
        """Fetch the row-level errors of a custom-object bulk job."""
        path = f"{_CO}/{segment(job_id, 'Job id')}/errors"
        response, body = await self._t.call("GET", path, shape="co", answer="list")
        with reading(self._t, response):
            return parse_job_errors(body)

    async def get_custom_object_errors_raw(self, job_id: str) -> Any:
        """Fetch the errors of a custom-object bulk job as decoded JSON, unparsed.

        For viewers that show malformed entries as received instead of failing the list.
        """
        path = f"{_CO}/{segment(job_id, 'Job id')}/errors"
        _response, body = await self._t.call("GET", path, shape="co", answer="list")
        return body

    async def cancel_custom_object_job(
        self, job_id: str, *, idempotency_key: str | None = None
    ) -> Job:
        """Cancel an `accepted` or `pending` custom-object job; returns the cancelled job."""
        path = f"{_CO}/{segment(job_id, 'Job id')}/cancel"
        response, body = await self._t.call(
            "PATCH", path, shape="co", idempotency_key=checked_key(idempotency_key)
        )
        with reading(self._t, response):
            return parse_custom_object_job(body)

    async def submit_custom_object_job(
        self,
        object: str,
        namespace: str,
        operation: str,
        filter: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Job:
        """Submit a custom-object bulk job (`create`, `update` or `delete`).

        Args:
            object: The object's API name, e.g. `vehicle`.
            namespace: `default` for custom objects, `com_zuora` for standard ones.
            operation: `create`, `update` or `delete`.
            filter: For delete: `{"conditions": [...]}` (1-2 conditions, ANDed).
            idempotency_key: Reused on every retry; a uuid4 when not given.

        Returns:
            The new job (`pending` for create/update, `accepted` for delete).
        """
        payload: dict[str, Any] = {"object": object, "namespace": namespace, "operation": operation}
        if filter is not None:
            payload["filter"] = dict(filter)
        response, body = await self._t.call(
            "POST",
            _CO,
            shape="co",
            json_body=payload,
            idempotency_key=checked_key(idempotency_key),
        )
        with reading(self._t, response):
            return parse_custom_object_job(body)

    async def upload_custom_object_file(
        self, job_id: str, content: bytes, *, idempotency_key: str | None = None
    ) -> Job:
        """Upload the CSV of a `pending` custom-object job (raw body, `text/csv`).

        Returns:
            The job, usually `in_progress` already.
        """
        if len(content) > CUSTOM_OBJECT_MAX_BYTES:
            raise BadRequest(
                f"The CSV is {len(content):,} bytes; custom-object files must be "
                f"≤ {CUSTOM_OBJECT_MAX_BYTES // (1024 * 1024)} MB"
            )
        path = f"{_CO}/{segment(job_id, 'Job id')}/files"
        response, body = await self._t.call(
            "POST",
            path,
            shape="co",
            content=content,
            content_type="text/csv",
            idempotency_key=checked_key(idempotency_key),
        )
        with reading(self._t, response):
            return parse_custom_object_job(body)
