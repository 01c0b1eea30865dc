"""Fixtures for simulator tests: plain httpx clients against a real loopback simulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.sim.support import Api


@pytest.fixture
def make_api(make_sim: Callable[..., Any]) -> Iterator[Callable[..., Api]]:
    """Factory: `make_api(**SimConfig fields)` starts a simulator and logs in."""
    made: list[Api] = []

    def factory(**overrides: Any) -> Api:
        api = Api(make_sim(**overrides))
        api.login()
        made.append(api)
        return api

    yield factory
    for api in made:
        api.close()


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    """A logged-in client on a fresh simulator (manual clock, no seeded jobs)."""
    return make_api()
