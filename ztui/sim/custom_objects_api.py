"""Provides `CustomObjectApi`: the custom-object bulk-job operations of the simulated tenant."""

from __future__ import annotations

from typing import Any

import ztui.sim.quirks as quirks
from ztui.sim.core import API_USER_ID, MAX_CO_FILE, SimCore
from ztui.sim.custom_objects import CO_STATUSES, CustomObjectJob
from ztui.sim.util import SimApiError, parse_csv


class CustomObjectApi(SimCore):
    """The custom-object calls (docs/zuora-api.md §6), over the shared tenant state."""

    def _co_get(self, job_id: str) -> CustomObjectJob:
        job = self.custom_object.get(job_id)
        if job is None:
            raise SimApiError(404, 71013040, "Not Found.")
        return job

    def _co_perm(self, perm: str) -> None:
        if perm in self.config.co_permissions:
            return
        if perm == "delete":
            raise SimApiError(
                403, 71012514, "User does not have permission to delete custom objects."
            )
        if perm == "edit":
            raise SimApiError(
                403, 71012515, "User does not have permission to create custom objects."
            )
        raise SimApiError(403, 71012513, "User does not have permission to view custom objects.")

    def co_list(self, page_size: int, cursor: str | None, status: str | None) -> dict[str, Any]:
        """One page of custom-object jobs, newest first (the cursor is exclusive)."""
        with self.lock:
            self.tick()
            self._co_perm("view")
            jobs = self.co_order[::-1]
            if status is not None:
                if status not in CO_STATUSES:
                    raise SimApiError(400, 71013020, "Bad Request")
                jobs = [j for j in jobs if j.status == status]
            start = 0
            if cursor is not None:
                for i, job in enumerate(jobs):
                    if job.id == cursor:
                        start = i + 1
                        break
                else:
                    raise SimApiError(400, 71013020, "Bad Request")
            if self.config.quirks:
                page_size = min(page_size, quirks.CO_PAGE_CAP)
            page = jobs[start : start + page_size]
            wires: list[Any] = [j.wire() for j in page]
            if self.config.quirks:
                wires = [quirks.custom_object(w) for w in wires]
                if cursor is None and status is None:
                    wires.insert(0, quirks.UNREADABLE["custom_object"])
            body: dict[str, Any] = {"count": len(wires)}
            if page:
                body["cursor"] = page[-1].id
            body["jobs"] = wires
            return body

    def co_get(self, job_id: str) -> dict[str, Any]:
        """One custom-object job."""
        with self.lock:
            self.tick()
            self._co_perm("view")
            wire = self._co_get(job_id).wire()
            return quirks.custom_object(wire) if self.config.quirks else wire

    def co_errors(self, job_id: str) -> list[dict[str, Any]]:
        """Row errors of a custom-object job."""
        with self.lock:
            self.tick()
            self._co_perm("view")
            return self._co_get(job_id).errors()

    def co_submit(self, obj: str, namespace: str, operation: str) -> CustomObjectJob:
        """Submit a custom-object job (body already validated).

        Raises:
            SimApiError: 403 without permission; 400 71012560 past the active-job limit.
        """
        with self.lock:
            now = self.tick()
            self._co_perm("delete" if operation == "delete" else "edit")
            active = sum(1 for j in self._active.values() if isinstance(j, CustomObjectJob))
            if active >= self.config.co_max_active:
                raise SimApiError(400, 71012560, "Service limit reached, please retry later.")
            cfg = self.config
            job = CustomObjectJob(
                id=self.ids.uuid4(),
                created_by=API_USER_ID,
                created=now,
                namespace=namespace,
                object=obj,
                operation=operation,
                status="accepted" if operation == "delete" else "pending",
                tick_s=cfg.tick_s,
                rows_per_tick=cfg.co_rows_per_tick,
                accept_s=cfg.co_accept_s,
                total=cfg.co_delete_records if operation == "delete" else 0,
            )
            self.add_job(job)
            return job

    def co_upload(self, job_id: str, content_type: str, data: bytes) -> CustomObjectJob:
        """Take a job's CSV file.

        Raises:
            SimApiError: 404 unknown; 403 without edit permission; 400 71013620 otherwise.
        """
        with self.lock:
            now = self.tick()
            job = self._co_get(job_id)
            self._co_perm("edit")
            bad = SimApiError(400, 71013620, "Bad Request")
            if content_type.split(";")[0].strip().lower() != "text/csv":
                raise bad
            if len(data) > MAX_CO_FILE or job.status != "pending" or job.has_file:
                raise bad
            try:
                text = data.decode("utf-8-sig")
                header, rows = parse_csv(text)
            except (UnicodeDecodeError, ValueError):
                raise bad from None
            if job.operation == "update" and "id" not in [h.lower() for h in header]:
                raise bad
            job.upload(now, header, rows)
            self._active[job.id] = job
            job.advance(now)
            return job

    def co_cancel(self, job_id: str) -> CustomObjectJob:
        """Cancel an accepted or pending job.

        Raises:
            SimApiError: 404 unknown; 400 71013620 in any other state.
        """
        with self.lock:
            now = self.tick()
            job = self._co_get(job_id)
            self._co_perm("delete" if job.operation == "delete" else "edit")
            if job.status not in ("accepted", "pending"):
                raise SimApiError(400, 71013620, "Bad Request")
            job.cancel(now)
            self._active.pop(job.id, None)
            return job
