"""Provides the uno routes: data backfill, booking date and auto-backfill (docs §3-§5)."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ztui.sim.core import RES_BOOKING, RES_DATA_BACKFILL, RES_PROPAGATION
from ztui.sim.routes.common import (
    Handler,
    UnoJobsBody,
    base_url,
    common_ok,
    guard,
    json_body,
    route,
    uno_ok,
)
from ztui.sim.simulator import Simulator
from ztui.sim.uno import DB_TYPES, template_csv
from ztui.sim.util import SimApiError

UNO_ROOT = "/v1/uno/data-backfill"


def _uno_id(job_id: str, res: str) -> None:
    """Uno path ids are exactly 32 chars (SDK-enforced): anything else is a 400."""
    if len(job_id) != 32:
        raise SimApiError(400, res + "20", f"Invalid job id {job_id!r}: expected 32 characters.")


def routes(sim: Simulator) -> list[Route]:
    """Every `/v1/uno/...` job route, both data-backfill list spellings included."""

    def readable(family: str, res: str) -> None:
        if family == "propagation" and not sim.config.propagation_read_api:
            raise SimApiError(404, res + "40", "Not Found")

    def db_list(spelling: str) -> Handler:
        async def handler(request: Request) -> Response:
            if spelling not in sim.config.data_backfill_list_paths:
                raise SimApiError(404, RES_DATA_BACKFILL + "40", "Not Found")
            if spelling == "data" and sim.config.quirks:
                # Real-tenant mode: only the SDK's `date-backfill` spelling lists jobs.
                raise SimApiError(405, RES_DATA_BACKFILL + "45", "Method Not Allowed")
            body = UnoJobsBody(request)
            sim.db_list_into(base_url(request), body.add)
            return body.response()

        return handler

    async def db_get(request: Request) -> Response:
        job_id = request.path_params["job_id"]
        _uno_id(job_id, RES_DATA_BACKFILL)
        return uno_ok(job=sim.db_get(job_id, base_url(request)))

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
        return uno_ok(jobId=job.id)

    def uno_stop(family: str, res: str) -> Handler:
        async def handler(request: Request) -> Response:
            readable(family, res)
            job_id = request.path_params["job_id"]
            _uno_id(job_id, res)
            body = await json_body(request, res)
            if not isinstance(body, dict) or "status" not in body:
                raise SimApiError(400, res + "22", 'The body must be {"status":"Stopping"}.')
            if body["status"] != "Stopping":
                raise SimApiError(400, res + "20", "status must be Stopping (the only value).")
            sim.uno_stop(family, job_id)
            return common_ok(request)

        return handler

    def batch_list(family: str, res: str) -> Handler:
        async def handler(request: Request) -> Response:
            readable(family, res)
            body = UnoJobsBody(request)
            sim.batch_list_into(family, body.add)
            return body.response()

        return handler

    def batch_get(family: str, res: str) -> Handler:
        async def handler(request: Request) -> Response:
            readable(family, res)
            job_id = request.path_params["job_id"]
            _uno_id(job_id, res)
            return uno_ok(job=sim.batch_get(family, job_id))

        return handler

    async def booking_create(request: Request) -> Response:
        return uno_ok(jobId=sim.booking_create().id)

    async def propagation_create(request: Request) -> Response:
        body = await json_body(request, RES_PROPAGATION)
        return uno_ok(jobId=sim.propagation_create(body).id)

    def uno(fn: Handler) -> Handler:
        return guard(sim, "uno", fn)

    root = UNO_ROOT
    return [
        route(f"{root}/listjobs", GET=uno(db_list("data"))),
        route("/v1/uno/date-backfill/listjobs", GET=uno(db_list("date"))),
        route(f"{root}/jobs", POST=uno(db_create)),
        route(f"{root}/jobs/{{type}}/template", GET=uno(db_template)),
        route(
            f"{root}/jobs/{{job_id}}",
            GET=uno(db_get),
            PUT=uno(uno_stop("data_backfill", RES_DATA_BACKFILL)),
        ),
        route(
            f"{root}/bookingdate/jobs",
            GET=uno(batch_list("booking_date", RES_BOOKING)),
            POST=uno(booking_create),
        ),
        route(
            f"{root}/bookingdate/jobs/{{job_id}}",
            GET=uno(batch_get("booking_date", RES_BOOKING)),
            PUT=uno(uno_stop("booking_date", RES_BOOKING)),
        ),
        route(
            f"{root}/propagation/jobs",
            GET=uno(batch_list("propagation", RES_PROPAGATION)),
            POST=uno(propagation_create),
        ),
        route(
            f"{root}/propagation/jobs/{{job_id}}",
            GET=uno(batch_get("propagation", RES_PROPAGATION)),
            PUT=uno(uno_stop("propagation", RES_PROPAGATION)),
        ),
    ]
