"""Provides `create_app`: the Starlette app serving the simulated Zuora endpoints.

Routes parse HTTP and render answers; the `Simulator` owns the state and the rules, and
the `Gateway` middleware adds auth, limits, faults, idempotency and standard headers.
Control routes under `/_sim/` (loopback only, no auth) let tests and the demo drive it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ztui.sim.aqua import AquaValidationError, error_job
from ztui.sim.custom_objects import validate_submit
from ztui.sim.gateway import (
    WWW_AUTHENTICATE,
    Gateway,
    error_body,
    family_of,
    install_log_filter,
    process_id,
)
from ztui.sim.simulator import (
    FAULT_KINDS,
    FAULT_KINDS_EXTRA,
    RES_BOOKING,
    RES_DATA_BACKFILL,
    RES_GENERIC,
    RES_PROPAGATION,
    Fault,
    Simulator,
)
from ztui.sim.uno import DB_TYPES, template_csv
from ztui.sim.util import HEX32, UUID_RE, SimApiError

Handler = Callable[[Request], Awaitable[Response]]


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    data = json.dumps(body, separators=(",", ":")).encode("utf-8")
    return Response(data, status, headers=headers, media_type="application/json")


def _request_id(request: Request) -> str:
    return str(getattr(request.state, "zuora_request_id", ""))


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _uno_ok(request: Request, **fields: Any) -> Response:
    return _json({"success": True, **fields})


def _common_ok(request: Request) -> Response:
    return _json(
        {
            "processId": process_id(),
            "reasons": [],
            "requestId": _request_id(request),
            "success": True,
        }
    )


def _uno_id(job_id: str, res: str) -> None:
    """Uno path ids are exactly 32 chars (SDK-enforced): anything else is a 400."""
    if len(job_id) != 32:
        raise SimApiError(400, res + "20", f"Invalid job id {job_id!r}: expected 32 characters.")


async def _json_body(request: Request, res: str | None = None) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        if res is None:
            raise
        raise SimApiError(400, res + "90", "The body is not valid JSON.") from None


def create_app(sim: Simulator) -> Starlette:
    """Build the simulator's Starlette app around `sim`.

    Args:
        sim: The state the routes read and change.

    Returns:
        The app; serve it with uvicorn (see `SimServer`).
    """
    install_log_filter()

    def guard(family: str, fn: Handler) -> Handler:
        """Render `SimApiError` in the family's error shape."""

        async def handler(request: Request) -> Response:
            try:
                return await fn(request)
            except SimApiError as exc:
                status = exc.status
                if family == "uno" and status == 400 and sim.config.success_false_http_200:
                    status = 200  # doc §2.5A: v1 may answer 200 with success:false
                body = error_body(family, exc.code, exc.message, _request_id(request))
                return _json(body, status)

        return handler

    # ------------------------------------------------------------------ OAuth
    async def token(request: Request) -> Response:
        if "authorization" in request.headers:
            return _json({"message": "Do not send an Authorization header to /oauth/token."}, 400)
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            return _json(
                {"message": "Content-Type must be application/x-www-form-urlencoded."}, 400
            )
        try:
            form = parse_qs((await request.body()).decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            return _json({"message": "The form is not valid UTF-8."}, 400)
        values = {k: v[0] for k, v in form.items() if v}
        for name in ("client_id", "client_secret", "grant_type"):
            if not values.get(name):
                return _json({"message": f"The form field {name} is required."}, 400)
        if values["grant_type"] != "client_credentials":
            return _json({"message": "grant_type must be client_credentials."}, 400)
        if len(values["client_id"]) != 36:
            return _json({"message": "client_id must be exactly 36 characters."}, 400)
        if len(values["client_secret"]) > 42:
            return _json({"message": "client_secret must be at most 42 characters."}, 400)
        cfg = sim.config
        if values["client_id"] != cfg.client_id or values["client_secret"] != cfg.client_secret:
            return _json(
                {"message": "Authentication error"}, 401, {"www-authenticate": WWW_AUTHENTICATE}
            )
        _, body = sim.issue_token(values["client_id"])
        return _json(body, headers={"cache-control": "no-store"})

    # ------------------------------------------------------------------ data backfill
    def db_list(spelling: str) -> Handler:
        async def handler(request: Request) -> Response:
            if spelling not in sim.config.data_backfill_list_paths:
                raise SimApiError(404, RES_DATA_BACKFILL + "40", "Not Found")
            return _uno_ok(request, jobs=sim.db_list(_base_url(request)))

        return handler

    async def db_get(request: Request) -> Response:
        job_id = request.path_params["job_id"]
        _uno_id(job_id, RES_DATA_BACKFILL)
        return _uno_ok(request, job=sim.db_get(job_id, _base_url(request)))

    async def db_template(request: Request) -> Response:
        kind = request.path_params["type"]
        if kind not in DB_TYPES:
            raise SimApiError(
                400,
                RES_DATA_BACKFILL + "20",
                f"Unknown type {kind!r}: use one of {', '.join(DB_TYPES)}.",
            )
        return Response(
            template_csv(kind),
            media_type="text/csv",
            headers={"content-disposition": f'attachment; filename="{kind}.csv"'},
        )

    async def db_create(request: Request) -> Response:
        res = RES_DATA_BACKFILL
        ctype = request.headers.get("content-type", "").lower()
        if not ctype.startswith("multipart/form-data"):
            raise SimApiError(400, res + "20", "The request must be multipart/form-data.")
        try:
            form = await request.form(max_files=4, max_fields=20)
        except Exception as exc:  # starlette raises several multipart error types
            raise SimApiError(400, res + "20", f"Unreadable multipart body: {exc}") from None
        try:
            kind = form.get("type")
            if isinstance(kind, UploadFile):
                kind = (await kind.read()).decode("utf-8", "replace")
            if not kind:
                raise SimApiError(400, res + "22", "The form part 'type' is required.")
            kind = kind.strip().strip('"')
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise SimApiError(400, res + "22", "The form part 'file' (a CSV file) is required.")
            data = await upload.read()
            checksum = form.get("checksum")
            if isinstance(checksum, UploadFile):
                checksum = (await checksum.read()).decode("ascii", "replace")
            job = sim.db_create(kind, upload.filename or "file.csv", data, checksum or None)
        finally:
            await form.close()
        return _uno_ok(request, jobId=job.id)

    def uno_stop(family: str, res: str) -> Handler:
        async def handler(request: Request) -> Response:
            if family == "propagation" and not sim.config.propagation_read_api:
                raise SimApiError(404, res + "40", "Not Found")
            job_id = request.path_params["job_id"]
            _uno_id(job_id, res)
            body = await _json_body(request, res)
            if not isinstance(body, dict) or "status" not in body:
                raise SimApiError(400, res + "22", 'The body must be {"status":"Stopping"}.')
            if body["status"] != "Stopping":
                raise SimApiError(400, res + "20", "status must be Stopping (the only value).")
            sim.uno_stop(family, job_id)
            return _common_ok(request)

        return handler

    # ------------------------------------------------------------------ booking / propagation
    def batch_list(family: str, res: str) -> Handler:
        async def handler(request: Request) -> Response:
            if family == "propagation" and not sim.config.propagation_read_api:
                raise SimApiError(404, res + "40", "Not Found")
            return _uno_ok(request, jobs=sim.batch_list(family))

        return handler

    def batch_get(family: str, res: str) -> Handler:
        async def handler(request: Request) -> Response:
            if family == "propagation" and not sim.config.propagation_read_api:
                raise SimApiError(404, res + "40", "Not Found")
            job_id = request.path_params["job_id"]
            _uno_id(job_id, res)
            return _uno_ok(request, job=sim.batch_get(family, job_id))

        return handler

    async def booking_create(request: Request) -> Response:
        return _uno_ok(request, jobId=sim.booking_create().id)

    async def propagation_create(request: Request) -> Response:
        body = await _json_body(request, RES_PROPAGATION)
        return _uno_ok(request, jobId=sim.propagation_create(body).id)

    # ------------------------------------------------------------------ custom objects
    def co_id(request: Request) -> str:
        job_id: str = request.path_params["job_id"]
        if not UUID_RE.fullmatch(job_id):
            raise SimApiError(404, 71013040, f"Job not found for id '{job_id}'.")
        return job_id

    async def co_list(request: Request) -> Response:
        params = request.query_params
        raw_size = params.get("pageSize")
        page_size = 25
        if raw_size is not None:
            if not raw_size.isdigit() or not 1 <= int(raw_size) <= 100:
                raise SimApiError(400, 71013020, "Bad Request: pageSize must be 1..100.")
            page_size = int(raw_size)
        cursor = params.get("cursor") or None
        status = params.get("status") or None
        return _json(sim.co_list(page_size, cursor, status))

    async def co_get(request: Request) -> Response:
        return _json(sim.co_get(co_id(request)))

    async def co_errors(request: Request) -> Response:
        return _json({"errors": sim.co_errors(co_id(request))})

    async def co_cancel(request: Request) -> Response:
        return _json(sim.co_cancel(co_id(request)).wire())

    async def co_submit(request: Request) -> Response:
        try:
            body = await _json_body(request)
            obj, ns, op, _ = validate_submit(body)
        except ValueError as exc:
            raise SimApiError(400, 71013020, f"Bad Request: {exc}") from None
        return _json(sim.co_submit(obj, ns, op).wire())

    async def co_upload(request: Request) -> Response:
        job_id = co_id(request)
        data = await request.body()
        ctype = request.headers.get("content-type", "")
        return _json(sim.co_upload(job_id, ctype, data).wire())

    # ------------------------------------------------------------------ AQuA
    async def aqua_create(request: Request) -> Response:
        status = sim.config.aqua_error_http_status
        try:
            body = await _json_body(request)
        except (ValueError, UnicodeDecodeError):
            return _json(error_job("90010", "The request body is not valid JSON."), status)
        try:
            job = sim.aqua_create(body)
        except AquaValidationError as exc:
            return _json(
                error_job(exc.code, exc.message, body if isinstance(body, dict) else None), status
            )
        return _json(job.wire())

    def aqua_id(request: Request) -> str:
        job_id: str = request.path_params["job_id"]
        if not HEX32.fullmatch(job_id):
            raise SimApiError(404, "90002", f"Invalid job id: {job_id}")
        return job_id

    async def aqua_get(request: Request) -> Response:
        return _json(sim.aqua_get(aqua_id(request)))

    async def aqua_delete(request: Request) -> Response:
        return _json(sim.aqua_cancel(aqua_id(request)))

    async def aqua_last(request: Request) -> Response:
        return _json(
            sim.aqua_last_completed(request.path_params["partner"], request.path_params["project"])
        )

    # ------------------------------------------------------------------ files
    async def file_get(request: Request) -> Response:
        file_id = request.path_params["file_id"]
        stored = sim.get_file(file_id)
        if stored is None:
            raise SimApiError(404, RES_GENERIC + "40", f"File {file_id} not found or expired.")
        return Response(
            stored.content(),
            media_type=stored.media_type,
            headers={"content-disposition": f'attachment; filename="{stored.name}"'},
        )

    # ------------------------------------------------------------------ control routes
    async def ctl_requests(request: Request) -> Response:
        raw = request.query_params.get("since", "0")
        if not raw.isdigit():
            return JSONResponse({"message": "since must be a sequence number"}, 400)
        return JSONResponse({"requests": sim.request_log(int(raw))})

    async def ctl_jobs(request: Request) -> Response:
        return _json(sim.jobs_wire(_base_url(request)))

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

    dbp = "/v1/uno/data-backfill"
    uno = "uno"

    def by_method(**handlers: Handler) -> Handler:
        """One route, several methods: keeps `Allow` on a 405 complete."""

        async def handler(request: Request) -> Response:
            return await handlers[request.method](request)

        return handler

    def route(path: str, **handlers: Handler) -> Route:
        return Route(path, by_method(**handlers), methods=list(handlers))

    routes = [
        route("/oauth/token", POST=guard("auth", token)),
        route(f"{dbp}/listjobs", GET=guard(uno, db_list("data"))),
        route("/v1/uno/date-backfill/listjobs", GET=guard(uno, db_list("date"))),
        route(f"{dbp}/jobs", POST=guard(uno, db_create)),
        route(f"{dbp}/jobs/{{type}}/template", GET=guard(uno, db_template)),
        route(
            f"{dbp}/jobs/{{job_id}}",
            GET=guard(uno, db_get),
            PUT=guard(uno, uno_stop("data_backfill", RES_DATA_BACKFILL)),
        ),
        route(
            f"{dbp}/bookingdate/jobs",
            GET=guard(uno, batch_list("booking_date", RES_BOOKING)),
            POST=guard(uno, booking_create),
        ),
        route(
            f"{dbp}/bookingdate/jobs/{{job_id}}",
            GET=guard(uno, batch_get("booking_date", RES_BOOKING)),
            PUT=guard(uno, uno_stop("booking_date", RES_BOOKING)),
        ),
        route(
            f"{dbp}/propagation/jobs",
            GET=guard(uno, batch_list("propagation", RES_PROPAGATION)),
            POST=guard(uno, propagation_create),
        ),
        route(
            f"{dbp}/propagation/jobs/{{job_id}}",
            GET=guard(uno, batch_get("propagation", RES_PROPAGATION)),
            PUT=guard(uno, uno_stop("propagation", RES_PROPAGATION)),
        ),
        route("/objects/jobs", GET=guard("co", co_list), POST=guard("co", co_submit)),
        route("/objects/jobs/{job_id}", GET=guard("co", co_get)),
        route("/objects/jobs/{job_id}/errors", GET=guard("co", co_errors)),
        route("/objects/jobs/{job_id}/cancel", PATCH=guard("co", co_cancel)),
        route("/objects/jobs/{job_id}/files", POST=guard("co", co_upload)),
        route("/v1/batch-query", POST=guard("aqua", aqua_create)),
        route("/v1/batch-query/", POST=guard("aqua", aqua_create)),
        route(
            "/v1/batch-query/jobs/partner/{partner}/project/{project}",
            GET=guard("aqua", aqua_last),
        ),
        route(
            "/v1/batch-query/jobs/{job_id}",
            GET=guard("aqua", aqua_get),
            DELETE=guard("aqua", aqua_delete),
        ),
        route("/v1/files/{file_id}", GET=guard(uno, file_get)),
        Route("/_sim/requests", ctl_requests, methods=["GET"]),
        Route("/_sim/jobs", ctl_jobs, methods=["GET"]),
        Route("/_sim/faults", ctl_faults, methods=["GET", "POST", "DELETE"]),
        Route("/_sim/clock", ctl_clock, methods=["GET", "POST"]),
        Route("/_sim/outcome", ctl_outcome, methods=["POST"]),
        Route("/_sim/config", ctl_config, methods=["GET", "POST"]),
        Route("/_sim/revoke-tokens", ctl_revoke, methods=["POST"]),
    ]

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        family = family_of(request.url.path)
        if request.url.path.startswith("/_sim"):
            return JSONResponse({"message": exc.detail}, exc.status_code)
        category = {404: "40", 405: "45"}.get(exc.status_code, "20")
        if family == "co":
            code: str | int = 71013040 if exc.status_code == 404 else 71013020
        elif family == "aqua":
            code = "90002" if exc.status_code == 404 else "90010"
        else:
            code = RES_GENERIC + category
        message = "Not Found." if exc.status_code == 404 else str(exc.detail)
        body = error_body(family, code, message, _request_id(request))
        return _json(body, exc.status_code, dict(exc.headers or {}))

    app = Starlette(
        routes=routes,
        middleware=[Middleware(Gateway, sim=sim)],
        exception_handlers={404: http_error, 405: http_error},
    )
    app.router.redirect_slashes = False
    app.state.sim = sim
    return app


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
