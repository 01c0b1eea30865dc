"""Provides `UnoApi`: the data-backfill, booking-date and auto-backfill calls of the simulator."""

from __future__ import annotations

import hashlib
import io
import math
import zipfile
from collections.abc import Callable
from typing import Any

import ztui.sim.quirks as quirks
from ztui.sim.core import (
    API_USER,
    MAX_DB_FILE,
    RES_BOOKING,
    RES_DATA_BACKFILL,
    RES_PROPAGATION,
    SimCore,
)
from ztui.sim.uno import DB_TYPES, TEMPLATES, BatchJob, DataBackfillJob, _check_row, key_column
from ztui.sim.util import SimApiError, parse_csv


class UnoApi(SimCore):
    """The uno families' calls (docs/zuora-api.md §3-§5), over the shared tenant state."""

    def _uno_get(self, store: dict[str, Any], job_id: str, res: str) -> Any:
        job = store.get(job_id)
        if job is None:
            raise SimApiError(404, res + "40", f"Job {job_id} not found.")
        return job

    def db_list(self, base_url: str) -> list[dict[str, Any]]:
        """All data-backfill jobs in list shape, newest first."""
        out: list[dict[str, Any]] = []
        self.db_list_into(base_url, out.append)
        return out

    def db_list_into(self, base_url: str, sink: Callable[[Any], object]) -> None:
        """`db_list`, each job handed to `sink` as soon as it is made (so that the list of
        a 50,000-job scenario never exists as dicts)."""
        with self.lock:
            self.tick()
            jobs = sorted(self.data_backfill.values(), key=lambda j: j.uploaded_on, reverse=True)
            cfg = self.config
            for job in jobs:
                wire = job.wire(cfg, base_url, listing=True)
                sink(quirks.data_backfill(wire) if cfg.quirks else wire)
            if cfg.quirks:
                sink(quirks.UNREADABLE["data_backfill"])

    def db_get(self, job_id: str, base_url: str) -> dict[str, Any]:
        """One data-backfill job in get shape."""
        with self.lock:
            self.tick()
            job = self._uno_get(self.data_backfill, job_id, RES_DATA_BACKFILL)
            wire: dict[str, Any] = job.wire(self.config, base_url, listing=False)
            return quirks.data_backfill(wire) if self.config.quirks else wire

    def db_create(
        self, import_type: str, file_name: str, data: bytes, checksum: str | None
    ) -> DataBackfillJob:
        """Create a data-backfill job from an upload (request-level checks done by caller).

        Raises:
            SimApiError: 400 for a bad file or checksum.
        """
        res = RES_DATA_BACKFILL
        if import_type not in DB_TYPES:
            raise SimApiError(
                400, res + "20", f"Invalid type {import_type!r}: use one of {', '.join(DB_TYPES)}."
            )
        if not data:
            raise SimApiError(400, res + "22", "The file is empty.")
        if len(data) > MAX_DB_FILE:
            raise SimApiError(400, res + "20", "The file is larger than 4 MB.")
        lower = file_name.lower()
        if not (lower.endswith(".csv") or lower.endswith(".zip")):
            raise SimApiError(400, res + "20", "The file must be a .csv or a zipped .csv.")
        if checksum is not None:
            if len(checksum) != 32 or any(c not in "0123456789abcdefABCDEF" for c in checksum):
                raise SimApiError(400, res + "20", "The checksum must be 32 hex characters.")
            if checksum.lower() != hashlib.md5(data).hexdigest():
                raise SimApiError(400, res + "20", "The checksum does not match the file's MD5.")
        csv_data = data
        if lower.endswith(".zip"):
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as zf:
                    names = [n for n in zf.namelist() if n.lower().endswith(".csv")]
                    if not names:
                        raise SimApiError(400, res + "20", "The zip file holds no .csv file.")
                    csv_data = zf.read(names[0])
            except zipfile.BadZipFile:
                raise SimApiError(400, res + "20", "The file is not a valid zip archive.") from None
        try:
            text = csv_data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SimApiError(400, res + "20", "The file is not valid UTF-8 text.") from None
        validation_error = ""
        try:
            header, rows = parse_csv(text)
        except ValueError as exc:
            header, rows = [], []
            validation_error = f"File validation failed: {exc}."
        if not validation_error:
            allowed = set(TEMPLATES[import_type])
            key = key_column(import_type)
            unknown = [h for h in header if not h.startswith("#") and h not in allowed]
            if key not in header:
                validation_error = f"File validation failed: the {key} column is missing."
            elif unknown:
                validation_error = (
                    f"File validation failed: column {unknown[0]!r} is not in the "
                    f"{import_type} template."
                )
        with self.lock:
            now = self.tick()
            cfg = self.config
            job = DataBackfillJob(
                id=self.ids.uno(),
                import_type=import_type,
                uploaded_file_id=self.ids.hex32(),
                uploaded_file_name=file_name.rsplit("/", 1)[-1] or "file.csv",
                input_size=len(data),
                uploaded_by=API_USER,
                uploaded_on=now,
                total=0 if validation_error else len(rows),
                rows_per_tick=cfg.db_rows_per_tick,
                validation_s=cfg.db_validation_s,
                tick_s=cfg.tick_s,
                stop_s=cfg.db_stop_s,
                header=header,
                rows=rows,
                validation_error=validation_error,
            )
            if not validation_error:
                key = key_column(import_type)
                job.row_errors = {
                    i: msg for i, row in enumerate(rows) if (msg := _check_row(header, row, key))
                }
            media = "application/zip" if lower.endswith(".zip") else "text/csv"
            self.files.add(job.uploaded_file_id, job.uploaded_file_name, media, now, lambda: data)
            self.add_job(job)
            job.advance(now, self.env)
            return job

    def uno_stop(self, family: str, job_id: str) -> None:
        """Stop a data-backfill, booking or propagation job.

        Raises:
            SimApiError: 404 unknown; 400 (category 30) when the job already ended.
        """
        with self.lock:
            now = self.tick()
            store: dict[str, Any]
            if family == "data_backfill":
                store, res = self.data_backfill, RES_DATA_BACKFILL
            elif family == "booking_date":
                store, res = self.booking_date, RES_BOOKING
            else:
                store, res = self.propagation, RES_PROPAGATION
            job = self._uno_get(store, job_id, res)
            if not job.active or job.status in ("Stopping", "STOPPING"):
                raise SimApiError(
                    400,
                    res + "30",
                    f"Job {job_id} is {job.status} and cannot be stopped.",
                )
            job.stop(now, self.env)
            if job.active:
                self._active[job.id] = job

    def batch_list(self, family: str) -> list[dict[str, Any]]:
        """All booking-date or propagation jobs, newest first."""
        out: list[dict[str, Any]] = []
        self.batch_list_into(family, out.append)
        return out

    def batch_list_into(self, family: str, sink: Callable[[Any], object]) -> None:
        """`batch_list`, each job handed to `sink` as soon as it is made."""
        with self.lock:
            self.tick()
            store = self.booking_date if family == "booking_date" else self.propagation
            jobs = sorted(store.values(), key=lambda j: j.created_on, reverse=True)
            cfg = self.config
            for job in jobs:
                sink(quirks.batch_job(job.wire(cfg)) if cfg.quirks else job.wire(cfg))
            if cfg.quirks:
                sink(quirks.UNREADABLE[family])

    def batch_get(self, family: str, job_id: str) -> dict[str, Any]:
        """One booking-date or propagation job."""
        with self.lock:
            self.tick()
            store, res = (
                (self.booking_date, RES_BOOKING)
                if family == "booking_date"
                else (self.propagation, RES_PROPAGATION)
            )
            job: BatchJob = self._uno_get(store, job_id, res)
            wire = job.wire(self.config)
            return quirks.batch_job(wire) if self.config.quirks else wire

    def booking_create(self) -> BatchJob:
        """Create a booking-date job."""
        with self.lock:
            now = self.tick()
            cfg = self.config
            job = BatchJob(
                family="booking_date",
                id=self.ids.uno(),
                type="BookingDate",
                created_on=now,
                updated_by=API_USER,
                total_batches=cfg.bd_batches,
                per_tick=cfg.bd_batches_per_tick,
                accept_s=cfg.bd_accept_s,
                tick_s=cfg.tick_s,
                stop_s=cfg.bd_stop_s,
            )
            self.add_job(job)
            return job

    def propagation_create(self, body: Any) -> BatchJob:
        """Create an auto-backfill job from `{type, batchSize?, dryRun?}`.

        Raises:
            SimApiError: 400 with a category-20/22 code for a bad body.
        """
        res = RES_PROPAGATION
        if not isinstance(body, dict):
            raise SimApiError(400, res + "90", "The body must be a JSON object.")
        kind = body.get("type")
        if kind is None:
            raise SimApiError(400, res + "22", "'type' is required.")
        if kind not in ("RatePlanCharge", "OrderLineItem"):
            raise SimApiError(400, res + "20", "'type' must be RatePlanCharge or OrderLineItem.")
        batch_size = body.get("batchSize", 1000)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int):
            raise SimApiError(400, res + "20", "'batchSize' must be an integer.")
        if not 1 <= batch_size <= 1000:
            raise SimApiError(400, res + "20", "'batchSize' must be between 1 and 1000.")
        dry_run = body.get("dryRun", False)
        if not isinstance(dry_run, bool):
            raise SimApiError(400, res + "20", "'dryRun' must be a boolean.")
        unknown = sorted(set(body) - {"type", "batchSize", "dryRun"})
        if unknown:
            raise SimApiError(400, res + "21", f"Unknown field {unknown[0]!r}.")
        with self.lock:
            now = self.tick()
            cfg = self.config
            total = max(1, math.ceil(cfg.prop_records / batch_size))
            job = BatchJob(
                family="propagation",
                id=self.ids.uno(),
                type=kind,
                created_on=now,
                updated_by=API_USER,
                total_batches=total,
                per_tick=max(cfg.bd_batches_per_tick, math.ceil(total / cfg.prop_max_ticks)),
                accept_s=cfg.bd_accept_s,
                tick_s=cfg.tick_s,
                stop_s=cfg.bd_stop_s,
                batch_size=batch_size,
                dry_run=dry_run,
            )
            self.add_job(job)
            return job
