"""Provides the wire form of creates through a hub: the request and the outcome.

A viewer confirms a create locally (the dialog, the typed tenant name on production),
makes the `Submission` with its idempotency keys, and posts it to `/api/create`. The hub
performs one step of it through `ztui.ops.submit` (`submit`, `upload`: retry a
custom-object upload, `cancel`: cancel the pending job of a failed upload) and answers
with the outcome and what the step changed in the submission (its job id, a key made
anew after a definite refusal), so a retry from the viewer carries the same keys and
cannot create a second job.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any, Final, Literal, cast, get_args

from ztui.hub import fields
from ztui.hub.fields import HubProtocolError
from ztui.hub.protocol import decode_job, job_to_wire, loads, wire_dumps
from ztui.ops.specs import SpecError, spec_from_json, spec_to_json
from ztui.ops.submit import OutcomeKind, Submission, SubmitOutcome

__all__ = [
    "CreateStep",
    "create_request",
    "decode_create_outcome",
    "decode_create_request",
    "encode_create_outcome",
]

CreateStep = Literal["submit", "upload", "cancel"]
"""Which step of a create the hub performs (see the module docstring)."""

_STEPS: Final = frozenset(get_args(CreateStep))
_KINDS: Final = frozenset(get_args(OutcomeKind))

MAX_CREATE_BYTES: Final = 32 * 1024 * 1024
"""The largest create request a hub reads: the biggest upload (15 MB), in base64."""


def _state(sub: Submission) -> dict[str, Any]:
    return {
        "key": sub.key,
        "upload_key": sub.upload_key,
        "cancel_key": sub.cancel_key,
        "job_id": sub.job_id,
        "attempt": sub.attempt,
    }


def create_request(sub: Submission, step: CreateStep, confirm: str | None) -> str:
    """What a viewer posts to `/api/create`."""
    return wire_dumps(
        {
            "type": "create",
            "step": step,
            "confirm": confirm,
            "spec": spec_to_json(sub.spec),
            "submission": _state(sub),
        }
    )


def _key(value: object, what: str) -> str:
    key = fields.string(value, what)
    if not key or len(key) > 255 or not key.isascii() or not key.isprintable():
        fields.fail(f"{what} that is not 1-255 printable ASCII characters")
    return key


def _apply(sub: Submission, value: object) -> None:
    state = fields.obj(value, "a submission")
    sub.key = _key(state.get("key"), "an idempotency key")
    sub.upload_key = _key(state.get("upload_key"), "an upload key")
    sub.cancel_key = _key(state.get("cancel_key"), "a cancel key")
    sub.job_id = fields.opt_str(state.get("job_id"), "a job id")
    sub.attempt = _key(state.get("attempt"), "an attempt id")


def decode_create_request(data: bytes | str) -> tuple[Submission, CreateStep, str | None]:
    """The submission, step and typed phrase of a create request.

    Raises:
        HubProtocolError: See `protocol.loads`; or a field is missing or wrong, or the
            file's bytes are not the ones its digests describe.
    """
    item = fields.obj(loads(data, limit=MAX_CREATE_BYTES), "a create request")
    if item.get("type") != "create":
        fields.fail("a request that is not a create")
    step = fields.string(item.get("step"), "a create step")
    if step not in _STEPS:
        fields.fail(f"the create step {step[:40]!r}, which is none of {sorted(_STEPS)}")
    try:
        spec = spec_from_json(item.get("spec"))
    except SpecError as exc:
        raise HubProtocolError(f"The hub was sent a create it cannot read: {exc}") from None
    sub = Submission(spec)
    _apply(sub, item.get("submission"))
    confirm = fields.opt_str(item.get("confirm"), "a confirmation phrase")
    return sub, cast("CreateStep", step), confirm


def encode_create_outcome(outcome: SubmitOutcome, sub: Submission) -> str:
    """How a create step ended, and the submission as it is now."""
    return wire_dumps(
        {
            "type": "create_outcome",
            "kind": outcome.kind,
            "message": outcome.message,
            "job_id": outcome.job_id,
            "job": job_to_wire(outcome.job) if outcome.job is not None else None,
            "http_status": outcome.http_status,
            "request_id": outcome.request_id,
            "can_resubmit": outcome.can_resubmit,
            "can_retry": outcome.can_retry,
            "submission": _state(sub),
        }
    )


def decode_create_outcome(data: bytes | str, sub: Submission, zone: tzinfo | None) -> SubmitOutcome:
    """The outcome of a create step; `sub` takes the hub's view of its keys and job id.

    Raises:
        HubProtocolError: See `protocol.loads`; or a field is missing or wrong.
    """
    item = fields.obj(loads(data), "a create outcome")
    if item.get("type") != "create_outcome":
        fields.fail("an answer that is not a create outcome")
    kind = fields.string(item.get("kind"), "an outcome kind")
    if kind not in _KINDS:
        fields.fail(f"the outcome {kind[:40]!r}, which is no create outcome")
    job = item.get("job")
    outcome = SubmitOutcome(
        kind=cast("OutcomeKind", kind),
        message=fields.text(item.get("message"), "an outcome message"),
        job_id=fields.opt_str(item.get("job_id"), "a job id"),
        job=decode_job(job, zone) if job is not None else None,
        http_status=fields.opt_int(item.get("http_status"), "an HTTP status"),
        request_id=fields.opt_text(item.get("request_id"), "a request id"),
        can_resubmit=fields.flag(item.get("can_resubmit"), "a resubmit flag"),
        can_retry=fields.flag(item.get("can_retry"), "a retry flag"),
    )
    _apply(sub, item.get("submission"))
    return outcome
