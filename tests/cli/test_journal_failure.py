"""A journal that cannot be written is said on stderr, not only in a log on the same disk."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ztui.api.models import Family
from ztui.core.paths import journal_path

from .helpers import Sim, Ztui, no_traceback


def test_stop_is_not_sent_when_the_journal_cannot_record_it(slow_sim: Sim, ztui: Ztui) -> None:
    (job_id,) = slow_sim.create(Family.CUSTOM_OBJECT)
    path = journal_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir()  # the journal cannot be opened for writing
    before = [r for r in slow_sim.requests() if r.get("method") == "PATCH"]
    result = ztui.run("stop", job_id, "--yes")
    no_traceback(result)
    # A write ztui cannot record is not made: exit 1, and nothing was sent.
    assert result.code == 1, result.err
    assert "warning: The journal" in result.err
    assert "could not record the cancel" in result.err
    assert "it was not sent" in result.err
    assert [r for r in slow_sim.requests() if r.get("method") == "PATCH"] == before


def test_a_stop_whose_answer_was_lost_is_settled_not_called_refused(
    slow_sim: Sim, ztui: Ztui
) -> None:
    from ztui.store.journal import Journal

    (job_id,) = slow_sim.create(Family.BOOKING_DATE)
    slow_sim.advance(5)  # past Pending: the job is processing
    # The stop is carried out, then the gateway answers 504 (the answer is lost); a stop
    # carries no idempotency key, so the client does not send it again.
    route = f"PUT /v1/uno/data-backfill/bookingdate/jobs/{job_id}"
    slow_sim.fault(route=route, kind="status", status=504, times=1)
    result = ztui.run("stop", job_id, "--yes")
    no_traceback(result)
    assert result.code == 0, result.err
    assert "was lost" in result.out
    assert "refused" not in result.out + result.err
    outcomes = [e.outcome for e in Journal().read() if e.job_id == job_id]
    assert outcomes == ["sending", "unknown", "ok"]


def test_jobs_warns_of_a_write_an_earlier_run_left_open(slow_sim: Sim, ztui: Ztui) -> None:
    from ztui.store.journal import Journal, JournalEntry

    Journal().append(
        JournalEntry(
            family="aqua",
            action="create",
            profile="default",
            host=slow_sim.url,
            outcome="sending",
            extra={"attempt": "c" * 32},
        )
    )
    result = ztui.run("jobs")
    no_traceback(result)
    assert result.code == 0, result.err
    assert "create of aqua job (id not known yet)" in result.err
    assert "in flight when ztui stopped" in result.err


def test_jobs_settles_a_create_an_earlier_run_left_in_flight(
    make_sim: Callable[..., Any],
) -> None:
    import time
    from datetime import UTC, datetime

    from ztui.store.journal import Journal, JournalEntry

    from .helpers import SLOW_SIM

    # The simulator's clock starts now, as a tenant's does.
    slow_sim = Sim(make_sim(**SLOW_SIM, start_epoch=time.time()))
    ztui = Ztui(slow_sim)
    now = datetime.fromtimestamp(slow_sim.http.get("/_sim/clock").json()["now"], UTC)
    Journal().append(
        JournalEntry(
            family="booking_date",
            action="create",
            at=now.isoformat(timespec="seconds"),
            profile="default",
            host=slow_sim.url,
            outcome="sending",
            extra={"attempt": "e" * 32},
        )
    )
    (job_id,) = slow_sim.create(Family.BOOKING_DATE)  # what the create in flight made
    result = ztui.run("jobs")
    no_traceback(result)
    assert result.code == 0, result.err
    assert f"settled: The booking date create reached Zuora: it made job {job_id}" in result.err
    assert "in flight when ztui stopped" not in result.err
    lines = [e for e in Journal().read() if e.extra.get("attempt") == "e" * 32]
    assert [(e.outcome, e.job_id) for e in lines] == [("sending", None), ("ok", job_id)]
    # Settled once: the next listing has nothing to say about it.
    again = ztui.run("jobs")
    assert "settled" not in again.err
