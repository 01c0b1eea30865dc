"""A journal that cannot be written is said on stderr, not only in a log on the same disk."""

from __future__ import annotations

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
