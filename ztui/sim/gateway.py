"""Provides `Gateway`: the ASGI middleware that plays Zuora's API gateway.

For every API request (everything but `/_sim/...`) it does, in order: log the request,
count it against the rate limits (rejected requests count too), take a `/v1` concurrency
slot, apply injected faults, check `Zuora-Track-Id`, check the bearer token, gunzip the
body, apply idempotency, run the route, and finally add the standard headers
(`Zuora-Request-Id`, track-id echo, `RateLimit-*`, `Concurrency-Limit-*`) and gzip the
answer when asked (docs/zuora-api.md §2, checklist items 3-9 and 28).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import secrets
from typing import Any, Final

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import ztui.sim.quirks as quirks
from ztui.sim.core import RES_GENERIC, RateVerdict, StoredResponse, new_request_id
from ztui.sim.simulator import Simulator

WWW_AUTHENTICATE = "Basic realm=Zuora API, ZSession realm=Zuora API, Bearer realm=Zuora API"
GZIP_OVER: Final = 1000
"""Bodies longer than this go out gzipped to a client that accepts it (`Gateway._finish`)."""

_TEXTUAL = ("application/json", "text/", "application/xml", "application/csv")
_TRACK_FORBIDDEN = set(":;\"'")
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class SimulatedDropError(Exception):
    """Raised after a partial response to make the server drop the connection."""


class _DropFilter(logging.Filter):
    """Keeps uvicorn from logging a traceback for connections we drop on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, SimulatedDropError)


def install_log_filter() -> None:
    """Silence simulated drops in uvicorn's error log (idempotent)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DropFilter) for f in logger.filters):
        logger.addFilter(_DropFilter())


def family_of(path: str) -> str:
    """Which error shape a path uses: auth, co, aqua or uno (all other `/v1`)."""
    if path.startswith("/oauth/"):
        return "auth"
    if path == "/objects" or path.startswith("/objects/"):
        return "co"
    if path.startswith("/v1/batch-query"):
        return "aqua"
    return "uno"


def process_id() -> str:
    """A 16-char upper-case hex `processId`."""
    return secrets.token_hex(8).upper()


def json_response(
    status: int, body: Any, headers: list[tuple[str, str]] | None = None
) -> StoredResponse:
    """A JSON `StoredResponse`."""
    data = json.dumps(body, separators=(",", ":")).encode("utf-8")
    return StoredResponse(status, [("content-type", "application/json"), *(headers or [])], data)


def error_body(family: str, code: str | int, message: str, request_id: str) -> dict[str, Any]:
    """The error body in the family's shape (docs/zuora-api.md §2.5)."""
    if family == "co":
        return {"code": int(code), "message": message}
    if family == "aqua":
        return {"errorCode": str(code), "message": message}
    if family == "auth":
        return {"message": message}
    return {
        "success": False,
        "processId": process_id(),
        "requestId": request_id,
        "reasons": [{"code": str(code), "message": message}],
    }


def _gateway_code(family: str, category: str) -> str | int:
    """A code for gateway-made errors: uno 8 digits, CO 710xxxxx, AQuA 900xx."""
    if family == "co":
        return int(f"710100{category}")
    if family == "aqua":
        return "90010"
    return RES_GENERIC + category


def error_response(
    family: str,
    status: int,
    category: str,
    message: str,
    request_id: str,
    headers: list[tuple[str, str]] | None = None,
) -> StoredResponse:
    """A gateway-made error (track id, gzip, idempotency, 5xx faults)."""
    code = _gateway_code(family, category)
    return json_response(status, error_body(family, code, message, request_id), headers)


def auth_error() -> StoredResponse:
    """The 401 every family gets for a missing, unknown or expired token."""
    return json_response(
        401, {"message": "Authentication error"}, [("www-authenticate", WWW_AUTHENTICATE)]
    )


def too_many(verdict: RateVerdict, *, retry_after: bool = True) -> StoredResponse:
    """A quota 429 (SIM-CHOICE body `{"message":"Too many requests"}`).

    Args:
        verdict: The quota verdict that refused the request.
        retry_after: Send `Retry-After`; real-tenant mode leaves it out, as the rate-limit
            page's own sample does (docs/zuora-api.md §2.7), so only `RateLimit-Reset` says
            when to come back.
    """
    wait = str(max(1, verdict.retry_after or verdict.reset))
    return json_response(
        429, {"message": "Too many requests"}, [("retry-after", wait)] if retry_after else []
    )


def track_id_problem(track: str) -> str | None:
    """Why a `Zuora-Track-Id` is refused, or None when it is fine."""
    if len(track) > 64:
        return "Zuora-Track-Id must be at most 64 characters."
    if not track.isascii() or any(not c.isprintable() for c in track):
        return "Zuora-Track-Id must be printable US-ASCII."
    if _TRACK_FORBIDDEN & set(track):
        return "Zuora-Track-Id must not contain : ; \" or '."
    return None


class Gateway:
    """ASGI middleware around the simulator's routes. See the module docstring."""

    def __init__(self, app: ASGIApp, sim: Simulator) -> None:
        """Wrap `app` (the router) for `sim`."""
        self.app = app
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection scope."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == "/_sim" or path.startswith("/_sim/"):
            client = scope.get("client")
            host = client[0] if client else ""
            if host not in LOOPBACK and not host.startswith("127."):
                out = json_response(403, {"message": "Control routes answer loopback only."})
                await self._send(send, out)
                return
            await self.app(scope, receive, send)
            return
        await self._api(scope, receive, send)

    async def _api(self, scope: Scope, receive: Receive, send: Send) -> None:
        sim = self.sim
        body = await _read_body(receive)
        headers = Headers(scope=scope)
        method: str = scope["method"]
        path: str = scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        family = family_of(path)
        request_id = new_request_id()
        raw_track = headers.get("zuora-track-id")
        key = headers.get("idempotency-key") if method in ("POST", "PATCH") else None
        entry = sim.log_request(method, path, query, key, raw_track, request_id)
        extra: list[tuple[str, str]] = [("zuora-request-id", request_id)]
        if raw_track is not None and track_id_problem(raw_track) is None:
            extra.append(("zuora-track-id", raw_track))
        is_token = family == "auth"
        is_v1 = path.startswith("/v1/") and not is_token
        slot_taken = False
        verdict: RateVerdict | None = None
        try:
            # 1. Quotas: every request counts, rejected or not (doc §2.7).
            if is_token:
                client = scope.get("client")
                verdict = sim.count_token_ip(client[0] if client else "?")
                if verdict is not None:
                    extra += [
                        ("x-ratelimit-limit-minute", str(verdict.limit)),
                        ("x-ratelimit-remaining-minute", str(verdict.remaining)),
                    ]
            else:
                verdict = sim.count_tenant()
            if verdict is not None:
                extra += [
                    ("ratelimit-limit", verdict.policy),
                    ("ratelimit-remaining", str(verdict.remaining)),
                    ("ratelimit-reset", str(verdict.reset)),
                ]
            if verdict is not None and not verdict.allowed:
                out = too_many(verdict, retry_after=not sim.config.quirks)
                await self._finish(send, entry, out, extra, headers)
                return
            # 2. Concurrency slot for /v1 paths (the token endpoint is exempt).
            if is_v1:
                left = sim.enter_v1()
                cap = sim.config.concurrency_limit
                if left is None:
                    assert cap is not None
                    extra += _concurrency_headers(cap, 0)
                    out = error_response(
                        family if family != "aqua" else "uno",
                        429,
                        "70",
                        "Concurrency limit exceeded; retry after the Retry-After delay.",
                        request_id,
                        [("retry-after", str(sim.config.retry_after_s))],
                    )
                    await self._finish(send, entry, out, extra, headers)
                    return
                slot_taken = True
                if cap is not None:
                    extra += _concurrency_headers(cap, left)
            # 3. Injected faults.
            faults = sim.take_faults(method, path)
            for fault in faults:
                if fault.kind == "latency" and fault.delay_s > 0:
                    await asyncio.sleep(fault.delay_s)
            post_status: int | None = None
            for fault in faults:
                if fault.kind == "drop":
                    entry["status"] = None
                    entry["fault"] = "drop"
                    await _drop(send)
                if fault.kind == "malformed":
                    out = StoredResponse(
                        200, [("content-type", "application/json")], b'{"success":true,"jobs":[{"id'
                    )
                    entry["fault"] = "malformed"
                    await self._finish(send, entry, out, extra, headers)
                    return
                if fault.kind == "rate_limit":
                    # delay_s, when given, is the wait asked for; a minute otherwise.
                    wait = max(1, round(fault.delay_s)) if fault.delay_s > 0 else 60
                    fake = RateVerdict(False, 0, 0, wait, "0", wait)
                    extra = [(k, v) for k, v in extra if not k.startswith("ratelimit-")]
                    extra += [("ratelimit-remaining", "0"), ("ratelimit-reset", str(wait))]
                    out = too_many(fake, retry_after=not sim.config.quirks)
                    await self._finish(send, entry, out, extra, headers)
                    return
                if fault.kind == "success_false":
                    out = error_response(
                        "uno", 200, "61", "Simulated failure reported with HTTP 200.", request_id
                    )
                    await self._finish(send, entry, out, extra, headers)
                    return
                if fault.kind == "status":
                    if fault.status == 504:
                        # A gateway timeout may hide a created job (doc §2.5D): run first.
                        post_status = 504
                        continue
                    out = error_response(
                        family,
                        fault.status,
                        "60" if fault.status == 500 else "61",
                        f"Simulated HTTP {fault.status} from the simulator.",
                        request_id,
                    )
                    await self._finish(send, entry, out, extra, headers)
                    return
            # 4. Zuora-Track-Id rules (SIM-CHOICE: 400 in the family's shape).
            if raw_track is not None:
                problem = track_id_problem(raw_track)
                if problem:
                    out = error_response(family, 400, "20", problem, request_id)
                    await self._finish(send, entry, out, extra, headers)
                    return
            # 4b. One entity id per request (docs/zuora-api.md §2.3), checked in real-tenant
            # mode: a comma-joined list is refused.
            entities = headers.get("zuora-entity-ids")
            if sim.config.quirks and entities is not None and "," in entities:
                message = "Zuora-Entity-Ids takes one entity id, not a list."
                if family == "uno":
                    out = json_response(400, quirks.v1_error(RES_GENERIC + "20", message))
                else:
                    out = error_response(family, 400, "20", message, request_id)
                await self._finish(send, entry, out, extra, headers)
                return
            # 5. Bearer token.
            tenant = "anonymous"
            if not is_token:
                auth = headers.get("authorization", "")
                scheme, _, token = auth.partition(" ")
                found = sim.tenant_of(token.strip()) if scheme.lower() == "bearer" else None
                if found is None:
                    await self._finish(send, entry, auth_error(), extra, headers)
                    return
                tenant = found
            # 6. Compressed request bodies.
            if "gzip" in headers.get("content-encoding", "").lower():
                try:
                    body = gzip.decompress(body)
                except (OSError, EOFError):
                    out = error_response(
                        family, 400, "90", "The request body is not valid gzip.", request_id
                    )
                    await self._finish(send, entry, out, extra, headers)
                    return
                scope = _without_encoding(scope, len(body))
            # 7. Idempotency (POST and PATCH only).
            out = await self._idempotent(scope, body, key, tenant, request_id, family, path, query)
            if post_status is not None:
                out = error_response(
                    family, post_status, "61", "Gateway Timeout (simulated).", request_id
                )
            await self._finish(send, entry, out, extra, headers)
        finally:
            if slot_taken:
                sim.leave_v1()

    async def _idempotent(
        self,
        scope: Scope,
        body: bytes,
        key: str | None,
        tenant: str,
        request_id: str,
        family: str,
        path: str,
        query: str,
    ) -> StoredResponse:
        sim = self.sim
        if key is None or family == "auth":
            return await self._route(scope, body, request_id, family)
        if len(key) > 255:
            return error_response(
                family, 400, "20", "Idempotency-Key must be at most 255 characters.", request_id
            )
        url = path + ("?" + query if query else "")
        state, stored = sim.idem_begin(key, tenant, scope["method"], url)
        if state == "replay" and stored is not None:
            return StoredResponse(
                stored.status, [*stored.headers, ("idempotent-replayed", "true")], stored.body
            )
        if state == "mismatch":
            return error_response(
                family,
                422,
                "20",
                "Idempotency-Key was already used with a different method or URL.",
                request_id,
            )
        if state == "inflight":
            return error_response(
                family,
                409,
                "50",
                "A request with this Idempotency-Key is still in flight.",
                request_id,
            )
        try:
            out = await self._route(scope, body, request_id, family)
            delay = sim.config.idempotency_inflight_delay
            if delay > 0:
                await asyncio.sleep(delay)
        except BaseException:
            sim.idem_finish(key, tenant, None)
            raise
        sim.idem_finish(key, tenant, out)
        return out

    async def _route(
        self, scope: Scope, body: bytes, request_id: str, family: str
    ) -> StoredResponse:
        """Run the router with the (possibly gunzipped) body; capture its answer."""
        scope = dict(scope)
        state = dict(scope.get("state") or {})
        state["zuora_request_id"] = request_id
        scope["state"] = state
        delivered = False

        async def receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # pragma: no cover - never resolves
            return {"type": "http.disconnect"}  # pragma: no cover

        status = 500
        out_headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []
        started = False

        async def send(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                for k, v in message.get("headers", []):
                    name = k.decode("latin-1").lower()
                    if name != "content-length":
                        out_headers.append((name, v.decode("latin-1")))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, receive, send)
        except Exception:
            logging.getLogger("ztui.sim").exception("route failed")
            return error_response(family, 500, "60", "Internal error in the simulator.", request_id)
        if not started:
            return error_response(family, 500, "60", "The route gave no answer.", request_id)
        return StoredResponse(status, out_headers, b"".join(chunks))

    async def _finish(
        self,
        send: Send,
        entry: dict[str, Any],
        out: StoredResponse,
        extra: list[tuple[str, str]],
        request_headers: Headers,
    ) -> None:
        entry["status"] = out.status
        headers = [*out.headers, *extra]
        body = out.body
        content_type = next((v for k, v in out.headers if k == "content-type"), "")
        encoded = any(k == "content-encoding" for k, _ in out.headers)
        if (
            len(body) > GZIP_OVER
            and not encoded
            and "gzip" in request_headers.get("accept-encoding", "").lower()
            and content_type.startswith(_TEXTUAL)
        ):
            # The fastest level: on loopback the time to compress is what counts.
            body = gzip.compress(body, compresslevel=1)
            headers += [("content-encoding", "gzip"), ("vary", "Accept-Encoding")]
        await self._send(send, StoredResponse(out.status, headers, body))

    @staticmethod
    async def _send(send: Send, out: StoredResponse) -> None:
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in out.headers]
        raw.append((b"content-length", str(len(out.body)).encode()))
        await send({"type": "http.response.start", "status": out.status, "headers": raw})
        await send({"type": "http.response.body", "body": out.body, "more_body": False})


def _concurrency_headers(cap: int, left: int) -> list[tuple[str, str]]:
    return [
        ("concurrency-limit-type", "Default"),
        ("concurrency-limit-limit", str(cap)),
        ("concurrency-limit-remaining", str(max(0, left))),
    ]


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        elif message["type"] == "http.disconnect":
            break
    return b"".join(chunks)


async def _drop(send: Send) -> None:
    """Start a response, send part of it, then fail so the server closes the socket."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"succ', "more_body": True})
    raise SimulatedDropError("connection dropped by an injected fault")


def _without_encoding(scope: Scope, length: int) -> Scope:
    scope = dict(scope)
    scope["headers"] = [
        (k, v)
        for k, v in scope["headers"]
        if k.lower() not in (b"content-encoding", b"content-length")
    ] + [(b"content-length", str(length).encode())]
    return scope
