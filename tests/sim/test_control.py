"""Checklist items 28 and 30, control routes, seeding, the server and the `ztui sim` CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import httpx
import pytest

from tests.sim.support import Api
from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SimConfig, SimServer, Simulator
from ztui.sim.seed import seeded_simulator

FORM = {
    "client_id": DEMO_CLIENT_ID,
    "client_secret": DEMO_CLIENT_SECRET,
    "grant_type": "client_credentials",
}
DB = "/v1/uno/data-backfill"


# 28. Fault injection ---
def test_status_fault_counts_down(api: Api) -> None:
    """A 503 fault with times=2 fails two calls, in the family's shape, then clears."""
    api.fault(route=f"GET {DB}/bookingdate/*", kind="status", status=503, times=2)
    first = api.get(f"{DB}/bookingdate/jobs")
    assert first.status_code == 503
    assert first.json()["success"] is False
    assert api.get(f"{DB}/bookingdate/jobs").status_code == 503
    assert api.get(f"{DB}/bookingdate/jobs").status_code == 200
    api.fault(route="GET /objects/*", kind="status", status=500)
    co = api.get("/objects/jobs")
    assert co.status_code == 500
    assert isinstance(co.json()["code"], int)
    api.control("DELETE", "/_sim/faults")
    assert api.get("/objects/jobs").status_code == 200


def test_504_on_create_still_creates_the_job(api: Api) -> None:
    """A 504 on a create hides a job that was created; an idempotent retry replays it."""
    api.fault(
        route="POST /v1/uno/data-backfill/bookingdate/jobs", kind="status", status=504, times=1
    )
    lost = api.post(f"{DB}/bookingdate/jobs", headers={"Idempotency-Key": "b-1"})
    assert lost.status_code == 504
    jobs = api.get(f"{DB}/bookingdate/jobs").json()["jobs"]
    assert len(jobs) == 1
    retry = api.post(f"{DB}/bookingdate/jobs", headers={"Idempotency-Key": "b-1"})
    assert retry.status_code == 200
    assert retry.json()["jobId"] == jobs[0]["id"]


def test_drop_closes_the_connection(api: Api) -> None:
    """A dropped connection is a protocol/read error for httpx, not an HTTP 500."""
    api.fault(route="GET /objects/jobs", kind="drop", times=1)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        api.get("/objects/jobs")
    assert api.get("/objects/jobs").status_code == 200
    log = api.control("GET", "/_sim/requests")["requests"]
    assert any(e.get("fault") == "drop" for e in log)


def test_malformed_and_latency_and_rate_limit(api: Api) -> None:
    """malformed: 200 with unparseable JSON; latency delays; rate_limit forces a 429."""
    api.fault(route="GET /objects/jobs", kind="malformed", times=1)
    broken = api.get("/objects/jobs")
    assert broken.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        broken.json()
    api.fault(route="GET /objects/jobs", kind="latency", delay_s=0.3, times=1)
    start = time.monotonic()
    assert api.get("/objects/jobs").status_code == 200
    assert time.monotonic() - start >= 0.3
    api.fault(route="* /objects/*", kind="rate_limit", times=1)
    limited = api.get("/objects/jobs")
    assert limited.status_code == 429
    assert limited.headers["ratelimit-remaining"] == "0"
    assert limited.headers["retry-after"] == "60"
    api.fault(route="* /objects/*", kind="rate_limit", delay_s=7, times=1)
    limited = api.get("/objects/jobs")
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "7"
    assert limited.headers["ratelimit-reset"] == "7"


def test_bad_fault_is_400(api: Api) -> None:
    """Unknown kinds and bad times are refused with a message."""
    assert api.http.post("/_sim/faults", json={"kind": "explode"}).status_code == 400
    bad = api.http.post("/_sim/faults", json={"kind": "drop", "times": 0})
    assert bad.status_code == 400
    assert "times" in bad.json()["message"]


# 30. Time ---
def test_manual_clock_is_frozen_until_advanced(api: Api) -> None:
    """Nothing moves on a manual clock until /_sim/clock advances it."""
    start = api.control("GET", "/_sim/clock")["now"]
    assert start == SimConfig().start_epoch
    job_id = api.post(f"{DB}/bookingdate/jobs").json()["jobId"]
    time.sleep(0.05)
    assert api.get(f"{DB}/bookingdate/jobs/{job_id}").json()["job"]["status"] == "ACCEPTED"
    assert api.advance(2.5) == start + 2.5
    assert api.get(f"{DB}/bookingdate/jobs/{job_id}").json()["job"]["status"] == "PROCESSING"
    assert api.http.post("/_sim/clock", json={"advance": -1}).status_code == 400


def test_wall_clock_runs_at_speed() -> None:
    """A wall clock starts at the real time and runs `speed` times faster."""
    sim = Simulator(SimConfig(jobs=0, clock="wall", speed=100))
    a = sim.now()
    assert abs(a - time.time()) < 5
    time.sleep(0.05)
    assert sim.now() - a >= 4
    assert sim.advance(1000) - a >= 1000


def test_outcome_and_config_control_errors(api: Api) -> None:
    """Bad control requests get clear 4xx messages; config reads back."""
    missing = api.http.post("/_sim/outcome", json={"job_id": "nope", "outcome": "failed"})
    assert missing.status_code == 404
    job_id = api.post(f"{DB}/bookingdate/jobs").json()["jobId"]
    wrong = api.http.post("/_sim/outcome", json={"job_id": job_id, "outcome": "exploded"})
    assert wrong.status_code == 400
    unknown = api.http.post("/_sim/config", json={"no_such_flag": True})
    assert unknown.status_code == 400
    assert "no_such_flag" in unknown.json()["message"]
    assert api.http.post("/_sim/config", json={"timestamps": "rfc"}).status_code == 400
    assert api.http.post("/_sim/config", json={"seed": 5}).status_code == 400
    config = api.control("GET", "/_sim/config")
    assert config["client_secret"] == "********"
    assert config["propagation_read_api"] is True
    assert api.configure(propagation_read_api=False)["propagation_read_api"] is False


def test_sim_jobs_groups_every_family(make_api: Callable[..., Api]) -> None:
    """/_sim/jobs returns wire-shaped jobs per family; outcome accepts any family's id."""
    api = make_api(jobs=20)
    jobs = api.control("GET", "/_sim/jobs")
    assert list(jobs) == ["data_backfill", "booking_date", "propagation", "custom_object", "aqua"]
    assert sum(len(v) for v in jobs.values()) == 20
    assert "importType" in jobs["data_backfill"][0]
    assert "Id" in jobs["custom_object"][0]


# Seeding ---
def test_seed_is_reproducible_and_mixed() -> None:
    """Same seed, same jobs; a realistic status mix across the families."""
    a = seeded_simulator(SimConfig(jobs=200, seed=7, clock="manual")).jobs_wire("http://x")
    b = seeded_simulator(SimConfig(jobs=200, seed=7, clock="manual")).jobs_wire("http://x")
    c = seeded_simulator(SimConfig(jobs=200, seed=8, clock="manual")).jobs_wire("http://x")
    assert a == b
    assert a != c
    statuses = {j["status"] for j in a["data_backfill"]}
    assert {"Completed", "Failed", "Processing"} <= statuses
    assert any(j["failureMessage"] for j in a["data_backfill"] if j["status"] == "Failed")
    assert {"completed", "executing"} <= {j["status"] for j in a["aqua"]}
    active_co = [
        j for j in a["custom_object"] if j["status"] in ("accepted", "pending", "in_progress")
    ]
    assert len(active_co) < 5  # the demo can still submit


def test_seed_10000_jobs_is_fast() -> None:
    """Seeding and listing 10,000 jobs stays well under a second each."""
    start = time.perf_counter()
    sim = seeded_simulator(SimConfig(jobs=10_000, clock="manual"))
    seeded = time.perf_counter() - start
    start = time.perf_counter()
    listed = sim.db_list("http://x")
    page = sim.co_list(100, None, None)
    sim.tick()
    listing = time.perf_counter() - start
    assert len(listed) == 2500
    assert page["count"] == 100
    assert seeded < 1.5
    assert listing < 0.5


def test_seed_running_limit_spreads_over_families() -> None:
    """`running=3` leaves three seeded jobs running, each in its own family; the rest end."""
    sim = seeded_simulator(SimConfig(jobs=1_000, clock="manual", running=3))
    wire = sim.jobs_wire("http://x")
    running = {
        "data_backfill": ("Pending", "Processing", "Stopping"),
        "booking_date": ("ACCEPTED", "PROCESSING"),
        "propagation": ("ACCEPTED", "PROCESSING"),
        "custom_object": ("accepted", "pending", "in_progress"),
        "aqua": ("submitted", "executing", "pending"),
    }
    active = {f: sum(j["status"] in running[f] for j in jobs) for f, jobs in wire.items()}
    assert active == {
        "data_backfill": 1,
        "booking_date": 1,
        "propagation": 1,
        "custom_object": 0,
        "aqua": 0,
    }
    assert sum(len(jobs) for jobs in wire.values()) == 1_000
    unlimited = seeded_simulator(SimConfig(jobs=1_000, clock="manual")).jobs_wire("http://x")
    assert sum(j["status"] == "Processing" for j in unlimited["data_backfill"]) > 10
    with pytest.raises(ValueError, match="running"):
        SimConfig(running=-1).validate()


def test_running_seeded_jobs_move_over_time() -> None:
    """Running seeded jobs progress when the clock advances (the demo board moves)."""
    sim = seeded_simulator(SimConfig(jobs=100, clock="manual"))
    before = {j["id"]: j["processedCount"] for j in sim.db_list("x") if j["status"] == "Processing"}
    assert before
    sim.advance(30)
    after = {j["id"]: j["processedCount"] for j in sim.db_list("x")}
    assert all(after[k] > v for k, v in before.items())
    sim.advance(3600)
    assert all(j["status"] != "Processing" for j in sim.db_list("x"))


def test_thread_safe_calls_while_serving(make_api: Callable[..., Api]) -> None:
    """Tests may drive the Simulator from their own thread while requests run."""
    api = make_api(jobs=50)
    sim = api.server.sim
    for _ in range(5):
        sim.advance(10)
        assert api.get(f"{DB}/listjobs").status_code == 200


# Server and CLI ---
def test_server_context_manager_and_fast_stop() -> None:
    """SimServer starts on a real port and stops within a second even with keep-alive."""
    with SimServer(SimConfig(jobs=0, clock="manual")) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert not server.base_url.endswith(":0")
        client = httpx.Client(base_url=server.base_url)
        assert client.post("/oauth/token", data=FORM).status_code == 200
        start = time.monotonic()
    assert time.monotonic() - start < 1.0
    with pytest.raises(httpx.ConnectError):
        client.post("/oauth/token", data=FORM)
    client.close()


CLI = "import sys; from ztui.sim.cli import main; sys.exit(main(sys.argv[1:]))"


def test_cli_serves_until_sigterm() -> None:
    """`ztui sim --port 0`: the URL, the credentials and a pasteable export line; SIGTERM
    exits 0."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI, "--port", "0", "--sim-jobs", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        second = proc.stdout.readline()
        third = proc.stdout.readline()
        export = proc.stdout.readline()
        url = first.split()[-1]
        assert url.startswith("http://127.0.0.1:")
        assert DEMO_CLIENT_ID in second
        assert DEMO_CLIENT_SECRET in third
        # The export line, pasted into a shell, points the headless commands here.
        assert export.startswith("export ")
        values = dict(item.split("=", 1) for item in export.split()[1:])
        assert values == {
            "ZTUI_BASE_URL": url,
            "ZTUI_CLIENT_ID": DEMO_CLIENT_ID,
            "ZTUI_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        }
        form = {
            "client_id": values["ZTUI_CLIENT_ID"],
            "client_secret": values["ZTUI_CLIENT_SECRET"],
            "grant_type": "client_credentials",
        }
        response = httpx.post(values["ZTUI_BASE_URL"] + "/oauth/token", data=form)
        assert response.status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
        if proc.stderr:
            proc.stderr.close()


@pytest.mark.parametrize(
    "args", [["--port", "x"], ["--port", "70000"], ["--sim-speed", "0"], ["--client-id", "short"]]
)
def test_cli_bad_args_exit_2(args: list[str]) -> None:
    """Bad arguments: exit 2 with a one-line message on stderr."""
    result = subprocess.run(
        [sys.executable, "-c", CLI, *args], capture_output=True, text=True, timeout=20, check=False
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("ztui sim:")


def test_cli_refuses_overlong_secret() -> None:
    """A client secret over 42 characters is refused before serving (exit 2)."""
    from ztui.sim.cli import main

    assert main(["--client-secret", "x" * 43]) == 2  # too long: refused before serving


def test_demo_sim_running_reaches_the_simulator() -> None:
    """`ztui --demo --sim-running 3` starts `ztui sim ... --sim-running 3`; unset, no flag."""
    from ztui.cli.launch import build_app_parser
    from ztui.demo import DemoOptions
    from ztui.sim.cli import build_parser

    args = build_app_parser().parse_args(["--demo", "--sim-running", "3"])
    assert args.sim_running == 3
    assert build_app_parser().parse_args(["--demo"]).sim_running is None
    command = DemoOptions(running=3).simulator().command
    assert command[command.index("--sim-running") + 1] == "3"
    assert "--sim-running" not in DemoOptions().simulator().command
    assert build_parser().parse_args(command[command.index("ztui.sim") + 1 :]).sim_running == 3


def test_list_bodies_are_built_a_job_at_a_time_with_the_same_bytes() -> None:
    """The uno list routes encode each job as it is made: the body is byte for byte the
    one encoding the whole list at once gives."""
    from ztui.sim.routes.common import UnoJobsBody, uno_ok

    for quirks in (False, True):
        sim = seeded_simulator(SimConfig(jobs=300, clock="manual", quirks=quirks))
        body = UnoJobsBody()
        sim.db_list_into("http://x", body.add)
        assert body.response().body == uno_ok(jobs=sim.db_list("http://x")).body
        for family in ("booking_date", "propagation"):
            body = UnoJobsBody()
            sim.batch_list_into(family, body.add)
            assert body.response().body == uno_ok(jobs=sim.batch_list(family)).body
    assert UnoJobsBody().response().body == b'{"success":true,"jobs":[]}'
