"""Provides the uno endpoints: data backfill, booking-date and auto-backfill jobs.

docs/zuora-api.md §3-§5.

All three answer in the v1 `CommonResponse` shape (§2.5A). The data backfill list has
two spellings (§8 #1), and the auto-backfill list, get and stop exist on newer tenants
only (§5); the group remembers what it found out about both.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Final

import httpx

from ztui.api.endpoints.common import (
    JobParseCache,
    body_field,
    body_job_id,
    body_jobs,
    checked_key,
    reading,
    segment,
)
from ztui.api.errors import (
    TRANSIENT_ERRORS,
    ApiError,
    AuthError,
    BadRequest,
    NotFound,
    NotSupported,
)
from ztui.api.models import Family, Job
from ztui.api.transport import Answer, Transport
from ztui.families.booking_date import parse_booking_date_job
from ztui.families.data_backfill import DATA_BACKFILL_MAX_BYTES, parse_data_backfill_job
from ztui.families.propagation import PROPAGATION_MAX_BATCH_SIZE, parse_propagation_job

UNO: Final = "/v1/uno/data-backfill"
"""The root of every uno path."""
_DATA_LIST_PATHS: Final = (f"{UNO}/listjobs", "/v1/uno/date-backfill/listjobs")
_BOOKING: Final = f"{UNO}/bookingdate/jobs"
_PROPAGATION: Final = f"{UNO}/propagation/jobs"
_STOPPING: Final = {"status": "Stopping"}
_DB: Final = Family.DATA_BACKFILL
_MIB: Final = 1024 * 1024
_LISTED: Final = (Family.DATA_BACKFILL, Family.BOOKING_DATE, Family.PROPAGATION)

log = logging.getLogger("ztui.api")

_NO_FALLBACK: Final[tuple[type[ApiError], ...]] = (AuthError, *TRANSIENT_ERRORS)
"""Failures the other data-backfill list spelling would not fare better with."""


class UnoEndpoints:
    """The uno calls over one transport.

    Args:
        transport: Sends the requests.
    """

    def __init__(self, transport: Transport) -> None:
        self._t = transport
        self._data_list_path: str | None = None
        self._propagation_readable: bool | None = None
        self._parsed = {family: JobParseCache() for family in _LISTED}
        """Each list's jobs by the text of their JSON: unchanged jobs are not parsed again."""

    # ------------------------------------------------------------------ data backfill

    async def list_data_backfill_jobs(self) -> list[Job]:
        """List every data backfill job.

        The list has two spellings, `/v1/uno/data-backfill/listjobs` ([REF]) and
        `/v1/uno/date-backfill/listjobs` ([SDK], seed 000) (docs/zuora-api.md §3, §8 #1).
        Any answer of the first that is not a successful list (404, 405, 400, 403, HTTP 200
        with `success:false`, a body without `jobs`) makes it try the other
        (docs/tolerance.md rule 7). The spelling that worked is remembered for this
        connection and tried first from then on; the other only when it stops working.

        Raises:
            ApiError: Transient and auth failures at once (the other spelling would fare
                no better); otherwise the first spelling's error when both fail.
        """
        first = self._data_list_path or _DATA_LIST_PATHS[0]
        candidates = [first, *(p for p in _DATA_LIST_PATHS if p != first)]
        failures: list[ApiError] = []
        for path in candidates:
            try:
                response, body = await self._t.call(
                    "GET", path, shape="uno", answer="list", texts_of="jobs"
                )
                with reading(self._t, response):
                    jobs = body_jobs(
                        body,
                        parse_data_backfill_job,
                        "data backfill list",
                        response,
                        _DB,
                        self._parsed[_DB],
                        zone=self._t.zone,
                    )
            except _NO_FALLBACK:
                raise
            except ApiError as exc:
                log.info(
                    "data backfill list at %s failed (%s); trying the other spelling", path, exc
                )
                failures.append(exc)
                continue
            if path != self._data_list_path:
                log.info("data backfill list answers at %s", path)
            self._data_list_path = path
            return jobs
        # A 404 or 405 says little ("not this spelling"); prefer an error that says more.
        telling = [e for e in failures if not isinstance(e, NotFound | NotSupported)]
        raise (telling or failures)[0]

    async def get_data_backfill_job(self, job_id: str) -> Job:
        """Fetch one data backfill job by its 32-hex id."""
        path = f"{UNO}/jobs/{segment(job_id, 'Job id')}"
        response, body = await self._t.call("GET", path, shape="uno")
        with reading(self._t, response):
            return parse_data_backfill_job(body_field(body, "job", "data backfill job", response))

    async def create_data_backfill_job(
        self,
        job_type: str,
        content: bytes,
        *,
        filename: str = "upload.csv",
        checksum: str | None = None,
    ) -> str:
        """Upload a CSV (or zipped CSV) as a new data backfill job.

        Never retried: the endpoint takes no idempotency key, so a failure after sending
        may still have created a job; re-list before trying again (docs/zuora-api.md §2.6).

        Args:
            job_type: One of `DATA_BACKFILL_TYPES`.
            content: The file's bytes (≤ 4 MB).
            filename: The file name sent in the multipart part.
            checksum: MD5 hex of `content`; computed when not given.

        Returns:
            The new job's id.
        """
        if not job_type.strip():
            raise BadRequest("Data backfill job type is empty")
        if len(content) > DATA_BACKFILL_MAX_BYTES:
            raise BadRequest(
                f"{filename} is {len(content):,} bytes; data backfill files must be "
                f"≤ {DATA_BACKFILL_MAX_BYTES // _MIB} MB"
            )
        digest = checksum if checksum is not None else hashlib.md5(content).hexdigest()
        is_zip = filename.lower().endswith(".zip")
        response, body = await self._t.call(
            "POST",
            f"{UNO}/jobs",
            shape="uno",
            data={"type": job_type, "checksum": digest},
            files={"file": (filename, content, "application/zip" if is_zip else "text/csv")},
        )
        with reading(self._t, response):
            return body_job_id(body, "data backfill create", response)

    async def stop_data_backfill_job(self, job_id: str) -> None:
        """Ask a pending or processing data backfill job to stop (`{"status":"Stopping"}`)."""
        path = f"{UNO}/jobs/{segment(job_id, 'Job id')}"
        await self._t.call("PUT", path, shape="uno", json_body=_STOPPING)

    # ------------------------------------------------------------------ booking date

    async def list_booking_date_jobs(self) -> list[Job]:
        """List every booking-date backfill job."""
        response, body = await self._t.call(
            "GET", _BOOKING, shape="uno", answer="list", texts_of="jobs"
        )
        with reading(self._t, response):
            return body_jobs(
                body,
                parse_booking_date_job,
                "booking-date list",
                response,
                Family.BOOKING_DATE,
                self._parsed[Family.BOOKING_DATE],
                zone=self._t.zone,
            )

    async def get_booking_date_job(self, job_id: str) -> Job:
        """Fetch one booking-date backfill job."""
        path = f"{_BOOKING}/{segment(job_id, 'Job id')}"
        response, body = await self._t.call("GET", path, shape="uno")
        with reading(self._t, response):
            return parse_booking_date_job(body_field(body, "job", "booking-date job", response))

    async def create_booking_date_job(self) -> str:
        """Start a booking-date backfill (no body, no idempotency key, never retried).

        Returns:
            The new job's id.
        """
        response, body = await self._t.call("POST", _BOOKING, shape="uno")
        with reading(self._t, response):
            return body_job_id(body, "booking-date create", response)

    async def stop_booking_date_job(self, job_id: str) -> None:
        """Ask a booking-date backfill job to stop."""
        path = f"{_BOOKING}/{segment(job_id, 'Job id')}"
        await self._t.call("PUT", path, shape="uno", json_body=_STOPPING)

    # ------------------------------------------------------------------ propagation

    async def create_propagation_job(
        self,
        job_type: str,
        *,
        batch_size: int | None = None,
        dry_run: bool | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        """Start an auto-backfill ("propagation") job.

        Args:
            job_type: `RatePlanCharge` or `OrderLineItem`.
            batch_size: 1..1000 (server default 1000); checked before sending.
            dry_run: Run without updating data.
            idempotency_key: Reused on every retry; a uuid4 when not given.

        Returns:
            The new job's id (store it: list/get may not exist on the tenant).
        """
        if not job_type.strip():
            raise BadRequest("Auto-backfill type is empty")
        payload: dict[str, Any] = {"type": job_type}
        if batch_size is not None:
            if isinstance(batch_size, bool) or not isinstance(batch_size, int):
                raise BadRequest("Auto-backfill batch size must be a whole number")
            if not 1 <= batch_size <= PROPAGATION_MAX_BATCH_SIZE:
                raise BadRequest(
                    f"Auto-backfill batch size must be 1-{PROPAGATION_MAX_BATCH_SIZE}, "
                    f"not {batch_size}"
                )
            payload["batchSize"] = batch_size
        if dry_run is not None:
            payload["dryRun"] = bool(dry_run)
        response, body = await self._t.call(
            "POST",
            _PROPAGATION,
            shape="uno",
            json_body=payload,
            idempotency_key=checked_key(idempotency_key),
        )
        with reading(self._t, response):
            return body_job_id(body, "auto-backfill create", response)

    @property
    def propagation_readable(self) -> bool | None:
        """Whether the tenant serves auto-backfill list/get/stop (None until probed)."""
        return self._propagation_readable

    async def _propagation_call(
        self,
        method: str,
        path: str,
        what: str,
        json_body: object = None,
        answer: Answer = "job",
        texts_of: str | None = None,
    ) -> tuple[httpx.Response, Any]:
        try:
            result = await self._t.call(
                method, path, shape="uno", json_body=json_body, answer=answer, texts_of=texts_of
            )
        except (NotFound, NotSupported) as exc:
            # docs/zuora-api.md §5: list/get/stop exist only in the newest REF. A 404 before any of
            # them ever worked means the tenant lacks them; afterwards it is a missing job.
            if self._propagation_readable and isinstance(exc, NotFound):
                raise
            self._propagation_readable = False
            raise NotSupported(
                f"Auto-backfill {what} is not available via the API on this tenant "
                f"(HTTP {exc.status}: {exc.message})",
                status=exc.status,
                request_id=exc.request_id,
                method=method,
                path=path,
                reasons=exc.reasons,
            ) from None
        self._propagation_readable = True
        return result

    async def list_propagation_jobs(self) -> list[Job]:
        """List auto-backfill jobs.

        Raises:
            NotSupported: The tenant does not serve this REF-only call (404/405).
        """
        response, body = await self._propagation_call(
            "GET", _PROPAGATION, "job listing", answer="list", texts_of="jobs"
        )
        with reading(self._t, response):
            return body_jobs(
                body,
                parse_propagation_job,
                "auto-backfill list",
                response,
                Family.PROPAGATION,
                self._parsed[Family.PROPAGATION],
                zone=self._t.zone,
            )

    async def get_propagation_job(self, job_id: str) -> Job:
        """Fetch one auto-backfill job.

        Raises:
            NotSupported: The tenant does not serve this REF-only call (404/405).
        """
        path = f"{_PROPAGATION}/{segment(job_id, 'Job id')}"
        response, body = await self._propagation_call("GET", path, "job status")
        with reading(self._t, response):
            return parse_propagation_job(body_field(body, "job", "auto-backfill job", response))

    async def stop_propagation_job(self, job_id: str) -> None:
        """Ask an auto-backfill job to stop.

        Raises:
            NotSupported: The tenant does not serve this REF-only call (404/405).
        """
        path = f"{_PROPAGATION}/{segment(job_id, 'Job id')}"
        await self._propagation_call("PUT", path, "stop", json_body=_STOPPING)
