"""Checklist items 1-9 and 28: one origin, tokens, auth, headers, limits, idempotency, gzip."""

from __future__ import annotations

import gzip
import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.sim.support import Api
from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

FORM = {
    "client_id": DEMO_CLIENT_ID,
    "client_secret": DEMO_CLIENT_SECRET,
    "grant_type": "client_credentials",
}
WWW = "Basic realm=Zuora API, ZSession realm=Zuora API, Bearer realm=Zuora API"


# 1. One origin ---
def test_one_origin_serves_every_family(api: Api) -> None:
    """Token, uno, custom objects, AQuA (both slash forms) and files share one base URL."""
    assert api.get("/v1/uno/data-backfill/listjobs").status_code == 200
    assert api.get("/v1/uno/date-backfill/listjobs").status_code == 200
    assert api.get("/v1/uno/data-backfill/bookingdate/jobs").status_code == 200
    assert api.get("/objects/jobs").status_code == 200
    body = {"queries": [{"query": "select Id from Account", "type": "zoql"}]}
    assert api.post("/v1/batch-query/", json=body).json()["status"] == "submitted"
    assert api.post("/v1/batch-query", json=body).json()["status"] == "submitted"
    assert api.get("/v1/files/" + "0" * 32).status_code == 404


def test_list_spellings_switch_to_404(make_api: Callable[..., Api]) -> None:
    """Each data-backfill list spelling can be switched off independently."""
    api = make_api(data_backfill_list_paths=("date",))
    assert api.get("/v1/uno/data-backfill/listjobs").status_code == 404
    assert api.get("/v1/uno/date-backfill/listjobs").status_code == 200
    api.configure(data_backfill_list_paths=["data"])
    assert api.get("/v1/uno/data-backfill/listjobs").status_code == 200
    assert api.get("/v1/uno/date-backfill/listjobs").status_code == 404


# 2. Token issuance ---
def test_token_response_shape(api: Api) -> None:
    """A good form gets the documented body with expires_in from config."""
    response = api.http.post("/oauth/token", data=FORM)
    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "jti"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3599
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"client_secret": "wrong"}, 401),
        ({"client_id": "x" * 35}, 400),
        ({"client_secret": "s" * 43}, 400),
        ({"grant_type": "password"}, 400),
        ({"grant_type": None}, 400),
    ],
)
def test_token_validation(api: Api, change: dict[str, Any], status: int) -> None:
    """Wrong secrets are 401; malformed forms are 400."""
    form = {k: v for k, v in {**FORM, **change}.items() if v is not None}
    response = api.http.post("/oauth/token", data=form)
    assert response.status_code == status
    if status == 401:
        assert response.json() == {"message": "Authentication error"}


def test_token_rejects_json_and_authorization_header(api: Api) -> None:
    """The token call must be form-encoded and carry no Authorization header."""
    assert api.http.post("/oauth/token", json=FORM).status_code == 400
    response = api.http.post("/oauth/token", data=FORM, headers={"Authorization": "Basic eDp5"})
    assert response.status_code == 400


def test_token_ttl_is_configurable(make_api: Callable[..., Api]) -> None:
    """A 5 s token expires after 5 s of sim time and then gets a 401."""
    api = make_api(token_ttl=5)
    assert api.get("/objects/jobs").status_code == 200
    api.advance(5)
    assert api.get("/objects/jobs").status_code == 401


# 3. Auth everywhere else ---
@pytest.mark.parametrize(
    "path", ["/v1/uno/data-backfill/listjobs", "/objects/jobs", "/v1/batch-query/jobs/" + "a" * 32]
)
@pytest.mark.parametrize("auth", [None, "Bearer nope", "Basic abc"])
def test_missing_or_bad_token_is_401(api: Api, path: str, auth: str | None) -> None:
    """Every family answers 401 with WWW-Authenticate and the proxy body."""
    headers = {"Authorization": auth} if auth else {}
    response = api.http.get(path, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == WWW
    assert response.json() == {"message": "Authentication error"}


def test_expire_tokens_hook(api: Api) -> None:
    """The expire_tokens fault revokes all tokens at once; a new token works."""
    assert api.get("/objects/jobs").status_code == 200
    api.fault(kind="expire_tokens")
    assert api.get("/objects/jobs").status_code == 401
    api.login()
    assert api.get("/objects/jobs").status_code == 200


# 4. Standard headers ---
def test_request_id_and_track_id_echo(api: Api) -> None:
    """Each response gets a fresh 36-char request id; a sent track id is echoed."""
    a = api.get("/objects/jobs", headers={"Zuora-Track-Id": "ztui-1"})
    b = api.get("/objects/jobs")
    assert len(a.headers["zuora-request-id"]) == 36
    assert a.headers["zuora-request-id"] != b.headers["zuora-request-id"]
    assert a.headers["zuora-track-id"] == "ztui-1"
    assert "zuora-track-id" not in b.headers
    assert len(api.http.post("/oauth/token", data=FORM).headers["zuora-request-id"]) == 36


@pytest.mark.parametrize("track", ["x" * 65, "a:b", "a;b", 'a"b', "a'b"])
def test_bad_track_id_is_400_in_family_shape(api: Api, track: str) -> None:
    """Overlong or forbidden-character track ids are refused in each family's shape."""
    uno = api.get("/v1/uno/data-backfill/listjobs", headers={"Zuora-Track-Id": track})
    assert uno.status_code == 400
    assert uno.json()["success"] is False
    assert isinstance(uno.json()["reasons"][0]["code"], str)
    co = api.get("/objects/jobs", headers={"Zuora-Track-Id": track})
    assert co.status_code == 400
    assert isinstance(co.json()["code"], int)


def test_non_ascii_track_id_is_refused(api: Api) -> None:
    """A track id with non-ASCII bytes is a 400."""
    response = api.get("/objects/jobs", headers=[("Zuora-Track-Id", "caf\u00e9".encode("latin-1"))])
    assert response.status_code == 400


# 5. Rate limiting ---
def test_rate_limit_headers_on_every_response(api: Api) -> None:
    """RateLimit-Limit lists all windows; remaining counts down."""
    a = api.get("/objects/jobs")
    b = api.get("/objects/jobs")
    assert a.headers["ratelimit-limit"].endswith("50000;w=60, 2250000;w=3600, 27000000;w=86400")
    assert int(a.headers["ratelimit-limit"].split(",")[0]) == 50000
    assert int(b.headers["ratelimit-remaining"]) == int(a.headers["ratelimit-remaining"]) - 1
    assert 0 < int(a.headers["ratelimit-reset"]) <= 60


def test_over_quota_is_429_and_rejected_requests_count(make_api: Callable[..., Api]) -> None:
    """With a 3/min quota the 4th call is 429; failed calls (401) count too."""
    api = make_api(rate_limit_minute=3)
    assert api.http.get("/objects/jobs").status_code == 401  # counts
    assert api.get("/objects/jobs").status_code == 200
    assert api.get("/objects/jobs").status_code == 200
    over = api.get("/objects/jobs")
    assert over.status_code == 429
    assert over.headers["ratelimit-remaining"] == "0"
    assert int(over.headers["retry-after"]) >= 1
    assert int(over.headers["ratelimit-reset"]) >= 1
    assert over.json() == {"message": "Too many requests"}
    api.advance(60)
    assert api.get("/objects/jobs").status_code == 200


def test_hour_window_reported_when_closest_to_exhaustion(make_api: Callable[..., Api]) -> None:
    """Headers describe the window with the least room left."""
    api = make_api(rate_limit_minute=100, rate_limit_hour=5)
    response = api.get("/objects/jobs")
    assert response.headers["ratelimit-limit"].startswith("5, ")
    assert response.headers["ratelimit-remaining"] == "4"


# 6. Concurrency limit ---
def test_concurrency_headers_on_v1_only(api: Api) -> None:
    """/v1 answers carry Concurrency-Limit-*; /objects does not."""
    v1 = api.get("/v1/uno/data-backfill/bookingdate/jobs")
    assert v1.headers["concurrency-limit-type"] == "Default"
    assert v1.headers["concurrency-limit-limit"] == "40"
    assert int(v1.headers["concurrency-limit-remaining"]) == 39
    assert "concurrency-limit-limit" not in api.get("/objects/jobs").headers


def test_concurrency_over_cap_is_429_category_70(make_api: Callable[..., Api]) -> None:
    """Two slow in-flight /v1 calls fill a cap of 2; a third gets 429 with code ...70."""
    api = make_api(concurrency_limit=2)
    api.fault(route="GET /v1/uno/data-backfill/bookingdate/jobs", kind="latency", delay_s=0.6)
    results: list[int] = []

    def slow() -> None:
        with httpx.Client(base_url=api.server.base_url, timeout=5) as c:
            r = c.get(
                "/v1/uno/data-backfill/bookingdate/jobs",
                headers={"Authorization": f"Bearer {api.token}"},
            )
            results.append(r.status_code)

    threads = [threading.Thread(target=slow) for _ in range(2)]
    for t in threads:
        t.start()
    import time

    time.sleep(0.25)
    third = api.get("/v1/uno/data-backfill/listjobs")
    for t in threads:
        t.join()
    assert results == [200, 200]
    assert third.status_code == 429
    assert third.headers["retry-after"] == "1"
    assert third.json()["reasons"][0]["code"].endswith("70")


# 7. Token throttle ---
def test_token_ip_throttle(make_api: Callable[..., Api]) -> None:
    """Past the per-IP token cap: 429 with the X-RateLimit-*-minute headers."""
    api = make_api(token_ip_limit_per_min=2)  # login used one
    ok = api.http.post("/oauth/token", data=FORM)
    assert ok.status_code == 200
    assert ok.headers["x-ratelimit-limit-minute"] == "2"
    assert ok.headers["x-ratelimit-remaining-minute"] == "0"
    over = api.http.post("/oauth/token", data=FORM)
    assert over.status_code == 429
    assert over.headers["x-ratelimit-remaining-minute"] == "0"
    assert "retry-after" in over.headers
    # The token endpoint is exempt from the /v1 concurrency headers.
    assert "concurrency-limit-limit" not in ok.headers


# 8. Idempotency ---
def _co_submit(api: Api, key: str, **extra: Any) -> httpx.Response:
    body = {"object": "vehicle", "namespace": "default", "operation": "create", **extra}
    return api.post("/objects/jobs", json=body, headers={"Idempotency-Key": key})


def test_idempotent_replay_is_byte_identical(api: Api) -> None:
    """Same key, same call: one job, the same bytes back."""
    first = _co_submit(api, "k-1")
    second = _co_submit(api, "k-1")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert second.headers["idempotent-replayed"] == "true"
    assert first.headers["zuora-request-id"] != second.headers["zuora-request-id"]
    assert api.get("/objects/jobs").json()["count"] == 1


def test_idempotency_stores_failures_too(make_api: Callable[..., Api]) -> None:
    """A failed first answer is replayed as well."""
    api = make_api(co_permissions=("view",))
    assert _co_submit(api, "k-f").status_code == 403
    api.configure(co_permissions=["view", "edit", "delete"])
    assert _co_submit(api, "k-f").status_code == 403
    assert _co_submit(api, "k-g").status_code == 200


def test_idempotency_key_reused_elsewhere_is_422(api: Api) -> None:
    """The same key on another URL or method is 422."""
    job_id = _co_submit(api, "k-2").json()["Id"]
    other = api.patch(f"/objects/jobs/{job_id}/cancel", headers={"Idempotency-Key": "k-2"})
    assert other.status_code == 422
    assert isinstance(other.json()["code"], int)


def test_idempotency_in_flight_is_409(make_api: Callable[..., Api]) -> None:
    """While the first request with a key is in flight, a second gets 409."""
    api = make_api(idempotency_inflight_delay=0.6)
    box: list[httpx.Response] = []
    t = threading.Thread(target=lambda: box.append(_co_submit(api, "k-3")))
    t.start()
    import time

    time.sleep(0.25)
    second = _co_submit(api, "k-3")
    t.join()
    assert second.status_code == 409
    assert box[0].status_code == 200
    assert _co_submit(api, "k-3").content == box[0].content


def test_idempotency_key_too_long_and_ignored_on_get(api: Api) -> None:
    """Keys over 255 chars are 400; GET, PUT and DELETE ignore the header."""
    assert _co_submit(api, "k" * 256).status_code == 400
    assert _co_submit(api, "k" * 255).status_code == 200
    a = api.get("/objects/jobs", headers={"Idempotency-Key": "g"})
    api.post(
        "/objects/jobs", json={"object": "vehicle", "namespace": "default", "operation": "create"}
    )
    b = api.get("/objects/jobs", headers={"Idempotency-Key": "g"})
    assert a.json()["count"] + 1 == b.json()["count"]


def test_idempotency_expires_after_24h(api: Api) -> None:
    """After 24 h the key is forgotten and the call runs again."""
    first = _co_submit(api, "k-4")
    api.advance(86401)
    api.login()
    again = _co_submit(api, "k-4")
    assert again.json()["Id"] != first.json()["Id"]


# 9. Gzip ---
def test_gzip_responses_over_1000_bytes(make_api: Callable[..., Api]) -> None:
    """Big bodies are gzipped when asked; small ones are not."""
    api = make_api(jobs=40)
    raw = api.http.get(
        "/objects/jobs",
        headers={"Authorization": f"Bearer {api.token}", "Accept-Encoding": "gzip"},
    )
    assert raw.headers["content-encoding"] == "gzip"
    assert json.loads(raw.content)["count"] > 0  # httpx decoded it
    plain = api.get("/objects/jobs", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    small = api.get(
        "/objects/jobs?pageSize=1&status=cancelled", headers={"Accept-Encoding": "gzip"}
    )
    assert len(small.content) <= 1000
    assert "content-encoding" not in small.headers


def test_uno_lists_are_gzipped_as_they_are_written(make_api: Callable[..., Api]) -> None:
    """The uno lists compress their body while writing it: gzip over 1,000 bytes when
    asked, the same JSON either way; a small list goes out plain."""
    api = make_api(jobs=200)
    path = "/v1/uno/data-backfill/listjobs"
    auth = {"Authorization": f"Bearer {api.token}"}
    zipped = api.http.get(path, headers={**auth, "Accept-Encoding": "gzip"})
    plain = api.http.get(path, headers={**auth, "Accept-Encoding": "identity"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert zipped.content == plain.content  # httpx inflated the first
    assert len(zipped.content) > 1000
    empty = make_api(jobs=0)
    small = empty.http.get(
        path, headers={"Authorization": f"Bearer {empty.token}", "Accept-Encoding": "gzip"}
    )
    assert small.content == b'{"success":true,"jobs":[]}'
    assert "content-encoding" not in small.headers


def test_gzip_request_bodies_are_gunzipped(api: Api) -> None:
    """A gzip-encoded JSON body is accepted; a corrupt one is a 400."""
    body = json.dumps({"object": "vehicle", "namespace": "default", "operation": "create"})
    ok = api.post(
        "/objects/jobs",
        content=gzip.compress(body.encode()),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert ok.status_code == 200
    assert ok.json()["status"] == "pending"
    bad = api.post(
        "/objects/jobs",
        content=b"not gzip",
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert bad.status_code == 400


def test_request_log_records_api_calls_only(api: Api) -> None:
    """/_sim/requests lists API calls with status, key and track id; `since` filters."""
    api.get("/objects/jobs", headers={"Zuora-Track-Id": "t-9"})
    _co_submit(api, "k-log")
    log = api.control("GET", "/_sim/requests")["requests"]
    assert [e["path"] for e in log] == ["/oauth/token", "/objects/jobs", "/objects/jobs"]
    assert log[1]["track_id"] == "t-9"
    assert log[1]["status"] == 200
    assert log[2]["idempotency_key"] == "k-log"
    assert {"seq", "method", "path", "query", "status", "at"} <= set(log[0])
    later = api.control("GET", f"/_sim/requests?since={log[1]['seq']}")["requests"]
    assert [e["seq"] for e in later] == [log[2]["seq"]]


def _asgi_get(app: Any, path: str, host: str) -> int:
    """Call the ASGI app directly with a given client address; return the status."""
    import asyncio

    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"sim")],
        "client": (host, 5000),
        "server": ("127.0.0.1", 80),
    }
    asyncio.run(app(scope, receive, send))
    return statuses[0]


def test_control_routes_refuse_non_loopback() -> None:
    """A client that is not on loopback gets 403 from /_sim routes."""
    from ztui.sim import SimConfig, Simulator, create_app

    app = create_app(Simulator(SimConfig(jobs=0, clock="manual")))
    assert _asgi_get(app, "/_sim/jobs", "10.1.2.3") == 403
    assert _asgi_get(app, "/_sim/jobs", "127.0.0.1") == 200


def test_request_ids_are_uuids(api: Api) -> None:
    """Zuora-Request-Id parses as a UUID."""
    uuid.UUID(api.get("/objects/jobs").headers["zuora-request-id"])
