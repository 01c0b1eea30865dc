"""Provides the result-file route (`GET /v1/files/{id}`, docs/zuora-api.md §7)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ztui.sim.core import RES_GENERIC
from ztui.sim.routes.common import guard, route
from ztui.sim.simulator import Simulator
from ztui.sim.util import SimApiError


def routes(sim: Simulator) -> list[Route]:
    """`GET /v1/files/{file_id}`: a live file, else 404."""

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

    return [route("/v1/files/{file_id}", GET=guard(sim, "uno", file_get))]
