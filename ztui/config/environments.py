"""Provides the Zuora environments (docs/zuora-api.md §2.1) and the check every base URL passes.

A profile names an environment (`us-sandbox`) or gives a `base_url`; either way
`environment_for_url` tells whether the REST root is a known Zuora one, and whether it is
production.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Environment:
    """One Zuora environment and its REST root (docs/zuora-api.md §2.1)."""

    name: str
    """Stable short key used in config files, e.g. `us-sandbox`."""
    base_url: str
    """The REST root, without a trailing slash."""
    production: bool
    """True for the four production roots: writes there need extra care."""
    label: str
    """Human-readable name, as Zuora's documentation writes it."""

    @property
    def is_api_sandbox(self) -> bool:
        """True for the API Sandboxes, whose tenants get a daily call allowance."""
        return "API Sandbox" in self.label


def _environments() -> Mapping[str, Environment]:
    rows = [
        ("us-production", "https://rest.zuora.com", True, "US Production (US Cloud 2)"),
        ("us-sandbox", "https://rest.apisandbox.zuora.com", False, "US API Sandbox (US Cloud 2)"),
        ("us-pt1", "https://rest.pt1.zuora.com", False, "US Performance Test"),
        ("us-cloud1-production", "https://rest.na.zuora.com", True, "US Cloud (1) Production"),
        (
            "us-cloud1-sandbox",
            "https://rest.sandbox.na.zuora.com",
            False,
            "US Cloud (1) API Sandbox",
        ),
        (
            "us-central-sandbox",
            "https://rest.test.zuora.com",
            False,
            "US Central / Developer Sandbox",
        ),
        ("eu-production", "https://rest.eu.zuora.com", True, "EU Production"),
        ("eu-sandbox", "https://rest.sandbox.eu.zuora.com", False, "EU API Sandbox"),
        (
            "eu-central-sandbox",
            "https://rest.test.eu.zuora.com",
            False,
            "EU Central / Developer Sandbox",
        ),
        ("apac-production", "https://rest.ap.zuora.com", True, "APAC Production"),
        (
            "apac-central-sandbox",
            "https://rest.test.ap.zuora.com",
            False,
            "APAC Central / Developer Sandbox",
        ),
    ]
    return MappingProxyType(
        {key: Environment(key, url, prod, label) for key, url, prod, label in rows}
    )


SANDBOX_DAILY_CALL_BUDGET: Final = 8000
"""The `daily_call_budget` of a profile on an API Sandbox that sets none: most of the
sandbox's 10,000 calls a day, with room left for the user's other tools."""

ENVIRONMENTS: Final[Mapping[str, Environment]] = _environments()
"""Every Zuora environment of docs/zuora-api.md §2.1, by short key."""


def environment_for_url(base_url: str) -> Environment | None:
    """Return the Zuora environment whose REST root is `base_url`, if any.

    Args:
        base_url: A base URL; case and a trailing slash are ignored.

    Returns:
        The matching environment, or None for any other host (the simulator, a proxy).
    """
    wanted = _normalize_url(base_url)
    for env in ENVIRONMENTS.values():
        if env.base_url == wanted:
            return env
    return None


def _normalize_url(url: str) -> str:
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}"


def check_url(value: str, fail: Callable[[str], Exception]) -> str:
    """Check a base URL given in the config, the environment or on the command line.

    Args:
        value: The URL as written.
        fail: Makes the exception to raise from a reason.

    Returns:
        `value`, stripped and without its trailing slash.

    Raises:
        Exception: What `fail(reason)` makes, when `value` is not an http(s) URL, has a
            query or fragment, or carries credentials.
    """
    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise fail(f"expected an http:// or https:// URL, got {value!r}")
    if parts.query or parts.fragment:
        raise fail(f"a base URL takes no query or fragment, got {value!r}")
    if parts.username or parts.password:
        raise fail("a base URL must not carry credentials")
    return text.rstrip("/")
