"""Notifications name jobs by an id form that tells them apart."""

from __future__ import annotations

from ztui.flows.notify import short_id


def test_uno_ids_sharing_their_start_stay_distinct() -> None:
    a = "ff8080819f9d01298a449ebe89d9bf02"
    b = "ff8080819f9d01298a449ebe89d9bf03"
    assert short_id(a) != short_id(b)
    assert short_id(a) == "ff8080819…e89d9bf02"  # as the board's Id column shows it


def test_short_ids_are_kept_whole() -> None:
    assert short_id("abc") == "abc"
