"""Provides custom-object bulk jobs (`/objects/jobs`): state machine, uploads, row errors.

docs/zuora-api.md §6, checklist items 17-22. Keys mix PascalCase (`Id`, `CreatedDate`) and
camelCase, exactly as the wire does.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass
from typing import Any

from ztui.sim.util import UUID_RE, iso_z

CO_ACTIVE = frozenset({"accepted", "pending", "in_progress"})
CO_TERMINAL = frozenset({"completed", "failed", "cancelled"})
CO_STATUSES = ("pending", "accepted", "in_progress", "completed", "failed", "cancelled")
CO_OPERATIONS = ("create", "update", "delete")
CO_NAMESPACES = ("default", "com_zuora")
FILTER_OPERATORS = ("EQ", "GT", "LT", "GE", "LE")
FILTERABLE_STANDARD = ("Id", "CreatedDate", "UpdatedDate", "CreatedById", "UpdatedById")

SERVICE_LIMIT = {"code": 71012560, "message": "Service limit reached, please retry later."}

# Invented record layouts for seeded jobs and their row errors.
_OBJECT_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "vehicle": {
        "brand__c": ("Tesla", "Volvo", "Toyota", "Ford", "Kia"),
        "model__c": ("Model 3", "XC40", "Corolla", "Mustang Mach-E", "EV6"),
        "vin__c": (),
    },
    "passenger": {
        "name__c": ("Ana Lopez", "Ben Okafor", "Chen Wei", "Dara Singh", "Eva Novak"),
        "email__c": (),
        "seat__c": ("1A", "3C", "12F", "20B", "7D"),
    },
    "booking": {
        "route__c": ("LIS-AMS", "SFO-NRT", "GRU-MAD", "DEL-SIN"),
        "fare_class__c": ("Y", "J", "F", "W"),
        "amount__c": (),
    },
}
SEED_OBJECTS = tuple(_OBJECT_FIELDS)


@dataclass(eq=False, slots=True)
class CustomObjectJob:
    """One custom-object bulk job."""

    id: str
    created_by: str
    created: float
    namespace: str
    object: str
    operation: str
    status: str
    tick_s: float
    rows_per_tick: int
    accept_s: float
    updated: float = 0.0
    total: int = 0
    started: float | None = None
    records_processed: int = 0
    processing_time: int = 0
    error: dict[str, Any] | None = None
    has_file: bool = False
    upload_errors: list[dict[str, Any]] | None = None
    seeded_errors: int = 0
    outcome: str | None = None
    outcome_at: float = 0.0
    family: str = "custom_object"

    def __post_init__(self) -> None:
        if not self.updated:
            self.updated = self.created

    @property
    def active(self) -> bool:
        """True in accepted, pending and in_progress."""
        return self.status in CO_ACTIVE

    def advance(self, now: float, env: Any = None) -> None:
        """Bring the job up to `now`."""
        while True:
            if self.status == "accepted":
                t = self.created + self.accept_s
                if now < t:
                    return
                if self.outcome:
                    self._finish(self.outcome, t)
                    return
                self.status = "in_progress"
                self.started = self.updated = t
                continue
            if self.status == "pending":
                # Waiting for a file: a forced outcome lands one tick after it was set.
                if self.outcome and now >= self.outcome_at + self.tick_s:
                    self._finish(self.outcome, self.outcome_at + self.tick_s)
                return
            if self.status == "in_progress":
                start = self.started if self.started is not None else now
                rate = max(1, self.rows_per_tick)
                tick = self.tick_s
                t_done = start + math.ceil(self.total / rate) * tick
                t_out = math.inf
                if self.outcome:
                    k = math.floor((max(self.outcome_at, start) - start) / tick + 1e-9) + 1
                    t_out = start + k * tick
                t_evt = min(t_done, t_out)
                upto = min(now, t_evt)
                ticks = max(0, math.floor((upto - start) / tick + 1e-9))
                self.records_processed = min(self.total, ticks * rate)
                if now >= t_evt:
                    if t_done <= t_out:
                        self._finish("completed", t_done)
                    else:
                        self._finish(self.outcome or "completed", t_out)
                return
            return

    def _finish(self, outcome: str, t: float) -> None:
        self.outcome = None
        self.updated = t
        if outcome == "completed":
            self.records_processed = self.total
            self.status = "completed"
            self.processing_time = round((t - self.created) * 1000)
        elif outcome == "cancelled":
            self.status = "cancelled"
        else:
            self.status = "failed"
            self.processing_time = round((t - self.created) * 1000)
            self.error = dict(SERVICE_LIMIT)

    def cancel(self, now: float) -> None:
        """Cancel (the caller checked the job is accepted or pending)."""
        self.status = "cancelled"
        self.updated = now

    def upload(self, now: float, header: list[str], rows: list[list[str]]) -> None:
        """Take the job's one file: start processing and record the row errors."""
        self.has_file = True
        self.total = len(rows)
        self.status = "in_progress"
        self.started = self.updated = now
        self.upload_errors = self._check_rows(header, rows)

    def _base_record(self) -> dict[str, Any]:
        return {
            "type": self.object,
            "CreatedById": self.created_by,
            "CreatedDate": iso_z(self.created),
            "UpdatedById": self.created_by,
            "UpdatedDate": iso_z(self.updated),
        }

    def _check_rows(self, header: list[str], rows: list[list[str]]) -> list[dict[str, Any]]:
        lower = [h.lower() for h in header]
        id_col = lower.index("id") if "id" in lower else None
        errors: list[dict[str, Any]] = []
        for i, row in enumerate(rows):
            record = self._base_record()
            for h, value in zip(header, row, strict=False):
                if h.lower() != "id":
                    record[h] = value
            if len(row) != len(header):
                code, message = (
                    71012530,
                    f"row has {len(row)} values but the header has {len(header)} columns",
                )
            elif id_col is not None and not UUID_RE.fullmatch(row[id_col].strip()):
                code, message = 71012520, f'input string "{row[id_col]}" is not a valid UUID'
            else:
                continue
            if id_col is not None and id_col < len(row) and UUID_RE.fullmatch(row[id_col]):
                record["Id"] = row[id_col]
            errors.append({"code": code, "message": message, "row": i + 2, "record": record})
        return errors

    def errors(self) -> list[dict[str, Any]]:
        """Row errors of the rows processed so far (row 1 is the header)."""
        if self.upload_errors is not None:
            all_errors = self.upload_errors
        elif self.seeded_errors:
            all_errors = self._synth_errors()
        else:
            return []
        done = self.records_processed
        return [e for e in all_errors if e["row"] - 2 < done]

    def _synth_errors(self) -> list[dict[str, Any]]:
        rng = random.Random(self.id)
        fields = _OBJECT_FIELDS.get(self.object, _OBJECT_FIELDS["vehicle"])
        picks = sorted(rng.sample(range(self.total), min(self.seeded_errors, self.total)))
        out: list[dict[str, Any]] = []
        for idx in picks:
            record = self._base_record()
            custom: dict[str, Any] = {}
            for name, choices in fields.items():
                if choices:
                    custom[name] = rng.choice(choices)
                elif name == "email__c":
                    custom[name] = f"traveller{idx}@example.com"
                elif name == "amount__c":
                    custom[name] = f"{rng.uniform(20, 900):.2f}"
                else:
                    custom[name] = f"{rng.getrandbits(68):017X}"
            kind = rng.randrange(4)
            uuid_text = str(
                uuid.UUID(int=random.Random(f"{self.id}/{idx}").getrandbits(128), version=4)
            )
            if kind == 0:
                bad = str(rng.randrange(100, 99999))
                code, message = 71012520, f'input string "{bad}" is not a valid UUID'
            elif kind == 1:
                name = next(iter(fields))
                custom[name] = "???"
                code, message = 71012522, f'value "???" is not a valid picklist value for {name}'
                record["Id"] = uuid_text
            elif kind == 2:
                name = list(fields)[-1]
                custom.pop(name, None)
                code, message = 71012526, f'required field "{name}" is missing'
                if self.operation != "create":
                    record["Id"] = uuid_text
            else:
                code, message = 71012540, f'record with Id "{uuid_text}" was not found'
                record["Id"] = uuid_text
            record.update(custom)
            out.append({"code": code, "message": message, "row": idx + 2, "record": record})
        return out

    def wire(self) -> dict[str, Any]:
        """The job as the API sends it (CustomObjectBulkJobResponse)."""
        d: dict[str, Any] = {
            "Id": self.id,
            "CreatedById": self.created_by,
            "CreatedDate": iso_z(self.created),
            "UpdatedById": self.created_by,
            "UpdatedDate": iso_z(self.updated),
            "namespace": self.namespace,
            "object": self.object,
            "operation": self.operation,
            "status": self.status,
            "processingTime": self.processing_time,
            "recordsProcessed": self.records_processed,
        }
        if self.error is not None:
            d["error"] = dict(self.error)
        return d


def validate_submit(body: Any) -> tuple[str, str, str, dict[str, Any] | None]:
    """Check a submit body; return (object, namespace, operation, filter).

    Raises:
        ValueError: with the reason (the route answers 400 71013020 "Bad Request").
    """
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    obj, ns, op = body.get("object"), body.get("namespace"), body.get("operation")
    for name, value in (("object", obj), ("namespace", ns), ("operation", op)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"'{name}' is required")
    assert isinstance(obj, str)
    assert isinstance(ns, str)
    assert isinstance(op, str)
    if ns not in CO_NAMESPACES:
        raise ValueError(f"'namespace' must be one of {', '.join(CO_NAMESPACES)}")
    if op not in CO_OPERATIONS:
        raise ValueError(f"'operation' must be one of {', '.join(CO_OPERATIONS)}")
    if ns == "com_zuora" and obj != "SavedQuery":
        raise ValueError("namespace com_zuora supports only the SavedQuery object")
    if not obj.replace("_", "").isalnum():
        raise ValueError("'object' must be an object API name")
    flt = body.get("filter")
    if flt is None:
        return obj, ns, op, None
    if op != "delete":
        raise ValueError("'filter' is only allowed for delete jobs")
    if not isinstance(flt, dict) or not isinstance(flt.get("conditions"), list):
        raise ValueError("'filter' must be an object with a 'conditions' list")
    conditions = flt["conditions"]
    if not 1 <= len(conditions) <= 2:
        raise ValueError("'filter.conditions' must hold 1 or 2 conditions")
    for cond in conditions:
        if not isinstance(cond, dict):
            raise ValueError("each filter condition must be an object")
        field, operator = cond.get("field"), cond.get("operator")
        if not isinstance(field, str) or not (
            field in FILTERABLE_STANDARD or field.endswith("__c")
        ):
            raise ValueError(f"field {field!r} is not filterable")
        if operator not in FILTER_OPERATORS:
            raise ValueError(f"operator must be one of {' '.join(FILTER_OPERATORS)}")
        if cond.get("value") is None:
            raise ValueError("each filter condition needs a value")
    return obj, ns, op, flt
