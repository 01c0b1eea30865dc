"""Helpers for simulator tests: a plain httpx client with the sim's control hooks."""

from __future__ import annotations

from typing import Any

import httpx

from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET


class Api:
    """A thin httpx wrapper: a token, the control routes, and the clock."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.base_url, timeout=5.0)
        self.token = ""

    def login(self) -> str:
        response = self.http.post(
            "/oauth/token",
            data={
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
                "grant_type": "client_credentials",
            },
        )
        assert response.status_code == 200, response.text
        self.token = response.json()["access_token"]
        return self.token

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if self.token and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token}"
        return self.http.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def advance(self, seconds: float) -> float:
        response = self.http.post("/_sim/clock", json={"advance": seconds})
        assert response.status_code == 200, response.text
        return float(response.json()["now"])

    def control(self, method: str, path: str, body: Any = None) -> Any:
        response = self.http.request(method, path, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def fault(self, **body: Any) -> None:
        self.control("POST", "/_sim/faults", body)

    def outcome(self, job_id: str, outcome: str) -> None:
        self.control("POST", "/_sim/outcome", {"job_id": job_id, "outcome": outcome})

    def configure(self, **changes: Any) -> Any:
        return self.control("POST", "/_sim/config", changes)

    def close(self) -> None:
        self.http.close()
