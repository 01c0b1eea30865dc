"""Provides the normalised job model shared by every family.

The dataclasses here are the contract between the API client, the watcher service, the
headless commands and the UI. Each family's parser (in `ztui.families`) turns its wire
JSON (API doc §3-§7) into a `Job`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


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
"""A custom-object job id (API doc §2.9)."""
HEX32_RE = re.compile(r"^[0-9a-fA-F]{32}$")
"""A uno or AQuA job id (API doc §2.9)."""

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

    @property
    def is_terminal(self) -> bool:
        """True once the job can no longer change."""
        return self in _TERMINAL

    @property
    def is_active(self) -> bool:
        """True while the job is queued, running or stopping."""
        return self in (JobState.QUEUED, JobState.RUNNING, JobState.STOPPING)


_TERMINAL = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.STOPPED})


@dataclass(frozen=True)
class Job:
    """One job of any family, normalised. `raw` keeps the wire dict as received."""

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
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    """The job JSON as received."""

    @property
    def key(self) -> tuple[Family, str]:
        """Identity across families: (family, id)."""
        return (self.family, self.id)


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
