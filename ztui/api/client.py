"""Provides `ZuoraClient`: the async client for every Zuora job endpoint ztui uses.

One `httpx.AsyncClient` per instance. The client handles the OAuth client-credentials
token (cached in memory only, refreshed before expiry and once on a 401), the standard
headers (API doc §2.3), idempotency keys (§2.8), retries with backoff (§2.7), the rate
budget, and maps the three error body shapes (§2.5) onto the `ztui.api.errors` tree.
Every public operation returns parsed models (`Job`, `JobError`, `AquaBatch`) or ids.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import logging
import random
import re
import secrets
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal, Self
from urllib.parse import quote

import httpx

from ztui import __version__
from ztui.api.budget import RateBudget, backoff_delay, parse_retry_after, parse_seconds
from ztui.api.errors import (
    ApiError,
    ApiErrorRecord,
    AuthError,
    BadRequest,
    Conflict,
    MalformedResponse,
    NotFound,
    NotSupported,
    PermissionDenied,
    RateLimited,
    ReadOnlyError,
    Reason,
    ServerError,
    TransportError,
)
from ztui.api.models import AquaBatch, Family, Job, JobError
from ztui.core.logsetup import register_secret
from ztui.core.secret import Secret
from ztui.families import family_def
from ztui.families.aqua import parse_aqua_batches, parse_aqua_job
from ztui.families.booking_date import parse_booking_date_job
from ztui.families.custom_object import (
    CUSTOM_OBJECT_MAX_BYTES,
    CUSTOM_OBJECT_MAX_PAGE_SIZE,
    CustomObjectPage,
    parse_custom_object_job,
    parse_job_errors,
)
from ztui.families.data_backfill import DATA_BACKFILL_MAX_BYTES, parse_data_backfill_job
from ztui.families.propagation import PROPAGATION_MAX_BATCH_SIZE, parse_propagation_job

__all__ = ["ZuoraClient"]

log = logging.getLogger("ztui.api")


@dataclass(frozen=True)
class CallInfo:
    """The latest HTTP call made by the current asyncio task (see `ZuoraClient.last_call`)."""

    method: str
    path: str
    track_id: str
    """The `Zuora-Track-Id` ztui sent."""
    request_id: str | None = None
    """The `Zuora-Request-Id` of the answer; None when no answer arrived."""
    status: int | None = None
    """The HTTP status; None when no answer arrived."""


# Per task, so the watcher's polls never overwrite what an action's caller reads back.
_LAST_CALL: contextvars.ContextVar[CallInfo | None] = contextvars.ContextVar(
    "ztui_last_call", default=None
)


def current_call() -> CallInfo | None:
    """The latest HTTP call made by the current asyncio task, with its track/request ids."""
    return _LAST_CALL.get()


def call_ids(client: object = None) -> tuple[str | None, str | None]:
    """`(request id, track id)` of the current task's latest call, for the journal.

    Never one of the watcher's polls (they run in another task). When this task made no
    call, the request id falls back to `client.last_request_id` and the track id is None.
    """
    call = current_call()
    if call is not None:
        return call.request_id, call.track_id
    value = getattr(client, "last_request_id", None)
    return (value if isinstance(value, str) else None), None


TOKEN_PATH: Final = "/oauth/token"
_UNO: Final = "/v1/uno/data-backfill"
_DATA_LIST_PATHS: Final = (f"{_UNO}/listjobs", "/v1/uno/date-backfill/listjobs")
_BOOKING: Final = f"{_UNO}/bookingdate/jobs"
_PROPAGATION: Final = f"{_UNO}/propagation/jobs"
_CO: Final = "/objects/jobs"
_AQUA_JOBS: Final = "/v1/batch-query/jobs"

_Shape = Literal["uno", "co", "aqua", "raw"]
"""Which error body shape (API doc §2.5) and success check a route uses."""

_EXCERPT = 200
_TRACK_FORBIDDEN = re.compile(r"[:;\"']")


@dataclass
class _Sent:
    """One HTTP exchange's outcome, before error mapping."""

    response: httpx.Response
    track_id: str


class ZuoraClient:
    """Async client for the Zuora job endpoints (API doc §1).

    Use as `async with ZuoraClient(...) as client:` or call `aclose()` when done.

    Attributes:
        budget: The rate-limit budget from the latest response headers.
        calls_made: HTTP requests sent, token calls included.
        api_calls_made: HTTP requests sent, token calls excluded.
        last_request_id: `Zuora-Request-Id` of the latest response.
        error_log: The most recent failed requests (no secrets, no query strings).
        read_only: When True every write raises `ReadOnlyError` before anything is sent.
    """

    def __init__(
        self,
        base_url: str,
        *,
        client_id: str | None = None,
        client_secret: Secret | None = None,
        bearer_token: Secret | None = None,
        org_ids: Sequence[str] = (),
        entity_ids: Sequence[str] = (),
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
    ) -> None:
        """Create a client; no request is sent until the first operation.

        Args:
            base_url: The tenant's REST root (API doc §2.1), e.g. `https://rest.zuora.com`.
            client_id: OAuth client id (with `client_secret`).
            client_secret: OAuth client secret.
            bearer_token: A pre-issued access token, used instead of client credentials.
            org_ids: Sent as `Zuora-Org-Ids` when non-empty.
            entity_ids: Sent as `Zuora-Entity-Ids` when non-empty.
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

        Raises:
            ValueError: `base_url` is not an http(s) URL.
        """
        url = httpx.URL(base_url.strip())
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(
                f"Base URL {base_url!r} must be an http:// or https:// address, "
                "e.g. https://rest.apisandbox.zuora.com"
            )
        self.base_url = str(url).rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        for known in (client_secret, bearer_token):
            if known:
                register_secret(known.reveal())
        self._bearer = bearer_token
        self._org_ids = tuple(org_ids)
        self._entity_ids = tuple(entity_ids)
        self.read_only = read_only
        self.max_retries = max(0, max_retries)
        self.max_retry_wait = max_retry_wait
        self._timeout = timeout
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._aqua_create_path = "/v1/batch-query/" if aqua_trailing_slash else "/v1/batch-query"
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip"},
            follow_redirects=False,
            # Loading the CA store costs ~20 ms at start-up; a plain-http root (the
            # simulator) never uses TLS, and redirects are not followed.
            verify=url.scheme == "https",
        )
        self._token: Secret | None = None
        self._token_refresh_at = 0.0
        self._token_lock = asyncio.Lock()
        self._run_id = secrets.token_hex(4)
        self._seq = 0
        self._data_list_path: str | None = None
        self._propagation_readable: bool | None = None
        self.budget = RateBudget()
        self.calls_made = 0
        self.api_calls_made = 0
        self.last_request_id: str | None = None
        self.error_log: deque[ApiErrorRecord] = deque(maxlen=error_log_size)

    def __repr__(self) -> str:
        auth = "bearer" if self._bearer is not None else f"client_id={self._client_id!r}"
        mode = ", read_only" if self.read_only else ""
        return f"ZuoraClient({self.base_url!r}, {auth}{mode})"

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
        self._token = None
        await self._http.aclose()

    # ------------------------------------------------------------------ auth

    @property
    def has_token(self) -> bool:
        """True when an access token is cached or was given."""
        return self._bearer is not None or self._token is not None

    async def _access_token(self) -> Secret:
        if self._bearer is not None:
            return self._bearer
        token = self._token
        if token is not None and self._clock() < self._token_refresh_at:
            return token
        # One refresh for all concurrent callers: whoever gets the lock second finds a
        # fresh token and uses it.
        async with self._token_lock:
            token = self._token
            if token is not None and self._clock() < self._token_refresh_at:
                return token
            return await self._fetch_token()

    def _forget_token(self, used: Secret) -> None:
        # Only drop the token the failed request carried: a concurrent request may already
        # have replaced it with a fresh one.
        if self._token is used:
            self._token = None

    async def _fetch_token(self) -> Secret:
        client_id = self._client_id
        client_secret = self._client_secret
        if not client_id or client_secret is None or not client_secret:
            raise AuthError(
                "No credentials configured: set a client id and client secret "
                "(or a bearer token) for this connection."
            )
        form = {
            "client_id": client_id,
            "client_secret": client_secret.reveal(),
            "grant_type": "client_credentials",
        }
        headers = self._standard_headers("application/json")
        attempt = 0
        while True:
            issued = self._clock()
            try:
                sent = await self._send_once(
                    "POST", TOKEN_PATH, headers=dict(headers), data=form, is_token=True
                )
            except TransportError as exc:
                if await self._may_retry(exc, attempt):
                    attempt += 1
                    continue
                self._record(exc)
                raise
            response = sent.response
            if response.status_code == httpx.codes.OK:
                return self._store_token(response, issued)
            error = self._token_error(response)
            if isinstance(error, RateLimited | ServerError) and await self._may_retry(
                error, attempt
            ):
                attempt += 1
                continue
            self._record(error)
            raise error

    def _store_token(self, response: httpx.Response, issued: float) -> Secret:
        request_id = response.headers.get("Zuora-Request-Id")
        try:
            body = json.loads(response.content)
        except (ValueError, RecursionError):
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        expires_raw = body.get("expires_in", 3599) if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            # Never quote a token response: it may hold a token in an unexpected place.
            error = MalformedResponse(
                "The token response has no access_token",
                status=response.status_code,
                request_id=request_id,
                method="POST",
                path=TOKEN_PATH,
            )
            self._record(error)
            raise error
        if isinstance(expires_raw, bool) or not isinstance(expires_raw, int | float | str):
            expires_raw = 3599
        try:
            lifetime = float(expires_raw)
        except ValueError:
            lifetime = 3599.0
        if not lifetime > 0 or lifetime == float("inf"):
            lifetime = 3599.0
        # API doc §2.2: refresh 300 s before expiry; short-lived tokens at half-life.
        margin = 300.0 if lifetime >= 600 else lifetime / 2
        # Every issued token is masked wherever it might surface (logs, journal, tracebacks).
        register_secret(token)
        self._token = Secret(token)
        self._token_refresh_at = issued + lifetime - margin
        return self._token

    def _token_error(self, response: httpx.Response) -> ApiError:
        status = response.status_code
        request_id = response.headers.get("Zuora-Request-Id")
        if status == httpx.codes.TOO_MANY_REQUESTS:
            return RateLimited(
                "Too many token requests",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                reset=parse_seconds(response.headers.get("RateLimit-Reset")),
                request_id=request_id,
                method="POST",
                path=TOKEN_PATH,
            )
        reasons, text = _extract_error(_loads_or_none(response.content))
        if not text:
            text = _excerpt(response) or response.reason_phrase or f"HTTP {status}"
        text = self._redact(text)
        if status >= 500:
            return ServerError(
                text, status=status, request_id=request_id, method="POST", path=TOKEN_PATH
            )
        # API doc §2.2: the bad-credentials body is undocumented; any other non-200 is an
        # authentication failure, shown with the server's own words.
        return AuthError(
            f"Zuora refused the client credentials (HTTP {status}: {text})",
            status=status,
            request_id=request_id,
            method="POST",
            path=TOKEN_PATH,
            reasons=reasons,
        )

    def _redact(self, text: str) -> str:
        for secret in (self._client_secret, self._bearer, self._token):
            if secret is not None and secret.reveal():
                text = text.replace(secret.reveal(), "********")
        return text

    # ------------------------------------------------------------------ transport

    def _next_track_id(self) -> str:
        self._seq += 1
        track = f"ztui-{self._run_id}-{self._seq}"
        # API doc §2.3: <= 64 US-ASCII chars without : ; " '. Ours always is; keep it so.
        assert len(track) <= 64
        assert track.isascii()
        assert not _TRACK_FORBIDDEN.search(track)
        return track

    @property
    def last_call(self) -> CallInfo | None:
        """The latest call made from the current asyncio task (its request and track ids).

        Unlike `last_request_id`, the watcher's polls in their own task never change it, so
        an action can journal the ids of its own request.
        """
        return current_call()

    def _standard_headers(self, accept: str) -> dict[str, str]:
        headers = {"Accept": accept, "Accept-Encoding": "gzip"}
        if self._org_ids:
            headers["Zuora-Org-Ids"] = ",".join(self._org_ids)
        if self._entity_ids:
            headers["Zuora-Entity-Ids"] = ",".join(self._entity_ids)
        return headers

    async def _send_once(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        is_token: bool = False,
        stream: bool = False,
        params: Mapping[str, str | int] | None = None,
        json_body: object = None,
        content: bytes | None = None,
        data: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> _Sent:
        track_id = self._next_track_id()
        headers["Zuora-Track-Id"] = track_id
        _LAST_CALL.set(CallInfo(method, path, track_id))
        request = self._http.build_request(
            method,
            path,
            params=params,
            headers=headers,
            json=json_body,
            content=content,
            data=data,
            files=files,
        )
        self.calls_made += 1
        if not is_token:
            self.api_calls_made += 1
        started = time.perf_counter()
        response: httpx.Response | None = None
        try:
            response = await self._http.send(request, stream=True)
            if not stream:
                await response.aread()
        except httpx.DecodingError as exc:
            if response is not None:
                await response.aclose()
            raise MalformedResponse(
                f"The response body could not be decoded ({type(exc).__name__})",
                status=response.status_code if response is not None else None,
                request_id=response.headers.get("Zuora-Request-Id") if response else None,
                method=method,
                path=path,
            ) from None
        except httpx.TimeoutException as exc:
            if response is not None:
                await response.aclose()
            log.debug("%s %s timed out (track id %s)", method, path, track_id)
            raise TransportError(
                f"No answer within {self._timeout:g} s ({type(exc).__name__})",
                method=method,
                path=path,
            ) from None
        except httpx.HTTPError as exc:
            if response is not None:
                await response.aclose()
            log.debug("%s %s failed: %s (track id %s)", method, path, type(exc).__name__, track_id)
            raise TransportError(
                f"Connection to {self._http.base_url.host} failed: "
                f"{type(exc).__name__}{': ' + str(exc) if str(exc) else ''}",
                method=method,
                path=path,
            ) from None
        elapsed_ms = (time.perf_counter() - started) * 1000
        request_id = response.headers.get("Zuora-Request-Id")
        if request_id:
            self.last_request_id = request_id
        _LAST_CALL.set(CallInfo(method, path, track_id, request_id, response.status_code))
        self.budget.update(response.headers, now=self._clock())
        log.debug(
            "%s %s -> %s in %.0f ms (request id %s, track id %s)",
            method,
            path,
            response.status_code,
            elapsed_ms,
            request_id,
            track_id,
        )
        return _Sent(response, track_id)

    async def _may_retry(self, error: ApiError, attempt: int) -> bool:
        """Sleep and return True when `error` may be retried once more, else False."""
        if attempt >= self.max_retries:
            return False
        retry_after: float | None = None
        reset: float | None = None
        if isinstance(error, RateLimited):
            retry_after = error.retry_after
            # API doc §2.7: Retry-After first; else RateLimit-Reset once the budget is spent.
            if retry_after is None and self.budget.remaining == 0:
                reset = error.reset if error.reset is not None else self.budget.reset_in()
        delay = backoff_delay(attempt, retry_after=retry_after, reset=reset, rng=self._rng)
        if delay > self.max_retry_wait:
            return False
        self._record(error)
        log.debug("retrying %s %s in %.2f s after %s", error.method, error.path, delay, error)
        await self._sleep(delay)
        return True

    def _record(self, error: ApiError) -> None:
        self.error_log.append(
            ApiErrorRecord(
                at=time.time(),
                method=error.method or "",
                path=(error.path or "").split("?", 1)[0],
                status=error.status,
                request_id=error.request_id,
                code=error.code,
                message=self._redact(error.message),
                kind=type(error).__name__,
            )
        )

    async def _call(
        self,
        method: str,
        path: str,
        *,
        shape: _Shape,
        accept: str = "application/json",
        params: Mapping[str, str | int] | None = None,
        json_body: object = None,
        content: bytes | None = None,
        content_type: str | None = None,
        data: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        idempotency_key: str | None = None,
        stream: bool = False,
    ) -> tuple[httpx.Response, Any]:
        """Send one API request with auth, retries and error mapping.

        Returns:
            The response and its decoded JSON (None for `raw` routes). A `stream=True`
            response is open; the caller must close it.
        """
        if self.read_only and method != "GET":
            raise ReadOnlyError(
                f"This connection is read-only: {method} {path} was not sent.",
                method=method,
                path=path,
            )
        # API doc §2.7/§2.8: GETs and POST/PATCH with an idempotency key may be repeated;
        # other writes (PUT stop, DELETE, key-less creates) must never be sent twice.
        retryable = method == "GET" or (method in ("POST", "PATCH") and idempotency_key is not None)
        attempt = 0
        refreshed = False
        while True:
            headers = self._standard_headers(accept)
            token = await self._access_token()
            headers["Authorization"] = f"Bearer {token.reveal()}"
            if idempotency_key is not None:
                headers["Idempotency-Key"] = idempotency_key
            if content_type is not None:
                headers["Content-Type"] = content_type
            try:
                sent = await self._send_once(
                    method,
                    path,
                    headers=headers,
                    stream=stream,
                    params=params,
                    json_body=json_body,
                    content=content,
                    data=data,
                    files=files,
                )
            except TransportError as exc:
                if retryable and await self._may_retry(exc, attempt):
                    attempt += 1
                    continue
                self._record(exc)
                raise
            except MalformedResponse as exc:
                self._record(exc)
                raise
            response = sent.response
            body: Any = None
            error: ApiError | None
            if stream and response.status_code < 300:
                return response, None
            if stream:
                try:
                    await response.aread()
                except httpx.HTTPError:
                    pass
                finally:
                    await response.aclose()
            if response.status_code < 300:
                body, error = self._check_success(response, method, path, shape)
            else:
                error = self._error_for(response, method, path, shape)
            if error is None:
                return response, body
            if (
                isinstance(error, AuthError)
                and self._bearer is None
                and not refreshed
                and self._client_id is not None
            ):
                # API doc §2.2: refresh once and retry once; a second refusal is final.
                self._record(error)
                refreshed = True
                self._forget_token(token)
                continue
            if isinstance(error, AuthError):
                error = AuthError(
                    f"{error.message} (the access token was refused"
                    f"{' after a refresh' if refreshed else ''}; check the credentials)",
                    status=error.status,
                    request_id=error.request_id,
                    method=method,
                    path=path,
                    reasons=error.reasons,
                    body_excerpt=error.body_excerpt,
                )
            if (
                retryable
                and isinstance(error, ServerError | RateLimited)
                and await self._may_retry(error, attempt)
            ):
                attempt += 1
                continue
            self._record(error)
            raise error

    def _check_success(
        self, response: httpx.Response, method: str, path: str, shape: _Shape
    ) -> tuple[Any, ApiError | None]:
        """Decode a 2xx body and apply the family's body-level error rules."""
        if shape == "raw":
            return None, None
        request_id = response.headers.get("Zuora-Request-Id")
        body = _loads_or_none(response.content)
        if not isinstance(body, dict):
            return None, MalformedResponse(
                f"Expected a JSON object, got {response.headers.get('Content-Type') or 'no type'}",
                status=response.status_code,
                request_id=request_id,
                method=method,
                path=path,
                body_excerpt=_excerpt(response),
            )
        if shape == "uno":
            # API doc §2.5A: v1 may answer HTTP 200 with success:false; a missing flag is
            # not success (unlike the SDK's default).
            success = body.get("success")
            if success is True:
                return body, None
            if success is False:
                return body, self._error_for(response, method, path, shape, body=body)
            return body, MalformedResponse(
                "The response has no 'success' flag",
                status=response.status_code,
                request_id=request_id,
                method=method,
                path=path,
                body_excerpt=_excerpt(response),
            )
        if shape == "aqua" and body.get("status") == "error" and body.get("id") in (None, ""):
            # API doc §2.5C: a request that fails validation comes back as a job with
            # status "error" and a null id, possibly with HTTP 200.
            return body, self._error_for(response, method, path, shape, body=body)
        return body, None

    def _error_for(
        self,
        response: httpx.Response,
        method: str,
        path: str,
        shape: _Shape,
        *,
        body: object = None,
    ) -> ApiError:
        """Map an error response (any status, any of the three shapes) to an ApiError."""
        status = response.status_code
        request_id = response.headers.get("Zuora-Request-Id")
        if body is None:
            body = _loads_or_none(response.content)
        reasons, text = _extract_error(body)
        excerpt = None if text else _excerpt(response)
        if not text:
            text = f"HTTP {status} {response.reason_phrase}".strip()
            if excerpt:
                text = f"{text}: {excerpt}"
        text = self._redact(text)
        common: dict[str, Any] = {
            "status": status,
            "request_id": request_id,
            "method": method,
            "path": path,
            "reasons": reasons,
            "body_excerpt": excerpt,
        }
        if status == httpx.codes.TOO_MANY_REQUESTS:
            return RateLimited(
                text,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                reset=parse_seconds(response.headers.get("RateLimit-Reset")),
                **common,
            )
        if status == httpx.codes.UNAUTHORIZED:
            return AuthError(text, **common)
        if status == httpx.codes.FORBIDDEN:
            return PermissionDenied(text, **common)
        if status == httpx.codes.NOT_FOUND:
            return NotFound(text, **common)
        if status == httpx.codes.METHOD_NOT_ALLOWED:
            return NotSupported(text, **common)
        if status in (httpx.codes.CONFLICT, httpx.codes.UNPROCESSABLE_ENTITY):
            return Conflict(text, **common)
        if status >= 500:
            return ServerError(text, **common)
        if status < 300 or status == httpx.codes.BAD_REQUEST:
            # A body-level error (uno success:false, AQuA status:error) or a plain 400:
            # the code's category may say more than the HTTP status (API doc §2.5). A 400
            # is the server's verdict on the request, so it never becomes transient.
            code = reasons[0].code if reasons else ""
            kind = _error_class_for_code(code, shape)
            if status >= 300 and kind in (ServerError, RateLimited):
                kind = BadRequest
            if kind is RateLimited:
                return RateLimited(
                    text,
                    retry_after=parse_retry_after(response.headers.get("Retry-After")),
                    reset=parse_seconds(response.headers.get("RateLimit-Reset")),
                    **common,
                )
            return kind(text, **common)
        if 300 <= status < 400:
            return MalformedResponse(f"Unexpected redirect: {text}", **common)
        return BadRequest(text, **common)

    # ------------------------------------------------------------------ helpers

    @contextmanager
    def _reading(self, response: httpx.Response) -> Iterator[None]:
        """Give a parser's `MalformedResponse` the request's status, ids and an excerpt."""
        try:
            yield
        except MalformedResponse as exc:
            request = response.request
            error = MalformedResponse(
                exc.message,
                status=response.status_code,
                request_id=response.headers.get("Zuora-Request-Id"),
                method=request.method,
                path=request.url.path,
                body_excerpt=exc.body_excerpt or _excerpt(response),
            )
            self._record(error)
            raise error from None

    @staticmethod
    def _segment(value: str, what: str) -> str:
        """Quote one path segment; refuse empty values with a clear message."""
        if not isinstance(value, str) or not value.strip():
            raise BadRequest(f"{what} is empty")
        return quote(value.strip(), safe="")

    @staticmethod
    def _idempotency_key(key: str | None) -> str:
        if key is None:
            return str(uuid.uuid4())
        if not key or len(key) > 255 or not key.isascii() or not key.isprintable():
            raise BadRequest("Idempotency-Key must be 1-255 printable ASCII characters")
        return key

    @staticmethod
    def _field(body: Mapping[str, Any], key: str, what: str, response: httpx.Response) -> Any:
        if key not in body:
            raise MalformedResponse(
                f"The {what} response has no {key!r}",
                status=response.status_code,
                request_id=response.headers.get("Zuora-Request-Id"),
                body_excerpt=_excerpt(response),
            )
        return body[key]

    def _jobs(
        self,
        body: Mapping[str, Any],
        parser: Callable[[object], Job],
        what: str,
        response: httpx.Response,
    ) -> list[Job]:
        jobs = self._field(body, "jobs", what, response)
        if not isinstance(jobs, list):
            raise MalformedResponse(
                f"The {what} response's 'jobs' is not a list",
                status=response.status_code,
                request_id=response.headers.get("Zuora-Request-Id"),
            )
        return [parser(item) for item in jobs]

    def _job_id(self, body: Mapping[str, Any], what: str, response: httpx.Response) -> str:
        job_id = self._field(body, "jobId", what, response)
        if not isinstance(job_id, str) or not job_id:
            raise MalformedResponse(
                f"The {what} response's 'jobId' is not an id",
                status=response.status_code,
                request_id=response.headers.get("Zuora-Request-Id"),
            )
        return job_id

    # ------------------------------------------------------------------ data backfill

    async def list_data_backfill_jobs(self) -> list[Job]:
        """List every data backfill job.

        Tries `/v1/uno/data-backfill/listjobs` and, on 404, `/v1/uno/date-backfill/listjobs`
        (API doc §3, §8 #1); the path that answered is remembered for later calls.

        Raises:
            ApiError: Any failure; `NotFound` when neither spelling exists.
        """
        first = self._data_list_path or _DATA_LIST_PATHS[0]
        candidates = [first, *(p for p in _DATA_LIST_PATHS if p != first)]
        for index, path in enumerate(candidates):
            try:
                response, body = await self._call("GET", path, shape="uno")
            except NotFound:
                if index == len(candidates) - 1:
                    raise
                continue
            self._data_list_path = path
            with self._reading(response):
                return self._jobs(body, parse_data_backfill_job, "data backfill list", response)
        raise AssertionError("unreachable")  # pragma: no cover

    async def get_data_backfill_job(self, job_id: str) -> Job:
        """Fetch one data backfill job by its 32-hex id."""
        path = f"{_UNO}/jobs/{self._segment(job_id, 'Job id')}"
        response, body = await self._call("GET", path, shape="uno")
        with self._reading(response):
            return parse_data_backfill_job(self._field(body, "job", "data backfill job", response))

    async def get_data_backfill_template(self, job_type: str) -> tuple[str, bytes]:
        """Download the CSV template of a data backfill `job_type`.

        Returns:
            `(filename, content)`: the name from `Content-Disposition` (or `<type>.csv`).
        """
        path = f"{_UNO}/jobs/{self._segment(job_type, 'Job type')}/template"
        response, _ = await self._call("GET", path, shape="raw", accept="text/csv")
        filename = _disposition_filename(response.headers.get("Content-Disposition"))
        return filename or f"{job_type}.csv", response.content

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
        may still have created a job; re-list before trying again (API doc §2.6).

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
                f"{filename} is {len(content):,} bytes; data backfill files must be ≤ 4 MB"
            )
        digest = checksum if checksum is not None else hashlib.md5(content).hexdigest()
        is_zip = filename.lower().endswith(".zip")
        response, body = await self._call(
            "POST",
            f"{_UNO}/jobs",
            shape="uno",
            data={"type": job_type, "checksum": digest},
            files={"file": (filename, content, "application/zip" if is_zip else "text/csv")},
        )
        with self._reading(response):
            return self._job_id(body, "data backfill create", response)

    async def stop_data_backfill_job(self, job_id: str) -> None:
        """Ask a pending or processing data backfill job to stop (`{"status":"Stopping"}`)."""
        path = f"{_UNO}/jobs/{self._segment(job_id, 'Job id')}"
        await self._call("PUT", path, shape="uno", json_body={"status": "Stopping"})

    # ------------------------------------------------------------------ booking date

    async def list_booking_date_jobs(self) -> list[Job]:
        """List every booking-date backfill job."""
        response, body = await self._call("GET", _BOOKING, shape="uno")
        with self._reading(response):
            return self._jobs(body, parse_booking_date_job, "booking-date list", response)

    async def get_booking_date_job(self, job_id: str) -> Job:
        """Fetch one booking-date backfill job."""
        path = f"{_BOOKING}/{self._segment(job_id, 'Job id')}"
        response, body = await self._call("GET", path, shape="uno")
        with self._reading(response):
            return parse_booking_date_job(self._field(body, "job", "booking-date job", response))

    async def create_booking_date_job(self) -> str:
        """Start a booking-date backfill (no body, no idempotency key, never retried).

        Returns:
            The new job's id.
        """
        response, body = await self._call("POST", _BOOKING, shape="uno")
        with self._reading(response):
            return self._job_id(body, "booking-date create", response)

    async def stop_booking_date_job(self, job_id: str) -> None:
        """Ask a booking-date backfill job to stop."""
        path = f"{_BOOKING}/{self._segment(job_id, 'Job id')}"
        await self._call("PUT", path, shape="uno", json_body={"status": "Stopping"})

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
        response, body = await self._call(
            "POST",
            _PROPAGATION,
            shape="uno",
            json_body=payload,
            idempotency_key=self._idempotency_key(idempotency_key),
        )
        with self._reading(response):
            return self._job_id(body, "auto-backfill create", response)

    @property
    def propagation_readable(self) -> bool | None:
        """Whether the tenant serves auto-backfill list/get/stop (None until probed)."""
        return self._propagation_readable

    async def _propagation_call(
        self, method: str, path: str, what: str, json_body: object = None
    ) -> tuple[httpx.Response, Any]:
        try:
            result = await self._call(method, path, shape="uno", json_body=json_body)
        except (NotFound, NotSupported) as exc:
            # API doc §5: list/get/stop exist only in the newest REF. A 404 before any of
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
        response, body = await self._propagation_call("GET", _PROPAGATION, "job listing")
        with self._reading(response):
            return self._jobs(body, parse_propagation_job, "auto-backfill list", response)

    async def get_propagation_job(self, job_id: str) -> Job:
        """Fetch one auto-backfill job.

        Raises:
            NotSupported: The tenant does not serve this REF-only call (404/405).
        """
        path = f"{_PROPAGATION}/{self._segment(job_id, 'Job id')}"
        response, body = await self._propagation_call("GET", path, "job status")
        with self._reading(response):
            return parse_propagation_job(self._field(body, "job", "auto-backfill job", response))

    async def stop_propagation_job(self, job_id: str) -> None:
        """Ask an auto-backfill job to stop.

        Raises:
            NotSupported: The tenant does not serve this REF-only call (404/405).
        """
        path = f"{_PROPAGATION}/{self._segment(job_id, 'Job id')}"
        await self._propagation_call("PUT", path, "stop", json_body={"status": "Stopping"})

    # ------------------------------------------------------------------ custom objects

    async def list_custom_object_jobs(
        self,
        page_size: int = CUSTOM_OBJECT_MAX_PAGE_SIZE,
        cursor: str | None = None,
        status: str | None = None,
    ) -> CustomObjectPage:
        """Fetch one page of custom-object bulk jobs, newest first.

        Args:
            page_size: Jobs per page; values above 40 are sent as 40 (API doc §6).
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
        response, body = await self._call("GET", _CO, shape="co", params=params)
        with self._reading(response):
            jobs = self._jobs(body, parse_custom_object_job, "custom-object list", response)
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

        Args:
            page_size: Jobs per page (≤ 40 is sent).
            status: Only jobs in this status.
            stop_when: Called with each page after it is yielded; True stops paging (e.g.
                once a page holds only jobs older than those already known).
            max_pages: Stop after this many pages.
        """
        cursor: str | None = None
        pages = 0
        while True:
            page = await self.list_custom_object_jobs(page_size, cursor, status)
            pages += 1
            yield page
            if page.is_last or (stop_when is not None and stop_when(page)):
                return
            if max_pages is not None and pages >= max_pages:
                return
            if page.cursor == cursor:
                return  # a server repeating its cursor would loop forever
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
        path = f"{_CO}/{self._segment(job_id, 'Job id')}"
        response, body = await self._call("GET", path, shape="co")
        with self._reading(response):
            return parse_custom_object_job(body)

    async def list_custom_object_errors(self, job_id: str) -> list[JobError]:
        """Fetch the row-level errors of a custom-object bulk job."""
        path = f"{_CO}/{self._segment(job_id, 'Job id')}/errors"
        response, body = await self._call("GET", path, shape="co")
        with self._reading(response):
            return parse_job_errors(body)

    async def get_custom_object_errors_raw(self, job_id: str) -> Any:
        """Fetch the errors of a custom-object bulk job as decoded JSON, unparsed.

        For viewers that show malformed entries as received instead of failing the list.
        """
        path = f"{_CO}/{self._segment(job_id, 'Job id')}/errors"
        _response, body = await self._call("GET", path, shape="co")
        return body

    async def cancel_custom_object_job(
        self, job_id: str, *, idempotency_key: str | None = None
    ) -> Job:
        """Cancel an `accepted` or `pending` custom-object job; returns the cancelled job."""
        path = f"{_CO}/{self._segment(job_id, 'Job id')}/cancel"
        response, body = await self._call(
            "PATCH", path, shape="co", idempotency_key=self._idempotency_key(idempotency_key)
        )
        with self._reading(response):
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
        response, body = await self._call(
            "POST",
            _CO,
            shape="co",
            json_body=payload,
            idempotency_key=self._idempotency_key(idempotency_key),
        )
        with self._reading(response):
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
                f"The CSV is {len(content):,} bytes; custom-object files must be ≤ 15 MB"
            )
        path = f"{_CO}/{self._segment(job_id, 'Job id')}/files"
        response, body = await self._call(
            "POST",
            path,
            shape="co",
            content=content,
            content_type="text/csv",
            idempotency_key=self._idempotency_key(idempotency_key),
        )
        with self._reading(response):
            return parse_custom_object_job(body)

    # ------------------------------------------------------------------ AQuA

    async def create_aqua_job(
        self, body: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Job:
        """Submit an AQuA batch query job with the given JSON body (API doc §7).

        Raises:
            BadRequest: The server rejected it (`status:"error"`, null id) — the message
                carries the server's `message` and `errorCode`.
        """
        response, answer = await self._call(
            "POST",
            self._aqua_create_path,
            shape="aqua",
            json_body=dict(body),
            idempotency_key=self._idempotency_key(idempotency_key),
        )
        with self._reading(response):
            return parse_aqua_job(answer)

    async def get_aqua_job(self, job_id: str) -> Job:
        """Fetch one AQuA job (with its batches in `raw`)."""
        path = f"{_AQUA_JOBS}/{self._segment(job_id, 'Job id')}"
        response, answer = await self._call("GET", path, shape="aqua")
        with self._reading(response):
            return parse_aqua_job(answer)

    async def cancel_aqua_job(self, job_id: str) -> Job:
        """Cancel an unfinished AQuA job (DELETE, not retried); returns the job."""
        path = f"{_AQUA_JOBS}/{self._segment(job_id, 'Job id')}"
        response, answer = await self._call("DELETE", path, shape="aqua")
        with self._reading(response):
            return parse_aqua_job(answer)

    async def get_aqua_batches(self, job: Job | str) -> list[AquaBatch]:
        """The batches of an AQuA job: parsed from a `Job`'s raw JSON, or fetched by id."""
        if isinstance(job, str):
            job = await self.get_aqua_job(job)
        return parse_aqua_batches(job.raw)

    async def download_file(self, file_id: str, dest: Path) -> Path:
        """Stream a result file (`GET /v1/files/{id}`) to disk.

        The bytes go to `<dest>.part` first and are renamed when complete, so a failed
        download never leaves a truncated file under the final name.

        Args:
            file_id: The batch's `fileId`.
            dest: The target file, or an existing directory (the file is then named from
                `Content-Disposition`, else after the id).

        Returns:
            The path written.
        """
        path = f"/v1/files/{self._segment(file_id, 'File id')}"
        response, _ = await self._call("GET", path, shape="raw", accept="*/*", stream=True)
        try:
            target = dest
            if await asyncio.to_thread(dest.is_dir):
                name = _disposition_filename(response.headers.get("Content-Disposition"))
                target = dest / (Path(name).name if name else file_id)
            partial = target.with_name(target.name + ".part")
            handle = await asyncio.to_thread(partial.open, "wb")
            complete = False
            try:
                async for chunk in response.aiter_bytes():
                    await asyncio.to_thread(handle.write, chunk)
                complete = True
            except httpx.HTTPError as exc:
                error = TransportError(
                    f"The download broke off ({type(exc).__name__})", method="GET", path=path
                )
                self._record(error)
                raise error from None
            finally:
                await asyncio.to_thread(handle.close)
                if not complete:
                    # Broken off or cancelled: leave no half file behind.
                    await asyncio.to_thread(partial.unlink, missing_ok=True)
            await asyncio.to_thread(partial.replace, target)
            return target
        finally:
            await response.aclose()

    # ------------------------------------------------------------------ generic

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


# ---------------------------------------------------------------------- module helpers


def _loads_or_none(content: bytes) -> Any:
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        return None


def _excerpt(response: httpx.Response) -> str | None:
    try:
        text = response.content.decode("utf-8", errors="replace")
    except httpx.ResponseNotRead:
        return None
    text = " ".join(text.split())
    return text[:_EXCERPT] or None


def _as_text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _extract_error(body: object) -> tuple[list[Reason], str]:
    """Reasons and a one-line message from any of the error shapes (API doc §2.5)."""
    if not isinstance(body, dict):
        return [], ""
    reasons: list[Reason] = []
    raw_reasons = body.get("reasons")
    if isinstance(raw_reasons, list):
        for item in raw_reasons:
            if isinstance(item, dict):
                reasons.append(Reason(_as_text(item.get("code")), _as_text(item.get("message"))))
        text = "; ".join(r.message for r in reasons if r.message)
        if text or reasons:
            return reasons, text or f"error {reasons[0].code}"
    if "errorCode" in body and body.get("errorCode") not in (None, ""):
        # AQuA: errors live in the job JSON as errorCode + message.
        code = _as_text(body.get("errorCode"))
        message = _as_text(body.get("message"))
        return [Reason(code, message)], message or f"error {code}"
    plain = body.get("message")
    if "code" in body and body.get("code") not in (None, ""):
        code = _as_text(body.get("code"))
        return [Reason(code, _as_text(plain))], _as_text(plain) or f"error {code}"
    if isinstance(plain, str) and plain:
        return [], plain
    # RFC 6749 style, in case a token endpoint answers that way.
    for key in ("error_description", "error"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return [], value
    return [], ""


_UNO_CATEGORY: Final[Mapping[str, type[ApiError]]] = {
    "10": PermissionDenied,
    "11": AuthError,
    "40": NotFound,
    "45": NotSupported,
    "50": ServerError,
    "60": ServerError,
    "61": ServerError,
    "70": RateLimited,
    "99": ServerError,
}
"""API doc §2.5A: the last two digits of an 8-digit code give the category."""

_AQUA_CODES: Final[Mapping[str, type[ApiError]]] = {
    "90001": NotFound,
    "90002": NotFound,
    "90009": PermissionDenied,
}
"""API doc §2.5C: the AQuA codes that mean something other than a bad request.

An AQuA error with a null id is a refused request (no job exists), so even the
"internal" codes (90010, 90022) stay `BadRequest`: retrying with the same idempotency key
would only replay the refusal.
"""


def _error_class_for_code(code: str, shape: _Shape) -> type[ApiError]:
    code = code.strip()
    if shape == "aqua" and code in _AQUA_CODES:
        return _AQUA_CODES[code]
    if shape == "uno" and len(code) == 8 and code.isdigit():
        return _UNO_CATEGORY.get(code[-2:], BadRequest)
    return BadRequest


_FILENAME = re.compile(r"""filename\*?=(?:UTF-8'')?"?([^";]+)"?""", re.IGNORECASE)


def _disposition_filename(header: str | None) -> str | None:
    if not header:
        return None
    match = _FILENAME.search(header)
    if not match:
        return None
    name = Path(match.group(1).strip()).name
    return name or None
