"""The start-up pause of the cyclic garbage collector."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from ztui.core import gcpause


@pytest.fixture
def collector() -> Iterator[None]:
    """Leave the collector as the test found it: enabled, nothing frozen by the test."""
    yield
    gcpause.resume()
    gc.unfreeze()
    gc.enable()


def test_pause_then_resume_freezes_survivors(collector: None) -> None:
    gc.unfreeze()
    gcpause.pause()
    assert not gc.isenabled()
    assert gcpause.is_paused()
    gcpause.resume()
    assert gc.isenabled()
    assert not gcpause.is_paused()
    assert gc.get_freeze_count() > 0


def test_resume_without_pause_changes_nothing(collector: None) -> None:
    gc.unfreeze()
    gcpause.resume()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_pause_leaves_a_collector_someone_else_disabled_alone(collector: None) -> None:
    gc.disable()
    gcpause.pause()
    assert not gcpause.is_paused()
    gcpause.resume()
    assert not gc.isenabled()  # not ours to turn back on
