"""Provides `AquaApi`: the AQuA batch-query operations of the simulated tenant."""

from __future__ import annotations

from typing import Any

import ztui.sim.quirks as quirks
from ztui.sim.aqua import AQUA_ACTIVE, AquaBatch, AquaJob, AquaValidationError, validate_create
from ztui.sim.core import SimCore
from ztui.sim.util import SimApiError


class AquaApi(SimCore):
    """The AQuA calls (docs/zuora-api.md §7), over the shared tenant state."""

    def aqua_job_ids(self) -> list[str]:
        """Ids of the seeded AQuA jobs (AQuA has no list endpoint)."""
        with self.lock:
            return list(self._seeded_aqua)

    def recent_aqua_job_ids(self, limit: int) -> list[str]:
        """Seeded AQuA ids an operator's journal would plausibly know: every unfinished
        one, then the newest finished ones, `limit` in all (at least the unfinished)."""
        with self.lock:
            jobs = [self.aqua[i] for i in self._seeded_aqua if i in self.aqua]
        active = [j for j in jobs if j.status in ("submitted", "executing")]
        finished = sorted(
            (j for j in jobs if j.status not in ("submitted", "executing")),
            key=lambda j: j.created,
            reverse=True,
        )
        chosen = active + finished[: max(0, limit - len(active))]
        return [j.id for j in chosen]

    def aqua_create(self, body: Any) -> AquaJob:
        """Create an AQuA job.

        Raises:
            AquaValidationError: the request fails validation (answered as a job with a null id).
        """
        spec = validate_create(body, allow_v12=self.config.quirks)
        with self.lock:
            now = self.tick()
            cfg = self.config
            same_mode = sum(
                1
                for j in self._active.values()
                if isinstance(j, AquaJob)
                and j.status in AQUA_ACTIVE
                and j.stateful == spec["stateful"]
            )
            if same_mode >= cfg.aqua_max_active:
                raise AquaValidationError(
                    "90028", "Too many concurrent jobs; wait for some to finish and retry."
                )
            rng = self.ids.rng
            batches = [
                AquaBatch(
                    batch_id=self.ids.aqua(),
                    name=q["name"],
                    query=q["query"],
                    batch_type=q["type"],
                    api_version=q["apiVersion"],
                    planned_records=rng.randrange(0, max(1, cfg.aqua_max_records) + 1),
                    full=True,
                    deleted=q["deleted"],
                )
                for q in spec["queries"]
            ]
            job = AquaJob(
                id=self.ids.aqua(),
                name=spec["name"],
                version=spec["version"],
                format=spec["format"],
                encrypted=spec["encrypted"],
                created=now,
                submit_s=cfg.aqua_submit_s,
                batch_s=cfg.aqua_batch_s,
                batches=batches,
                partner=spec["partner"],
                project=spec["project"],
                offset=spec["offset"],
                use_last=spec["useLastCompletedJobQueries"],
                source_data=spec["sourceData"],
                notify_url=spec["notifyUrl"],
                null_replacement=spec["nullReplacement"],
                use_labels=spec["useQueryLabels"],
            )
            if job.stateful:
                # Later loads of the same partner/project are incremental.
                earlier = any(
                    j.partner == job.partner
                    and j.project == job.project
                    and j.status == "completed"
                    for j in self.aqua.values()
                )
                for batch in batches:
                    batch.full = not earlier
            self.add_job(job)
            return job

    def aqua_get(self, job_id: str) -> dict[str, Any]:
        """One AQuA job.

        Raises:
            SimApiError: 404 (`errorCode` 90002) for an unknown id.
        """
        with self.lock:
            self.tick()
            job = self.aqua.get(job_id)
            if job is None:
                raise SimApiError(404, "90002", f"Invalid job id: {job_id}")
            return quirks.aqua(job.wire()) if self.config.quirks else job.wire()

    def aqua_cancel(self, job_id: str) -> dict[str, Any]:
        """DELETE an AQuA job.

        Raises:
            SimApiError: 404 unknown (90002); 400 (90003) when it already finished.
        """
        with self.lock:
            now = self.tick()
            job = self.aqua.get(job_id)
            if job is None:
                raise SimApiError(404, "90002", f"Invalid job id: {job_id}")
            if not job.active and self._just_finished(job, now):
                # Real-tenant mode: the job ended while the DELETE was on its way; the
                # answer is the finished job with an errorCode, at HTTP 200.
                wire = job.wire()
                wire["errorCode"] = "90003"
                wire["message"] = f"Job {job_id} is {job.status} and cannot be cancelled."
                return wire
            if not job.active:
                raise SimApiError(
                    400, "90003", f"Job {job_id} is {job.status} and cannot be cancelled."
                )
            job.cancel(now)
            self._active.pop(job.id, None)
            return job.wire()

    def _just_finished(self, job: AquaJob, now: float) -> bool:
        ended = job.finished_at
        return (
            self.config.quirks and ended is not None and now - ended <= quirks.AQUA_JUST_FINISHED_S
        )

    def aqua_last_completed(self, partner: str, project: str) -> dict[str, Any]:
        """The newest completed stateful job for partner/project.

        Raises:
            SimApiError: 404 (90019) when there is none.
        """
        with self.lock:
            self.tick()
            found = [
                j
                for j in self.aqua.values()
                if j.partner == partner and j.project == project and j.status == "completed"
            ]
            if not found:
                raise SimApiError(
                    404, "90019", f"No completed job for partner {partner!r}, project {project!r}."
                )
            return max(found, key=lambda j: j.finished_at or 0.0).wire()
