"""Provides `DryRunFlow`: once a dry run ztui created finishes, offer to run it for real.

The submission flow hands over each dry run it created (`follow`); the app passes every
snapshot it stores to `check`. When a followed dry run has succeeded, the user is asked
whether to run it for real with the same parameters; yes opens the new-job screen filled
in with them, which shows the summary before anything is sent. A dry run that failed or
was stopped is dropped without a question.

The flow also knows which jobs are dry runs (`is_dry_run`), so the board, the detail and
the journal screen can mark them: Zuora may not say so in the job (whether it echoes
`dryRun` is undocumented, docs/zuora-api.md §5), so the ids come from the journal's
creates (`remember`) and from the dry runs this run created (`follow`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ztui.api.models import Family, Job, JobState
from ztui.ops.submit import PropagationSpec, family_of

if TYPE_CHECKING:
    from ztui.host import ZtuiHost
    from ztui.service.snapshot import JobSnapshot


class DryRunFlow:
    """The dry runs the app follows, by job id."""

    def __init__(self, host: ZtuiHost) -> None:
        """Create the app's flow.

        Args:
            host: The app it acts for.
        """
        self._host = host
        self._pending: dict[str, PropagationSpec] = {}
        self._known: frozenset[tuple[Family, str]] = frozenset()

    @property
    def known(self) -> frozenset[tuple[Family, str]]:
        """Keys of the jobs known to be dry runs (from the journal and from this run)."""
        return self._known

    def remember(self, keys: Iterable[tuple[Family, str]]) -> None:
        """Add the keys of dry runs (read from the journal)."""
        self._known = self._known | frozenset(keys)

    def is_dry_run(self, job: Job) -> bool:
        """True when `job` says it is a dry run, or ztui created it as one."""
        if job.dry_run is not None:
            return job.dry_run
        return job.key in self._known

    @property
    def pending(self) -> dict[str, PropagationSpec]:
        """The dry runs not finished yet, by job id, with the spec they were made from."""
        return dict(self._pending)

    def follow(self, job_id: str, spec: PropagationSpec) -> None:
        """Offer "run for real with the same parameters" once dry run `job_id` finishes."""
        self._pending[job_id] = spec
        self._known = self._known | {(family_of(spec), job_id)}

    def check(self, snapshot: JobSnapshot | None) -> None:
        """Ask about the followed dry runs that `snapshot` shows finished."""
        if not self._pending or snapshot is None:
            return
        for job_id, spec in list(self._pending.items()):
            job = snapshot.get(family_of(spec), job_id)
            if job is None or not job.state.is_terminal:
                continue
            del self._pending[job_id]
            if job.state is JobState.SUCCEEDED:
                self._offer(job_id, job.status, spec)

    def _offer(self, job_id: str, status: str, spec: PropagationSpec) -> None:
        app = self._host
        real = dataclasses.replace(spec, dry_run=False)

        def answered(choice: str | None) -> None:
            if choice == "real":
                app.open_new_job(prefill=real)

        app.choose(
            "Dry run finished",
            f"Auto-backfill dry run {job_id} ended {status}. Run it for real with the same "
            f"parameters (type {spec.job_type}, batch size {spec.batch_size})? You will see "
            "the summary before anything is sent.",
            [("real", "Run for real…", "warning"), ("later", "Not now")],
            answered,
        )
