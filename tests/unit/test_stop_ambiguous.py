"""A stop whose answer was lost is recorded as ambiguous, then settled by re-reading."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.ui.board_harness import make_job
from ztui.api.errors import ApiError, ServerError, TransportError, Unreachable
from ztui.api.models import Family, Job, JobState
from ztui.ops import stop as stop_module
from ztui.ops.stop import perform_stop

pytestmark = pytest.mark.anyio

KEY_JOB = make_job(1, JobState.RUNNING, family=Family.BOOKING_DATE, status="Processing")
KEY = (Family.BOOKING_DATE, KEY_JOB.id)


class FakeClient:
    """Answers re-reads from `reads` in turn; the stop raises `stop_error`."""

    read_only = False

    def __init__(self, reads: list[Job], stop_error: ApiError | None) -> None:
        self.reads = reads
        self.stop_error = stop_error
        self.stops = 0

    async def get_job(self, family: Family, job_id: str) -> Job:
        return self.reads.pop(0) if len(self.reads) > 1 else self.reads[0]

    async def stop_job(self, family: Family, job_id: str) -> Any:
        self.stops += 1
        if self.stop_error is not None:
            raise self.stop_error
        return {"success": True}


class Recorded:
    def __init__(self) -> None:
        self.entries: list[Any] = []

    def append(self, entry: Any) -> None:
        self.entries.append(entry)


@pytest.fixture(autouse=True)
def _no_settle_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stop_module, "SETTLE_DELAY_S", 0.0)


@pytest.mark.parametrize(
    "lost",
    [
        ServerError("Gateway Timeout", status=504),
        TransportError("Connection to host failed: RemoteProtocolError"),
    ],
)
async def test_a_lost_answer_is_settled_by_the_job_stopping(lost: ApiError) -> None:
    stopping = replace(KEY_JOB, status="Stopping", state=JobState.STOPPING)
    client = FakeClient([KEY_JOB, KEY_JOB, stopping], lost)
    journal = Recorded()
    outcome = await perform_stop(client, KEY, journal=journal)
    assert client.stops == 1  # sent once, never again to find out
    assert outcome.sent
    assert outcome.ok
    assert "was lost" in outcome.message
    assert "is now Stopping" in outcome.message
    assert "refused" not in outcome.message
    assert [e.outcome for e in journal.entries] == ["sending", "unknown", "ok"]
    assert len({e.extra["attempt"] for e in journal.entries}) == 1


async def test_a_lost_answer_that_cannot_be_settled_stays_unknown() -> None:
    client = FakeClient([KEY_JOB], ServerError("Gateway Timeout", status=504))
    journal = Recorded()
    outcome = await perform_stop(client, KEY, journal=journal)
    assert client.stops == 1
    assert outcome.sent
    assert not outcome.ok
    assert "may or may not have reached Zuora" in outcome.message
    assert "still shows Processing" in outcome.message
    assert [e.outcome for e in journal.entries] == ["sending", "unknown"]


async def test_no_connection_means_nothing_was_sent() -> None:
    client = FakeClient([KEY_JOB], Unreachable("Cannot connect to h:443: connection refused"))
    journal = Recorded()
    outcome = await perform_stop(client, KEY, journal=journal)
    assert not outcome.sent
    assert not outcome.ok
    assert "was not sent" in outcome.message
    assert [e.outcome for e in journal.entries] == ["sending", "error"]


async def test_a_read_only_client_writes_no_journal_line() -> None:
    client = FakeClient([KEY_JOB], None)
    client.read_only = True
    journal = Recorded()
    outcome = await perform_stop(client, KEY, journal=journal)
    assert not outcome.sent
    assert client.stops == 0
    assert journal.entries == []
