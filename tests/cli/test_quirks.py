"""The headless commands against the simulator's real-tenant mode (docs/tolerance.md).

`ztui jobs --json --all` ends by itself and lists every readable job of every family
(every custom-object page included), the unreadable ones as such; a cancel that reaches
an AQuA job after it finished is a refusal; a profile naming two entities is refused
before anything is sent.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .helpers import Sim, Ztui, no_traceback


def _write_config(text: str) -> Path:
    path = Path(os.environ["ZTUI_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_two_entity_ids_are_refused_before_any_request(make_sim: Callable[..., Any]) -> None:
    sim = Sim(make_sim(jobs=5, quirks=True))
    path = _write_config(
        "[profiles.two]\n"
        f'base_url = "{sim.url}"\n'
        'entity_ids = ["0e5c1b2a-3d4f-4a6b-8c7d-9e0f1a2b3c4d", '
        '"1e5c1b2a-3d4f-4a6b-8c7d-9e0f1a2b3c4d"]\n'
    )
    runner = Ztui(sim)
    before = len(sim.requests())
    commands = (
        ("jobs", "--profile", "two"),
        ("config", "check", "--profile", "two"),
        ("--profile", "two"),  # the app's start-up
    )
    for command in commands:
        result = runner.run(*command)
        no_traceback(result)
        assert result.code == 2, result
        assert str(path) in result.err
        assert "line 3" in result.err
        assert "profiles.two.entity_ids" in result.err
        assert "one entity per profile" in result.err
    assert len(sim.requests()) == before
    sim.close()
