"""Integration: auth, retries, rate limits, idempotency, faults and read-only mode."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import Any

import httpx
import pytest

from ztui.api.client import ZuoraClient
from ztui.api.errors import (
    ApiError,
    AuthError,
    BadRequest,
    Conflict,
    MalformedResponse,
    RateLimited,
    ReadOnlyError,
    ServerError,
    TransportError,
    Unreachable,
    WrongEndpoint,
)
from ztui.api.models import Family
from ztui.core.secret import Secret

from .helpers import OpenClient, SimControl, SleepRecorder, demo_credentials

pytestmark = pytest.mark.anyio

TOKEN = "POST /oauth/token"
CO_LIST = "GET /objects/jobs"
BOOKING = "/v1/uno/data-backfill/bookingdate/jobs"


def _calls(log: list[dict[str, Any]]) -> list[str]:
    return [f"{e['method']} {e['path']}" for e in log]


def _statuses(log: list[dict[str, Any]]) -> list[tuple[str, int | None]]:
    return [(f"{e['method']} {e['path']}", e["status"]) for e in log]


# ---------------------------------------------------------------- tokens


async def test_token_expiry_mid_run_refreshes_once(make_sim: Any, open_client: OpenClient) -> None:
    server = make_sim(token_ttl=60)
    ctl = SimControl(server)
    async with open_client(server) as client:
        await client.list_booking_date_jobs()
        await ctl.advance(120)  # the sim's token expires; the client's clock hasn't moved
        await client.list_booking_date_jobs()
        assert [r.kind for r in client.error_log] == ["AuthError"]
    assert _statuses(await ctl.requests()) == [
        (TOKEN, 200),
        (f"GET {BOOKING}", 200),
        (f"GET {BOOKING}", 401),
        (TOKEN, 200),
        (f"GET {BOOKING}", 200),
    ]


async def test_expire_tokens_fault(sim: Any, ctl: SimControl, open_client: OpenClient) -> None:
    async with open_client(sim) as client:
        await client.list_custom_object_jobs()
        await ctl.fault("* *", "expire_tokens")
        await client.list_custom_object_jobs()
    assert _calls(await ctl.requests()) == [TOKEN, CO_LIST, CO_LIST, TOKEN, CO_LIST]


async def test_proactive_refresh_before_expiry(
    sim: Any, ctl: SimControl, open_client: OpenClient
) -> None:
    now = [1000.0]
    async with open_client(sim, clock=lambda: now[0]) as client:
        await client.list_custom_object_jobs()
        now[0] += 3599 - 300 - 1  # just before the refresh point
        await client.list_custom_object_jobs()
        now[0] += 2  # past it: a new token before the request, no 401
        await client.list_custom_object_jobs()
    assert _statuses(await ctl.requests()) == [
        (TOKEN, 200),
        (CO_LIST, 200),
        (CO_LIST, 200),
        (TOKEN, 200),
        (CO_LIST, 200),
    ]


async def test_short_token_refreshes_at_half_life(make_sim: Any, open_client: OpenClient) -> None:
    server = make_sim(token_ttl=100)
    ctl = SimControl(server)
    now = [0.0]
    async with open_client(server, clock=lambda: now[0]) as client:
        await client.list_custom_object_jobs()
        now[0] = 49
        await client.list_custom_object_jobs()
        now[0] = 51
        await client.list_custom_object_jobs()
    assert _calls(await ctl.requests()).count(TOKEN) == 2


async def test_second_401_is_final(sim: Any, ctl: SimControl, open_client: OpenClient) -> None:
    await ctl.fault("GET /objects/jobs", "status", status=401)
    async with open_client(sim) as client:
        with pytest.raises(AuthError) as caught:
            await client.list_custom_object_jobs()
    assert _calls(await ctl.requests()) == [TOKEN, CO_LIST, TOKEN, CO_LIST]
    assert caught.value.status == 401
    assert "after a refresh" in caught.value.message


async def test_wrong_credentials(sim: Any, ctl: SimControl, open_client: OpenClient) -> None:
    secret = "definitely-not-the-secret"
    async with open_client(sim, client_secret=Secret(secret)) as client:
        with pytest.raises(AuthError) as caught:
            await client.list_booking_date_jobs()
        records = list(client.error_log)
        described = repr(client)
    assert _calls(await ctl.requests()) == [TOKEN]
    error = caught.value
    assert error.status == 401
    assert "Authentication error" in error.message
    assert "refused the client credentials (HTTP 401" in error.message
    for text in (str(error), repr(error), described, *(r.message for r in records)):
        assert secret not in text


async def test_missing_credentials(sim: Any, ctl: SimControl) -> None:
    async with ZuoraClient(sim.base_url) as client:
        with pytest.raises(AuthError, match="No credentials"):
            await client.list_booking_date_jobs()
    assert await ctl.requests() == []


async def test_bearer_token(sim: Any, ctl: SimControl) -> None:
    async with httpx.AsyncClient(base_url=sim.base_url) as raw:
        issued = await raw.post(
            "/oauth/token",
            data={
                "client_id": sim.sim.config.client_id,
                "client_secret": sim.sim.config.client_secret,
                "grant_type": "client_credentials",
            },
        )
    token = Secret(issued.json()["access_token"])
    async with ZuoraClient(sim.base_url, bearer_token=token) as client:
        assert (await client.list_custom_object_jobs()).jobs == []
    async with ZuoraClient(sim.base_url, bearer_token=Secret("expired")) as client:
        with pytest.raises(AuthError):
            await client.list_custom_object_jobs()
    calls = _calls(await ctl.requests())
    assert calls == [TOKEN, CO_LIST, CO_LIST]  # the first token was ours; no refresh


async def test_concurrent_requests_share_one_refresh(
    sim: Any, ctl: SimControl, open_client: OpenClient
) -> None:
    async with open_client(sim) as client:
        await asyncio.gather(*(client.list_custom_object_jobs() for _ in range(4)))
        assert _calls(await ctl.requests()).count(TOKEN) == 1
        await ctl.fault("* *", "expire_tokens")
        await asyncio.gather(*(client.list_custom_object_jobs() for _ in range(4)))
    assert _calls(await ctl.requests()).count(TOKEN) == 2


# ---------------------------------------------------------------- rate limits


async def test_429_retry_after_is_honoured(make_sim: Any, open_client: OpenClient) -> None:
    server = make_sim(rate_limit_minute=2)
    ctl = SimControl(server)
    sleep = SleepRecorder(ctl)  # "sleeping" moves the sim clock, so the window resets
    retry_after: list[float] = []

    async def hook(response: httpx.Response) -> None:
        if response.status_code == 429:
            retry_after.append(float(response.headers["Retry-After"]))

    async with open_client(server, sleep=sleep) as client:
        client._http.event_hooks["response"].append(hook)
        for _ in range(3):
            await client.list_booking_date_jobs()
        assert client.budget.limit == 2
    assert retry_after
    assert sleep.calls == retry_after
    assert [s for _, s in _statuses(await ctl.requests())].count(429) == 1


async def test_429_longer_than_max_wait_raises(
    sim: Any, ctl: SimControl, open_client: OpenClient
) -> None:
    await ctl.fault("GET /objects/jobs", "rate_limit", times=1)
    sleep = SleepRecorder()
    async with open_client(sim, sleep=sleep, max_retry_wait=10) as client:
        with pytest.raises(RateLimited) as caught:
            await client.list_custom_object_jobs()
        assert client.budget.exhausted
    assert caught.value.retry_after == 60
    assert caught.value.reset == 60
    assert sleep.calls == []


async def test_429_on_a_write_is_not_retried(
    sim: Any, ctl: SimControl, open_client: OpenClient
) -> None:
    await ctl.fault(f"PUT {BOOKING}/*", "rate_limit", times=1)
    sleep = SleepRecorder()
    async with open_client(sim, sleep=sleep) as client:
        job_id = await client.create_booking_date_job()
        with pytest.raises(RateLimited):
            await client.stop_booking_date_job(job_id)
    assert sleep.calls == []


# ---------------------------------------------------------------- 5xx and transport


async def test_5xx_on_get_is_retried_with_backoff(
    sim: Any, ctl: SimControl, open_client: OpenClient
) -> None:
    await ctl.fault("GET /objects/jobs", "status", status=503, times=2)
    sleep = SleepRecorder()
    async with open_client(sim, sleep=sleep, rng=lambda: 0.5) as client:
        page = await client.list_custom_object_jobs()
        kinds = [r.kind for r in client.error_log]
    assert page.jobs == []
    assert sleep.calls == [0.5, 1.0]  # full jitter: 0.5 x 1 s, 0.5 x 2 s
    assert kinds == ["ServerError", "ServerError"]


async def test_5xx_gives_up_after_max_retries(
    sim: Any, ctl: SimControl, open_client: OpenClient
) -> None:
    await ctl.fault("GET /objects/jobs", "status", status=500)
    sleep = SleepRecorder()
    async with open_client(sim, sleep=sleep, max_retries=2) as client:
        with pytest.raises(ServerError) as caught:
            await client.list_custom_object_jobs()
    assert _calls(await ctl.requests()).count(CO_LIST) == 3
    assert len(sleep.calls) == 2
    assert caught.value.status == 500
    assert caught.value.request_id


async def test_key_less_create_is_never_retried(
    sim: Any, ctl: SimControl, open_client: OpenClient
) -> None:
    await ctl.fault(f"POST {BOOKING}", "status", status=503)
    sleep = SleepRecorder()
    async with open_client(sim, sleep=sleep) as client:
        with pytest.raises(ServerError):
            await client.create_booking_date_job()
    assert _calls(await ctl.requests()).count(f"POST {BOOKING}") == 1
    assert sleep.calls == []


async def test_dropped_connection_on_get_is_retried(
    sim: Any, ctl: SimControl, open_client: OpenClient
) -> None:
    await ctl.fault("GET /objects/jobs", "drop", times=1)
    sleep = SleepRecorder()
    async with open_client(sim, sleep=sleep) as client:
        await client.list_custom_object_jobs()
        assert [r.kind for r in client.error_log] == ["TransportError"]
    assert len(sleep.calls) == 1


async def test_dropped_connection_on_stop_raises(
    sim: Any, ctl: SimControl, open_client: OpenClient
) -> None:
    sleep = SleepRecorder()
    async with open_client(sim, sleep=sleep) as client:
        job_id = await client.create_booking_date_job()
        await ctl.fault(f"PUT {BOOKING}/*", "drop")
        with pytest.raises(TransportError) as caught:
            await client.stop_job(Family.BOOKING_DATE, job_id)
    assert caught.value.path == f"{BOOKING}/{job_id}"
    assert _calls(await ctl.requests()).count(f"PUT {BOOKING}/{job_id}") == 1
    assert sleep.calls == []


async def test_timeout_is_a_transport_error(
    sim: Any, ctl: SimControl, open_client: OpenClient
) -> None:
    async with open_client(sim) as client:
        await client.list_custom_object_jobs()  # token first, outside the fault
        await ctl.fault("GET /objects/jobs", "latency", delay_s=1.0, times=1)
        client._http.timeout = httpx.Timeout(0.2)
        client.max_retries = 0
        with pytest.raises(TransportError, match="No answer"):
            await client.list_custom_object_jobs()


async def test_connection_refused(open_client: OpenClient) -> None:
    sleep = SleepRecorder()
    server = type("Closed", (), {"base_url": "http://127.0.0.1:9"})()
    async with open_client(server, sleep=sleep, max_retries=1) as client:
        with pytest.raises(Unreachable, match=r"127\.0\.0\.1:9: connection refused") as caught:
            await client.list_custom_object_jobs()
    assert caught.value.cause == "refused"
    assert isinstance(caught.value, TransportError)  # still retried as a passing fault
    assert len(sleep.calls) == 1


async def test_unknown_host_is_said_to_be_dns(open_client: OpenClient) -> None:
    server = type("Nowhere", (), {"base_url": "http://no-such-host.invalid"})()
    async with open_client(server, sleep=SleepRecorder(), max_retries=0) as client:
        with pytest.raises(Unreachable, match=r"'no-such-host\.invalid' is unknown") as caught:
            await client.list_custom_object_jobs()
    assert caught.value.cause == "dns"


async def test_a_token_url_that_is_not_there_asks_about_the_base_url(
    sim: Any, ctl: SimControl, open_client: OpenClient
) -> None:
    # A host that is not a Zuora REST root: no OAuth endpoint at all.
    await ctl.fault("POST /oauth/token", "status", status=404, times=5)
    async with open_client(sim, sleep=SleepRecorder()) as client:
        with pytest.raises(WrongEndpoint, match="is the base URL right") as caught:
            await client.list_custom_object_jobs()
    assert caught.value.status == 404
    assert "refused the client credentials" not in str(caught.value)


async def test_malformed_json(sim: Any, ctl: SimControl, open_client: OpenClient) -> None:
    await ctl.fault("GET /v1/uno/data-backfill/bookingdate/jobs", "malformed", times=1)
    async with open_client(sim) as client:
        with pytest.raises(MalformedResponse) as caught:
            await client.list_booking_date_jobs()
        assert client.error_log[-1].kind == "MalformedResponse"
    error = caught.value
    assert error.status == 200
    assert error.request_id
    assert error.body_excerpt is not None
    assert error.body_excerpt.startswith('{"success":true')
    assert len(error.body_excerpt) <= 200


async def test_malformed_data_backfill_list_tries_the_other_spelling(
    sim: Any, ctl: SimControl, open_client: OpenClient
) -> None:
    """A body that is not a list is not a successful list (docs/tolerance.md rule 7)."""
    await ctl.fault("GET /v1/uno/data-backfill/listjobs", "malformed", times=1)
    async with open_client(sim) as client:
        assert await client.list_data_backfill_jobs() == []
        assert client.error_log[-1].kind == "MalformedResponse"


# ---------------------------------------------------------------- success:false


async def test_http_200_success_false_raises(make_sim: Any, open_client: OpenClient) -> None:
    server = make_sim(success_false_http_200=True)
    async with open_client(server) as client:
        with pytest.raises(BadRequest) as missing:
            await client.get_data_backfill_job("not-32-chars")
        with pytest.raises(BadRequest) as refused:
            await client.create_data_backfill_job("NoSuchType", b"a\n1\n")
    for caught in (missing, refused):
        assert caught.value.status == 200
        assert caught.value.reasons
        assert caught.value.message == caught.value.reasons[0].message


async def test_success_false_fault_on_stop(
    sim: Any, ctl: SimControl, open_client: OpenClient
) -> None:
    sleep = SleepRecorder()
    async with open_client(sim, sleep=sleep) as client:
        job_id = await client.create_booking_date_job()
        await ctl.fault(f"PUT {BOOKING}/*", "success_false", times=1)
        with pytest.raises(ServerError) as caught:
            await client.stop_booking_date_job(job_id)
    assert caught.value.status == 200
    assert caught.value.message == "Simulated failure reported with HTTP 200."
    assert sleep.calls == []


# ---------------------------------------------------------------- idempotency


async def test_idempotent_replay_returns_same_job(
    sim: Any, ctl: SimControl, open_client: OpenClient
) -> None:
    async with open_client(sim) as client:
        first = await client.submit_custom_object_job(
            "vehicle", "default", "create", idempotency_key="key-1"
        )
        again = await client.submit_custom_object_job(
            "vehicle", "default", "create", idempotency_key="key-1"
        )
    assert again.id == first.id
    assert len((await ctl.jobs())["custom_object"]) == 1


async def test_retry_reuses_the_idempotency_key(
    sim: Any, ctl: SimControl, open_client: OpenClient
) -> None:
    await ctl.fault("POST /v1/batch-query/", "status", status=504, times=1)
    async with open_client(sim) as client:
        job = await client.create_aqua_job(
            {"queries": [{"name": "a", "query": "select Id from Account", "type": "zoql"}]}
        )
    posts = [e for e in await ctl.requests() if e["path"] == "/v1/batch-query/"]
    assert len(posts) == 2
    assert posts[0]["idempotency_key"] == posts[1]["idempotency_key"]
    # The 504 still created the job (docs/zuora-api.md §2.5D); the retry replayed it, so one job.
    assert [j["id"] for j in (await ctl.jobs())["aqua"]] == [job.id]


async def test_conflict_while_in_flight(make_sim: Any, open_client: OpenClient) -> None:
    server = make_sim(idempotency_inflight_delay=0.5)
    ctl = SimControl(server)
    async with open_client(server) as client:
        await client.list_custom_object_jobs()  # token first

        async def submit() -> Any:
            return await client.submit_custom_object_job(
                "vehicle", "default", "create", idempotency_key="same"
            )

        results = await asyncio.gather(submit(), submit(), return_exceptions=True)
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(conflicts) == 1
    assert conflicts[0].status == 409
    assert len((await ctl.jobs())["custom_object"]) == 1


async def test_key_reused_elsewhere_is_a_conflict(sim: Any, open_client: OpenClient) -> None:
    async with open_client(sim) as client:
        job = await client.submit_custom_object_job(
            "vehicle", "default", "create", idempotency_key="k"
        )
        with pytest.raises(Conflict) as caught:
            await client.cancel_custom_object_job(job.id, idempotency_key="k")
    assert caught.value.status == 422


async def test_idempotency_key_checked_locally(sim: Any, ctl: SimControl) -> None:
    async with ZuoraClient(sim.base_url, **demo_credentials()) as client:
        with pytest.raises(BadRequest, match="Idempotency-Key"):
            await client.submit_custom_object_job(
                "vehicle", "default", "create", idempotency_key="x" * 256
            )
    assert await ctl.requests() == []


async def test_headers_track_ids_and_keys(
    sim: Any, ctl: SimControl, open_client: OpenClient
) -> None:
    async with open_client(sim) as client:
        await client.create_booking_date_job()
        job_id = await client.create_propagation_job("RatePlanCharge")
        await client.stop_propagation_job(job_id)
        job = await client.submit_custom_object_job("vehicle", "default", "create")
        await client.cancel_custom_object_job(job.id)
    log = await ctl.requests()
    tracks = [e["track_id"] for e in log]
    assert all(re.fullmatch(r"ztui-[0-9a-f]{8}-\d+", t) for t in tracks)
    assert len(set(tracks)) == len(tracks)
    keyed = {f"{e['method']} {e['path']}": e["idempotency_key"] for e in log}
    assert keyed[f"POST {BOOKING}"] is None
    assert keyed[TOKEN] is None
    assert keyed["POST /v1/uno/data-backfill/propagation/jobs"]
    assert keyed["POST /objects/jobs"]
    assert keyed[f"PATCH /objects/jobs/{job.id}/cancel"]
    assert keyed["POST /objects/jobs"] != keyed[f"PATCH /objects/jobs/{job.id}/cancel"]


# ---------------------------------------------------------------- read-only, secrets


async def test_read_only_sends_nothing(sim: Any, ctl: SimControl, open_client: OpenClient) -> None:
    async with open_client(sim, read_only=True) as client:
        writes = [
            client.create_data_backfill_job("RatePlanCharge", b"x"),
            client.stop_data_backfill_job("a" * 32),
            client.create_booking_date_job(),
            client.stop_job(Family.BOOKING_DATE, "a" * 32),
            client.create_propagation_job("RatePlanCharge"),
            client.stop_propagation_job("a" * 32),
            client.submit_custom_object_job("vehicle", "default", "create"),
            client.upload_custom_object_file("id", b"x"),
            client.cancel_custom_object_job("id"),
            client.create_aqua_job({"queries": []}),
            client.cancel_aqua_job("a" * 32),
        ]
        for write in writes:
            with pytest.raises(ReadOnlyError, match="read-only"):
                await write
        assert client.calls_made == 0
    assert await ctl.requests() == []


async def test_secrets_stay_out_of_logs(
    sim: Any, ctl: SimControl, open_client: OpenClient, caplog: pytest.LogCaptureFixture
) -> None:
    from ztui.sim import DEMO_CLIENT_SECRET

    caplog.set_level(logging.DEBUG)
    sent: list[str] = []

    async def hook(request: httpx.Request) -> None:
        sent.append(request.headers.get("Authorization", "").removeprefix("Bearer "))

    async with open_client(sim) as client:
        client._http.event_hooks["request"].append(hook)
        await client.list_custom_object_jobs()
        token = sent[-1]
        await ctl.fault("* *", "expire_tokens")
        await ctl.fault("GET /objects/jobs", "status", status=503, times=1)
        await client.list_custom_object_jobs()
        records = list(client.error_log)
    assert token
    assert "ztui.api" in {r.name for r in caplog.records}
    assert "GET /objects/jobs -> 200" in caplog.text
    for secret in (DEMO_CLIENT_SECRET, token):
        assert secret not in caplog.text
        assert all(secret not in repr(r) for r in records)


async def test_token_endpoint_5xx_is_retried(
    sim: Any, ctl: SimControl, open_client: OpenClient
) -> None:
    await ctl.fault("POST /oauth/token", "status", status=503, times=1)
    sleep = SleepRecorder()
    async with open_client(sim, sleep=sleep) as client:
        await client.list_custom_object_jobs()
    assert _statuses(await ctl.requests()) == [(TOKEN, 503), (TOKEN, 200), (CO_LIST, 200)]
    assert len(sleep.calls) == 1


async def test_broken_download_leaves_no_file(
    sim: Any, ctl: SimControl, open_client: OpenClient, tmp_path: Any
) -> None:
    async with open_client(sim, max_retries=0) as client:
        job = await client.create_aqua_job(
            {"queries": [{"name": "a", "query": "select Id from Account", "type": "zoql"}]}
        )
        await ctl.advance(30)
        batches = await client.get_aqua_batches(job.id)
        file_id = batches[0].file_id
        assert file_id
        await ctl.fault("GET /v1/files/*", "drop", times=1)
        with pytest.raises(TransportError):
            await client.download_file(file_id, tmp_path / "out.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


async def test_the_log_mask_keeps_only_the_recent_tokens() -> None:
    """Each refresh registers the new token; older ones leave the mask, so a long run's
    token refreshes do not grow it (and every redaction) without end."""
    from ztui.api.auth import KEPT_TOKENS
    from ztui.core import logsetup

    issued = iter(f"{n:032x}" for n in range(1, 100))

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            body = {"access_token": next(issued), "expires_in": 3599}
            return httpx.Response(200, json=body)
        return httpx.Response(401, json={"message": "expired"})

    logsetup.clear_registered_secrets()
    client = ZuoraClient(
        "https://rest.apisandbox.zuora.com",
        client_id="c" * 36,
        client_secret=Secret("s3cret-value"),
        max_retries=0,
    )
    client._http._transport = httpx.MockTransport(handler)
    for _ in range(20):
        with contextlib.suppress(ApiError):
            await client.list_jobs(Family.BOOKING_DATE)
    await client.aclose()
    tokens = [v for v in logsetup._registered_values if len(v) == 32 and v.startswith("0" * 20)]
    assert 0 < len(tokens) <= KEPT_TOKENS
    assert logsetup.redact("s3cret-value") != "s3cret-value"  # the secret itself stays
    latest = max(tokens)
    assert latest not in logsetup.redact(f"token {latest}")
