"""The AQuA watch list: id checks and per-connection memory in state.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from ztui.store import watchlist
from ztui.store.state import load_state, save_state

ID_A = "8ad0823f8f3f4a5b9c0d1e2f3a4b5c6d"
ID_B = "8ad0823f8f3f4a5b9c0d1e2f3a4b5c6e"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (ID_A, ID_A),
        (f"  {ID_A.upper()}\n", ID_A),
        (f'"{ID_A}"', ID_A),
    ],
)
def test_parse_accepts_pasted_ids(text: str, expected: str) -> None:
    assert watchlist.parse_aqua_job_id(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Type or paste"),
        ("   ", "Type or paste"),
        ("xyz", "'xyz' is not an AQuA job id"),
        (ID_A[:-1], "32 hexadecimal"),
        (ID_A + "0", "32 hexadecimal"),
        (ID_A[:-1] + "g", "32 hexadecimal"),
        ("x" * 200, "…"),
    ],
)
def test_parse_explains_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        watchlist.parse_aqua_job_id(text)


def test_ids_are_kept_per_connection(tmp_path: Path) -> None:
    state = tmp_path / "state.toml"
    save_state({"upload_folder": "/tmp/x"}, state)
    watchlist.add("prod", "https://rest.zuora.com/v1", ID_A, path=state)
    watchlist.add("prod", "https://rest.zuora.com", ID_B, path=state)
    watchlist.add("sandbox", "https://rest.apisandbox.zuora.com", ID_A, path=state)
    assert watchlist.watched("prod", "https://rest.zuora.com", path=state) == [ID_A, ID_B]
    assert watchlist.watched("sandbox", "https://rest.apisandbox.zuora.com", path=state) == [ID_A]
    assert watchlist.watched("prod", "https://rest.eu.zuora.com", path=state) == []
    watchlist.add("prod", "https://rest.zuora.com", ID_A, path=state)  # again: moves last
    assert watchlist.watched("prod", "https://rest.zuora.com", path=state) == [ID_B, ID_A]
    watchlist.remove("prod", "https://rest.zuora.com", ID_B, path=state)
    assert watchlist.watched("prod", "https://rest.zuora.com", path=state) == [ID_A]
    assert load_state(state)["upload_folder"] == "/tmp/x"  # the rest of the state is kept


def test_list_is_bounded_newest_kept(tmp_path: Path) -> None:
    state = tmp_path / "state.toml"
    ids = [f"{n:032x}" for n in range(watchlist.LIMIT + 5)]
    for job_id in ids:
        watchlist.add("p", "https://h", job_id, path=state)
    assert watchlist.watched("p", "https://h", path=state) == ids[-watchlist.LIMIT :]


def test_unexpected_state_shapes_are_ignored(tmp_path: Path) -> None:
    state = tmp_path / "state.toml"
    save_state({"aqua_watch": "not a table"}, state)
    assert watchlist.watched("p", "https://h", path=state) == []
    save_state({"aqua_watch": {"p@h": [1, ID_A], "other@h": "x"}}, state)
    assert watchlist.watched("p", "https://h", path=state) == [ID_A]
    watchlist.add("p", "https://h", ID_B, path=state)
    assert watchlist.watched("p", "https://h", path=state) == [ID_A, ID_B]
