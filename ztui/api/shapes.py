"""Provides the reading of responses: success checks and the three error body shapes.

Each route declares a `Shape` (docs/zuora-api.md §2.5): uno/v1 `CommonResponse` (HTTP 200 may carry
`success:false`), custom objects' flat `{code, message}`, AQuA's errors inside the job
JSON (a refused request is a job with `status:"error"` and a null id), or `raw` for
bodies that are not JSON (templates, files). The older v1 body `{"Success": false,
"Errors": [{"Code", "Message"}]}` is read wherever the others are, at any HTTP status
(docs/tolerance.md rule 11). `check_success` and `error_for` turn any
response into its decoded body or an `ApiError` of the right class; `token_error` does
the same for the OAuth token endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal

import httpx

from ztui.api.budget import parse_retry_after, parse_seconds
from ztui.api.errors import (
    ApiError,
    AuthError,
    BadRequest,
    Conflict,
    MalformedResponse,
    NotFound,
    NotSupported,
    PermissionDenied,
    RateLimited,
    Reason,
    ServerError,
    WrongEndpoint,
)
from ztui.api.jsontext import decode

Shape = Literal["uno", "co", "aqua", "raw"]
"""Which error body shape (docs/zuora-api.md §2.5) and success check a route uses."""

Redact = Callable[[str], str]
"""Masks the credentials a server message might echo."""

EXCERPT: Final = 200
"""The most characters of an unexpected body an error quotes."""


def loads_or_none(content: bytes, texts_of: str | None = None) -> Any:
    """The decoded JSON of `content` (depth-bounded; the array `texts_of` as the texts of
    its elements: `ztui.api.jsontext.decode`), or None when it is not JSON."""
    try:
        return decode(content, texts_of)
    except (ValueError, RecursionError):
        return None


def _read_body(response: httpx.Response) -> bytes:
    """The body as read; empty when it could not be read (a broken-off error answer)."""
    try:
        return response.content
    except httpx.ResponseNotRead:
        return b""


def excerpt(response: httpx.Response) -> str | None:
    """The start of the body on one line, or None when it is empty or was not read."""
    try:
        text = response.content.decode("utf-8", errors="replace")
    except httpx.ResponseNotRead:
        return None
    text = " ".join(text.split())
    return text[:EXCERPT] or None


def _as_text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def extract_error(body: object) -> tuple[list[Reason], str]:
    """Reasons and a one-line message from any of the error shapes (docs/zuora-api.md §2.5)."""
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
    raw_errors = body.get("Errors")
    if isinstance(raw_errors, list):
        # The older v1 body: {"Success": false, "Errors": [{"Code", "Message"}]}
        # (docs/tolerance.md rule 11).
        for item in raw_errors:
            if isinstance(item, dict):
                reasons.append(Reason(_as_text(item.get("Code")), _as_text(item.get("Message"))))
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
"""docs/zuora-api.md §2.5A: the last two digits of an 8-digit code give the category."""

_AQUA_CODES: Final[Mapping[str, type[ApiError]]] = {
    "90001": NotFound,
    "90002": NotFound,
    "90009": PermissionDenied,
}
"""docs/zuora-api.md §2.5C: the AQuA codes that mean something other than a bad request.

An AQuA error with a null id is a refused request (no job exists), so even the
"internal" codes (90010, 90022) stay `BadRequest`: retrying with the same idempotency key
would only replay the refusal.
"""


def error_class_for_code(code: str, shape: Shape) -> type[ApiError]:
    """The error class a body-level error code stands for on a route of `shape`."""
    code = code.strip()
    if shape == "aqua" and code in _AQUA_CODES:
        return _AQUA_CODES[code]
    if shape == "uno" and len(code) == 8 and code.isdigit():
        return _UNO_CATEGORY.get(code[-2:], BadRequest)
    return BadRequest


def _rate_limited(text: str, response: httpx.Response, **common: Any) -> RateLimited:
    return RateLimited(
        text,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
        reset=parse_seconds(response.headers.get("RateLimit-Reset")),
        **common,
    )


def check_success(
    response: httpx.Response,
    method: str,
    path: str,
    shape: Shape,
    redact: Redact,
    texts_of: str | None = None,
) -> tuple[Any, ApiError | None]:
    """Decode a 2xx body and apply the shape's body-level error rules.

    `texts_of` names a list whose elements are kept as their texts (`loads_or_none`).

    Returns:
        The decoded body (None for `raw`) and the error it amounts to, if any.
    """
    if shape == "raw":
        return None, None
    request_id = response.headers.get("Zuora-Request-Id")
    body = loads_or_none(response.content, texts_of)
    if not isinstance(body, dict):
        return None, MalformedResponse(
            f"Expected a JSON object, got {response.headers.get('Content-Type') or 'no type'}",
            status=response.status_code,
            request_id=request_id,
            method=method,
            path=path,
            body_excerpt=excerpt(response),
        )
    if body.get("Success") is False or body.get("success") is False:
        # docs/zuora-api.md §2.5A: v1 may answer HTTP 200 with success:false; the older
        # v1 body spells it `Success` (docs/tolerance.md rule 11). Either is a failure,
        # on any route.
        return body, error_for(response, method, path, shape, redact, body=body)
    if shape == "uno":
        # A missing flag is not success (unlike the SDK's default).
        if body.get("success") is True or body.get("Success") is True:
            return body, None
        return body, MalformedResponse(
            "The response has no 'success' flag",
            status=response.status_code,
            request_id=request_id,
            method=method,
            path=path,
            body_excerpt=excerpt(response),
        )
    if shape == "aqua" and body.get("status") == "error" and body.get("id") in (None, ""):
        # docs/zuora-api.md §2.5C: a request that fails validation comes back as a job with
        # status "error" and a null id, possibly with HTTP 200.
        return body, error_for(response, method, path, shape, redact, body=body)
    return body, None


def error_for(
    response: httpx.Response,
    method: str,
    path: str,
    shape: Shape,
    redact: Redact,
    *,
    body: object = None,
) -> ApiError:
    """Map an error response (any status, any of the three shapes) to an ApiError."""
    status = response.status_code
    if body is None:
        body = loads_or_none(_read_body(response))
    reasons, text = extract_error(body)
    quoted = None if text else excerpt(response)
    if not text:
        text = f"HTTP {status} {response.reason_phrase}".strip()
        if quoted:
            text = f"{text}: {quoted}"
    text = redact(text)
    common: dict[str, Any] = {
        "status": status,
        "request_id": response.headers.get("Zuora-Request-Id"),
        "method": method,
        "path": path,
        "reasons": reasons,
        "body_excerpt": quoted,
    }
    if status == httpx.codes.TOO_MANY_REQUESTS:
        return _rate_limited(text, response, **common)
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
        # the code's category may say more than the HTTP status (docs/zuora-api.md §2.5). A 400
        # is the server's verdict on the request, so it never becomes transient.
        code = reasons[0].code if reasons else ""
        kind = error_class_for_code(code, shape)
        if status >= 300 and kind in (ServerError, RateLimited):
            kind = BadRequest
        if kind is RateLimited:
            return _rate_limited(text, response, **common)
        return kind(text, **common)
    if 300 <= status < 400:
        return MalformedResponse(f"Unexpected redirect: {text}", **common)
    return BadRequest(text, **common)


def _has_request(response: httpx.Response) -> bool:
    try:
        response.request  # noqa: B018 (raises when the response was built without one)
    except RuntimeError:
        return False
    return True


def token_error(response: httpx.Response, path: str, redact: Redact) -> ApiError:
    """Map a non-200 answer of the OAuth token endpoint (`POST path`) to an ApiError."""
    status = response.status_code
    request_id = response.headers.get("Zuora-Request-Id")
    if status == httpx.codes.TOO_MANY_REQUESTS:
        return _rate_limited(
            "Too many token requests",
            response,
            request_id=request_id,
            method="POST",
            path=path,
        )
    reasons, text = extract_error(loads_or_none(_read_body(response)))
    if not text:
        text = excerpt(response) or response.reason_phrase or f"HTTP {status}"
    text = redact(text)
    if status >= 500:
        return ServerError(text, status=status, request_id=request_id, method="POST", path=path)
    if status in (httpx.codes.NOT_FOUND, httpx.codes.METHOD_NOT_ALLOWED):
        # No OAuth endpoint there at all: the credentials were never looked at.
        url = response.request.url.copy_with(query=None) if _has_request(response) else path
        return WrongEndpoint(
            f"The token URL {url} answered HTTP {status}: is the base URL right? "
            "(it is the tenant's REST root, e.g. https://rest.apisandbox.zuora.com)",
            status=status,
            request_id=request_id,
            method="POST",
            path=path,
        )
    # docs/zuora-api.md §2.2: the bad-credentials body is undocumented; any other non-200 is an
    # authentication failure, shown with the server's own words.
    return AuthError(
        f"Zuora refused the client credentials (HTTP {status}: {text})",
        status=status,
        request_id=request_id,
        method="POST",
        path=path,
        reasons=reasons,
    )
