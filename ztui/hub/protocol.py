"""Provides the hub's wire format: versioned JSON for snapshots, jobs, errors and outcomes.

A hub sends whole `JobSnapshot`s, never deltas. Each job travels as its family and the
JSON the server sent for it (`raw`); the viewer parses it again with the same family
parser, in the tenant's zone, so a viewer shows exactly what a direct connection shows.
A job that could not be read travels as what is known of it (its id, kind, the reason
and the element as received) and comes back as the same `UNREADABLE` row.

Every message carries `"v": PROTOCOL_VERSION`. A viewer checks what it receives before
using any of it: too large, not JSON (NaN and Infinity included), nested deeper than a
job can be, another version, or a field of the wrong type raises `HubProtocolError`,
which says what was wrong in one line. The viewer then keeps its last good snapshot.
Text meant for the screen (a family's error, the unreachable reason, a profile name) is
stripped of the characters a terminal would act on (`ztui.core.sanitize.drop_unsafe`);
job JSON is bounded in depth as an answer from Zuora is (`ztui.api.jsontext.bound_depth`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import tzinfo
from typing import Any, Final, NoReturn, cast, get_args

from ztui.api.errors import ApiError, MalformedResponse
from ztui.api.jsontext import MAX_DEPTH, bound_depth
from ztui.api.models import Family, Job, JobError, JobState, Unreadable
from ztui.api.parsing import tenant_zone
from ztui.families import family_def
from ztui.families.base import ActionKind
from ztui.hub import fields
from ztui.hub.fields import HubProtocolError
from ztui.ops.job_errors import FetchedErrors
from ztui.ops.stop import ActionOutcome
from ztui.service.snapshot import BudgetView, FamilyState, FamilyStatus, JobSnapshot

__all__ = [
    "MAX_MESSAGE_BYTES",
    "PROTOCOL_VERSION",
    "HubInfo",
    "HubProtocolError",
    "decode_errors",
    "decode_failure",
    "decode_info",
    "decode_job",
    "decode_snapshot",
    "decode_stop_outcome",
    "decode_stop_request",
    "encode_errors",
    "encode_failure",
    "encode_info",
    "encode_job",
    "encode_snapshot",
    "encode_stop_outcome",
    "job_to_wire",
    "loads",
    "wire_dumps",
]

PROTOCOL_VERSION: Final = 1
"""The version every message carries; a viewer refuses any other."""

MAX_MESSAGE_BYTES: Final = 64 * 1024 * 1024
"""The largest message a viewer reads (a 10,000-job snapshot is a few megabytes)."""

ENVELOPE_DEPTH: Final = 6
"""How deep a message nests above a job's JSON (message, snapshot, jobs, job, raw...)."""

MAX_WIRE_DEPTH: Final = MAX_DEPTH + ENVELOPE_DEPTH
"""The deepest a message may nest: a job's JSON is bounded to `MAX_DEPTH` by the hub."""

_FAMILY_STATES: Final = frozenset(get_args(FamilyState))


# ---------------------------------------------------------------------------- JSON text


def _no_constant(name: str) -> NoReturn:
    fields.fail(f"{name}, which JSON does not allow")


def _depth_exceeds(value: object, limit: int) -> bool:
    """True when `value` nests containers deeper than `limit` (iterative)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def loads(data: bytes | str, *, limit: int = MAX_MESSAGE_BYTES) -> Mapping[str, Any]:
    """Decode one message and check its size, depth and version.

    Args:
        data: The message as received.
        limit: The largest message accepted, in bytes.

    Raises:
        HubProtocolError: It is too large, not JSON, too deep, not an object, or of
            another protocol version.
    """
    size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    if size > limit:
        fields.fail(f"a message of {size:,} bytes, more than the {limit:,} a viewer reads")
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        fields.fail("a message that is not UTF-8 text")
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        fields.fail(f"a message nested more than {MAX_WIRE_DEPTH} levels deep")
    except ValueError as exc:
        if isinstance(exc, HubProtocolError):
            raise
        fields.fail(f"a message that is not JSON ({exc.args[0] if exc.args else exc})")
    if _depth_exceeds(value, MAX_WIRE_DEPTH):
        fields.fail(f"a message nested more than {MAX_WIRE_DEPTH} levels deep")
    if not isinstance(value, dict):
        fields.fail(f"a JSON {type(value).__name__} where a message object belongs")
    version = value.get("v")
    if version != PROTOCOL_VERSION:
        fields.fail(
            f"protocol version {version!r}; this ztui speaks version {PROTOCOL_VERSION} "
            "(run the same ztui version on the hub and the viewers)"
        )
    return value


def _plain(value: object) -> Any:
    """`value` as plain JSON types: read-only mappings copied, NaN and infinities None."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _plain_dict(value: Mapping[str, object]) -> dict[str, Any]:
    return {key: _plain(item) for key, item in value.items()}


def wire_dumps(message: Mapping[str, Any]) -> str:
    """One message as compact JSON text, with the protocol version added."""
    return json.dumps({"v": PROTOCOL_VERSION, **message}, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------------------- jobs


def job_to_wire(job: Job) -> dict[str, Any]:
    """One job as the wire carries it: family, id and the JSON as received."""
    out: dict[str, Any] = {"family": job.family.value, "id": job.id, "raw": _plain(job.raw)}
    if job.unreadable is not None:
        out["kind"] = job.kind
        out["unreadable"] = {
            "job_id": job.unreadable.job_id,
            "reason": job.unreadable.reason,
            "value": _plain(job.unreadable.value),
        }
    return out


def decode_job(value: object, zone: tzinfo | None) -> Job:
    """A job from its wire form, parsed again by its family's parser in `zone`.

    A job whose JSON its parser cannot read becomes an `UNREADABLE` row, as it would on a
    direct connection (docs/tolerance.md rule 1).

    Raises:
        HubProtocolError: A field is missing or of the wrong type, or the JSON reads as
            another job than the one it is sent as.
    """
    item = fields.obj(value, "a job")
    family = fields.family(item.get("family"), "a job family")
    job_id = fields.string(item.get("id"), "a job id")
    raw = bound_depth(item.get("raw"))
    unreadable = item.get("unreadable")
    if unreadable is not None:
        info = fields.obj(unreadable, "an unreadable job's facts")
        reason = fields.text(info.get("reason"), "an unreadable job's reason")
        return Job(
            family=family,
            id=job_id,
            kind=fields.text(item.get("kind"), "an unreadable job's kind"),
            status="unreadable",
            state=JobState.UNREADABLE,
            message=reason,
            raw=raw if isinstance(raw, dict) else {},
            unreadable=Unreadable(
                fields.opt_str(info.get("job_id"), "an unreadable job's id"),
                reason,
                bound_depth(info.get("value")),
            ),
        )
    raw = fields.obj(raw, f"the JSON of {family.label} job {job_id[:40]}")
    try:
        with tenant_zone(zone):
            job = family_def(family).parse(raw)
    except MalformedResponse as exc:
        from ztui.api.models import unreadable_job

        return unreadable_job(family, raw, exc.message, job_id=job_id)
    if job.id != job_id:
        fields.fail(f"{family.label} job {job_id[:40]} whose JSON is job {job.id[:40]}")
    return job


def encode_job(job: Job) -> str:
    """One job message (`GET /api/job/...`)."""
    return wire_dumps({"type": "job", "job": job_to_wire(job)})


def decode_job_message(data: bytes | str, zone: tzinfo | None) -> Job:
    """The job of a job message.

    Raises:
        HubProtocolError: See `loads` and `decode_job`.
    """
    return decode_job(_typed(loads(data), "job").get("job"), zone)


def message_of(data: bytes | str, kind: str) -> Mapping[str, Any]:
    """The checked message of type `kind` (see `loads`).

    Raises:
        HubProtocolError: See `loads`; or the message is of another type.
    """
    return _typed(loads(data), kind)


def _typed(message: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    if message.get("type") != kind:
        fields.fail(f"a {str(message.get('type'))[:40]!r} message where a {kind!r} one belongs")
    return message


# ---------------------------------------------------------------------------- snapshots


def _budget_to_wire(budget: BudgetView) -> dict[str, Any]:
    return _plain_dict(
        {
            "limit": budget.limit,
            "remaining": budget.remaining,
            "reset_at": budget.reset_at,
            "calls_made": budget.calls_made,
            "calls_per_day_projection": budget.calls_per_day_projection,
            "calls_per_poll": budget.calls_per_poll,
        }
    )


def _status_to_wire(status: FamilyStatus) -> dict[str, Any]:
    return _plain_dict(
        {
            "family": status.family.value,
            "state": status.state,
            "as_of": status.as_of,
            "error": status.error,
            "retry_at": status.retry_at,
            "unreadable": status.unreadable,
            "warning": status.warning,
        }
    )


def snapshot_to_wire(snapshot: JobSnapshot) -> dict[str, Any]:
    """A snapshot as plain JSON types (see `encode_snapshot`)."""
    return {
        "seq": snapshot.seq,
        "polled_at": _plain(snapshot.polled_at),
        "paused": snapshot.paused,
        "fatal": snapshot.fatal,
        "unreachable": snapshot.unreachable,
        "started_at": _plain(snapshot.started_at),
        "budget": _budget_to_wire(snapshot.budget),
        "families": [_status_to_wire(s) for s in snapshot.families.values()],
        "jobs": [job_to_wire(job) for job in snapshot.jobs.values()],
    }


def encode_snapshot(snapshot: JobSnapshot) -> str:
    """A whole snapshot as one message (an `/api/events` event's data)."""
    return wire_dumps({"type": "snapshot", "snapshot": snapshot_to_wire(snapshot)})


def _decode_budget(value: object) -> BudgetView:
    item = fields.obj(value, "a budget")
    return BudgetView(
        limit=fields.opt_int(item.get("limit"), "a budget limit"),
        remaining=fields.opt_int(item.get("remaining"), "a remaining budget"),
        reset_at=fields.opt_float(item.get("reset_at"), "a budget reset time"),
        calls_made=fields.opt_int(item.get("calls_made"), "a call count") or 0,
        calls_per_day_projection=fields.opt_float(
            item.get("calls_per_day_projection"), "a calls-per-day projection"
        ),
        calls_per_poll=fields.opt_float(item.get("calls_per_poll"), "a calls-per-poll figure"),
    )


def _decode_status(value: object) -> FamilyStatus:
    item = fields.obj(value, "a family status")
    family = fields.family(item.get("family"), "a family status's family")
    state = fields.string(item.get("state"), f"{family.label}'s state")
    if state not in _FAMILY_STATES:
        fields.fail(f"{family.label}'s state {state[:40]!r}, which is no family state")
    return FamilyStatus(
        family,
        cast("FamilyState", state),
        as_of=fields.opt_float(item.get("as_of"), f"{family.label}'s as-of time"),
        error=fields.opt_text(item.get("error"), f"{family.label}'s error"),
        retry_at=fields.opt_float(item.get("retry_at"), f"{family.label}'s retry time"),
        unreadable=fields.opt_int(item.get("unreadable"), f"{family.label}'s unreadable count")
        or 0,
        warning=fields.opt_text(item.get("warning"), f"{family.label}'s warning"),
    )


def _same_job(entry: object, previous: JobSnapshot | None) -> Job | None:
    """The previous snapshot's job when `entry` is the same readable job with the same JSON
    (comparing JSON is much cheaper than parsing it again)."""
    if previous is None or not isinstance(entry, dict) or "unreadable" in entry:
        return None
    family, job_id = entry.get("family"), entry.get("id")
    if not isinstance(family, str) or not isinstance(job_id, str):
        return None
    try:
        known = previous.jobs.get((Family(family), job_id))
    except ValueError:
        return None
    if known is None or known.unreadable is not None or known.raw != entry.get("raw"):
        return None
    return known


def decode_snapshot_value(
    value: object, zone: tzinfo | None, previous: JobSnapshot | None = None
) -> JobSnapshot:
    """A snapshot from its plain-JSON form (see `decode_snapshot`).

    Raises:
        HubProtocolError: A field is missing or of the wrong type.
    """
    item = fields.obj(value, "a snapshot")
    families: dict[Family, FamilyStatus] = {}
    for entry in fields.items(item.get("families"), "a snapshot's families"):
        status = _decode_status(entry)
        families[status.family] = status
    jobs: dict[tuple[Family, str], Job] = {}
    for entry in fields.items(item.get("jobs"), "a snapshot's jobs"):
        job = _same_job(entry, previous) or decode_job(entry, zone)
        jobs[job.key] = job
    return JobSnapshot(
        seq=fields.whole(item.get("seq"), "a snapshot number"),
        jobs=jobs,
        families=families,
        budget=_decode_budget(item.get("budget")),
        polled_at=fields.number(item.get("polled_at"), "a poll time"),
        paused=fields.flag(item.get("paused"), "a paused flag"),
        fatal=fields.opt_text(item.get("fatal"), "a fatal error"),
        unreachable=fields.opt_text(item.get("unreachable"), "an unreachable reason"),
        started_at=fields.opt_float(item.get("started_at"), "a start time"),
    )


def decode_snapshot(
    data: bytes | str, zone: tzinfo | None, previous: JobSnapshot | None = None
) -> JobSnapshot:
    """The snapshot of one `/api/events` event.

    Args:
        data: The event's data as received.
        zone: The tenant's zone (from `HubInfo.timezone`), for timestamps that name none.
        previous: The last snapshot decoded from the same hub: a job whose JSON has not
            changed is taken from it instead of being parsed again.

    Raises:
        HubProtocolError: See `loads` and `decode_snapshot_value`.
    """
    return decode_snapshot_value(_typed(loads(data), "snapshot").get("snapshot"), zone, previous)


# ---------------------------------------------------------------------------- the hub


@dataclass(frozen=True)
class HubInfo:
    """What a hub says about itself (`GET /api/hello`): never a secret."""

    version: str
    """The hub's ztui version."""
    profile: str
    """The profile the hub watches."""
    base_url: str
    """The tenant's REST root (scheme, host and port only)."""
    environment: str | None = None
    """The profile's environment name, when the root is a known Zuora one."""
    production: bool = False
    """The tenant is a production one: each write is confirmed by typing `tenant_name`."""
    tenant_name: str | None = None
    """The tenant name typed to confirm a write on production."""
    timezone: str | None = None
    """The tenant's zone (an IANA name) for timestamps that name none; None: UTC."""
    read_only: bool = True
    """True when the hub performs no write for its viewers."""
    read_only_reason: str | None = None
    """Why the hub refuses writes and how to allow them; None when it allows them."""
    daily_call_budget: int | None = None
    """The profile's daily call budget, shown beside the projection."""
    poll_active_s: float = 5.0
    """The hub's fastest poll interval: a detail or error read is fetched at most once in
    it, however many viewers ask."""
    token_required: bool = False
    """True when every route asks for the token (the hub is not on loopback)."""


def encode_info(info: HubInfo) -> str:
    """The hello message."""
    fields = {name: getattr(info, name) for name in HubInfo.__dataclass_fields__}
    return wire_dumps({"type": "hello", **_plain_dict(fields)})


def decode_info(data: bytes | str) -> HubInfo:
    """The hub's facts from its hello message.

    Raises:
        HubProtocolError: See `loads`; or a field of the wrong type.
    """
    item = _typed(loads(data), "hello")
    budget = fields.opt_int(item.get("daily_call_budget"), "a daily call budget")
    active = fields.opt_float(item.get("poll_active_s"), "a poll interval")
    return HubInfo(
        version=fields.text(item.get("version"), "a version"),
        profile=fields.text(item.get("profile"), "a profile name"),
        base_url=fields.text(item.get("base_url"), "a base URL"),
        environment=fields.opt_text(item.get("environment"), "an environment"),
        production=fields.flag(item.get("production"), "a production flag"),
        tenant_name=fields.opt_text(item.get("tenant_name"), "a tenant name"),
        timezone=fields.opt_text(item.get("timezone"), "a time zone"),
        read_only=fields.flag(item.get("read_only"), "a read-only flag"),
        read_only_reason=fields.opt_text(item.get("read_only_reason"), "a read-only reason"),
        daily_call_budget=budget,
        poll_active_s=5.0 if active is None else active,
        token_required=fields.flag(item.get("token_required", False), "a token flag"),
    )


# ---------------------------------------------------------------------------- errors


def error_to_wire(error: JobError) -> dict[str, Any]:
    """One row error as plain JSON types."""
    return {
        "row": error.row,
        "code": error.code,
        "message": error.message,
        "record": _plain(error.record),
    }


def decode_error(value: object) -> JobError:
    """One row error from its wire form.

    Raises:
        HubProtocolError: A field is missing or of the wrong type.
    """
    item = fields.obj(value, "a row error")
    record = bound_depth(item.get("record") if item.get("record") is not None else {})
    return JobError(
        row=fields.opt_int(item.get("row"), "a row number"),
        code=fields.string(item.get("code"), "an error code"),
        message=fields.string(item.get("message"), "an error message"),
        record=fields.obj(record, "an error's record"),
    )


def encode_errors(fetched: FetchedErrors) -> str:
    """The errors of one job (`GET /api/job/{family}/{id}/errors`)."""
    return wire_dumps(
        {
            "type": "errors",
            "job": job_to_wire(fetched.job),
            "errors": [error_to_wire(e) for e in fetched.errors],
            "source": fetched.source,
        }
    )


def decode_errors(data: bytes | str, zone: tzinfo | None) -> FetchedErrors:
    """The errors of one job, as `ztui.ops.job_errors.fetch_job_errors` gives them.

    Raises:
        HubProtocolError: See `loads`; or a field is missing or of the wrong type.
    """
    item = _typed(loads(data), "errors")
    return FetchedErrors(
        job=decode_job(item.get("job"), zone),
        errors=[decode_error(e) for e in fields.items(item.get("errors"), "a list of errors")],
        source=fields.text(item.get("source"), "where the errors came from"),
    )


# ---------------------------------------------------------------------------- failures


def encode_failure(exc: Exception) -> str:
    """Why a hub could not answer a read or a request: the error's class and message."""
    message = exc.message if isinstance(exc, ApiError) else str(exc)
    status = exc.status if isinstance(exc, ApiError) else None
    return wire_dumps(
        {"type": "failure", "kind": type(exc).__name__, "message": message, "status": status}
    )


def _failure_classes() -> dict[str, type[ApiError]]:
    from ztui.api import errors

    names = ("NotFound", "NotSupported", "RateLimited", "ServerError", "TransportError")
    return {name: getattr(errors, name) for name in names}


def decode_failure(data: bytes | str) -> ApiError:
    """The error a hub's failure message stands for (`NotFound`, ..., else `ApiError`).

    Raises:
        HubProtocolError: See `loads`; or the message is not a failure.
    """
    item = _typed(loads(data, limit=1024 * 1024), "failure")
    kind = fields.string(item.get("kind"), "a failure kind")
    message = fields.text(item.get("message"), "a failure message")
    status = fields.opt_int(item.get("status"), "a failure status")
    cls = _failure_classes().get(kind, ApiError)
    if cls.__name__ == "RateLimited":
        cls = ApiError
    return cls(f"{message} (through the hub)", status=status)


# ---------------------------------------------------------------------------- writes


def stop_request(key: tuple[Family, str], confirm: str | None) -> str:
    """What a viewer posts to `/api/stop`: the job and, on production, the typed phrase."""
    return wire_dumps({"type": "stop", "family": key[0].value, "id": key[1], "confirm": confirm})


def decode_stop_request(data: bytes | str) -> tuple[tuple[Family, str], str | None]:
    """The job key and typed phrase of a stop request.

    Raises:
        HubProtocolError: See `loads`; or a field is missing or of the wrong type.
    """
    item = _typed(loads(data, limit=64 * 1024), "stop")
    family = fields.family(item.get("family"), "a job family")
    job_id = fields.string(item.get("id"), "a job id").strip()
    if not job_id or len(job_id) > 200:
        fields.fail("a job id that is empty or too long")
    return (family, job_id), fields.opt_str(item.get("confirm"), "a confirmation phrase")


def encode_stop_outcome(outcome: ActionOutcome) -> str:
    """How a stop or cancel ended, for the viewer that asked."""
    return wire_dumps(
        {
            "type": "stop_outcome",
            "family": outcome.key[0].value,
            "id": outcome.key[1],
            "kind": outcome.kind.value,
            "sent": outcome.sent,
            "ok": outcome.ok,
            "message": outcome.message,
            "job": job_to_wire(outcome.job) if outcome.job is not None else None,
            "request_id": outcome.request_id,
            "http_status": outcome.http_status,
            "unrecorded": outcome.unrecorded,
        }
    )


def decode_stop_outcome(data: bytes | str, zone: tzinfo | None) -> ActionOutcome:
    """The outcome of a stop or cancel the hub performed.

    Raises:
        HubProtocolError: See `loads`; or a field is missing or of the wrong type.
    """
    item = _typed(loads(data), "stop_outcome")
    kind = fields.string(item.get("kind"), "an action kind")
    try:
        action = ActionKind(kind)
    except ValueError:
        fields.fail(f"the action {kind[:40]!r}, which is neither stop nor cancel")
    job = item.get("job")
    return ActionOutcome(
        key=(
            fields.family(item.get("family"), "a job family"),
            fields.string(item.get("id"), "a job id"),
        ),
        kind=action,
        sent=fields.flag(item.get("sent"), "a sent flag"),
        ok=fields.flag(item.get("ok"), "an ok flag"),
        message=fields.text(item.get("message"), "an outcome message"),
        job=decode_job(job, zone) if job is not None else None,
        request_id=fields.opt_text(item.get("request_id"), "a request id"),
        http_status=fields.opt_int(item.get("http_status"), "an HTTP status"),
        unrecorded=fields.flag(item.get("unrecorded", False), "an unrecorded flag"),
    )


def same_view(a: JobSnapshot, b: JobSnapshot) -> bool:
    """True when two snapshots agree in everything the board and the detail show: every
    field, every family status, and every job with its JSON (used by the tests and by
    a viewer deciding whether a snapshot changed anything)."""
    if replace(a, jobs={}, families={}) != replace(b, jobs={}, families={}):
        return False
    if dict(a.families) != dict(b.families) or a.jobs.keys() != b.jobs.keys():
        return False
    return all(
        job == b.jobs[key]
        and _plain(job.raw) == _plain(b.jobs[key].raw)
        and (job.unreadable is None) == (b.jobs[key].unreadable is None)
        for key, job in a.jobs.items()
    )
