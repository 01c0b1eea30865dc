"""Provides `create_app`: the Starlette app serving the simulated Zuora endpoints.

Routes (`ztui.sim.routes`, one module per API family) parse HTTP and render answers; the
`Simulator` owns the state and the rules, and the `Gateway` middleware adds auth, limits,
faults, idempotency and standard headers. Control routes under `/_sim/` (loopback only,
no auth) let tests and the demo drive it.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ztui.sim.core import RES_GENERIC
from ztui.sim.gateway import Gateway, error_body, family_of, install_log_filter
from ztui.sim.routes import aqua, auth, control, custom_objects, files, uno
from ztui.sim.routes.common import json_answer, request_id
from ztui.sim.simulator import Simulator


def create_app(sim: Simulator) -> Starlette:
    """Build the simulator's Starlette app around `sim`.

    Args:
        sim: The state the routes read and change.

    Returns:
        The app; serve it with uvicorn (see `SimServer`).
    """
    install_log_filter()
    routes = [
        *auth.routes(sim),
        *uno.routes(sim),
        *custom_objects.routes(sim),
        *aqua.routes(sim),
        *files.routes(sim),
        *control.routes(sim),
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
        body = error_body(family, code, message, request_id(request))
        return json_answer(body, exc.status_code, dict(exc.headers or {}))

    app = Starlette(
        routes=routes,
        middleware=[Middleware(Gateway, sim=sim)],
        exception_handlers={404: http_error, 405: http_error},
    )
    app.router.redirect_slashes = False
    app.state.sim = sim
    return app
