"""Provides the AQuA batch-query routes (`/v1/batch-query...`, docs/zuora-api.md §7)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ztui.sim.aqua import AquaValidationError, error_job
from ztui.sim.routes.common import Handler, guard, json_answer, json_body, route
from ztui.sim.simulator import Simulator
from ztui.sim.util import HEX32, SimApiError


def _job_id(request: Request) -> str:
    job_id: str = request.path_params["job_id"]
    if not HEX32.fullmatch(job_id):
        raise SimApiError(404, "90002", f"Invalid job id: {job_id}")
    return job_id


def routes(sim: Simulator) -> list[Route]:
    """Create (with and without the trailing slash), get, cancel and last-completed."""

    async def aqua_create(request: Request) -> Response:
        status = sim.config.aqua_error_http_status
        try:
            body = await json_body(request)
        except (ValueError, UnicodeDecodeError):
            return json_answer(error_job("90010", "The request body is not valid JSON."), status)
        try:
            job = sim.aqua_create(body)
        except AquaValidationError as exc:
            return json_answer(
                error_job(exc.code, exc.message, body if isinstance(body, dict) else None), status
            )
        return json_answer(job.wire())

    async def aqua_get(request: Request) -> Response:
        return json_answer(sim.aqua_get(_job_id(request)))

    async def aqua_delete(request: Request) -> Response:
        return json_answer(sim.aqua_cancel(_job_id(request)))

    async def aqua_last(request: Request) -> Response:
        return json_answer(
            sim.aqua_last_completed(request.path_params["partner"], request.path_params["project"])
        )

    def aqua(fn: Handler) -> Handler:
        return guard(sim, "aqua", fn)

    return [
        route("/v1/batch-query", POST=aqua(aqua_create)),
        route("/v1/batch-query/", POST=aqua(aqua_create)),
        route("/v1/batch-query/jobs/partner/{partner}/project/{project}", GET=aqua(aqua_last)),
        route("/v1/batch-query/jobs/{job_id}", GET=aqua(aqua_get), DELETE=aqua(aqua_delete)),
    ]
