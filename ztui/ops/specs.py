"""Provides `JobSpec`: what the user asked to create, one dataclass per family, UI-free.

The new-job screen builds a spec from its form; `ztui.ops.submit` sends it exactly once.
Everything that depends on which family a spec creates (its label rows for the confirm
dialog, what the journal records of it, how a listed job is recognised as the one it
made) lives here, next to the specs, so the submit flow itself stays family-free.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ztui.api.models import Family, Job
from ztui.families.propagation import PROPAGATION_MAX_BATCH_SIZE

if TYPE_CHECKING:
    from ztui.ops.preflight import FileReport

__all__ = [
    "AquaSpec",
    "BookingDateSpec",
    "CustomObjectSpec",
    "DataBackfillSpec",
    "JobSpec",
    "PropagationSpec",
    "SpecError",
    "UploadFile",
    "awaits_file",
    "describe",
    "family_of",
    "file_of",
    "is_two_step",
    "journal_extra",
    "journal_request",
    "matches",
    "matches_journalled",
    "parse_zoql",
    "spec_from_json",
    "spec_to_json",
]


@dataclass(frozen=True)
class UploadFile:
    """The checked bytes of a file and the facts the journal and the modal need."""

    name: str
    """Base name sent to Zuora (the multipart file name for data backfill)."""
    size: int
    """Bytes sent."""
    md5: str
    """MD5 hex of the payload (the data-backfill `checksum`)."""
    sha256: str
    """SHA-256 hex of the payload, for the journal."""
    rows: int
    """Data rows counted by the pre-flight check."""
    payload: bytes = field(repr=False)
    """Exactly the bytes that were checked; these are what is sent."""
    path: str | None = None
    """The local file's absolute path, journalled so failed rows can later be joined to
    the original upload for a fix-and-resubmit export."""

    @classmethod
    def from_report(cls, report: FileReport) -> UploadFile:
        """Build from a pre-flight report that has a payload.

        Raises:
            ValueError: The report holds no payload (the file could not be read).
        """
        if report.payload is None:
            raise ValueError(f"{report.path.name}: the file could not be read")
        return cls(
            name=report.path.name,
            size=len(report.payload),
            md5=report.md5,
            sha256=report.sha256,
            rows=report.row_count,
            payload=report.payload,
            path=str(report.path.expanduser().resolve()),
        )


@dataclass(frozen=True)
class DataBackfillSpec:
    """A data-backfill create: a JobType and a CSV or zipped CSV (docs/zuora-api.md §3)."""

    job_type: str
    file: UploadFile


@dataclass(frozen=True)
class BookingDateSpec:
    """A booking-date backfill create; it has no parameters (docs/zuora-api.md §4)."""


@dataclass(frozen=True)
class PropagationSpec:
    """An auto-backfill create (docs/zuora-api.md §5)."""

    job_type: str
    """`RatePlanCharge` or `OrderLineItem`."""
    batch_size: int = PROPAGATION_MAX_BATCH_SIZE
    """1..1000."""
    dry_run: bool = True
    """Run without updating data; on by default in ztui."""


@dataclass(frozen=True)
class CustomObjectSpec:
    """A custom-object bulk job: submit, then (create/update) upload the CSV.

    docs/zuora-api.md §6.
    """

    object: str
    namespace: str
    operation: str
    """`create`, `update` or `delete`."""
    file: UploadFile | None = None
    """The CSV for create/update; delete jobs take none."""
    filter: Mapping[str, Any] | None = None
    """Delete filter, `{"conditions": [...]}`."""


@dataclass(frozen=True)
class AquaSpec:
    """An AQuA batch query job (docs/zuora-api.md §7)."""

    name: str
    queries: tuple[str, ...]
    format: str = "csv"
    partner: str | None = None
    """Stateful mode only (with `project`); None means stateless."""
    project: str | None = None

    @property
    def stateful(self) -> bool:
        """True when partner and project are given."""
        return bool(self.partner and self.project)

    def body(self) -> dict[str, Any]:
        """The JSON body of `POST /v1/batch-query/`."""
        body: dict[str, Any] = {
            "format": self.format,
            "version": "1.1",
            "name": self.name,
            "encrypted": "none",
            "useQueryLabels": True,
            "dateTimeUtc": True,
            "queries": [
                {"name": f"{self.name or 'query'}-{i + 1}"[:64], "query": q, "type": "zoql"}
                for i, q in enumerate(self.queries)
            ],
        }
        if self.stateful:
            body["partner"] = self.partner
            body["project"] = self.project
        return body


JobSpec = DataBackfillSpec | BookingDateSpec | PropagationSpec | CustomObjectSpec | AquaSpec
"""What the user asked to create."""


def family_of(spec: JobSpec) -> Family:
    """The job family `spec` creates."""
    match spec:
        case DataBackfillSpec():
            return Family.DATA_BACKFILL
        case BookingDateSpec():
            return Family.BOOKING_DATE
        case PropagationSpec():
            return Family.PROPAGATION
        case CustomObjectSpec():
            return Family.CUSTOM_OBJECT
        case AquaSpec():
            return Family.AQUA


def is_two_step(spec: JobSpec) -> bool:
    """True when the create is two requests, a submit and then the file's upload (custom
    objects): only such a create has an upload to retry or a pending job to cancel."""
    return isinstance(spec, CustomObjectSpec)


def file_of(spec: JobSpec) -> UploadFile | None:
    """The file `spec` uploads, if any."""
    if isinstance(spec, DataBackfillSpec | CustomObjectSpec):
        return spec.file
    return None


def describe(spec: JobSpec) -> list[tuple[str, str]]:
    """Label/value rows saying what will be sent, for the confirm modal.

    The profile row is added by the caller, which knows the connection.
    """
    rows: list[tuple[str, str]] = [("Family", family_of(spec).label)]
    match spec:
        case DataBackfillSpec():
            rows.append(("Type", spec.job_type))
        case BookingDateSpec():
            rows.append(("Body", "none: every charge's booking date is set to its created date"))
        case PropagationSpec():
            rows += [
                ("Type", spec.job_type),
                ("Batch size", str(spec.batch_size)),
                ("Dry run", "yes (no data is changed)" if spec.dry_run else "NO: data is updated"),
            ]
        case CustomObjectSpec():
            rows += [
                ("Object", f"{spec.object} (namespace {spec.namespace})"),
                ("Operation", spec.operation),
            ]
            if spec.filter:
                conditions = spec.filter.get("conditions", [])
                text = " AND ".join(
                    f"{c.get('field')} {c.get('operator')} {c.get('value')}"
                    for c in conditions
                    if isinstance(c, Mapping)
                )
                rows.append(("Filter", text or "(none)"))
        case AquaSpec():
            rows += [
                ("Name", spec.name or "(none)"),
                ("Format", spec.format),
                ("Queries", str(len(spec.queries))),
                (
                    "Mode",
                    f"stateful ({spec.partner}/{spec.project})" if spec.stateful else "stateless",
                ),
            ]
    upload = file_of(spec)
    if upload is not None:
        rows += [
            ("File", upload.name),
            ("Rows", f"{upload.rows:,}"),
            ("Size", f"{upload.size:,} bytes"),
            ("MD5", upload.md5),
        ]
    return rows


def parse_zoql(text: str) -> list[str]:
    """Split the text of a `.zoql` file (or the query box) into queries.

    Queries end with `;`; without any `;`, each non-empty line is one query. Lines
    starting with `--` are comments.
    """
    lines = [ln for ln in text.splitlines() if not ln.strip().startswith("--")]
    body = "\n".join(lines)
    parts = body.split(";") if ";" in body else lines
    return [" ".join(p.split()) for p in parts if p.strip()]


def journal_extra(spec: JobSpec) -> dict[str, Any]:
    """What the journal records of `spec` beyond the family and the file."""
    match spec:
        case DataBackfillSpec():
            return {"type": spec.job_type, "rows": spec.file.rows, "path": spec.file.path}
        case BookingDateSpec():
            return {}
        case PropagationSpec():
            return {"type": spec.job_type, "batch_size": spec.batch_size, "dry_run": spec.dry_run}
        case CustomObjectSpec():
            extra: dict[str, Any] = {
                "object": spec.object,
                "namespace": spec.namespace,
                "operation": spec.operation,
            }
            if spec.file is not None:
                extra["rows"] = spec.file.rows
                extra["path"] = spec.file.path
            return extra
        case AquaSpec():
            return {"name": spec.name, "format": spec.format, "queries": len(spec.queries)}


def matches(spec: JobSpec, job: Job) -> bool:
    """Whether `job` looks like the one `spec` would create."""
    match spec:
        case DataBackfillSpec():
            if job.kind not in (spec.job_type, "(unknown)"):
                return False
            name = job.raw.get("uploadedFileName")
            return not isinstance(name, str) or not name or name == spec.file.name
        case PropagationSpec():
            return job.kind in (spec.job_type, "(unknown)")
        case CustomObjectSpec():
            return job.kind == f"{spec.object}:{spec.operation}"
        case _:
            return True


def journal_request(spec: JobSpec) -> dict[str, Any] | None:
    """The request body to journal with a create's "sending" line, so that an AQuA create
    left open can be settled by sending it again under its key (AQuA has no job list,
    docs/zuora-api.md §7); None for the families a list settles."""
    return spec.body() if isinstance(spec, AquaSpec) else None


def matches_journalled(
    family: Family, extra: Mapping[str, Any], file_name: str | None, job: Job
) -> bool:
    """Whether `job` looks like the one a journalled create would make (`journal_extra`
    and the file name are what the journal recorded of its spec)."""
    kind = extra.get("type")
    match family:
        case Family.DATA_BACKFILL:
            if isinstance(kind, str) and job.kind not in (kind, "(unknown)"):
                return False
            name = job.raw.get("uploadedFileName")
            return not (isinstance(name, str) and name and file_name) or name == file_name
        case Family.PROPAGATION:
            return not isinstance(kind, str) or job.kind in (kind, "(unknown)")
        case Family.CUSTOM_OBJECT:
            obj, operation = extra.get("object"), extra.get("operation")
            return job.kind == f"{obj}:{operation}"
        case Family.BOOKING_DATE:
            return True
        case _:
            return False


def awaits_file(family: Family, extra: Mapping[str, Any], job: Job) -> bool:
    """Whether a job a journalled create made still waits for the file it was to get (a
    custom-object create or update job, submitted, its upload not arrived)."""
    return (
        family is Family.CUSTOM_OBJECT
        and extra.get("operation") in ("create", "update")
        and job.status.strip().lower() == "pending"
    )


# ----------------------------------------------------------------------- JSON form


class SpecError(ValueError):
    """A spec's JSON form is not one (a hub's create request); the message says why."""


_SPEC_TYPES: dict[Family, type[Any]] = {
    Family.DATA_BACKFILL: DataBackfillSpec,
    Family.BOOKING_DATE: BookingDateSpec,
    Family.PROPAGATION: PropagationSpec,
    Family.CUSTOM_OBJECT: CustomObjectSpec,
    Family.AQUA: AquaSpec,
}


def upload_to_json(upload: UploadFile) -> dict[str, Any]:
    """An upload as JSON types: its facts and its bytes in base64."""
    import base64

    return {
        "name": upload.name,
        "size": upload.size,
        "md5": upload.md5,
        "sha256": upload.sha256,
        "rows": upload.rows,
        "path": upload.path,
        "payload": base64.b64encode(upload.payload).decode("ascii"),
    }


def upload_from_json(value: object) -> UploadFile:
    """An upload from `upload_to_json`, its bytes checked against its size and digests.

    Raises:
        SpecError: A field is missing or wrong, or the bytes are not the ones described.
    """
    import base64
    import binascii
    import hashlib

    if not isinstance(value, Mapping):
        raise SpecError("the file is not an object")
    name, md5, sha256 = value.get("name"), value.get("md5"), value.get("sha256")
    size, rows, path = value.get("size"), value.get("rows"), value.get("path")
    if not (isinstance(name, str) and isinstance(md5, str) and isinstance(sha256, str)):
        raise SpecError("the file's name or digests are not text")
    if not (isinstance(size, int) and isinstance(rows, int)) or isinstance(size | rows, bool):
        raise SpecError("the file's size or row count is not a whole number")
    if path is not None and not isinstance(path, str):
        raise SpecError("the file's path is not text")
    try:
        payload = base64.b64decode(str(value.get("payload")), validate=True)
    except (binascii.Error, ValueError):
        raise SpecError("the file's bytes are not base64") from None
    if len(payload) != size or hashlib.md5(payload, usedforsecurity=False).hexdigest() != md5:
        raise SpecError(f"the bytes of {name} are not the file that was checked (size or MD5)")
    if hashlib.sha256(payload).hexdigest() != sha256:
        raise SpecError(f"the bytes of {name} are not the file that was checked (SHA-256)")
    return UploadFile(
        name=name, size=size, md5=md5, sha256=sha256, rows=rows, payload=payload, path=path
    )


def spec_to_json(spec: JobSpec) -> dict[str, Any]:
    """A spec as JSON types, with the family it creates (a viewer's create through a hub)."""
    import dataclasses

    out: dict[str, Any] = {"family": family_of(spec).value}
    for item in dataclasses.fields(spec):
        value = getattr(spec, item.name)
        if isinstance(value, UploadFile):
            value = upload_to_json(value)
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        out[item.name] = value
    return out


_CHECKS: dict[str, tuple[type[Any], ...]] = {
    "str": (str,),
    "int": (int,),
    "bool": (bool,),
    "str | None": (str, type(None)),
    "tuple[str, ...]": (list,),
    "UploadFile": (dict,),
    "UploadFile | None": (dict, type(None)),
    "Mapping[str, Any] | None": (dict, type(None)),
}


def spec_from_json(value: object) -> JobSpec:
    """A spec from `spec_to_json`.

    Raises:
        SpecError: It names no family, or a field is missing or of the wrong type.
    """
    import dataclasses

    if not isinstance(value, Mapping):
        raise SpecError("the job to create is not an object")
    try:
        cls = _SPEC_TYPES[Family(str(value.get("family")))]
    except ValueError:
        raise SpecError("the job to create names no job family") from None
    kwargs: dict[str, Any] = {}
    for item in dataclasses.fields(cls):
        raw = value.get(item.name)
        allowed = _CHECKS[str(item.type)]
        if not isinstance(raw, allowed) or (isinstance(raw, bool) and bool not in allowed):
            raise SpecError(f"the job's {item.name} is missing or of the wrong type")
        if item.type == "tuple[str, ...]":
            if not all(isinstance(q, str) for q in raw):
                raise SpecError(f"the job's {item.name} are not all text")
            raw = tuple(raw)
        elif isinstance(raw, dict) and item.type.startswith("UploadFile"):
            raw = upload_from_json(raw)
        kwargs[item.name] = raw
    spec: JobSpec = cls(**kwargs)
    return spec
