"""The family registry: complete, consistent, and refusing what it does not know."""

from __future__ import annotations

from typing import Any, cast

import pytest

from ztui.api.models import Family
from ztui.families import FAMILIES, POLL_ORDER, family_def
from ztui.service.poller import JobPoller


def test_every_family_is_registered_and_polled_once() -> None:
    """Each `Family` has a definition of its own, and the poll order names each once."""
    assert list(FAMILIES) == list(Family)
    assert all(definition.family is family for family, definition in FAMILIES.items())
    assert sorted(POLL_ORDER) == sorted(Family)


def test_aliases_name_one_family_each() -> None:
    """No `--family` spelling is claimed by two families."""
    spellings = [alias for definition in FAMILIES.values() for alias in definition.aliases]
    assert len(spellings) == len(set(spellings))
    assert not set(spellings) & {f.value for f in Family}


def test_capabilities_are_consistent() -> None:
    """A paged list is a list; a family without a list is followed by id."""
    for definition in FAMILIES.values():
        if definition.paged:
            assert definition.has_list
        assert definition.followed_by_id is not definition.has_list
        assert set(definition.stop.allowed) <= set(definition.states)


def test_unknown_family_is_refused() -> None:
    """A lookup of a family the registry lacks raises instead of picking another."""
    with pytest.raises(LookupError, match="payments"):
        family_def(cast(Family, "payments"))


def test_poller_refuses_an_unknown_family() -> None:
    """The watcher never polls a family it has no definition for."""
    client = cast(Any, object())
    with pytest.raises(LookupError):
        JobPoller(client, families=[cast(Family, "payments")])
