"""Provides the AQuA batch-query endpoints (`/v1/batch-query/…`, docs/zuora-api.md §7).

There is no list: a job is created, then fetched by id until it is done, or cancelled.
Errors live inside the job JSON (§2.5C); a refused create is a job with a null id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ztui.api.endpoints.common import checked_key, reading, segment
from ztui.api.errors import BadRequest, CancelRefused, Reason
from ztui.api.models import AquaBatch, Job, JobState
from ztui.api.parsing import non_empty, opt_str
from ztui.api.transport import Transport
from ztui.families.aqua import parse_aqua_batches, parse_aqua_job

_AQUA_JOBS: Final = "/v1/batch-query/jobs"


class AquaEndpoints:
    """The AQuA calls over one transport.

    Args:
        transport: Sends the requests.
        trailing_slash: POST jobs to `/v1/batch-query/` (True, as the SDK does) or
            `/v1/batch-query` (False, as the REF page shows).
    """

    def __init__(self, transport: Transport, *, trailing_slash: bool = True) -> None:
        self._t = transport
        self._create_path = "/v1/batch-query/" if trailing_slash else "/v1/batch-query"

    async def create_aqua_job(
        self, body: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Job:
        """Submit an AQuA batch query job with the given JSON body (docs/zuora-api.md §7).

        Raises:
            BadRequest: The server rejected it (`status:"error"`, null id) — the message
                carries the server's `message` and `errorCode`.
        """
        response, answer = await self._t.call(
            "POST",
            self._create_path,
            shape="aqua",
            json_body=dict(body),
            idempotency_key=checked_key(idempotency_key),
        )
        with reading(self._t, response):
            return parse_aqua_job(answer)

    async def get_aqua_job(self, job_id: str) -> Job:
        """Fetch one AQuA job (with its batches in `raw`)."""
        path = f"{_AQUA_JOBS}/{segment(job_id, 'Job id')}"
        response, answer = await self._t.call("GET", path, shape="aqua")
        with reading(self._t, response):
            return parse_aqua_job(answer)

    async def cancel_aqua_job(self, job_id: str) -> Job:
        """Cancel an unfinished AQuA job (DELETE, not retried); returns the cancelled job.

        An answer that is not a `cancelled` job, or that carries an `errorCode`, is a
        refusal whatever its HTTP status (docs/tolerance.md rule 10): cancel works only
        while the job is unfinished (docs/zuora-api.md §7), and a job that finished while
        the DELETE was on its way may come back with HTTP 200, its final status and an
        `errorCode`.

        Raises:
            CancelRefused: The server did not cancel the job (its code and message in
                `reasons`).
        """
        path = f"{_AQUA_JOBS}/{segment(job_id, 'Job id')}"
        try:
            response, answer = await self._t.call("DELETE", path, shape="aqua")
        except CancelRefused:
            raise
        except BadRequest as exc:
            if not exc.reasons:
                raise
            raise CancelRefused(
                f"Zuora did not cancel AQuA job {job_id}: {exc.message}",
                status=exc.status,
                request_id=exc.request_id,
                method=exc.method,
                path=exc.path,
                reasons=exc.reasons,
                body_excerpt=exc.body_excerpt,
            ) from None
        with reading(self._t, response):
            job = parse_aqua_job(answer)
        code = non_empty(opt_str(answer, "errorCode", "AQuA job")) if answer else None
        if job.state is JobState.CANCELLED and code is None:
            return job
        message = non_empty(opt_str(answer, "message", "AQuA job")) or ""
        finished = job.state.is_terminal
        text = (
            f"AQuA job {job_id} finished ({job.status}) before the cancel reached it"
            if finished
            else f"Zuora did not cancel AQuA job {job_id} (it is {job.status or 'of no status'})"
        )
        error = CancelRefused(
            f"{text}: {message}" if message else text,
            job_status=job.status,
            finished=finished,
            status=response.status_code,
            request_id=response.headers.get("Zuora-Request-Id"),
            method="DELETE",
            path=path,
            reasons=[Reason(code or "", message)] if code or message else [],
        )
        self._t.record(error)
        raise error

    async def get_aqua_batches(self, job: Job | str) -> list[AquaBatch]:
        """The batches of an AQuA job: parsed from a `Job`'s raw JSON, or fetched by id."""
        if isinstance(job, str):
            job = await self.get_aqua_job(job)
        return parse_aqua_batches(job.raw)
