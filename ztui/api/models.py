"""Provides the normalised job model shared by every family.

The dataclasses here are the contract between the API client, the watcher service, the
headless commands and the UI. Each family's parser (in `ztui.families`) turns its wire
JSON (docs/zuora-api.md §3-§7) into a `Job`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from ztui.api.jsontext import decode_element


class Family(StrEnum):
    """The five job families ztui watches."""

    DATA_BACKFILL = "data_backfill"
    BOOKING_DATE = "booking_date"
    PROPAGATION = "propagation"
    CUSTOM_OBJECT = "custom_object"
    AQUA = "aqua"

    @property
    def label(self) -> str:
        """Short human label for tables."""
        return _FAMILY_LABELS[self.value]


UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
"""A custom-object job id (docs/zuora-api.md §2.9)."""
HEX32_RE = re.compile(r"^[0-9a-fA-F]{32}$")
"""A uno or AQuA job id (docs/zuora-api.md §2.9)."""

_FAMILY_LABELS: dict[str, str] = {
    "data_backfill": "Data backfill",
    "booking_date": "Booking date",
    "propagation": "Auto-backfill",
    "custom_object": "Custom object",
    "aqua": "AQuA",
}
"""Each family's short label, by the family's value."""


def family_label(value: str) -> str:
    """The short label of the family spelt `value`; `value` itself when it names none
    (a journal line from a newer ztui)."""
    return _FAMILY_LABELS.get(value, value)


class JobState(StrEnum):
    """A family-independent state derived from the raw status string."""

    QUEUED = "queued"
    RUNNING = "running"
    STOPPING = "stopping"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    STOPPED = "stopped"
    UNKNOWN = "unknown"
    UNREADABLE = "unreadable"
    """The job object in a list answer could not be read (docs/tolerance.md rule 1)."""

    @property
    def is_terminal(self) -> bool:
        """True once the job can no longer change."""
        return self in _TERMINAL

    @property
    def is_active(self) -> bool:
        """True while the job is queued, running or stopping."""
        return self in (JobState.QUEUED, JobState.RUNNING, JobState.STOPPING)


_TERMINAL = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.STOPPED})


class RawJson(Mapping[str, Any]):
    """A job object's JSON kept as the text it arrived in, decoded when it is read.

    The board holds tens of thousands of jobs: the text of one is a third of the decoded
    dict's size. Reading a key decodes the text (the last few decoded texts are kept, so
    a screen reading many keys of one job decodes it once); the decoded value is the
    same one the whole answer's decoding gave (depth-bounded alike,
    `ztui.api.jsontext.bound_depth`). Equal when the texts are.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        """Wrap `text`, the JSON of one object exactly as received."""
        self.text = text

    def _decoded(self) -> Mapping[str, Any]:
        return _decode_object(self.text)

    def __getitem__(self, key: str) -> Any:
        return self._decoded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._decoded())

    def __len__(self) -> int:
        return len(self._decoded())

    def __contains__(self, key: object) -> bool:
        return key in self._decoded()

    def get(self, key: str, default: Any = None) -> Any:
        """The value at `key`, or `default`."""
        return self._decoded().get(key, default)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RawJson):
            return self.text == other.text
        if isinstance(other, Mapping):
            return dict(self._decoded()) == dict(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RawJson({self.text[:60]!r}{'…' if len(self.text) > 60 else ''})"


def may_have_key(raw: Mapping[str, Any], key: str) -> bool:
    """False when `raw` surely has no `key`; a `RawJson` tells without being decoded (a key
    is in its text in quotes, unless the text escapes characters)."""
    if isinstance(raw, RawJson):
        text = raw.text
        return f'"{key}"' in text or "\\" in text
    return isinstance(raw, Mapping) and key in raw


@lru_cache(maxsize=64)
def _decode_object(text: str) -> Mapping[str, Any]:
    """The object `text` holds, read-only (an answer's text decoded before: never fails
    short of memory; anything but an object reads as empty)."""
    value = decode_element(text)
    return MappingProxyType(value if isinstance(value, dict) else {})


@dataclass(frozen=True, slots=True)
class Job:
    """One job of any family, normalised. `raw` keeps the wire JSON as received (as a
    `RawJson` when it came in a list answer)."""

    family: Family
    id: str
    """The job id (32 hex for uno/AQuA, UUID for custom objects)."""
    kind: str
    """Backfill type, `object:operation` for custom objects, or the AQuA job name."""
    status: str
    """The raw status string exactly as the server sent it."""
    state: JobState
    """The normalised state; `UNKNOWN` for status strings ztui does not know."""
    progress: float | None = None
    """0..1 when the family reports it."""
    processed: int | None = None
    succeeded: int | None = None
    failed: int | None = None
    total: int | None = None
    created_at: datetime | None = None
    """Timezone-aware creation/upload time."""
    updated_at: datetime | None = None
    """Timezone-aware time of the last change the server reports."""
    message: str | None = None
    """`failureMessage`, `error.message` or AQuA `message`, when non-empty."""
    dry_run: bool | None = None
    """True when the server says the job changes no data (auto-backfill `dryRun`), False
    when it says it does, None when it does not say (docs/zuora-api.md §5: whether
    `dryRun` comes back is undocumented)."""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    """The job JSON as received: a mapping, `RawJson` for jobs read from a list."""
    unreadable: Unreadable | None = None
    """Set when the job object could not be read (state `UNREADABLE`): why, and what it was."""

    @property
    def key(self) -> tuple[Family, str]:
        """Identity across families: (family, id)."""
        return (self.family, self.id)


@dataclass(frozen=True)
class Unreadable:
    """A job object that could not be read: whatever id it carries, the reason, the value."""

    job_id: str | None
    """The id the object carries, when one could be found; None otherwise."""
    reason: str
    """One line saying what could not be read."""
    value: Any = field(default=None, compare=False, hash=False)
    """The element exactly as received (any JSON value: an object, a list, text...)."""

    @property
    def excerpt(self) -> str:
        """The start of the element as compact JSON, on one line (at most 200 characters)."""
        try:
            text = json.dumps(self.value, ensure_ascii=False, sort_keys=True, default=str)
        except (TypeError, ValueError, RecursionError):
            text = repr(self.value)
        text = " ".join(text.split())
        return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


EXCERPT_CHARS = 200
"""The most characters of an unreadable job object quoted in a view."""

_ID_KEYS = ("id", "Id", "jobId")
_KIND_KEYS = ("importType", "type", "name")


def unreadable_job(family: Family, value: object, reason: str, *, job_id: str | None = None) -> Job:
    """A stand-in `Job` for a job object that could not be read (docs/tolerance.md rule 1).

    It keeps whatever id the object carries (else a stable made-up key `unreadable-<hash>`,
    so the same object keeps its row across polls), its kind when that is readable, the
    state `UNREADABLE`, the reason as `message` and the element itself in `unreadable`.
    `job_id` is the id the job is known by when the object itself may not carry one (a
    get by id).
    """
    kind = "(unreadable)"
    raw: Mapping[str, Any] = {}
    if isinstance(value, Mapping):
        raw = value
        for key in () if job_id else _ID_KEYS:
            candidate = value.get(key)
            if isinstance(candidate, int) and not isinstance(candidate, bool):
                candidate = str(candidate)
            if isinstance(candidate, str) and candidate.strip():
                job_id = candidate.strip()
                break
        texts = [value.get(k) for k in _KIND_KEYS]
        obj, operation = value.get("object"), value.get("operation")
        if isinstance(obj, str) and isinstance(operation, str):
            texts.insert(0, f"{obj}:{operation}")
        kind = next((t for t in texts if isinstance(t, str) and t.strip()), kind)
    info = Unreadable(job_id, reason, value)
    key = job_id or f"unreadable-{_digest(value)}"
    return Job(
        family=family,
        id=key,
        kind=kind,
        status="unreadable",
        state=JobState.UNREADABLE,
        message=reason,
        raw=raw,
        unreadable=info,
    )


def keep_text(job: Job, item: object, text: str) -> Job:
    """`job`, parsed just now from `item`, keeping `text` (the JSON `item` was decoded
    from) as its `raw` instead of `item` itself (`RawJson`).

    Only for a job nobody else holds yet: it is changed in place.
    """
    if job.raw is item:
        object.__setattr__(job, "raw", RawJson(text))
    return job


def _digest(value: object) -> str:
    try:
        text = json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:8]


@dataclass(frozen=True)
class JobError:
    """One row-level error of a custom-object bulk job (`GET /objects/jobs/{id}/errors`)."""

    row: int | None
    """CSV row number; the header is row 1, so data starts at 2."""
    code: str
    message: str
    record: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class AquaBatch:
    """One query of an AQuA job."""

    batch_id: str | None
    name: str
    query: str
    status: str
    record_count: int | None
    file_id: str | None
    message: str | None
    segments: tuple[str, ...] = ()
