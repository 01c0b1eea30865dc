"""Provides `DryRunFlow`: once a dry run ztui created finishes, offer to run it for real.

The submission flow hands over each dry run it created (`follow`); the app passes every
snapshot it stores to `check`. When a followed dry run has succeeded, the user is asked
whether to run it for real with the same parameters; yes opens the new-job screen filled
in with them, which shows the summary before anything is sent. A dry run that failed or
was stopped is dropped without a question.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from ztui.api.models import JobState
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

    @property
    def pending(self) -> dict[str, PropagationSpec]:
        """The dry runs not finished yet, by job id, with the spec they were made from."""
        return dict(self._pending)

    def follow(self, job_id: str, spec: PropagationSpec) -> None:
        """Offer "run for real with the same parameters" once dry run `job_id` finishes."""
        self._pending[job_id] = spec

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
