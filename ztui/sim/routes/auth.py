"""Provides the OAuth token route (docs/zuora-api.md §2.2, checklist item 2)."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ztui.sim.gateway import WWW_AUTHENTICATE
from ztui.sim.routes.common import guard, json_answer, route
from ztui.sim.simulator import Simulator


def routes(sim: Simulator) -> list[Route]:
    """`POST /oauth/token`."""

    async def token(request: Request) -> Response:
        if "authorization" in request.headers:
            return json_answer(
                {"message": "Do not send an Authorization header to /oauth/token."}, 400
            )
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            return json_answer(
                {"message": "Content-Type must be application/x-www-form-urlencoded."}, 400
            )
        try:
            form = parse_qs((await request.body()).decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            return json_answer({"message": "The form is not valid UTF-8."}, 400)
        values = {k: v[0] for k, v in form.items() if v}
        for name in ("client_id", "client_secret", "grant_type"):
            if not values.get(name):
                return json_answer({"message": f"The form field {name} is required."}, 400)
        if values["grant_type"] != "client_credentials":
            return json_answer({"message": "grant_type must be client_credentials."}, 400)
        if len(values["client_id"]) != 36:
            return json_answer({"message": "client_id must be exactly 36 characters."}, 400)
        if len(values["client_secret"]) > 42:
            return json_answer({"message": "client_secret must be at most 42 characters."}, 400)
        cfg = sim.config
        if values["client_id"] != cfg.client_id or values["client_secret"] != cfg.client_secret:
            return json_answer(
                {"message": "Authentication error"}, 401, {"www-authenticate": WWW_AUTHENTICATE}
            )
        _, body = sim.issue_token(values["client_id"])
        return json_answer(body, headers={"cache-control": "no-store"})

    return [route("/oauth/token", POST=guard(sim, "auth", token))]
