"""Provides `Transport`: one HTTP exchange at a time, with the rules every Zuora call follows.

The standard headers and a `Zuora-Track-Id` on each request (docs/zuora-api.md §2.3), the token
from `TokenAuth`, retries with backoff for the requests that may be repeated (§2.7,
§2.8), the rate budget from each response (§2.7), the mapping of error bodies onto the
`ztui.api.errors` tree (§2.5, in `ztui.api.shapes`), and a log of the latest failures
without secrets. The endpoint groups (`ztui.api.endpoints`) build on `Transport.call`.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import re
import secrets
import socket
import ssl
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, Final, Literal

import httpx

from ztui.api.auth import NO_REFRESH, TOKEN_PATH, TokenAuth, TokenUnavailable
from ztui.api.budget import RateBudget, backoff_delay
from ztui.api.errors import (
    ApiError,
    ApiErrorRecord,
    AuthError,
    MalformedResponse,
    RateLimited,
    ReadOnlyError,
    ServerError,
    TransportError,
    Unreachable,
)
from ztui.api.shapes import Shape, check_success, error_for, token_error
from ztui.core.secret import Secret

log = logging.getLogger("ztui.api")


@dataclass(frozen=True)
class CallInfo:
    """The latest HTTP call made by the current asyncio task (see `current_call`)."""

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


_EXCHANGE: Final = "ztui.exchange"
"""The request extension under which the transport keeps its `_Exchange`."""
_TRACK_FORBIDDEN = re.compile(r"[:;\"']")


@dataclass
class _Exchange:
    """What the transport knows about a request it sent (kept in `request.extensions`)."""

    method: str
    path: str
    """The path as the caller gave it (quoted segments, no query string)."""
    shape: Shape | None
    """The route's body shape; None for the token request."""
    track_id: str = ""
    started: float = 0.0


MAX_LIST_ANSWER_BYTES: Final = 64 * 1024 * 1024
"""The most ztui reads of a list answer (a job list, a page, a job's row errors), counted
after gzip is inflated: far more than any list holds, and a 1 MB gzip that inflates to
1 GB must not take the process with it. `[network] max_list_answer_mb` changes it."""

MAX_JOB_ANSWER_BYTES: Final = 16 * 1024 * 1024
"""The most ztui reads of any other answer (one job, a create, a stop, a token), after
gzip: one job's JSON is a few kilobytes. `[network] max_job_answer_mb` changes it.
Result files are streamed to disk and have no limit (their size is Zuora's to bound:
2,047 MB at most, docs/zuora-api.md §7)."""

ANSWER_DEADLINE_S: Final = 120.0
"""The longest one request may take from sending to the last byte of its answer. The
read timeout only bounds the wait for each next byte, so a server sending one byte every
few seconds would otherwise keep a command running for ever. Zuora itself answers a
request still running after 120 s with a 504 (docs/zuora-api.md §2.5), so a shorter
deadline would cut off answers the server is still going to give. `[network]
answer_deadline_s` changes it."""

Answer = Literal["list", "job"]
"""Which size limit an answer is read under: `MAX_LIST_ANSWER_BYTES` or
`MAX_JOB_ANSWER_BYTES`."""

_LIMIT_NAMES: Final[Mapping[str, tuple[str, str]]] = {
    "list": ("a list answer", "max_list_answer_mb"),
    "job": ("the answer of one job", "max_job_answer_mb"),
}


class AnswerTooLarge(MalformedResponse):
    """The answer went past its size limit (`MAX_LIST_ANSWER_BYTES` or
    `MAX_JOB_ANSWER_BYTES`); ztui stopped reading it."""


class Transport:
    """Sends API and token requests over one `httpx.AsyncClient`.

    Attributes:
        auth: The token, sent on every API request.
        budget: The rate-limit budget from the latest response headers.
        calls_made: HTTP requests sent, token calls included.
        api_calls_made: HTTP requests sent, token calls excluded.
        last_request_id: `Zuora-Request-Id` of the latest response.
        error_log: The most recent failed requests (no secrets, no query strings).
        read_only: When True every write raises `ReadOnlyError` before anything is sent.
        max_retries: Retries for idempotent requests on 5xx, 429 and transport errors.
        max_retry_wait: A retry that would wait longer than this raises instead.
        max_list_answer_bytes: The most read of a list answer (`MAX_LIST_ANSWER_BYTES`).
        max_job_answer_bytes: The most read of any other answer (`MAX_JOB_ANSWER_BYTES`).
        answer_deadline_s: The longest one request may take (`ANSWER_DEADLINE_S`).
    """

    max_list_answer_bytes: int = MAX_LIST_ANSWER_BYTES
    max_job_answer_bytes: int = MAX_JOB_ANSWER_BYTES
    answer_deadline_s: float = ANSWER_DEADLINE_S

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        client_id: str | None,
        client_secret: Secret | None,
        bearer_token: Secret | None,
        org_ids: Sequence[str],
        entity_id: str | None,
        zone: tzinfo | None,
        read_only: bool,
        timeout: float,
        max_retries: int,
        max_retry_wait: float,
        sleep: Callable[[float], Awaitable[None]],
        clock: Callable[[], float],
        rng: Callable[[], float],
        error_log_size: int,
    ) -> None:
        self._http = http
        http.event_hooks["request"].append(self._on_request)
        http.event_hooks["response"].append(self._on_response)
        self.auth = TokenAuth(
            self,
            client_id=client_id,
            client_secret=client_secret,
            bearer_token=bearer_token,
            clock=clock,
        )
        self._org_ids = tuple(org_ids)
        self._entity_id = entity_id.strip() if entity_id else None
        self.zone = zone
        """The tenant's zone, for timestamps that name none (None: UTC)."""
        self.read_only = read_only
        self.max_retries = max(0, max_retries)
        self.max_retry_wait = max_retry_wait
        self._timeout = timeout
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._run_id = secrets.token_hex(4)
        self._seq = 0
        self.budget = RateBudget()
        self.calls_made = 0
        self.api_calls_made = 0
        self.last_request_id: str | None = None
        self.error_log: deque[ApiErrorRecord] = deque(maxlen=error_log_size)

    async def aclose(self) -> None:
        """Close the HTTP connection pool and forget the cached token."""
        self.auth.clear()
        await self._http.aclose()

    # ------------------------------------------------------------------ per request

    def _next_track_id(self) -> str:
        self._seq += 1
        track = f"ztui-{self._run_id}-{self._seq}"
        # docs/zuora-api.md §2.3: <= 64 US-ASCII chars without : ; " '. Ours always is; keep it so.
        assert len(track) <= 64
        assert track.isascii()
        assert not _TRACK_FORBIDDEN.search(track)
        return track

    async def _on_request(self, request: httpx.Request) -> None:
        exchange: _Exchange = request.extensions[_EXCHANGE]
        exchange.track_id = self._next_track_id()
        request.headers["Zuora-Track-Id"] = exchange.track_id
        _LAST_CALL.set(CallInfo(exchange.method, exchange.path, exchange.track_id))
        self.calls_made += 1
        if exchange.shape is not None:
            self.api_calls_made += 1
        exchange.started = time.perf_counter()

    async def _on_response(self, response: httpx.Response) -> None:
        exchange: _Exchange = response.request.extensions[_EXCHANGE]
        elapsed_ms = (time.perf_counter() - exchange.started) * 1000
        request_id = response.headers.get("Zuora-Request-Id")
        if request_id:
            self.last_request_id = request_id
        _LAST_CALL.set(
            CallInfo(
                exchange.method, exchange.path, exchange.track_id, request_id, response.status_code
            )
        )
        self.budget.update(response.headers, now=self._clock())
        log.debug(
            "%s %s -> %s in %.0f ms (request id %s, track id %s)",
            exchange.method,
            exchange.path,
            response.status_code,
            elapsed_ms,
            request_id,
            exchange.track_id,
        )

    def standard_headers(self, accept: str) -> dict[str, str]:
        """The headers every request carries (docs/zuora-api.md §2.3), Authorization aside."""
        headers = {"Accept": accept, "Accept-Encoding": "gzip"}
        if self._org_ids:
            headers["Zuora-Org-Ids"] = ",".join(self._org_ids)
        if self._entity_id:
            # One entity id, never a list (docs/zuora-api.md §2.3).
            headers["Zuora-Entity-Ids"] = self._entity_id
        return headers

    async def _send(
        self,
        method: str,
        path: str,
        *,
        shape: Shape | None,
        headers: dict[str, str],
        auth: httpx.Auth | None = None,
        may_refresh: bool = True,
        stream: bool = False,
        answer: Answer = "job",
        params: Mapping[str, str | int] | None = None,
        json_body: object = None,
        content: bytes | None = None,
        data: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> httpx.Response:
        """Send one request (twice when `auth` refreshes the token) and return the answer.

        The answer is read whole (unless `stream`) under the size limit `answer` names,
        and the whole exchange within `answer_deadline_s`.

        Raises:
            TransportError: No answer (timeout, refused or dropped connection).
            MalformedResponse: The body could not be decoded.
            TokenUnavailable: `auth` could not get a token.
        """
        exchange = _Exchange(method, path, shape)
        extensions: dict[str, Any] = {_EXCHANGE: exchange}
        if not may_refresh:
            extensions[NO_REFRESH] = True
        request = self._http.build_request(
            method,
            path,
            params=params,
            headers=headers,
            json=json_body,
            content=content,
            data=data,
            files=files,
            extensions=extensions,
        )
        response: httpx.Response | None = None
        try:
            async with asyncio.timeout(self.answer_deadline_s):
                response = await self._http.send(request, auth=auth, stream=True)
                if not stream:
                    await self._read_bounded(response, method, path, answer)
        except TimeoutError:
            if response is not None:
                await response.aclose()
            log.debug("%s %s passed its deadline (track id %s)", method, path, exchange.track_id)
            raise TransportError(
                f"No complete answer within {self.answer_deadline_s:g} s (the server is "
                "answering too slowly)",
                method=method,
                path=path,
            ) from None
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
            log.debug("%s %s timed out (track id %s)", method, path, exchange.track_id)
            raise TransportError(
                f"No answer within {self._timeout:g} s ({type(exc).__name__})",
                method=method,
                path=path,
            ) from None
        except httpx.ConnectError as exc:
            log.debug("%s %s: no connection (track id %s)", method, path, exchange.track_id)
            raise _unreachable(exc, self._http.base_url, method, path) from None
        except httpx.HTTPError as exc:
            if response is not None:
                await response.aclose()
            name = type(exc).__name__
            log.debug("%s %s failed: %s (track id %s)", method, path, name, exchange.track_id)
            raise TransportError(
                f"Connection to {self._http.base_url.host} failed: "
                f"{name}{': ' + str(exc) if str(exc) else ''}",
                method=method,
                path=path,
            ) from None
        return response

    async def _read_bounded(
        self, response: httpx.Response, method: str, path: str, answer: Answer
    ) -> None:
        """Read the whole answer as `response.aread()` does, stopping at its size limit."""
        limit = self.max_list_answer_bytes if answer == "list" else self.max_job_answer_bytes
        declared = response.headers.get("Content-Length", "")
        total = int(declared) if declared.isdigit() else 0
        chunks: list[bytes] = []
        if total <= limit:
            total = 0
            async for chunk in response.aiter_bytes():
                total += len(chunk)
                if total > limit:
                    break
                chunks.append(chunk)
        if total > limit:
            await response.aclose()
            what, key = _LIMIT_NAMES[answer]
            raise AnswerTooLarge(
                f"The answer to {method} {path} is larger than {_megabytes(limit)}, the limit "
                f"for {what} ([network] {key}); ztui stopped reading it",
                status=response.status_code,
                request_id=response.headers.get("Zuora-Request-Id"),
                method=method,
                path=path,
            )
        # What `aread` leaves behind: the body, for `.content`, `.text` and `.json()`.
        response._content = b"".join(chunks)

    # ------------------------------------------------------------------ failures

    async def may_retry(self, error: ApiError, attempt: int) -> bool:
        """Sleep and return True when `error` may be retried once more, else False."""
        if attempt >= self.max_retries:
            return False
        if isinstance(error, Unreachable) and attempt >= 1:
            # Refused, unknown host, TLS: one more try covers a blip; more only delays
            # saying that the base URL or the network is wrong.
            return False
        retry_after: float | None = None
        reset: float | None = None
        if isinstance(error, RateLimited):
            retry_after = error.retry_after
            # docs/zuora-api.md §2.7: Retry-After first; else RateLimit-Reset once the
            # budget is spent.
            if retry_after is None and self.budget.remaining == 0:
                reset = error.reset if error.reset is not None else self.budget.reset_in()
        delay = backoff_delay(attempt, retry_after=retry_after, reset=reset, rng=self._rng)
        if delay > self.max_retry_wait:
            return False
        self.record(error)
        log.debug("retrying %s %s in %.2f s after %s", error.method, error.path, delay, error)
        await self._sleep(delay)
        return True

    def record(self, error: ApiError) -> None:
        """Add a failure to `error_log` (path without query, message redacted)."""
        self.error_log.append(
            ApiErrorRecord(
                at=time.time(),
                method=error.method or "",
                path=(error.path or "").split("?", 1)[0],
                status=error.status,
                request_id=error.request_id,
                code=error.code,
                message=self.redact(error.message),
                kind=type(error).__name__,
            )
        )

    def redact(self, text: str) -> str:
        """`text` with the credentials and the current token masked."""
        for secret in self.auth.secrets():
            text = text.replace(secret.reveal(), "********")
        return text

    # ------------------------------------------------------------------ token

    async def post_token(self, form: Mapping[str, str]) -> tuple[httpx.Response, float]:
        """POST the client-credentials grant, retrying 429, 5xx and lost connections.

        Returns:
            The 200 answer and the clock reading just before the request that got it.

        Raises:
            AuthError: The credentials were refused.
            ApiError: The token endpoint could not be reached or kept failing.
        """
        headers = self.standard_headers("application/json")
        attempt = 0
        while True:
            issued = self._clock()
            try:
                response = await self._send(
                    "POST", TOKEN_PATH, shape=None, headers=dict(headers), data=form
                )
            except TransportError as exc:
                if await self.may_retry(exc, attempt):
                    attempt += 1
                    continue
                self.record(exc)
                raise
            if response.status_code == httpx.codes.OK:
                return response, issued
            error = token_error(response, TOKEN_PATH, self.redact)
            if isinstance(error, RateLimited | ServerError) and await self.may_retry(
                error, attempt
            ):
                attempt += 1
                continue
            self.record(error)
            raise error

    async def refused(self, response: httpx.Response) -> None:
        """Read a 401 answer to an API request and record the refusal in `error_log`."""
        exchange: _Exchange = response.request.extensions[_EXCHANGE]
        assert exchange.shape is not None
        await _read_and_close(response)
        self.record(
            error_for(response, exchange.method, exchange.path, exchange.shape, self.redact)
        )

    # ------------------------------------------------------------------ API calls

    async def call(
        self,
        method: str,
        path: str,
        *,
        shape: Shape,
        accept: str = "application/json",
        params: Mapping[str, str | int] | None = None,
        json_body: object = None,
        content: bytes | None = None,
        content_type: str | None = None,
        data: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        idempotency_key: str | None = None,
        stream: bool = False,
        answer: Answer = "job",
        texts_of: str | None = None,
    ) -> tuple[httpx.Response, Any]:
        """Send one API request with auth, retries and error mapping.

        `answer` says which size limit the answer is read under: "list" for job lists,
        pages and error lists, "job" for everything else. `texts_of` names the list of a
        list answer whose elements are returned as their JSON texts
        (`ztui.api.jsontext.JsonTexts`), to be decoded one at a time.

        Returns:
            The response and its decoded JSON (None for `raw` routes). A `stream=True`
            response is open; the caller must close it.

        Raises:
            ReadOnlyError: A write on a read-only connection (nothing was sent).
            ApiError: The request failed, after the retries it may have.
        """
        if self.read_only and method != "GET":
            raise ReadOnlyError(
                f"This connection is read-only: {method} {path} was not sent.",
                method=method,
                path=path,
            )
        # docs/zuora-api.md §2.7/§2.8: GETs and POST/PATCH with an idempotency key may be repeated;
        # other writes (PUT stop, DELETE, key-less creates) must never be sent twice.
        retryable = method == "GET" or (method in ("POST", "PATCH") and idempotency_key is not None)
        attempt = 0
        refreshed = False
        while True:
            headers = self.standard_headers(accept)
            if idempotency_key is not None:
                headers["Idempotency-Key"] = idempotency_key
            if content_type is not None:
                headers["Content-Type"] = content_type
            try:
                response = await self._send(
                    method,
                    path,
                    shape=shape,
                    headers=headers,
                    auth=self.auth,
                    may_refresh=not refreshed,
                    stream=stream,
                    answer=answer,
                    params=params,
                    json_body=json_body,
                    content=content,
                    data=data,
                    files=files,
                )
            except TokenUnavailable as exc:
                raise exc.error from None
            except TransportError as exc:
                if retryable and await self.may_retry(exc, attempt):
                    attempt += 1
                    continue
                self.record(exc)
                raise
            except MalformedResponse as exc:
                self.record(exc)
                raise
            # The auth flow refreshed the token when the first answer was a 401.
            refreshed = refreshed or bool(response.history)
            if stream and response.status_code < 300:
                return response, None
            if stream:
                await _read_and_close(response)
            if response.status_code < 300:
                body, error = check_success(response, method, path, shape, self.redact, texts_of)
            else:
                body, error = None, error_for(response, method, path, shape, self.redact)
            if error is None:
                return response, body
            if isinstance(error, AuthError) and not refreshed and self.auth.can_refresh:
                # Some /v1 paths refuse a token with a code ending in 11 rather than a 401
                # (docs/zuora-api.md §2.2): refresh once and send again, as the auth flow does.
                self.record(error)
                self.auth.forget(response.request)
                refreshed = True
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
                and await self.may_retry(error, attempt)
            ):
                attempt += 1
                continue
            self.record(error)
            raise error


def _megabytes(limit: int) -> str:
    mb = limit / (1024 * 1024)
    return f"{mb:g} MB" if mb >= 1 else f"{limit:,} bytes"


def _unreachable(exc: httpx.ConnectError, base: httpx.URL, method: str, path: str) -> Unreachable:
    """Say why no connection could be made, from the OS error under httpx's."""
    where = f"{base.host}:{base.port}" if base.port else base.host
    cause, text = "refused", f"Cannot connect to {where}: {exc}"
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            cause = "refused"
            text = (
                f"Cannot connect to {where}: connection refused (is the base URL right, "
                "and is the server up?)"
            )
            break
        if isinstance(seen, socket.gaierror):
            cause = "dns"
            text = (
                f"Cannot connect: the host name {base.host!r} is unknown (DNS); is the "
                "base URL right?"
            )
            break
        if isinstance(seen, ssl.SSLError):
            cause = "tls"
            text = f"Cannot connect to {where}: the TLS handshake failed ({seen.reason or seen})"
            break
        seen = seen.__cause__ or seen.__context__
    error = Unreachable(text, method=method, path=path)
    error.cause = cause
    return error


async def _read_and_close(response: httpx.Response) -> None:
    """Read what arrives of a streamed answer (for its error message), then close it."""
    try:
        await response.aread()
    except httpx.HTTPError:
        pass
    finally:
        await response.aclose()
