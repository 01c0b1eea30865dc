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
from ztui.api.jsontext import JsonTexts, decode_element
from ztui.api.models import Family, Job, keep_text, unreadable_job
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


class JobParseCache:
    """The jobs of one list's recent answers, by the text of their JSON.

    A poll that returns the same jobs as the last one costs little: a job object whose
    text is the same as in a recent answer is not parsed again, the `Job` made then is
    returned (so that whoever receives it can tell an unchanged job by its identity). A
    walk of the list starts with `start_walk`; a job the walk did not see is forgotten at
    its `end_walk` (at the start of the next walk when its end is not known, as with
    pages). Timestamps without a zone are read in the tenant's zone, so a change of zone
    forgets everything.
    """

    def __init__(self) -> None:
        self._current: dict[str, Job] = {}
        self._previous: dict[str, Job] = {}
        self._zone: object = None
        self.parsed = 0
        """Job objects parsed (not found here) so far; tests and benchmarks read it."""

    def start_walk(self, zone: object) -> None:
        """A new walk of the list begins (the first page, or the only one)."""
        if zone != self._zone:
            self._zone = zone
            self._current = {}
        self._previous, self._current = self._current, {}

    def end_walk(self) -> None:
        """The walk is complete: what it did not see is forgotten now."""
        self._previous = {}

    def get(self, text: str) -> Job | None:
        """The job parsed from `text` lately, or None."""
        job = self._current.get(text)
        if job is None:
            job = self._previous.get(text)
            if job is not None:
                self._current[text] = job
        return job

    def put(self, text: str, job: Job) -> None:
        """Remember the job parsed from `text`."""
        self.parsed += 1
        self._current[text] = job


def body_jobs(
    body: Mapping[str, Any],
    parser: Callable[[object], Job],
    what: str,
    response: httpx.Response,
    family: Family,
    cache: JobParseCache | None = None,
    *,
    zone: object = None,
    whole: bool = True,
) -> list[Job]:
    """The body's `jobs` list, each parsed with `parser`.

    A job object that cannot be read never hides the others (docs/tolerance.md rule 1): it
    becomes a stand-in job in the `UNREADABLE` state (`ztui.api.models.unreadable_job`).
    When the list came as the text of each job (`ztui.api.jsontext.JsonTexts`, asked for
    with `texts_of="jobs"`), each job is decoded on its own and keeps its text as its
    `raw` (`ztui.api.models.RawJson`), and with a `cache` a job whose text it already
    knows is neither decoded nor parsed again: `whole` (the answer is the whole list)
    makes it one walk of the cache, read in `zone` (the tenant zone); otherwise the
    caller starts the walks.

    Raises:
        MalformedResponse: `jobs` is missing or not a list.
    """
    jobs = body_field(body, "jobs", what, response)
    if isinstance(jobs, list):
        return [_parse_one(parser, item, what, family) for item in jobs]
    if not isinstance(jobs, JsonTexts):
        raise MalformedResponse(
            f"The {what} response's 'jobs' is not a list",
            status=response.status_code,
            request_id=response.headers.get("Zuora-Request-Id"),
        )
    if cache is not None and whole:
        cache.start_walk(zone)
    result: list[Job] = []
    for text in jobs.texts:
        job = cache.get(text) if cache is not None else None
        if job is None:
            item = decode_element(text)
            job = keep_text(_parse_one(parser, item, what, family), item, text)
            if cache is not None:
                cache.put(text, job)
        result.append(job)
    if cache is not None and whole:
        cache.end_walk()
    return result


def _parse_one(parser: Callable[[object], Job], item: object, what: str, family: Family) -> Job:
    try:
        return parser(item)
    except MalformedResponse as exc:
        log.info("%s: one job object could not be read: %s", what, exc.message)
        return unreadable_job(family, item, exc.message)


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
