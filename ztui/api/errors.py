"""Provides the ApiError tree: every failure the client raises is one of these."""

# The class names are a shared contract (other modules import them), so they keep their
# HTTP-flavoured names instead of an "Error" suffix.
# ruff: noqa: N818

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reason:
    """One entry of an error body: a code and a human-readable message."""

    code: str
    """The server's code as text (uno codes arrive as strings or integers)."""
    message: str
    """The server's message, verbatim."""


class ApiError(Exception):
    """Base of every error the API client raises.

    Attributes:
        message: What went wrong, in one line, fit to show a user.
        status: The HTTP status, when a response arrived.
        request_id: The `Zuora-Request-Id` of the response, when there was one.
        method: The HTTP method of the failed request.
        path: The URL path of the failed request (no query string).
        reasons: The codes and messages the server gave.
        body_excerpt: At most 200 characters of an unexpected body.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
        reasons: Sequence[Reason] = (),
        body_excerpt: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id
        self.method = method
        self.path = path
        self.reasons = tuple(reasons)
        self.body_excerpt = body_excerpt

    @property
    def code(self) -> str | None:
        """The first reason's code, if any."""
        return self.reasons[0].code if self.reasons else None

    def __str__(self) -> str:
        where = f"{self.method} {self.path}: " if self.method and self.path else ""
        status = f"HTTP {self.status}: " if self.status is not None else ""
        return f"{where}{status}{self.message}"


class AuthError(ApiError):
    """Credentials are wrong, missing or were refused twice (HTTP 401/403 on auth)."""


class PermissionDenied(ApiError):
    """Authenticated but not allowed (HTTP 403), e.g. a missing custom-object role."""


class NotFound(ApiError):
    """The job, file or endpoint does not exist (HTTP 404 or a not-found code)."""


class BadRequest(ApiError):
    """The server rejected the request's content (HTTP 400 or `success:false`)."""


class CancelRefused(BadRequest):
    """The server answered a cancel without cancelling (docs/tolerance.md rule 10).

    An AQuA DELETE whose answer is a job that is not `cancelled`, or that carries an
    `errorCode`, whatever the HTTP status: usually the job finished while the cancel was
    on its way.

    Attributes:
        job_status: The job's status as the answer shows it ("completed"), when it says.
        finished: True when that status is a terminal one other than `cancelled`.
    """

    def __init__(
        self,
        message: str,
        *,
        job_status: str | None = None,
        finished: bool = False,
        status: int | None = None,
        request_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
        reasons: Sequence[Reason] = (),
        body_excerpt: str | None = None,
    ) -> None:
        super().__init__(
            message,
            status=status,
            request_id=request_id,
            method=method,
            path=path,
            reasons=reasons,
            body_excerpt=body_excerpt,
        )
        self.job_status = job_status
        self.finished = finished


class Conflict(ApiError):
    """HTTP 409/422: an idempotency conflict. Re-read the jobs; never resubmit blindly."""


class RateLimited(ApiError):
    """HTTP 429: over a rate or concurrency limit.

    Attributes:
        retry_after: Seconds to wait, from `Retry-After`, when the server sent one.
        reset: Seconds until the window resets, from `RateLimit-Reset`.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        reset: float | None = None,
        status: int | None = 429,
        request_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
        reasons: Sequence[Reason] = (),
        body_excerpt: str | None = None,
    ) -> None:
        super().__init__(
            message,
            status=status,
            request_id=request_id,
            method=method,
            path=path,
            reasons=reasons,
            body_excerpt=body_excerpt,
        )
        self.retry_after = retry_after
        self.reset = reset


class ServerError(ApiError):
    """HTTP 5xx. Transient: the watcher keeps its data and tries again later."""


class TransportError(ApiError):
    """No usable response: timeout, refused or dropped connection, TLS failure."""


class Unreachable(TransportError):
    """The server could not be reached at all, so nothing was sent: the connection was
    refused, the host name is unknown, or the TLS handshake failed. Usually the base URL
    or the network, rarely a passing fault."""

    cause: str = "refused"
    """`refused`, `dns` or `tls`."""


class WrongEndpoint(ApiError):
    """The token URL is not an OAuth endpoint (404/405): the base URL is wrong."""


class MalformedResponse(ApiError):
    """The response arrived but its body is not what the API documents."""


class ReadOnlyError(ApiError):
    """A write was refused locally because the connection is read-only; nothing was sent."""


class NotSupported(ApiError):
    """The tenant does not offer this operation (e.g. propagation list/get/stop)."""


@dataclass(frozen=True)
class ApiErrorRecord:
    """One failed request, kept for the "API errors" view; holds no secret."""

    at: float
    """Wall-clock time of the failure (epoch seconds)."""
    method: str
    path: str
    status: int | None
    request_id: str | None
    code: str | None
    message: str
    kind: str = field(default="ApiError")
    """The exception class name."""


class TokenAnswerMalformed(MalformedResponse):
    """The token endpoint answered 200 without a usable token. Unlike a malformed job
    list, this is a passing fault of the login service (the next request usually gets a
    token), so it is retried like a 503."""


TRANSIENT_ERRORS: tuple[type[ApiError], ...] = (
    ServerError,
    TransportError,
    RateLimited,
    TokenAnswerMalformed,
)
"""Errors the watcher treats as passing: keep last data, mark stale, try again."""
