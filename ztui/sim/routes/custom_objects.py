"""Provides the custom-object bulk-job routes (`/objects/jobs...`, docs/zuora-api.md §6)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ztui.sim.custom_objects import validate_submit
from ztui.sim.routes.common import Handler, guard, json_answer, json_body, route
from ztui.sim.simulator import Simulator
from ztui.sim.util import UUID_RE, SimApiError


def _job_id(request: Request) -> str:
    job_id: str = request.path_params["job_id"]
    if not UUID_RE.fullmatch(job_id):
        raise SimApiError(404, 71013040, f"Job not found for id '{job_id}'.")
    return job_id


def routes(sim: Simulator) -> list[Route]:
    """List, get, errors, cancel, submit and upload."""

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
        return json_answer(sim.co_list(page_size, cursor, status))

    async def co_get(request: Request) -> Response:
        return json_answer(sim.co_get(_job_id(request)))

    async def co_errors(request: Request) -> Response:
        return json_answer({"errors": sim.co_errors(_job_id(request))})

    async def co_cancel(request: Request) -> Response:
        return json_answer(sim.co_cancel(_job_id(request)).wire())

    async def co_submit(request: Request) -> Response:
        try:
            body = await json_body(request)
            obj, ns, op, _ = validate_submit(body)
        except ValueError as exc:
            raise SimApiError(400, 71013020, f"Bad Request: {exc}") from None
        return json_answer(sim.co_submit(obj, ns, op).wire())

    async def co_upload(request: Request) -> Response:
        job_id = _job_id(request)
        data = await request.body()
        ctype = request.headers.get("content-type", "")
        return json_answer(sim.co_upload(job_id, ctype, data).wire())

    def co(fn: Handler) -> Handler:
        return guard(sim, "co", fn)

    return [
        route("/objects/jobs", GET=co(co_list), POST=co(co_submit)),
        route("/objects/jobs/{job_id}", GET=co(co_get)),
        route("/objects/jobs/{job_id}/errors", GET=co(co_errors)),
        route("/objects/jobs/{job_id}/cancel", PATCH=co(co_cancel)),
        route("/objects/jobs/{job_id}/files", POST=co(co_upload)),
    ]
