"""App-wide messages: whole-state updates from the watcher, connection changes, and the
writes screens ask the app for (`StopRequested`, `SubmitRequested`), which it routes to
its flows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from ztui.api.models import Family
    from ztui.flows.submission import SubmissionView
    from ztui.ops.submit import JobSpec
    from ztui.service.snapshot import JobSnapshot


@dataclass
class JobsUpdated(Message):
    """The watcher produced a new snapshot; it carries the whole state, not a delta."""

    snapshot: JobSnapshot
    """The newest snapshot."""
    generation: int = 0
    """Which connection produced it; snapshots of a connection that was replaced (profile
    switch) are dropped, so two tenants' jobs never mix."""

    def can_replace(self, message: Message) -> bool:
        """A newer snapshot makes an unprocessed older one pointless."""
        return isinstance(message, JobsUpdated)


@dataclass
class ConnectionChanged(Message):
    """The app connected to a (new) profile, or lost its connection for good."""

    profile_name: str
    """The active profile's name."""
    error: str | None = None
    """Why the connection could not be made, if it could not."""


@dataclass
class StopRequested(Message):
    """The user asked to stop or cancel a job (the app's stop flow confirms first)."""

    key: tuple[Family, str]
    """`(family, job id)`, captured when the key was pressed."""


@dataclass
class SubmitRequested(Message):
    """The user asked to create a job (the app's submission flow confirms first)."""

    spec: JobSpec
    """What to create, as the form describes it."""
    view: SubmissionView | None = None
    """Where to show the submission's progress while it is mounted (the asking screen)."""
