"""Provides the "uno" job families: data backfill, booking-date and propagation jobs.

Each job is a small state machine driven lazily by `advance(now, env)`: transitions are
computed from the job's own timing parameters, so the result does not depend on how often
anyone looks (docs/zuora-api.md §3-§5, checklist items 12-16).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from ztui.sim.config import SimConfig
from ztui.sim.files import FileStore, StoredFile
from ztui.sim.util import (
    IdMaker,
    csv_bytes,
    duration_text,
    epoch_ms,
    human_size,
    iso_z,
    readable,
    zip_one,
)

DB_TYPES = (
    "ProductRatePlanCharge",
    "RatePlanCharge",
    "InvoiceDetail",
    "MemoDetail",
    "InvoiceItemAdjustment",
)
"""The data-backfill JobType enum (path and form value)."""

NOTE_COLUMN = "#SIMULATED TEMPLATE - columns invented by the ztui simulator"
"""First template column: a `#` (reference-only) column that labels the template as fake."""

_REVENUE_FIELDS = [
    "RevenueRecognitionTiming",
    "RevenueAmortizationMethod",
    "ExcludeItemBookingFromRevenue",
    "ExcludeItemBillingFromRevenue",
    "IsAllocationEligible",
    "IsRightToBill",
    "ProductFamily",
    "ProductCategory",
    "ProductLine",
    "ProductClass",
]

TEMPLATES: dict[str, list[str]] = {
    "ProductRatePlanCharge": [
        NOTE_COLUMN,
        "ProductRatePlanChargeId",
        "#ProductRatePlanChargeName",
        "#ProductRatePlanName",
        *_REVENUE_FIELDS,
    ],
    "RatePlanCharge": [
        NOTE_COLUMN,
        "RatePlanChargeId",
        "#ChargeNumber",
        "#SubscriptionNumber",
        *_REVENUE_FIELDS,
    ],
    "InvoiceDetail": [
        NOTE_COLUMN,
        "InvoiceItemId",
        "#InvoiceNumber",
        "RevenueRecognitionTiming",
        "RevenueAmortizationMethod",
        "ExcludeItemBillingFromRevenue",
        "BookingReference",
    ],
    "MemoDetail": [
        NOTE_COLUMN,
        "MemoItemId",
        "#MemoNumber",
        "RevenueRecognitionTiming",
        "RevenueAmortizationMethod",
        "ExcludeItemBillingFromRevenue",
    ],
    "InvoiceItemAdjustment": [
        NOTE_COLUMN,
        "InvoiceItemAdjustmentId",
        "#AdjustmentNumber",
        "RevenueRecognitionTiming",
        "RevenueAmortizationMethod",
        "ExcludeItemBillingFromRevenue",
    ],
}
"""Invented template header per JobType; the column after the note is the key column."""

_VALUES: dict[str, tuple[str, ...]] = {
    "RevenueRecognitionTiming": ("Upon Booking", "Upon Billing", "Upon Order Activation Date"),
    "RevenueAmortizationMethod": ("Immediate", "Ratable Using Start And End Dates"),
    "ExcludeItemBookingFromRevenue": ("true", "false"),
    "ExcludeItemBillingFromRevenue": ("true", "false"),
    "IsAllocationEligible": ("true", "false"),
    "IsRightToBill": ("true", "false"),
    "ProductFamily": ("Cloud", "Services", "Hardware"),
    "ProductCategory": ("Subscription", "Usage", "One-time"),
    "ProductLine": ("Core", "Add-ons"),
    "ProductClass": ("Standard", "Premium"),
    "BookingReference": ("BR-1001", "BR-1002", "BR-2001"),
}

TERMINAL_DB = frozenset({"Completed", "Failed", "Stopped", "Canceled"})
TERMINAL_BATCH = frozenset({"COMPLETED", "FAILED", "STOPPED"})


@dataclass
class Env:
    """What a job needs from the simulator while it advances."""

    files: FileStore
    ids: IdMaker
    config: SimConfig


def key_column(import_type: str) -> str:
    """The id column of a data-backfill template."""
    return TEMPLATES[import_type][1]


def template_csv(import_type: str) -> bytes:
    """The (invented) template CSV for a JobType: just the header row."""
    return csv_bytes(TEMPLATES[import_type], [])


def synth_rows(import_type: str, count: int, seed: str) -> tuple[list[str], list[list[str]]]:
    """Plausible rows laid out as the type's template, reproducible from `seed`."""
    rng = random.Random(seed)
    header = [c for c in TEMPLATES[import_type] if c != NOTE_COLUMN]
    rows: list[list[str]] = []
    for i in range(count):
        row: list[str] = []
        for col in header:
            if col == header[0]:
                row.append(f"{rng.getrandbits(128):032x}")
            elif col.startswith("#"):
                row.append(f"{col[1:].replace('Name', '').replace('Number', '')}-{1000 + i}")
            else:
                row.append(rng.choice(_VALUES.get(col, ("x",))))
        rows.append(row)
    return header, rows


def _check_row(header: list[str], row: list[str], key: str) -> str:
    """Why a data-backfill row fails ("" when it succeeds)."""
    if len(row) != len(header):
        return f"Expected {len(header)} columns but found {len(row)}"
    values = dict(zip(header, row, strict=True))
    if key in values and not values[key].strip():
        return f"{key} is required"
    for col, value in values.items():
        if "invalid" in value.lower() and not col.startswith("#"):
            return f"Invalid value '{value}' for column {col}"
    return ""


def _next_tick(start: float, at: float, tick: float) -> float:
    """The first tick boundary of a schedule starting at `start` strictly after `at`."""
    k = math.floor((max(at, start) - start) / tick + 1e-9) + 1
    return start + k * tick


def _ticks(start: float, now: float, tick: float) -> int:
    return max(0, math.floor((now - start) / tick + 1e-9))


@dataclass(eq=False, slots=True)
class DataBackfillJob:
    """One data-backfill job (docs/zuora-api.md §3)."""

    id: str
    import_type: str
    uploaded_file_id: str
    uploaded_file_name: str
    input_size: int
    uploaded_by: str
    uploaded_on: float
    total: int
    rows_per_tick: int
    validation_s: float
    tick_s: float
    stop_s: float
    header: list[str] | None = None
    rows: list[list[str]] | None = None
    row_errors: dict[int, str] | None = None
    fail_every: int = 0
    validation_error: str = ""
    status: str = "Pending"
    started_on: float | None = None
    completed_on: float | None = None
    processed: int = 0
    failure_message: str = ""
    stop_at: float | None = None
    result_file_id: str | None = None
    result_size: int = 0
    outcome: str | None = None
    outcome_at: float = 0.0
    family: str = "data_backfill"

    @property
    def active(self) -> bool:
        """True until the job reaches a terminal status."""
        return self.status not in TERMINAL_DB

    def failed_count(self, processed: int | None = None) -> int:
        """Failed rows among the first `processed` rows."""
        p = self.processed if processed is None else processed
        if self.row_errors:
            return sum(1 for i in self.row_errors if i < p)
        return p // self.fail_every if self.fail_every else 0

    def advance(self, now: float, env: Env) -> None:
        """Bring the job up to `now`."""
        while True:
            if self.status == "Pending":
                t = self.uploaded_on + self.validation_s
                if now < t:
                    return
                if self.outcome:
                    self._finish(self.outcome, t, env)
                    return
                if self.validation_error:
                    self.status = "Failed"
                    self.failure_message = self.validation_error
                    self.completed_on = t
                    return
                self.status = "Processing"
                self.started_on = t
                continue
            if self.status == "Processing":
                start = self.started_on if self.started_on is not None else now
                rate = max(1, self.rows_per_tick)
                t_done = start + math.ceil(self.total / rate) * self.tick_s
                t_out = (
                    _next_tick(start, self.outcome_at, self.tick_s) if self.outcome else math.inf
                )
                t_evt = min(t_done, t_out)
                if now >= t_evt:
                    self.processed = min(self.total, _ticks(start, t_evt, self.tick_s) * rate)
                    if t_done <= t_out:
                        self._finish("completed", t_done, env)
                    else:
                        self._finish(self.outcome or "completed", t_out, env)
                    return
                self.processed = min(self.total, _ticks(start, now, self.tick_s) * rate)
                return
            if self.status == "Stopping":
                if self.stop_at is not None and now >= self.stop_at:
                    self.status = "Stopped"
                    self.completed_on = self.stop_at
                    if self.processed:
                        self._make_result(env, self.stop_at)
                return
            return

    def stop(self, now: float, env: Env) -> None:
        """Handle `PUT {"status":"Stopping"}` (the caller checked the job is active)."""
        self.status = "Stopping"
        self.stop_at = now + self.stop_s
        self.advance(now, env)

    def _finish(self, outcome: str, t: float, env: Env) -> None:
        self.outcome = None
        self.completed_on = t
        if outcome == "completed":
            self.processed = self.total
            self.status = "Completed"
            self._make_result(env, t)
        elif outcome == "cancelled":
            self.status = "Canceled"
        else:
            self.status = "Failed"
            self.failure_message = (
                "Simulated failure: the job was aborted by the server."
                if outcome == "aborted"
                else "Simulated failure: processing failed, contact Zuora Global Support."
            )
            if self.processed:
                self._make_result(env, t)

    def _make_result(self, env: Env, t: float) -> None:
        self.result_file_id = env.ids.hex32()
        name = f"{self.uploaded_file_name}_result.zip"
        if self.rows is not None and self.header is not None:
            data = self._result_bytes()
            self.result_size = len(data)
            env.files.add(self.result_file_id, name, "application/zip", t, lambda: data)
        else:
            # Seeded jobs make their files on first download; the size is an estimate.
            self.result_size = 120 + 28 * self.processed
            env.files.add_source(self.result_file_id, self)

    def stored_file(self, file_id: str) -> StoredFile:
        """The job's uploaded file or its result file (`FileStore.add_source`)."""
        if file_id == self.result_file_id:
            name = f"{self.uploaded_file_name}_result.zip"
            t = self.completed_on if self.completed_on is not None else self.uploaded_on
            return StoredFile(file_id, name, "application/zip", t, self._result_bytes)
        zipped = self.uploaded_file_name.endswith(".zip")
        media = "application/zip" if zipped else "text/csv"
        return StoredFile(
            file_id, self.uploaded_file_name, media, self.uploaded_on, self.uploaded_bytes
        )

    def _source(self) -> tuple[list[str], list[list[str]]]:
        if self.rows is not None and self.header is not None:
            return self.header, self.rows
        return synth_rows(self.import_type, self.total, self.id)

    def uploaded_bytes(self) -> bytes:
        """The uploaded CSV (synthesised for seeded jobs)."""
        header, rows = self._source()
        return csv_bytes(header, rows)

    def _result_bytes(self) -> bytes:
        header, rows = self._source()
        out: list[list[str]] = []
        for i, row in enumerate(rows[: self.processed]):
            if self.row_errors:
                msg = self.row_errors.get(i, "")
            elif self.fail_every and (i + 1) % self.fail_every == 0:
                msg = "Invalid value for column RevenueRecognitionTiming"
            else:
                msg = ""
            out.append([*row, "false" if msg else "true", msg])
        inner = self.uploaded_file_name.removesuffix(".zip")
        if not inner.lower().endswith(".csv"):
            inner += ".csv"
        return zip_one(f"{inner}_result.csv", csv_bytes([*header, "Success", "Error Message"], out))

    def _ts(self, t: float, cfg: SimConfig) -> str:
        return iso_z(t) if cfg.timestamps == "iso" else str(epoch_ms(t))

    def wire(self, cfg: SimConfig, base_url: str, listing: bool) -> dict[str, Any]:
        """The job as the API sends it (`importType` on get, `type` on list)."""
        d: dict[str, Any] = {"id": self.id}
        if cfg.type_keys == "both" or not listing:
            d["importType"] = self.import_type
        if cfg.type_keys == "both" or listing:
            d["type"] = self.import_type
        d["uploadedFileId"] = self.uploaded_file_id
        d["uploadedFileName"] = self.uploaded_file_name
        d["uploadedFileUrl"] = f"{base_url}/v1/files/{self.uploaded_file_id}"
        d["uploadedFileSize"] = human_size(self.input_size)
        d["inputFileSize"] = self.input_size
        d["uploadedBy"] = self.uploaded_by
        d["uploadedOn"] = self._ts(self.uploaded_on, cfg)
        if self.started_on is not None:
            d["startedProcessingOn"] = self._ts(self.started_on, cfg)
        if self.completed_on is not None:
            d["completedOn"] = self._ts(self.completed_on, cfg)
        if self.result_file_id is not None:
            d["outputSize"] = human_size(self.result_size)
            d["outputType"] = "(url:.csv.zip)"
            d["outputFileSize"] = self.result_size
            d["resultFileId"] = self.result_file_id
            d["resultFileName"] = f"{self.uploaded_file_name}_result.zip"
            d["resultFileUrl"] = f"{base_url}/v1/files/{self.result_file_id}"
        failed = self.failed_count()
        d["totalCount"] = self.total
        d["processedCount"] = self.processed
        d["successCount"] = self.processed - failed
        d["failedCount"] = failed
        status = self.status
        if cfg.unknown_statuses and status == "Pending":
            status = "Accepted"
        d["status"] = status
        d["failureMessage"] = self.failure_message
        remaining = 0
        if self.status == "Processing":
            left = self.total - self.processed
            remaining = int(math.ceil(left / max(1, self.rows_per_tick)) * self.tick_s)
        elif self.status == "Pending":
            remaining = int(
                self.validation_s + math.ceil(self.total / max(1, self.rows_per_tick)) * self.tick_s
            )
        d["remainingTime"] = remaining
        d["remainingTimeText"] = duration_text(remaining)
        if self.total:
            pct = int(100 * self.processed / self.total)
        else:
            pct = 100 if self.status == "Completed" else 0
        d["completedPercentage"] = pct
        return d


@dataclass(eq=False, slots=True)
class BatchJob:
    """A booking-date or propagation (auto-backfill) job: batches sent and finished."""

    family: str
    id: str
    type: str
    created_on: float
    updated_by: str
    total_batches: int
    per_tick: int
    accept_s: float
    tick_s: float
    stop_s: float
    error_every: int = 0
    batch_size: int | None = None
    dry_run: bool = False
    status: str = "ACCEPTED"
    updated_on: float = 0.0
    started_on: float | None = None
    finished: int = 0
    stop_at: float | None = None
    outcome: str | None = None
    outcome_at: float = 0.0

    def __post_init__(self) -> None:
        if not self.updated_on:
            self.updated_on = self.created_on

    @property
    def active(self) -> bool:
        """True until COMPLETED, FAILED or STOPPED."""
        return self.status not in TERMINAL_BATCH

    @property
    def sent(self) -> int:
        """Batches dispatched: a window ahead of the finished ones."""
        if self.started_on is None:
            return 0
        if self.status == "COMPLETED":
            return self.total_batches
        window = max(self.per_tick, math.ceil(self.total_batches / 3))
        return min(self.total_batches, self.finished + window)

    def advance(self, now: float, env: Env) -> None:
        """Bring the job up to `now`."""
        while True:
            if self.status == "ACCEPTED":
                t = self.created_on + self.accept_s
                if now < t:
                    return
                if self.outcome:
                    self._finish(self.outcome, t)
                    return
                self.status = "PROCESSING"
                self.started_on = self.updated_on = t
                continue
            if self.status == "PROCESSING":
                start = self.started_on if self.started_on is not None else now
                rate = max(1, self.per_tick)
                t_done = start + math.ceil(self.total_batches / rate) * self.tick_s
                t_out = (
                    _next_tick(start, self.outcome_at, self.tick_s) if self.outcome else math.inf
                )
                t_evt = min(t_done, t_out)
                upto = min(now, t_evt)
                ticks = _ticks(start, upto, self.tick_s)
                self.finished = min(self.total_batches, ticks * rate)
                if ticks:
                    self.updated_on = start + ticks * self.tick_s
                if now >= t_evt:
                    if t_done <= t_out:
                        self._finish("completed", t_done)
                    else:
                        self._finish(self.outcome or "completed", t_out)
                return
            if self.status == "STOPPING":
                if self.stop_at is not None and now >= self.stop_at:
                    self.status = "STOPPED"
                    self.updated_on = self.stop_at
                return
            return

    def stop(self, now: float, env: Env) -> None:
        """Handle `PUT {"status":"Stopping"}` (the caller checked the job is active)."""
        self.updated_on = now
        if env.config.unknown_statuses and self.stop_s > 0:
            # Not in the SDK enum: exercises the client's unknown-status handling.
            self.status = "STOPPING"
            self.stop_at = now + self.stop_s
        else:
            self.status = "STOPPED"

    def _finish(self, outcome: str, t: float) -> None:
        self.outcome = None
        self.updated_on = t
        if outcome == "completed":
            self.finished = self.total_batches
            self.status = "COMPLETED"
        elif outcome == "cancelled":
            self.status = "STOPPED"
        else:
            self.status = "FAILED"

    def wire(self, cfg: SimConfig) -> dict[str, Any]:
        """The job as the API sends it (BookingDateJob shape)."""
        sent = self.sent
        finished = self.finished
        progress = 100.0 * finished / sent if sent else 0.0
        return {
            "id": self.id,
            "createdOn": epoch_ms(self.created_on),
            "createdOnReadable": readable(self.created_on, cfg.readable_utc_offset_min),
            "updatedOn": epoch_ms(self.updated_on),
            "updatedOnReadable": readable(self.updated_on, cfg.readable_utc_offset_min),
            "updatedByUsername": self.updated_by,
            "status": self.status,
            "type": self.type,
            "batchSentCount": sent,
            "batchFinishedCount": finished,
            "errorCount": finished // self.error_every if self.error_every else 0,
            "progress": f"{progress:.2f}%",
        }
