"""Provides `diff_snapshots`: what changed between two job snapshots (pure functions).

Terminal transitions drive the "job finished" notifications, so the rules for them are
chosen to avoid a flood of toasts when the watcher starts or a family comes back:

- Nothing is a transition in the first snapshot (`old is None`): jobs that were already
  finished before ztui started are not news.
- A job known in both snapshots is a transition when it goes from a non-terminal state
  (including `UNKNOWN`) to a terminal one.
- A job first seen in a later snapshot, already terminal, is a transition only when
  (a) its family had already been loaded in the old snapshot (so this is not the first
  successful list after a failure, or a family that just came back), and (b) it was
  created after the watcher started (`JobSnapshot.started_at`, compared with the
  server's creation time; without a start time, the newest creation time the old
  snapshot knew in that family stands in). A job whose creation time is unknown counts
  as new. That is the fast job created and finished between two polls; an old AQuA job
  added by id, or an old custom-object job surfacing from a deeper page, is not news.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ztui.api.models import Family, Job, JobState
from ztui.service.snapshot import JobSnapshot


@dataclass(frozen=True)
class TerminalTransition:
    """A job that reached a terminal state between two snapshots."""

    job: Job
    """The job as the newer snapshot has it."""
    previous_state: JobState | None
    """Its state in the older snapshot; None when it was first seen already terminal."""


@dataclass(frozen=True)
class SnapshotDiff:
    """Jobs added, removed and changed between two snapshots, plus terminal transitions.

    Each sequence is sorted by `(family, id)` so the result is deterministic.
    """

    added: tuple[Job, ...] = ()
    """Jobs in the new snapshot but not the old one."""
    removed: tuple[Job, ...] = ()
    """Jobs in the old snapshot but not the new one (as the old one had them)."""
    changed: tuple[Job, ...] = ()
    """Jobs in both whose fields differ (the new version); `raw` alone does not count."""
    terminal: tuple[TerminalTransition, ...] = ()
    """Jobs that finished; see the module docstring for the rules."""

    @property
    def is_empty(self) -> bool:
        """True when no job was added, removed or changed."""
        return not (self.added or self.removed or self.changed)


def _newest_created(snapshot: JobSnapshot, family: Family) -> datetime | None:
    times = [job.created_at for job in snapshot.jobs_of(family) if job.created_at is not None]
    return max(times) if times else None


def _family_loaded(snapshot: JobSnapshot, family: Family) -> bool:
    status = snapshot.families.get(family)
    return status is not None and status.as_of is not None


def _is_news(
    job: Job,
    old: JobSnapshot,
    started: datetime | None,
    newest: dict[Family, datetime | None],
) -> bool:
    """Whether a job first seen already terminal counts as a transition."""
    if not _family_loaded(old, job.family):
        return False
    threshold = started
    if threshold is None:
        if job.family not in newest:
            newest[job.family] = _newest_created(old, job.family)
        threshold = newest[job.family]
    if threshold is None or job.created_at is None:
        return True
    return job.created_at >= threshold


def diff_snapshots(old: JobSnapshot | None, new: JobSnapshot) -> SnapshotDiff:
    """Compare two snapshots of the same watcher.

    Args:
        old: The snapshot the receiver last processed, or None for the first one.
        new: The newer snapshot.

    Returns:
        The jobs added, removed and changed, and the terminal transitions.
    """
    if old is None:
        return SnapshotDiff(added=tuple(new.jobs[key] for key in sorted(new.jobs)))

    added: list[Job] = []
    changed: list[Job] = []
    terminal: list[TerminalTransition] = []
    newest: dict[Family, datetime | None] = {}
    start_epoch = new.started_at if new.started_at is not None else old.started_at
    started = None if start_epoch is None else datetime.fromtimestamp(start_epoch, UTC)
    old_jobs = old.jobs
    for key, job in new.jobs.items():
        before = old_jobs.get(key)
        if before is job:
            continue  # the same object: a job the last answer already had, unchanged
        if before is None:
            added.append(job)
            if job.state.is_terminal and _is_news(job, old, started, newest):
                terminal.append(TerminalTransition(job, None))
            continue
        if before != job:
            changed.append(job)
        if job.state.is_terminal and not before.state.is_terminal:
            terminal.append(TerminalTransition(job, before.state))
    new_jobs = new.jobs
    gone = sorted(key for key in old_jobs if key not in new_jobs)
    added.sort(key=_key)
    changed.sort(key=_key)
    terminal.sort(key=lambda transition: transition.job.key)
    return SnapshotDiff(
        added=tuple(added),
        removed=tuple(old_jobs[key] for key in gone),
        changed=tuple(changed),
        terminal=tuple(terminal),
    )


def _key(job: Job) -> tuple[Family, str]:
    return job.key
