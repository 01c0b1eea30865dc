"""`ztui watch` in the cases CI cares about: timeouts, typos, bad credentials, a flaky
server, several jobs at once, unknown statuses and Ctrl-C."""

from __future__ import annotations

import signal
import time

import pytest

from ztui.api.models import Family

from .helpers import ClockPump, Sim, Ztui, finish, no_traceback, wait_first_line

FAST = ("--interval", "0.2")
UNKNOWN_HEX = "0123456789abcdef0123456789abcdef"
UNKNOWN_UUID = "a9e9a58d-0a11-4685-b1ab-99521dbc20a1"


def test_timeout(slow_sim: Sim, ztui: Ztui) -> None:
    """A job that does not finish in time: code 5 with --exit-status, 0 without."""
    [job_id] = slow_sim.create(Family.BOOKING_DATE)
    on, off = ztui.run_all(
        [
            ("watch", job_id, "--exit-status", "--timeout", "1", *FAST),
            ("watch", job_id, "--timeout", "1", "--quiet", *FAST),
        ]
    )
    for result in (on, off):
        no_traceback(result)
        assert result.lines[-1].startswith(f"{job_id}  timeout  family=booking_date")
        assert "after 1 s" in result.lines[-1]
    assert on.code == 5
    assert off.code == 0
    assert len(off.lines) == 1  # --quiet: only the final line


@pytest.mark.parametrize("exit_status", [True, False])
def test_unknown_ids(ztui: Ztui, exit_status: bool) -> None:
    """Ids no family knows: code 6 either way, a final line each, no waiting."""
    flag = ("--exit-status",) if exit_status else ()
    started = time.monotonic()
    result = ztui.run("watch", UNKNOWN_HEX, UNKNOWN_UUID, *flag, *FAST, "--timeout", "20")
    no_traceback(result)
    assert result.code == 6
    assert time.monotonic() - started < 15
    assert result.lines[0].startswith(f"{UNKNOWN_HEX}  not-found  job {UNKNOWN_HEX} not found")
    assert result.lines[1].startswith(f"{UNKNOWN_UUID}  not-found")


def test_unknown_id_with_a_real_one_ends_at_once(slow_sim: Sim, ztui: Ztui) -> None:
    """A typo among real ids decides the outcome: the watch stops instead of waiting."""
    [job_id] = slow_sim.create(Family.DATA_BACKFILL)
    result = ztui.run("watch", job_id, UNKNOWN_HEX, "--exit-status", *FAST, "--timeout", "20")
    assert result.code == 6
    finals = {line.split()[0]: line.split()[1] for line in result.lines if "  " in line}
    assert finals[UNKNOWN_HEX] == "not-found"
    assert f"{job_id}  unwatched" in result.out


@pytest.mark.parametrize(
    "args", [("not-a-job-id",), ("--interval", "soon", UNKNOWN_HEX), ("--family", "x", UNKNOWN_HEX)]
)
def test_usage_errors(ztui: Ztui, args: tuple[str, ...]) -> None:
    """Malformed ids and options: one line on stderr, code 2, nothing on stdout."""
    result = ztui.run("watch", *args, "--exit-status")
    assert result.code == 2
    assert result.out == ""
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert result.err.startswith("ztui watch")


def test_bad_credentials(slow_sim: Sim, ztui: Ztui) -> None:
    """Refused credentials: code 7, one clear error, and the secret is never printed."""
    [job_id] = slow_sim.create(Family.BOOKING_DATE)
    secret = "not-the-secret-4711"
    for flag in (("--exit-status",), ()):
        result = ztui.run("watch", job_id, *flag, *FAST, env={"ZTUI_CLIENT_SECRET": secret})
        no_traceback(result)
        assert result.code == 7
        assert "Authentication" in result.err or "credentials" in result.err
        assert secret not in result.err + result.out


def test_missing_credentials_is_a_config_error(slow_sim: Sim, ztui: Ztui) -> None:
    """No client secret at all: a configuration error (2) that says how to fix it."""
    result = ztui.run("watch", UNKNOWN_HEX, env={"ZTUI_CLIENT_SECRET": ""})
    assert result.code == 2
    assert "ZTUI_CLIENT_SECRET" in result.err


def test_broken_config_file(ztui: Ztui, tmp_path: object) -> None:
    """An unreadable config.toml: code 2 with one line naming the file."""
    import pathlib

    path = pathlib.Path(str(tmp_path)) / "broken.toml"
    path.write_text("[profiles.x\n", encoding="utf-8")
    result = ztui.run("watch", UNKNOWN_HEX, env={"ZTUI_CONFIG": str(path)})
    assert result.code == 2
    assert str(path) in result.err
    assert len(result.err.strip().splitlines()) == 1, result.err


@pytest.mark.parametrize(
    ("family", "route"),
    [
        (Family.DATA_BACKFILL, "GET /v1/uno/*-backfill/listjobs"),
        (Family.CUSTOM_OBJECT, "GET /objects/jobs"),
        (Family.AQUA, "GET /v1/batch-query/jobs/*"),
    ],
    ids=["data_backfill", "custom_object", "aqua"],
)
def test_transient_errors_never_end_the_watch(
    slow_sim: Sim, ztui: Ztui, family: Family, route: str
) -> None:
    """503s and dropped connections during a watch are retried and reported once."""
    [job_id] = slow_sim.create(family)
    slow_sim.advance(3)
    proc = ztui.start("watch", job_id, "--exit-status", *FAST, "--timeout", "40")
    wait_first_line(proc)
    # More failures than the client's own retries, so the watch itself sees them.
    slow_sim.fault(kind="status", status=503, route=route, times=5)
    slow_sim.fault(kind="drop", route=route, times=5)
    time.sleep(1.5)
    slow_sim.outcome(job_id, "completed")
    with ClockPump(slow_sim, step=2.0):
        result = finish(proc, timeout=40)
    no_traceback(result)
    assert result.code == 0, result
    assert result.lines[-1].startswith(f"{job_id}  succeeded")
    warnings = [line for line in result.err.splitlines() if "warning" in line]
    assert warnings, result.err
    assert any("503" in line for line in warnings), result.err
    # Once per change of what is wrong, not once per failed poll.
    assert len(warnings) <= 4, result.err


def test_several_ids_mixed_outcomes(slow_sim: Sim, ztui: Ztui) -> None:
    """Jobs of several families end differently: one final line each, the worst code."""
    [db] = slow_sim.create(Family.DATA_BACKFILL)
    [co] = slow_sim.create(Family.CUSTOM_OBJECT)
    [aq] = slow_sim.create(Family.AQUA)
    [bd] = slow_sim.create(Family.BOOKING_DATE)
    slow_sim.advance(3)
    procs = [
        ztui.start("watch", db, co, aq, bd, "--exit-status", *FAST, "--timeout", "30"),
        ztui.start("watch", db, co, bd, "--exit-status", *FAST, "--timeout", "30"),
        ztui.start("watch", db, co, aq, bd, *FAST, "--timeout", "30"),
    ]
    for proc in procs:
        wait_first_line(proc)
    time.sleep(1.0)  # every watch has resolved its jobs
    slow_sim.outcome(db, "completed")
    slow_sim.outcome(co, "cancelled")
    slow_sim.outcome(aq, "aborted")
    slow_sim.outcome(bd, "completed")
    with ClockPump(slow_sim):
        worst, no_failure, plain = (finish(p) for p in procs)
    assert worst.code == 3  # a failure outranks a cancellation
    assert no_failure.code == 4
    assert plain.code == 0
    for result, ids in (
        (worst, (db, co, aq, bd)),
        (no_failure, (db, co, bd)),
        (plain, (db, co, aq, bd)),
    ):
        no_traceback(result)
        finals = {line.split()[0]: line.split()[1] for line in result.lines if line.startswith(ids)}
        expected = {db: "succeeded", co: "cancelled", aq: "failed", bd: "succeeded"}
        for job_id in ids:
            assert finals[job_id] == expected[job_id], result.out


def test_unknown_status_keeps_watching_and_warns_once(slow_sim: Sim, ztui: Ztui) -> None:
    """A status ztui does not know (booking STOPPING) is shown, warned about once, and
    the watch goes on to the real end."""
    slow_sim.configure(unknown_statuses=True, bd_stop_s=30)
    [job_id] = slow_sim.create(Family.BOOKING_DATE)
    slow_sim.advance(3)
    proc = ztui.start("watch", job_id, "--exit-status", "--interval", "0.1", "--timeout", "30")
    wait_first_line(proc)
    assert ztui.run("stop", job_id, "--yes").code == 0
    time.sleep(1.0)  # several polls see STOPPING
    with ClockPump(slow_sim, step=5.0):
        result = finish(proc)
    no_traceback(result)
    assert result.code == 4
    assert "STOPPING" in result.out
    assert result.lines[-1].startswith(f"{job_id}  stopped  family=booking_date status=STOPPED")
    warnings = [line for line in result.err.splitlines() if "STOPPING" in line]
    assert len(warnings) == 1, result.err


def test_sigint_exits_130_cleanly(slow_sim: Sim, ztui: Ztui) -> None:
    """Ctrl-C during a watch: exit 130, one line, no traceback."""
    [job_id] = slow_sim.create(Family.PROPAGATION)
    proc = ztui.start("watch", job_id, "--exit-status", *FAST)
    wait_first_line(proc)
    proc.send_signal(signal.SIGINT)
    result = finish(proc, timeout=10)
    no_traceback(result)
    assert result.code == 130
    assert result.err.strip().endswith("interrupted")


def test_help_documents_the_exit_codes(ztui: Ztui) -> None:
    """`ztui watch --help` carries the exit-code table scripts rely on."""
    result = ztui.run("watch", "--help")
    assert result.code == 0
    for row in (
        "7    authentication",
        "6    a job id",
        "3    a job failed",
        "4    a job was",
        "5    --timeout",
        "0    every job",
        "2    usage",
        "130  interrupted",
    ):
        assert row in result.out


def test_unreadable_answer_is_an_error_not_a_hang(slow_sim: Sim, ztui: Ztui) -> None:
    """A job answer ztui cannot read: final line `error`, code 1, no traceback."""
    [job_id] = slow_sim.create(Family.BOOKING_DATE)
    slow_sim.fault(kind="malformed", route=f"GET /v1/uno/data-backfill/bookingdate/jobs/{job_id}")
    result = ztui.run("watch", job_id, "--exit-status", *FAST, "--timeout", "20")
    no_traceback(result)
    assert result.code == 1, result
    assert result.lines[-1].startswith(f"{job_id}  error")
