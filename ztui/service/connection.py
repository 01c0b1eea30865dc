"""Provides `open_client`, which builds the API client for a resolved profile.

The app and the headless commands both connect through it, so they send the same
credentials, org and entity ids, and honour the same read-only flag.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ztui.api.client import ZuoraClient

if TYPE_CHECKING:
    from ztui.config.schema import ResolvedProfile


def open_client(profile: ResolvedProfile, **options: Any) -> ZuoraClient:
    """A `ZuoraClient` on `profile`'s connection; `options` go to its constructor.

    Args:
        profile: The resolved profile: base URL, credentials, org and entity ids, and
            read-only.
        **options: Further `ZuoraClient` arguments (`max_retry_wait`, ...).

    Returns:
        The client; no request is sent until its first operation.

    Raises:
        ValueError: The connection settings are not usable (from the client).
    """
    return ZuoraClient(
        profile.base_url,
        client_id=profile.client_id,
        client_secret=profile.client_secret,
        org_ids=profile.org_ids,
        entity_id=profile.entity_id,
        timezone=profile.timezone,
        read_only=profile.read_only,
        **options,
    )
