"""Provides what the endpoint groups share: path segments, idempotency keys, body reading."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from ztui.api.errors import BadRequest, MalformedResponse
from ztui.api.models import Family, Job, unreadable_job
from ztui.api.parsing import tenant_zone
from ztui.api.shapes import excerpt

if TYPE_CHECKING:
    from ztui.api.transport import Transport

log = logging.getLogger("ztui.api")


@contextmanager
def reading(transport: Transport, response: httpx.Response) -> Iterator[None]:
    """Give a parser's `MalformedResponse` the request's status, ids and an excerpt.

    The error is recorded in the transport's error log. Inside the block, timestamps that
    name no zone are read in the transport's tenant zone (docs/tolerance.md rule 6).
    """
    try:
        with tenant_zone(transport.zone):
            yield
    except MalformedResponse as exc:
        request = response.request
        error = MalformedResponse(
            exc.message,
            status=response.status_code,
            request_id=response.headers.get("Zuora-Request-Id"),
            method=request.method,
            path=request.url.path,
            body_excerpt=exc.body_excerpt or excerpt(response),
        )
        transport.record(error)
        raise error from None


def segment(value: str, what: str) -> str:
    """Quote one path segment.

    Raises:
        BadRequest: `value` is empty (`what` names it in the message).
    """
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{what} is empty")
    return quote(value.strip(), safe="")


def checked_key(key: str | None) -> str:
    """`key`, or a new uuid4 when it is None (docs/zuora-api.md §2.8).

    Raises:
        BadRequest: `key` is not 1-255 printable ASCII characters.
    """
    if key is None:
        return str(uuid.uuid4())
    if not key or len(key) > 255 or not key.isascii() or not key.isprintable():
        raise BadRequest("Idempotency-Key must be 1-255 printable ASCII characters")
    return key


def body_field(body: Mapping[str, Any], key: str, what: str, response: httpx.Response) -> Any:
    """`body[key]`.

    Raises:
        MalformedResponse: The body has no `key`.
    """
    if key not in body:
        raise MalformedResponse(
            f"The {what} response has no {key!r}",
            status=response.status_code,
            request_id=response.headers.get("Zuora-Request-Id"),
            body_excerpt=excerpt(response),
        )
    return body[key]


def body_jobs(
    body: Mapping[str, Any],
    parser: Callable[[object], Job],
    what: str,
    response: httpx.Response,
    family: Family,
) -> list[Job]:
    """The body's `jobs` list, each parsed with `parser`.

    A job object that cannot be read never hides the others (docs/tolerance.md rule 1): it
    becomes a stand-in job in the `UNREADABLE` state (`ztui.api.models.unreadable_job`).

    Raises:
        MalformedResponse: `jobs` is missing or not a list.
    """
    jobs = body_field(body, "jobs", what, response)
    if not isinstance(jobs, list):
        raise MalformedResponse(
            f"The {what} response's 'jobs' is not a list",
            status=response.status_code,
            request_id=response.headers.get("Zuora-Request-Id"),
        )
    result: list[Job] = []
    for item in jobs:
        try:
            result.append(parser(item))
        except MalformedResponse as exc:
            log.info("%s: one job object could not be read: %s", what, exc.message)
            result.append(unreadable_job(family, item, exc.message))
    return result


def body_job_id(body: Mapping[str, Any], what: str, response: httpx.Response) -> str:
    """The body's `jobId`.

    Raises:
        MalformedResponse: `jobId` is missing or not an id.
    """
    job_id = body_field(body, "jobId", what, response)
    if not isinstance(job_id, str) or not job_id:
        raise MalformedResponse(
            f"The {what} response's 'jobId' is not an id",
            status=response.status_code,
            request_id=response.headers.get("Zuora-Request-Id"),
        )
    return job_id
