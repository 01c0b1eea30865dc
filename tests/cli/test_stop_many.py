"""`ztui stop ID ID ...`: one confirmation, the unstoppable ones apart, each sent once."""

from __future__ import annotations

import io
from contextlib import redirect_stderr
from typing import Any

import pytest

from ztui.api.models import Family
from ztui.cli.headless.commands import confirm_stops
from ztui.cli.headless.connection import CommandError
from ztui.cli.headless.exitcodes import ExitCode
from ztui.store.journal import Journal

from .helpers import Sim, Ztui, no_traceback
from .test_headless_units import _job

UNKNOWN = "00000000-0000-4000-8000-00000000beef"


def _cancels(sim: Sim) -> list[dict[str, Any]]:
    return [r for r in sim.requests() if r.get("method") == "PATCH"]


def test_several_jobs_are_stopped_each_once_and_the_rest_listed_apart(
    slow_sim: Sim, ztui: Ztui
) -> None:
    a, b, done = slow_sim.create(Family.CUSTOM_OBJECT, 3)
    assert ztui.run("stop", done, "--yes").code == 0  # now cancelled: not stoppable
    before = len(_cancels(slow_sim))
    result = ztui.run("stop", a, b, done, UNKNOWN, a, "--yes")
    no_traceback(result)
    assert result.code == ExitCode.NOT_FOUND, result.err
    sent = _cancels(slow_sim)[before:]
    assert sorted(r["path"] for r in sent) == sorted(
        f"/objects/jobs/{job_id}/cancel" for job_id in (a, b)
    )
    assert f"{done}: not sent" in result.err
    assert f"{UNKNOWN}: not sent" in result.err
    assert "2 of 4 job(s) stopped or cancelled" in result.err
    cancels = [e for e in Journal().read() if e.action == "cancel" and e.job_id in (a, b)]
    assert sorted(e.outcome for e in cancels) == ["ok", "ok", "sending", "sending"]


def test_without_a_terminal_the_batch_needs_yes_and_sends_nothing(
    slow_sim: Sim, ztui: Ztui
) -> None:
    a, b = slow_sim.create(Family.CUSTOM_OBJECT, 2)
    before = len(_cancels(slow_sim))
    result = ztui.run("stop", a, b)
    assert result.code == ExitCode.REFUSED
    assert "pass --yes" in result.err
    assert len(_cancels(slow_sim)) == before


class _Profile:
    def __init__(self, production: bool) -> None:
        self.needs_typed_confirm = production
        self.confirm_phrase = "acme"
        self.name = "prod" if production else "dev"


class _Conn:
    def __init__(self, production: bool) -> None:
        self.profile = _Profile(production)


@pytest.mark.parametrize(
    ("production", "answer", "ok"), [(False, "y", True), (True, "y", False), (True, "acme", True)]
)
def test_one_confirmation_lists_every_job_and_asks_the_phrase_once(
    production: bool, answer: str, ok: bool
) -> None:
    jobs = [_job(), _job()]
    asked: list[str] = []

    def read(prompt: str) -> str:
        asked.append(prompt)
        return answer

    conn: Any = _Conn(production)
    err = io.StringIO()
    with redirect_stderr(err):
        if ok:
            confirm_stops(conn, jobs, assume_yes=False, isatty=lambda: True, read=read)
        else:
            with pytest.raises(CommandError):
                confirm_stops(conn, jobs, assume_yes=False, isatty=lambda: True, read=read)
    assert len(asked) == 1
    assert "About to stop or cancel 2 jobs" in err.getvalue()
    assert err.getvalue().count(jobs[0].id) == 2
