"""Provides `open_client`, which builds the API client for a resolved profile.

The app and the headless commands both connect through it, so they send the same
credentials, org and entity ids, honour the same read-only flag and read answers within
the same `[network]` limits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ztui.api.client import ZuoraClient

if TYPE_CHECKING:
    from ztui.config.schema import NetworkSettings, ResolvedProfile

_MB = 1024 * 1024


def preload() -> None:
    """Import what the first request loads on the spot (httpcore, and the asyncio backend
    of anyio it runs on), for a caller with time to spare before it connects: the app
    while its demo simulator starts. Nothing happens that the first request would not
    do anyway."""
    import importlib

    for module in ("httpcore", "anyio._backends._asyncio", "httpcore._backends.anyio"):
        try:
            importlib.import_module(module)
        except ImportError:  # a version that is laid out otherwise: the request loads it
            pass


def open_client(
    profile: ResolvedProfile, network: NetworkSettings | None = None, **options: Any
) -> ZuoraClient:
    """A `ZuoraClient` on `profile`'s connection; `options` go to its constructor.

    Args:
        profile: The resolved profile: base URL, credentials, org and entity ids, and
            read-only.
        network: The `[network]` limits (answer sizes, the deadline); the client's
            defaults when None.
        **options: Further `ZuoraClient` arguments (`max_retry_wait`, ...).

    Returns:
        The client; no request is sent until its first operation.

    Raises:
        ValueError: The connection settings are not usable (from the client).
    """
    limits: dict[str, Any] = {}
    if network is not None:
        limits = {
            "max_list_answer_bytes": network.max_list_answer_mb * _MB,
            "max_job_answer_bytes": network.max_job_answer_mb * _MB,
            "answer_deadline_s": network.answer_deadline_s,
        }
    return ZuoraClient(
        profile.base_url,
        client_id=profile.client_id,
        client_secret=profile.client_secret,
        org_ids=profile.org_ids,
        entity_id=profile.entity_id,
        timezone=profile.timezone,
        read_only=profile.read_only,
        **limits,
        **options,
    )
