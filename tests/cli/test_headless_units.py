"""Pure parts of the headless commands: durations, exit codes, id shapes, filters, output."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ztui.api.models import Family, Job, JobState
from ztui.cli.args import parse_duration
from ztui.cli.headless import build_parser
from ztui.cli.headless.commands import board_order, confirm_stop, state_matcher
from ztui.cli.headless.connection import CommandError, candidate_families, parse_family
from ztui.cli.headless.exitcodes import EXIT_STATUS_HELP, PRECEDENCE, ExitCode, combine
from ztui.cli.headless.output import final_line, job_to_dict, jobs_table

from .helpers import Sim, Ztui

HEX = "0123456789abcdef0123456789abcdef"
UUID = "a9e9a58d-0a11-4685-b1ab-99521dbc20a1"
T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def _job(
    job_id: str = HEX,
    state: JobState = JobState.RUNNING,
    *,
    family: Family = Family.DATA_BACKFILL,
    minutes: float | None = 0,
    status: str | None = None,
    message: str | None = None,
    raw: Mapping[str, object] | None = None,
) -> Job:
    return Job(
        family=family,
        id=job_id,
        kind="RatePlanCharge",
        status=status or state.value,
        state=state,
        progress=0.5,
        created_at=None if minutes is None else T0 + timedelta(minutes=minutes),
        message=message,
        raw=raw or {"id": job_id},
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90.0),
        ("90s", 90.0),
        ("15m", 900.0),
        ("1.5h", 5400.0),
        ("2d", 172800.0),
        ("1W", 604800.0),
        ("0.2", 0.2),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    """Durations take seconds or a unit suffix."""
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "-5", "0", "5y", "1h30m"])
def test_parse_duration_rejects(text: str) -> None:
    """Anything else is a usage error naming the value."""
    with pytest.raises(argparse.ArgumentTypeError):
        parse_duration(text)


def test_exit_codes_are_distinct_and_documented() -> None:
    """Every outcome has its own code, and `--help` documents each one."""
    codes = [c.value for c in ExitCode]
    assert len(codes) == len(set(codes))
    for code in (*PRECEDENCE, ExitCode.USAGE, ExitCode.INTERRUPTED):
        assert f"  {code.value} " in EXIT_STATUS_HELP


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ([], ExitCode.OK),
        ([ExitCode.OK, ExitCode.OK], ExitCode.OK),
        ([ExitCode.OK, ExitCode.TIMEOUT], ExitCode.TIMEOUT),
        ([ExitCode.TIMEOUT, ExitCode.CANCELLED], ExitCode.CANCELLED),
        ([ExitCode.CANCELLED, ExitCode.FAILED, ExitCode.OK], ExitCode.FAILED),
        ([ExitCode.FAILED, ExitCode.NOT_FOUND], ExitCode.NOT_FOUND),
        ([ExitCode.NOT_FOUND, ExitCode.AUTH], ExitCode.AUTH),
    ],
)
def test_combine_takes_the_most_urgent(codes: list[ExitCode], expected: ExitCode) -> None:
    """Several jobs: the first outcome of the precedence table wins."""
    assert combine(codes) is expected


def test_candidate_families_from_id_shape() -> None:
    """A UUID is a custom-object job; 32 hex tries the uno families, then AQuA."""
    assert candidate_families(UUID, None) == (Family.CUSTOM_OBJECT,)
    assert candidate_families(HEX, None) == (
        Family.DATA_BACKFILL,
        Family.BOOKING_DATE,
        Family.PROPAGATION,
        Family.AQUA,
    )
    assert candidate_families(HEX.upper(), Family.AQUA) == (Family.AQUA,)


def test_candidate_families_errors() -> None:
    """A malformed id is a usage error; a shape that cannot fit --family is not found."""
    with pytest.raises(CommandError) as bad:
        candidate_families("12345", None)
    assert bad.value.code is ExitCode.USAGE
    assert "12345" in bad.value.message
    with pytest.raises(CommandError) as wrong:
        candidate_families(UUID, Family.AQUA)
    assert wrong.value.code is ExitCode.NOT_FOUND


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("data_backfill", Family.DATA_BACKFILL),
        ("Data-Backfill", Family.DATA_BACKFILL),
        ("booking", Family.BOOKING_DATE),
        ("auto-backfill", Family.PROPAGATION),
        ("co", Family.CUSTOM_OBJECT),
        ("AQUA", Family.AQUA),
    ],
)
def test_parse_family(text: str, family: Family) -> None:
    """`--family` takes the enum values and a few obvious spellings."""
    assert parse_family(text) is family


def test_parse_family_rejects_unknown() -> None:
    """An unknown family lists the valid ones."""
    with pytest.raises(argparse.ArgumentTypeError, match="custom_object"):
        parse_family("payments")


def test_state_matcher() -> None:
    """`--state` matches normalised states, groups and raw statuses, case-insensitively."""
    running = _job(state=JobState.RUNNING, status="Processing")
    done = _job(state=JobState.SUCCEEDED, status="Completed")
    failed = _job(state=JobState.FAILED, status="aborted", family=Family.AQUA)
    assert [state_matcher(["running"])(j) for j in (running, done, failed)] == [True, False, False]
    assert [state_matcher(["finished"])(j) for j in (running, done, failed)] == [False, True, True]
    assert [state_matcher(["ABORTED"])(j) for j in (running, done, failed)] == [False, False, True]
    assert state_matcher(["active"])(running)


def test_board_order_newest_first_undated_last() -> None:
    """Jobs come newest first; jobs without a creation time go last, by family and id."""
    old = _job("a" * 32, minutes=0)
    new = _job("b" * 32, minutes=5)
    undated_co = _job(UUID, minutes=None, family=Family.CUSTOM_OBJECT)
    undated_db = _job("c" * 32, minutes=None)
    assert [j.id for j in board_order([old, undated_co, new, undated_db])] == [
        new.id,
        old.id,
        undated_db.id,
        undated_co.id,
    ]


def test_job_to_dict_is_json_with_raw() -> None:
    """JSON output keeps normalised fields and the raw job."""
    data = job_to_dict(_job(raw={"id": HEX, "status": "Processing", "nested": {"a": [1]}}))
    text = json.dumps(data)
    back = json.loads(text)
    assert back["family"] == "data_backfill"
    assert back["state"] == "running"
    assert back["terminal"] is False
    assert back["created_at"] == "2026-01-15T12:00:00Z"
    assert back["raw"]["nested"] == {"a": [1]}


def test_jobs_table_and_final_line() -> None:
    """The plain table has a header and a row per job; a final line names the outcome."""
    job = _job(message="boom\nsecond line")
    table = jobs_table([job]).splitlines()
    assert table[0].split()[:3] == ["Family", "Id", "Kind"]
    assert HEX in table[1]
    assert "boom second line" in table[1]
    line = final_line(HEX, "failed", job)
    assert line.startswith(f"{HEX}  failed  family=data_backfill status=running")


class _Profile:
    def __init__(self, production: bool) -> None:
        self.needs_typed_confirm = production
        self.confirm_phrase = "acme"
        self.name = "prod" if production else "dev"


class _Conn:
    def __init__(self, production: bool = False) -> None:
        self.profile = _Profile(production)


@pytest.mark.parametrize(
    ("production", "answer", "ok"),
    [
        (False, "y", True),
        (False, "YES", True),
        (False, "", False),
        (False, "n", False),
        (True, "acme", True),
        (True, "y", False),
    ],
)
def test_confirm_stop_on_a_terminal(production: bool, answer: str, ok: bool) -> None:
    """On a terminal the user answers y (or types the tenant name on production)."""
    prompts: list[str] = []

    def read(prompt: str) -> str:
        prompts.append(prompt)
        return answer

    conn = _Conn(production)
    job = _job()
    if ok:
        confirm_stop(conn, job, assume_yes=False, isatty=lambda: True, read=read)  # type: ignore[arg-type]
    else:
        with pytest.raises(CommandError) as refused:
            confirm_stop(conn, job, assume_yes=False, isatty=lambda: True, read=read)  # type: ignore[arg-type]
        assert refused.value.code is ExitCode.REFUSED
    assert len(prompts) == 1
    assert HEX in prompts[0] or "acme" in prompts[0]


def test_confirm_stop_without_terminal_needs_yes() -> None:
    """Without a terminal, --yes is required (not confirmed: exit 8, nothing sent), and --yes
    skips the prompt."""
    job = _job()
    with pytest.raises(CommandError) as needs_yes:
        confirm_stop(_Conn(), job, assume_yes=False, isatty=lambda: False)  # type: ignore[arg-type]
    assert needs_yes.value.code is ExitCode.REFUSED
    assert "--yes" in needs_yes.value.message
    confirm_stop(_Conn(), job, assume_yes=True, isatty=lambda: False)  # type: ignore[arg-type]


@pytest.mark.parametrize("command", ["jobs", "show", "errors", "stop", "watch"])
def test_parsers_share_connection_options(command: str) -> None:
    """Every command takes --profile, --base-url and --read-only like the app."""
    parser = build_parser(command)
    args = ["x" * 32] if command != "jobs" else []
    ns = parser.parse_args([*args, "--profile", "p", "--base-url", "http://h", "--read-only"])
    assert ns.profile == "p"
    assert ns.base_url == "http://h"
    assert ns.read_only is True


def test_an_unknown_state_is_a_usage_error_with_the_known_ones() -> None:
    with pytest.raises(CommandError) as caught:
        state_matcher(["runing"])
    assert caught.value.code is ExitCode.USAGE
    assert "Did you mean 'running'?" in caught.value.message
    assert "active" in caught.value.message
    # A family's own status is a valid word too.
    running = _job(state=JobState.RUNNING)
    assert state_matcher(["PROCESSING", "in_progress"])(replace(running, status="Processing"))


def test_jobs_with_a_misspelt_state_exits_2_before_polling(slow_sim: Sim, ztui: Ztui) -> None:
    before = len(slow_sim.requests())
    result = ztui.run("jobs", "--state", "runing")
    assert result.code == 2, result.err
    assert "is not a state" in result.err
    assert len(slow_sim.requests()) == before


def test_a_list_cut_at_the_page_limit_is_in_the_meta() -> None:
    from ztui.cli.headless.commands import left_out_of
    from ztui.service.snapshot import FamilyStatus, JobSnapshot

    snapshot = JobSnapshot(
        seq=1,
        jobs={},
        families={
            Family.CUSTOM_OBJECT: FamilyStatus(Family.CUSTOM_OBJECT, "ok", truncated=4_000),
            Family.AQUA: FamilyStatus(Family.AQUA, "ok"),
        },
    )
    (item,) = left_out_of(snapshot, 0, 7 * 86400)
    assert item["reason"] == "pages"
    assert item["family"] == "custom_object"
    assert item["count"] is None  # the list has no total
    assert "4,000 jobs" in item["detail"]
    assert item["how_to_see"] == "ztui jobs --family custom_object --all"
