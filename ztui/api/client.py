"""Provides `ZuoraClient`: the async client for every Zuora job endpoint ztui uses.

A facade over one `httpx.AsyncClient`: the `Transport` sends each request with the
standard headers, the token (`TokenAuth`), retries and error mapping; the endpoint
groups (`ztui.api.endpoints`) know the paths and bodies. The family-specific calls are
methods of their own; `get_job`, `list_jobs` and `stop_job` take a family and dispatch
through the registry (`ztui.families`). Every public operation returns parsed models
(`Job`, `JobError`, `AquaBatch`) or ids.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import tzinfo
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from ztui import __version__
from ztui.api.budget import RateBudget
from ztui.api.endpoints.aqua import AquaEndpoints
from ztui.api.endpoints.custom_objects import CustomObjectEndpoints
from ztui.api.endpoints.files import FileEndpoints
from ztui.api.endpoints.uno import UnoEndpoints
from ztui.api.errors import ApiErrorRecord, NotSupported
from ztui.api.models import AquaBatch, Family, Job, JobError
from ztui.api.parsing import load_zone
from ztui.api.transport import (
    ANSWER_DEADLINE_S,
    MAX_JOB_ANSWER_BYTES,
    MAX_LIST_ANSWER_BYTES,
    CallInfo,
    Transport,
    current_call,
)
from ztui.core.secret import Secret
from ztui.families import family_def
from ztui.families.custom_object import CUSTOM_OBJECT_MAX_PAGE_SIZE, CustomObjectPage

__all__ = ["ZuoraClient"]


class ZuoraClient:
    """Async client for the Zuora job endpoints (docs/zuora-api.md §1).

    Use as `async with ZuoraClient(...) as client:` or call `aclose()` when done.
    """

    def __init__(
        self,
        base_url: str,
        *,
        client_id: str | None = None,
        client_secret: Secret | None = None,
        bearer_token: Secret | None = None,
        org_ids: Sequence[str] = (),
        entity_id: str | None = None,
        timezone: str | tzinfo | None = None,
        read_only: bool = False,
        timeout: float = 30.0,
        max_retries: int = 3,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        user_agent: str = f"ztui/{__version__}",
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        max_retry_wait: float = 60.0,
        error_log_size: int = 200,
        aqua_trailing_slash: bool = True,
        max_list_answer_bytes: int = MAX_LIST_ANSWER_BYTES,
        max_job_answer_bytes: int = MAX_JOB_ANSWER_BYTES,
        answer_deadline_s: float = ANSWER_DEADLINE_S,
    ) -> None:
        """Create a client; no request is sent until the first operation.

        Args:
            base_url: The tenant's REST root (docs/zuora-api.md §2.1), e.g. `https://rest.zuora.com`.
            client_id: OAuth client id (with `client_secret`).
            client_secret: OAuth client secret.
            bearer_token: A pre-issued access token, used instead of client credentials.
            org_ids: Sent as `Zuora-Org-Ids` when non-empty.
            entity_id: Sent as `Zuora-Entity-Ids` when given: a single entity id
                (docs/zuora-api.md §2.3).
            timezone: The tenant's zone (an IANA name such as "America/Los_Angeles"),
                in which timestamps that name no zone are read; UTC when None
                (docs/tolerance.md rule 6).
            read_only: Refuse every write locally.
            timeout: Seconds for connect/read/write/pool timeouts.
            max_retries: Retries for idempotent requests on 5xx, 429 and transport errors.
            sleep: Awaited between retries; tests inject a recorder.
            user_agent: The `User-Agent` header.
            clock: Monotonic time source, for token expiry and the rate budget.
            rng: Uniform [0, 1) source for backoff jitter.
            max_retry_wait: A retry that would wait longer than this raises instead, so the
                caller (the watcher) paces itself rather than blocking inside one call.
            error_log_size: How many failures `error_log` keeps.
            aqua_trailing_slash: POST AQuA jobs to `/v1/batch-query/` (True, as the SDK does)
                or `/v1/batch-query` (False, as the REF page shows).
            max_list_answer_bytes: The most read of a list answer, after gzip.
            max_job_answer_bytes: The most read of any other answer (one job), after gzip.
            answer_deadline_s: The longest one request may take, connect to last byte.

        Raises:
            ValueError: `base_url` is not an http(s) URL, or `timezone` is not a known zone.
        """
        url = httpx.URL(base_url.strip())
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(
                f"Base URL {base_url!r} must be an http:// or https:// address, "
                "e.g. https://rest.apisandbox.zuora.com"
            )
        self.base_url = str(url).rstrip("/")
        zone = load_zone(timezone) if isinstance(timezone, str) else timezone
        self._auth_text = "bearer" if bearer_token is not None else f"client_id={client_id!r}"
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip"},
            follow_redirects=False,
            # Loading the CA store costs ~20 ms at start-up; a plain-http root (the
            # simulator) never uses TLS, and redirects are not followed.
            verify=url.scheme == "https",
        )
        self._transport = Transport(
            self._http,
            client_id=client_id,
            client_secret=client_secret,
            bearer_token=bearer_token,
            org_ids=org_ids,
            entity_id=entity_id,
            zone=zone,
            read_only=read_only,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
            sleep=sleep,
            clock=clock,
            rng=rng,
            error_log_size=error_log_size,
        )
        self._transport.max_list_answer_bytes = max_list_answer_bytes
        self._transport.max_job_answer_bytes = max_job_answer_bytes
        self._transport.answer_deadline_s = answer_deadline_s
        self._uno = UnoEndpoints(self._transport)
        self._co = CustomObjectEndpoints(self._transport)
        self._aqua = AquaEndpoints(self._transport, trailing_slash=aqua_trailing_slash)
        self._files = FileEndpoints(self._transport)

    def __repr__(self) -> str:
        mode = ", read_only" if self.read_only else ""
        return f"ZuoraClient({self.base_url!r}, {self._auth_text}{mode})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connection pool and forget the cached token."""
        await self._transport.aclose()

    # ------------------------------------------------------------------ state

    @property
    def read_only(self) -> bool:
        """When True every write raises `ReadOnlyError` before anything is sent."""
        return self._transport.read_only

    @property
    def max_retries(self) -> int:
        """Retries for idempotent requests on 5xx, 429 and transport errors."""
        return self._transport.max_retries

    @max_retries.setter
    def max_retries(self, value: int) -> None:
        self._transport.max_retries = max(0, value)

    @property
    def max_retry_wait(self) -> float:
        """A retry that would wait longer than this many seconds raises instead."""
        return self._transport.max_retry_wait

    @property
    def budget(self) -> RateBudget:
        """The rate-limit budget from the latest response headers."""
        return self._transport.budget

    @property
    def calls_made(self) -> int:
        """HTTP requests sent, token calls included."""
        return self._transport.calls_made

    @property
    def api_calls_made(self) -> int:
        """HTTP requests sent, token calls excluded."""
        return self._transport.api_calls_made

    @property
    def last_request_id(self) -> str | None:
        """`Zuora-Request-Id` of the latest response."""
        return self._transport.last_request_id

    @property
    def error_log(self) -> deque[ApiErrorRecord]:
        """The most recent failed requests (no secrets, no query strings)."""
        return self._transport.error_log

    @property
    def last_call(self) -> CallInfo | None:
        """The latest call made from the current asyncio task (its request and track ids).

        Unlike `last_request_id`, the watcher's polls in their own task never change it, so
        an action can journal the ids of its own request.
        """
        return current_call()

    @property
    def timezone(self) -> tzinfo | None:
        """The tenant zone timestamps without a zone are read in (None: UTC)."""
        return self._transport.zone

    @property
    def propagation_readable(self) -> bool | None:
        """Whether the tenant serves auto-backfill list/get/stop (None until probed)."""
        return self._uno.propagation_readable

    # ------------------------------------------------------------------ any family

    async def get_job(self, family: Family, job_id: str) -> Job:
        """Fetch one job of any family with its family's get."""
        return await family_def(family).calls.get(self, job_id)

    async def stop_job(self, family: Family, job_id: str) -> Job | None:
        """Stop or cancel a job with its family's call.

        Returns:
            The updated job when the family's response carries it (custom objects, AQuA),
            else None (the uno stop only acknowledges).
        """
        return await family_def(family).calls.stop(self, job_id)

    async def list_jobs(self, family: Family, *, max_pages: int | None = None) -> list[Job]:
        """List the jobs of one family (every page of a paged list unless `max_pages`).

        Raises:
            NotSupported: The family has no list call (AQuA); follow known job ids instead.
        """
        definition = family_def(family)
        if definition.calls.list_all is None:
            raise NotSupported(f"{definition.label} has no job list; follow known job ids instead")
        return await definition.calls.list_all(self, max_pages)

    # ------------------------------------------------------------------ data backfill

    async def list_data_backfill_jobs(self) -> list[Job]:
        """List every data backfill job (docs/zuora-api.md §3); see `UnoEndpoints`."""
        return await self._uno.list_data_backfill_jobs()

    async def get_data_backfill_job(self, job_id: str) -> Job:
        """Fetch one data backfill job by its 32-hex id."""
        return await self._uno.get_data_backfill_job(job_id)

    async def get_data_backfill_template(self, job_type: str) -> tuple[str, bytes]:
        """Download the CSV template of a data backfill type: `(filename, content)`."""
        return await self._files.get_data_backfill_template(job_type)

    async def create_data_backfill_job(
        self,
        job_type: str,
        content: bytes,
        *,
        filename: str = "upload.csv",
        checksum: str | None = None,
    ) -> str:
        """Upload a CSV as a new data backfill job (never retried); returns its id."""
        return await self._uno.create_data_backfill_job(
            job_type, content, filename=filename, checksum=checksum
        )

    async def stop_data_backfill_job(self, job_id: str) -> None:
        """Ask a pending or processing data backfill job to stop."""
        await self._uno.stop_data_backfill_job(job_id)

    # ------------------------------------------------------------------ booking date

    async def list_booking_date_jobs(self) -> list[Job]:
        """List every booking-date backfill job (docs/zuora-api.md §4)."""
        return await self._uno.list_booking_date_jobs()

    async def get_booking_date_job(self, job_id: str) -> Job:
        """Fetch one booking-date backfill job."""
        return await self._uno.get_booking_date_job(job_id)

    async def create_booking_date_job(self) -> str:
        """Start a booking-date backfill (never retried); returns its id."""
        return await self._uno.create_booking_date_job()

    async def stop_booking_date_job(self, job_id: str) -> None:
        """Ask a booking-date backfill job to stop."""
        await self._uno.stop_booking_date_job(job_id)

    # ------------------------------------------------------------------ propagation

    async def create_propagation_job(
        self,
        job_type: str,
        *,
        batch_size: int | None = None,
        dry_run: bool | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        """Start an auto-backfill job (docs/zuora-api.md §5); returns its id."""
        return await self._uno.create_propagation_job(
            job_type, batch_size=batch_size, dry_run=dry_run, idempotency_key=idempotency_key
        )

    async def list_propagation_jobs(self) -> list[Job]:
        """List auto-backfill jobs; `NotSupported` when the tenant lacks the call."""
        return await self._uno.list_propagation_jobs()

    async def get_propagation_job(self, job_id: str) -> Job:
        """Fetch one auto-backfill job; `NotSupported` when the tenant lacks the call."""
        return await self._uno.get_propagation_job(job_id)

    async def stop_propagation_job(self, job_id: str) -> None:
        """Ask an auto-backfill job to stop; `NotSupported` when the tenant lacks the call."""
        await self._uno.stop_propagation_job(job_id)

    # ------------------------------------------------------------------ custom objects

    async def list_custom_object_jobs(
        self,
        page_size: int = CUSTOM_OBJECT_MAX_PAGE_SIZE,
        cursor: str | None = None,
        status: str | None = None,
    ) -> CustomObjectPage:
        """Fetch one page of custom-object bulk jobs, newest first (docs/zuora-api.md §6)."""
        return await self._co.list_custom_object_jobs(page_size, cursor, status)

    def iter_custom_object_pages(
        self,
        *,
        page_size: int = CUSTOM_OBJECT_MAX_PAGE_SIZE,
        status: str | None = None,
        stop_when: Callable[[CustomObjectPage], bool] | None = None,
        max_pages: int | None = None,
    ) -> AsyncIterator[CustomObjectPage]:
        """Yield every page of custom-object jobs, newest first."""
        return self._co.iter_custom_object_pages(
            page_size=page_size, status=status, stop_when=stop_when, max_pages=max_pages
        )

    async def list_all_custom_object_jobs(
        self, *, status: str | None = None, max_pages: int | None = None
    ) -> list[Job]:
        """Collect the custom-object jobs of every page (or of the first `max_pages`)."""
        return await self._co.list_all_custom_object_jobs(status=status, max_pages=max_pages)

    async def get_custom_object_job(self, job_id: str) -> Job:
        """Fetch one custom-object bulk job by its UUID."""
        return await self._co.get_custom_object_job(job_id)

    async def list_custom_object_errors(self, job_id: str) -> list[JobError]:
        """Fetch the row-level errors of a custom-object bulk job."""
        return await self._co.list_custom_object_errors(job_id)

    async def get_custom_object_errors_raw(self, job_id: str) -> Any:
        """Fetch the errors of a custom-object bulk job as decoded JSON, unparsed."""
        return await self._co.get_custom_object_errors_raw(job_id)

    async def cancel_custom_object_job(
        self, job_id: str, *, idempotency_key: str | None = None
    ) -> Job:
        """Cancel an `accepted` or `pending` custom-object job; returns the cancelled job."""
        return await self._co.cancel_custom_object_job(job_id, idempotency_key=idempotency_key)

    async def submit_custom_object_job(
        self,
        object: str,
        namespace: str,
        operation: str,
        filter: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Job:
        """Submit a custom-object bulk job (`create`, `update` or `delete`)."""
        return await self._co.submit_custom_object_job(
            object, namespace, operation, filter, idempotency_key=idempotency_key
        )

    async def upload_custom_object_file(
        self, job_id: str, content: bytes, *, idempotency_key: str | None = None
    ) -> Job:
        """Upload the CSV of a `pending` custom-object job; returns the job."""
        return await self._co.upload_custom_object_file(
            job_id, content, idempotency_key=idempotency_key
        )

    # ------------------------------------------------------------------ AQuA

    async def create_aqua_job(
        self, body: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Job:
        """Submit an AQuA batch query job with the given JSON body (docs/zuora-api.md §7)."""
        return await self._aqua.create_aqua_job(body, idempotency_key=idempotency_key)

    async def get_aqua_job(self, job_id: str) -> Job:
        """Fetch one AQuA job (with its batches in `raw`)."""
        return await self._aqua.get_aqua_job(job_id)

    async def cancel_aqua_job(self, job_id: str) -> Job:
        """Cancel an unfinished AQuA job (DELETE, not retried); returns the job."""
        return await self._aqua.cancel_aqua_job(job_id)

    async def get_aqua_batches(self, job: Job | str) -> list[AquaBatch]:
        """The batches of an AQuA job: parsed from a `Job`'s raw JSON, or fetched by id."""
        return await self._aqua.get_aqua_batches(job)

    async def download_file(self, file_id: str, dest: Path) -> Path:
        """Stream a result file (`GET /v1/files/{id}`) to `dest`; returns the path written."""
        return await self._files.download_file(file_id, dest)
