"""The job families ztui knows: one `FamilyDef` each, looked up by `Family`. No UI imports.

`FAMILIES` is the registry; `family_def` looks one up and refuses a family it lacks, so
code that dispatches on a family never falls through to another family's endpoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from ztui.api.models import Family, Job, JobState
from ztui.families import aqua, booking_date, custom_object, data_backfill, propagation
from ztui.families.base import FamilyDef

__all__ = [
    "FAMILIES",
    "POLL_ORDER",
    "FamilyDef",
    "family_def",
    "followed_by_id",
    "normalise_status",
    "noun",
    "parse_job",
]

FAMILIES: Final[Mapping[Family, FamilyDef]] = {
    definition.family: definition
    for definition in (
        data_backfill.DEFINITION,
        booking_date.DEFINITION,
        propagation.DEFINITION,
        custom_object.DEFINITION,
        aqua.DEFINITION,
    )
}
"""Every family's definition, in `Family` order."""

POLL_ORDER: Final[tuple[Family, ...]] = (
    Family.BOOKING_DATE,
    Family.PROPAGATION,
    Family.DATA_BACKFILL,
    Family.CUSTOM_OBJECT,
    Family.AQUA,
)
"""Every family, in the order a watcher tick polls them: the usually short lists first, so
the first poll puts jobs on screen sooner (each family is shown as it arrives)."""


def family_def(family: Family) -> FamilyDef:
    """The definition of `family`.

    Raises:
        LookupError: The registry has no such family.
    """
    try:
        return FAMILIES[family]
    except KeyError:
        raise LookupError(f"ztui knows no job family {family!r}") from None


def followed_by_id() -> Family:
    """The family the API cannot list, whose jobs are followed by id (AQuA)."""
    return next(d.family for d in FAMILIES.values() if d.followed_by_id)


def noun(family: Family) -> str:
    """The family's label inside a sentence ("data backfill", but "AQuA")."""
    return family_def(family).noun


def normalise_status(family: Family, status: str) -> JobState:
    """Map a family's raw status string to a `JobState` (`UNKNOWN` when not in the table)."""
    return family_def(family).normalise(status)


def parse_job(family: Family, data: object) -> Job:
    """Parse one job JSON of `family` into a `Job`.

    Raises:
        MalformedResponse: The JSON cannot be read as a job of that family.
    """
    return family_def(family).parse(data)
