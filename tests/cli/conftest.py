"""Fixtures for the headless-command tests: a slow loopback simulator and a runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .helpers import SLOW_SIM, Sim, Ztui


@pytest.fixture
def slow_sim(make_sim: Callable[..., Any]) -> Iterator[Sim]:
    """A simulator whose jobs never finish on their own."""
    sim = Sim(make_sim(**SLOW_SIM))
    yield sim
    sim.close()


@pytest.fixture
def ztui(slow_sim: Sim) -> Ztui:
    """A runner connected to `slow_sim`."""
    return Ztui(slow_sim)
