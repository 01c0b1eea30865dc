"""Provides the AQuA watch list: AQuA jobs the user asked ztui to follow by id.

AQuA has no list call (docs/zuora-api.md §7), so the board shows only the AQuA jobs ztui knows of:
those it created (from the journal) and those added here by id. The list lives in
`state.toml` under `aqua_watch`, one entry per connection (`profile@host`), newest last,
so a job added once is followed again on the next start. Ids that Zuora no longer knows
are removed. No Textual here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ztui.api.models import HEX32_RE
from ztui.store.journal import host_of
from ztui.store.state import load_state, save_state

STATE_KEY = "aqua_watch"
LIMIT = 100
"""Most ids kept per connection (each costs a get at start-up until it is finished)."""


def parse_aqua_job_id(text: str) -> str:
    """The AQuA job id in `text` (surrounding spaces and quotes ignored).

    Raises:
        ValueError: saying what an AQuA job id looks like and what was given instead.
    """
    value = text.strip().strip("\"'` ")
    if not value:
        raise ValueError("Type or paste the id of an AQuA job (32 hexadecimal characters).")
    if not HEX32_RE.match(value):
        shown = value if len(value) <= 40 else value[:37] + "…"
        raise ValueError(
            f"{shown!r} is not an AQuA job id: those are 32 hexadecimal characters "
            "(0-9, a-f), like 8ad0823f8f3f4a5b9c0d1e2f3a4b5c6d."
        )
    return value.lower()


def _connection(profile: str, base_url: str) -> str:
    return f"{profile}@{host_of(base_url)}"


def _table(state: dict[str, Any]) -> dict[str, list[str]]:
    raw = state.get(STATE_KEY)
    if not isinstance(raw, dict):
        return {}
    return {
        str(key): [str(v) for v in value if isinstance(v, str)]
        for key, value in raw.items()
        if isinstance(value, list)
    }


def watched(profile: str, base_url: str, *, path: Path | None = None) -> list[str]:
    """The AQuA job ids added by id on this connection, oldest first."""
    return _table(load_state(path)).get(_connection(profile, base_url), [])


def add(profile: str, base_url: str, job_id: str, *, path: Path | None = None) -> None:
    """Remember `job_id` for this connection (moved to the end if already there)."""
    _update(profile, base_url, path, lambda ids: [*(i for i in ids if i != job_id), job_id])


def remove(profile: str, base_url: str, job_id: str, *, path: Path | None = None) -> None:
    """Forget `job_id` for this connection."""
    _update(profile, base_url, path, lambda ids: [i for i in ids if i != job_id])


def _update(
    profile: str, base_url: str, path: Path | None, change: Callable[[list[str]], list[str]]
) -> None:
    state = load_state(path)
    table = _table(state)
    key = _connection(profile, base_url)
    ids = change(table.get(key, []))[-LIMIT:]
    if ids:
        table[key] = ids
    else:
        table.pop(key, None)
    state[STATE_KEY] = table
    save_state(state, path)
