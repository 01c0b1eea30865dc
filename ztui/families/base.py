"""Provides `FamilyDef`: everything ztui knows about one job family, in one record.

A family module (`ztui.families.aqua` ...) defines its parser, status table and
constants, and one `FamilyDef` that ties them together with the family's API calls, its
stop/cancel action, what a create needs, its CLI spellings and the shape of its ids. The
client, the watcher, the actions and the headless commands read these records instead of
asking "which family is this?".

The record also says what the app shows of a job (`DetailLayout`: the detail screen's
rows) and what results it leaves (`ResultFile`, batches, how long files live), so the
screens draw any family from it.

The calls are bound to `JobsApi`, the family-specific methods of
`ztui.api.client.ZuoraClient`, so anything offering the same methods (a test's stand-in
client) is dispatched the same way.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Protocol

from ztui.api.models import AquaBatch, Family, Job, JobError, JobState
from ztui.api.parsing import lookup_state


class ActionKind(StrEnum):
    """What the family's own action is called; also the journal's `action` value."""

    STOP = "stop"
    CANCEL = "cancel"


@dataclass(frozen=True)
class StopAction:
    """The stop/cancel action of one family."""

    kind: ActionKind
    """Stop (uno families) or cancel (custom objects, AQuA)."""
    verb: str
    """Capitalised verb for buttons and titles ("Stop", "Cancel")."""
    request: str
    """The request it sends, for the confirm modal (method and body)."""
    allowed: tuple[str, ...]
    """Raw statuses (lower case) in which the server accepts the action."""
    returns_job: bool = False
    """The response body is the job as it is after the action."""
    status_after: str | None = None
    """The status a stopped job is assumed to show when it cannot be re-read (None: the
    status it had)."""


@dataclass(frozen=True)
class CreateFacts:
    """What creating a job of the family involves."""

    job_types: tuple[str, ...] = ()
    """The documented job types the create takes (empty when it takes none)."""
    max_file_bytes: int | None = None
    """The upload size limit, for families that upload a file."""
    uses_idempotency_key: bool = False
    """Whether the create request carries an `Idempotency-Key` (docs/zuora-api.md §2.8)."""
    max_active: int | None = None
    """How many of the family's jobs the tenant runs at once (None: no documented cap)."""
    active_statuses: frozenset[str] = frozenset()
    """Raw statuses (lower case) in which a job counts against `max_active`."""
    slots_full_code: str | None = None
    """The error code of a create refused because every slot is taken."""
    reference_prefix: str | None = None
    """The column-name prefix an upload file may use for columns Zuora ignores (the
    template's reference columns), so a fix-and-resubmit export can keep its error
    columns in the file; None when an upload takes only the object's own fields."""


DetailKind = Literal["text", "time", "milliseconds", "error", "counts"]
"""How a detail row reads its keys: `text` joins their values; `time` renders the first
key as a time (the others are readable spellings of it); `milliseconds` is a duration;
`error` is an `{code, message}` object; `counts` is "processed of total" from the job."""


@dataclass(frozen=True)
class DetailField:
    """One row of a family's detail layout: its label, the raw keys it reads, and how."""

    label: str
    """The row's label."""
    keys: tuple[str, ...] = ()
    """The raw JSON keys it shows (they are not repeated under "Other fields")."""
    kind: DetailKind = "text"
    """How the keys are read."""
    suffix: str = ""
    """Appended to a `text` value (" %")."""


@dataclass(frozen=True)
class DetailLayout:
    """What the detail screen shows of a family's job, after id, status and progress."""

    fields: tuple[DetailField, ...] = ()
    """The rows, in order."""
    hidden: tuple[str, ...] = ()
    """Raw keys shown elsewhere on the screen (AQuA's batches table), not as rows."""


@dataclass(frozen=True)
class ResultFile:
    """Where a job names its one result file (data backfill)."""

    id_key: str
    """The raw key of the file id, for `GET /v1/files/{id}`."""
    name_key: str
    """The raw key of the file's name."""


class JobPage(Protocol):
    """One page of a paged job list, newest first."""

    @property
    def jobs(self) -> list[Job]:
        """The jobs on the page."""
        ...

    @property
    def cursor(self) -> str | None:
        """Where the next page starts; None on an empty page."""
        ...


class JobsApi(Protocol):
    """The family-specific calls of `ztui.api.client.ZuoraClient` the families use."""

    async def list_data_backfill_jobs(self) -> list[Job]:
        """Every data backfill job."""
        ...

    async def get_data_backfill_job(self, job_id: str) -> Job:
        """One data backfill job."""
        ...

    async def stop_data_backfill_job(self, job_id: str) -> None:
        """Ask a data backfill job to stop."""
        ...

    async def list_booking_date_jobs(self) -> list[Job]:
        """Every booking-date job."""
        ...

    async def get_booking_date_job(self, job_id: str) -> Job:
        """One booking-date job."""
        ...

    async def stop_booking_date_job(self, job_id: str) -> None:
        """Ask a booking-date job to stop."""
        ...

    async def list_propagation_jobs(self) -> list[Job]:
        """Every auto-backfill job; `NotSupported` when the tenant lacks the list."""
        ...

    async def get_propagation_job(self, job_id: str) -> Job:
        """One auto-backfill job."""
        ...

    async def stop_propagation_job(self, job_id: str) -> None:
        """Ask an auto-backfill job to stop."""
        ...

    async def list_custom_object_jobs(
        self, page_size: int, cursor: str | None = None, status: str | None = None
    ) -> JobPage:
        """One page of custom-object jobs, newest first."""
        ...

    async def list_all_custom_object_jobs(
        self, *, status: str | None = None, max_pages: int | None = None
    ) -> list[Job]:
        """The custom-object jobs of every page (or of the first `max_pages`)."""
        ...

    async def get_custom_object_job(self, job_id: str) -> Job:
        """One custom-object job."""
        ...

    async def cancel_custom_object_job(
        self, job_id: str, *, idempotency_key: str | None = None
    ) -> Job:
        """Cancel a custom-object job; returns it cancelled."""
        ...

    async def list_custom_object_errors(self, job_id: str) -> list[JobError]:
        """The row errors of a custom-object job."""
        ...

    async def get_custom_object_errors_raw(self, job_id: str) -> Any:
        """The row errors of a custom-object job, as the server sent them."""
        ...

    async def get_aqua_job(self, job_id: str) -> Job:
        """One AQuA job."""
        ...

    async def cancel_aqua_job(self, job_id: str) -> Job:
        """Cancel an AQuA job; returns it cancelled."""
        ...


@dataclass(frozen=True)
class Calls:
    """The family's API calls, each taking the client first."""

    get: Callable[[JobsApi, str], Awaitable[Job]]
    """Fetch one job by id."""
    stop: Callable[[JobsApi, str], Awaitable[Job | None]]
    """Send the stop/cancel; the job when the response carries it, else None."""
    list_all: Callable[[JobsApi, int | None], Awaitable[list[Job]]] | None = None
    """Every job (of the first N pages, for a paged list); None when there is no list."""
    page: Callable[[JobsApi, int, str | None], Awaitable[JobPage]] | None = None
    """One page `(page size, cursor)` of a paged list; None when the list is not paged."""
    row_errors: Callable[[JobsApi, str], Awaitable[list[JobError]]] | None = None
    """The row-level errors of a job; None when the API has no such list."""
    row_errors_raw: Callable[[JobsApi, str], Awaitable[Any]] | None = None
    """The same list as the server sent it, for a reader that keeps what it cannot parse."""


@dataclass(frozen=True)
class FamilyDef:
    """Everything ztui knows about one job family."""

    family: Family
    """The family this describes."""
    noun: str
    """The label inside a sentence ("data backfill", but "AQuA")."""
    states: Mapping[str, JobState]
    """Raw status (lower case) to normalised state."""
    parse: Callable[[object], Job]
    """Turns one job JSON into a `Job`; raises only `MalformedResponse`."""
    calls: Calls
    """The API calls."""
    stop: StopAction
    """The stop/cancel action and when it is offered."""
    create: CreateFacts
    """What a create needs."""
    id_pattern: re.Pattern[str]
    """The shape of the family's job ids (docs/zuora-api.md §2.9)."""
    aliases: tuple[str, ...] = ()
    """Spellings `--family` accepts besides the value (with `_` or `-`)."""
    list_optional: bool = False
    """The tenant may not offer the list at all (404/405): the family is then skipped."""
    unknown_id_is_bad_request: bool = False
    """An unknown id may be answered with 400 rather than 404."""
    parse_batches: Callable[[Mapping[str, Any]], list[AquaBatch]] | None = field(default=None)
    """Reads the queries of a job from its raw JSON; None for families without them."""
    detail: DetailLayout = field(default_factory=DetailLayout)
    """The rows of the detail screen."""
    result_file: ResultFile | None = None
    """Where a job names its result file; None when it has none (or only batch files)."""
    result_ttl_s: float | None = None
    """Seconds result files stay downloadable after the job completes (None: not known)."""

    @property
    def label(self) -> str:
        """Short human label for tables."""
        return self.family.label

    @property
    def has_list(self) -> bool:
        """True when the API can list the family's jobs."""
        return self.calls.list_all is not None

    @property
    def paged(self) -> bool:
        """True when the list comes in pages, newest first."""
        return self.calls.page is not None

    @property
    def followed_by_id(self) -> bool:
        """True when jobs can only be followed by id (no list: AQuA)."""
        return not self.has_list

    @property
    def has_batches(self) -> bool:
        """True when a job is a list of batches (queries), each with its own result."""
        return self.parse_batches is not None

    @property
    def has_result_files(self) -> bool:
        """True when a finished job can leave files to download."""
        return self.has_batches or self.result_file is not None

    @property
    def has_row_errors(self) -> bool:
        """True when the API lists a job's row-level errors."""
        return self.calls.row_errors is not None

    def normalise(self, status: str) -> JobState:
        """The state a raw status stands for (`UNKNOWN` when the table lacks it)."""
        return lookup_state(self.states, status)
