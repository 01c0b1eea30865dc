"""Provides the control routes under `/_sim/` (loopback only, no auth): tests and the demo
use them to read the request log and the jobs, inject faults, move the clock, force
outcomes and change the configuration."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ztui.sim.core import FAULT_KINDS, FAULT_KINDS_EXTRA, Fault
from ztui.sim.routes.common import base_url, json_answer
from ztui.sim.simulator import Simulator


def routes(sim: Simulator) -> list[Route]:
    """Every `/_sim/...` route."""

    async def ctl_requests(request: Request) -> Response:
        raw = request.query_params.get("since", "0")
        if not raw.isdigit():
            return JSONResponse({"message": "since must be a sequence number"}, 400)
        return JSONResponse({"requests": sim.request_log(int(raw))})

    async def ctl_jobs(request: Request) -> Response:
        return json_answer(sim.jobs_wire(base_url(request)))

    async def ctl_faults(request: Request) -> Response:
        if request.method == "DELETE":
            sim.clear_faults()
            return JSONResponse({"faults": []})
        if request.method == "GET":
            return JSONResponse({"faults": [f.to_dict() for f in sim.faults]})
        try:
            body = await request.json()
            fault = _parse_fault(body)
        except (ValueError, TypeError, KeyError) as exc:
            return JSONResponse({"message": f"bad fault: {exc}"}, 400)
        sim.add_fault(fault)
        return JSONResponse({"faults": [f.to_dict() for f in sim.faults]})

    async def ctl_clock(request: Request) -> Response:
        if request.method == "POST":
            try:
                body = await request.json()
                seconds = float(body.get("advance", 0))
                now = sim.advance(seconds)
            except (ValueError, TypeError, AttributeError) as exc:
                return JSONResponse({"message": f"bad clock request: {exc}"}, 400)
        else:
            now = sim.tick()
        return JSONResponse({"now": now, "mode": sim.clock.mode})

    async def ctl_outcome(request: Request) -> Response:
        try:
            body = await request.json()
            sim.set_outcome(str(body["job_id"]), str(body["outcome"]))
        except KeyError as exc:
            return JSONResponse({"message": f"unknown job or missing key: {exc}"}, 404)
        except (ValueError, TypeError) as exc:
            return JSONResponse({"message": str(exc)}, 400)
        return JSONResponse({"ok": True})

    async def ctl_config(request: Request) -> Response:
        if request.method == "POST":
            try:
                body = await request.json()
                if not isinstance(body, dict):
                    raise ValueError("the body must be a JSON object")
                sim.configure(body)
            except ValueError as exc:
                return JSONResponse({"message": str(exc)}, 400)
        return JSONResponse(sim.config.to_dict())

    async def ctl_revoke(request: Request) -> Response:
        return JSONResponse({"revoked": sim.revoke_tokens()})

    return [
        Route("/_sim/requests", ctl_requests, methods=["GET"]),
        Route("/_sim/jobs", ctl_jobs, methods=["GET"]),
        Route("/_sim/faults", ctl_faults, methods=["GET", "POST", "DELETE"]),
        Route("/_sim/clock", ctl_clock, methods=["GET", "POST"]),
        Route("/_sim/outcome", ctl_outcome, methods=["POST"]),
        Route("/_sim/config", ctl_config, methods=["GET", "POST"]),
        Route("/_sim/revoke-tokens", ctl_revoke, methods=["POST"]),
    ]


def _parse_fault(body: Any) -> Fault:
    """Read a `/_sim/faults` body.

    Raises:
        ValueError: naming the bad field.
    """
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    kind = body.get("kind")
    if kind not in FAULT_KINDS + FAULT_KINDS_EXTRA:
        raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS + FAULT_KINDS_EXTRA)}")
    route = str(body.get("route", "* *")).strip()
    method, _, glob = route.partition(" ")
    if not glob:
        method, glob = "*", method
    times = body.get("times")
    if times is not None and (not isinstance(times, int) or times < 1):
        raise ValueError("times must be a positive integer (or omitted for forever)")
    status = int(body.get("status", 503))
    if kind == "status" and not 400 <= status <= 599:
        raise ValueError("status must be an HTTP error status (400..599)")
    return Fault(
        method=method.upper(),
        glob=glob.strip(),
        kind=kind,
        status=status,
        delay_s=float(body.get("delay_s", 0.0)),
        times=times,
    )
