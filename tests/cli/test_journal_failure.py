"""A journal that cannot be written is said on stderr, not only in a log on the same disk."""

from __future__ import annotations

from ztui.api.models import Family
from ztui.core.paths import journal_path

from .helpers import Sim, Ztui, no_traceback


def test_stop_says_when_the_journal_could_not_record_it(slow_sim: Sim, ztui: Ztui) -> None:
    (job_id,) = slow_sim.create(Family.CUSTOM_OBJECT)
    path = journal_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir()  # the journal cannot be opened for writing
    result = ztui.run("stop", job_id, "--yes")
    no_traceback(result)
    assert result.code == 0, result.err  # the cancel itself went through
    assert "warning: The journal" in result.err
    assert "not on record" in result.err
    assert job_id in result.err
