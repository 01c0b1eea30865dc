"""`ztui watch` ends on every terminal state of every family, with the documented codes.

One test per family. Every ending is applied to two jobs: one finishes before its watch
starts (the watch must answer for it at once) and one while the watch runs. Each pair is
watched with `--exit-status` (the ending's own code); all jobs are also watched together
without it (0). The `stop` endings go through `ztui stop --yes`.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

import pytest

from ztui.api.models import Family

from .helpers import ClockPump, Sim, Ztui, finish, no_traceback


@dataclass(frozen=True)
class Ending:
    """How a job is made to end, and what `watch` must say about it."""

    how: str
    """A `/_sim/outcome` name, or `stop` for `ztui stop --yes`."""
    status: str
    """The raw status the job ends with."""
    word: str
    """The outcome word of the final line."""
    code: int
    """The `--exit-status` code."""


OK, FAILED, CANCELLED = 0, 3, 4

ENDINGS: dict[Family, list[Ending]] = {
    Family.DATA_BACKFILL: [
        Ending("completed", "Completed", "succeeded", OK),
        Ending("failed", "Failed", "failed", FAILED),
        Ending("aborted", "Failed", "failed", FAILED),
        Ending("cancelled", "Canceled", "cancelled", CANCELLED),
        Ending("stop", "Stopped", "stopped", CANCELLED),
    ],
    Family.BOOKING_DATE: [
        Ending("completed", "COMPLETED", "succeeded", OK),
        Ending("failed", "FAILED", "failed", FAILED),
        Ending("stop", "STOPPED", "stopped", CANCELLED),
    ],
    Family.PROPAGATION: [
        Ending("completed", "COMPLETED", "succeeded", OK),
        Ending("failed", "FAILED", "failed", FAILED),
        Ending("stop", "STOPPED", "stopped", CANCELLED),
    ],
    Family.CUSTOM_OBJECT: [
        Ending("completed", "completed", "succeeded", OK),
        Ending("failed", "failed", "failed", FAILED),
        Ending("cancelled", "cancelled", "cancelled", CANCELLED),
        Ending("stop", "cancelled", "cancelled", CANCELLED),
    ],
    Family.AQUA: [
        Ending("completed", "completed", "succeeded", OK),
        Ending("aborted", "aborted", "failed", FAILED),
        Ending("error", "error", "failed", FAILED),
        Ending("cancelled", "cancelled", "cancelled", CANCELLED),
        Ending("stop", "cancelled", "cancelled", CANCELLED),
    ],
}

WATCH = ("--interval", "0.2", "--timeout", "30")


def _end_jobs(sim: Sim, ztui: Ztui, endings: list[Ending], ids: list[str]) -> None:
    stops = []
    for ending, job_id in zip(endings, ids, strict=True):
        if ending.how == "stop":
            stops.append(("stop", job_id, "--yes"))
        else:
            sim.outcome(job_id, ending.how)
    for result in ztui.run_all(stops):
        assert result.code == 0, result.err
        assert result.out.startswith(("Stop requested:", "Cancelled:")), result.out


def _final(out: str, job_id: str) -> str:
    finals = [line for line in out.splitlines() if line.startswith(f"{job_id}  ")]
    assert len(finals) == 1, out
    return finals[0]


def _check_final(out: str, job_id: str, family: Family, ending: Ending) -> None:
    expected = f"{job_id}  {ending.word}  family={family.value} status={ending.status}"
    assert _final(out, job_id).startswith(expected), out


def _read_until_watching(proc: subprocess.Popen[str], job_id: str) -> str:
    """Read stdout until the watch has printed the running job's first line."""
    assert proc.stdout is not None
    seen = ""
    while True:
        line = proc.stdout.readline()
        assert line, f"the watch ended early:\n{seen}"
        seen += line
        if job_id in line:
            return seen


@pytest.mark.parametrize("family", list(ENDINGS), ids=lambda f: f.value)
def test_every_terminal_state(family: Family, slow_sim: Sim, ztui: Ztui) -> None:
    """Finished before or during the watch, each ending gives its line and its code."""
    endings = ENDINGS[family]
    done = slow_sim.create(family, len(endings))
    running = slow_sim.create(family, len(endings))
    _end_jobs(slow_sim, ztui, endings, done)
    slow_sim.advance(6)  # past validation/acceptance and the data-backfill stop delay

    pairs = [
        ztui.start("watch", d, r, "--exit-status", *WATCH)
        for d, r in zip(done, running, strict=True)
    ]
    together = ztui.start("watch", *done, *running, *WATCH)
    # Wait until every watch shows the running jobs, then end them, so the watch sees
    # them finish rather than finding them finished.
    early = [_read_until_watching(p, r) for p, r in zip(pairs, running, strict=True)]
    early_together = _read_until_watching(together, running[-1])
    _end_jobs(slow_sim, ztui, endings, running)
    with ClockPump(slow_sim):
        results = [finish(p) for p in pairs]
        result_together = finish(together)

    for ending, d, r, seen, result in zip(endings, done, running, early, results, strict=True):
        no_traceback(result)
        assert result.code == ending.code, (ending, result)
        # The already-finished job was answered before the running one was ended.
        _check_final(seen, d, family, ending)
        _check_final(seen + result.out, r, family, ending)
        assert ending.status not in seen.split(f"{r}  ", 1)[1].split("\n", 1)[0].split()
    no_traceback(result_together)
    assert result_together.code == 0, result_together
    for ending, d, r in zip(endings, done, running, strict=True):
        _check_final(early_together, d, family, ending)
        _check_final(early_together + result_together.out, r, family, ending)


def test_a_malformed_token_answer_does_not_end_a_watch(slow_sim: Sim, ztui: Ztui) -> None:
    """A bad answer from /oauth/token is as passing as a 503: the watch carries on."""
    (job_id,) = slow_sim.create(Family.AQUA)
    slow_sim.fault(route="POST /oauth/token", kind="malformed", times=2)
    proc = ztui.start("watch", job_id, "--exit-status", *WATCH)
    slow_sim.outcome(job_id, "completed")
    with ClockPump(slow_sim):
        result = finish(proc)
    no_traceback(result)
    assert result.code == 0, result
    assert f"{job_id}  succeeded" in result.out
    assert "access_token" in result.err  # reported as a passing problem, once
