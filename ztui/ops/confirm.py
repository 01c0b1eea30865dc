"""Provides what confirming a write takes: the typed-phrase rule and what the user is shown.

UI-free, so the app's `ConfirmDialog` and the headless `ztui stop` apply the same rule:
on a production profile a write is confirmed by typing the tenant name (else the profile
name), never by a single key. Elsewhere a plain yes is enough.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from ztui.config.schema import ResolvedProfile


def typed_phrase(profile: ResolvedProfile) -> str | None:
    """What must be typed to confirm a write on `profile`; None when a yes is enough.

    Args:
        profile: The profile the write goes to.

    Returns:
        The tenant name (else the profile name) on production, None elsewhere.
    """
    return profile.confirm_phrase if profile.needs_typed_confirm else None


def phrase_matches(typed: str, phrase: str | None) -> bool:
    """Whether `typed` confirms a write that needs `phrase` (None: nothing to type).

    Surrounding blanks are ignored; case is not.
    """
    return phrase is None or typed.strip() == phrase


def profile_line(profile: ResolvedProfile, *, environment: bool = True) -> str:
    """Where a write goes, in one line: profile, host, tenant, environment, production.

    Args:
        profile: The active profile.
        environment: Name the environment (e.g. `simulator`) when it is known.
    """
    # The host without the port: a loopback simulator's port changes every run.
    host = urlsplit(profile.base_url).hostname or profile.base_url
    tenant = f" · tenant {profile.tenant_name}" if profile.tenant_name else ""
    env = f" · {profile.environment}" if environment and profile.environment else ""
    prod = " · PRODUCTION" if profile.is_production else ""
    return f"{profile.name} ({host}){tenant}{env}{prod}"


@dataclass(frozen=True)
class ConfirmRequest:
    """Everything a confirmation shows about the write it asks about."""

    title: str
    """The question, e.g. "Stop this data backfill job?"."""
    rows: Sequence[tuple[str, str]]
    """Label/value pairs of what will be sent and where."""
    confirm_label: str
    """Label of the confirm button, e.g. "Stop job" or "Send"."""
    typed_phrase: str | None = None
    """On production: what must be typed to confirm (see `typed_phrase`); None elsewhere."""
    verb: str = "confirm"
    """What confirming does, for the hints: "y confirms", "Type acme to send"."""
    wide: bool = False
    """The rows are long (a create summary): the dialog is drawn wider."""
