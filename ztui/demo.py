"""Provides the demo: its options, its connection profile, and the faults it can inject.

The fault presets are what `ztui --demo` can break on purpose, and how.

In the demo the palette offers these so that anyone can watch the board live through a
bad day (server errors, dropped connections, a rate limit, an expired token) and recover
by itself, without knowing the simulator's control routes. Each preset is one call to
the simulator's `/_sim/` routes (see the README's simulator section). No Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ztui.config.schema import ResolvedProfile
    from ztui.sim.process import SimProcess


@dataclass(frozen=True)
class DemoOptions:
    """How to seed the embedded simulator for `ztui --demo`."""

    jobs: int = 60
    seed: int = 1
    speed: float = 1.0
    read_only: bool = False
    """`--read-only` given with `--demo`: the demo refuses writes too."""
    quirks: bool = False
    """`--sim-quirks`: the simulator answers as untidily as a real tenant may
    (docs/tolerance.md)."""
    running: int | None = None
    """`--sim-running`: at most this many seeded jobs still running (None: the scenario's
    own mix)."""

    def simulator(self) -> SimProcess:
        """The demo's simulator process, seeded as these options say (not yet started)."""
        from ztui.sim.process import SimProcess

        return SimProcess(
            jobs=self.jobs,
            seed=self.seed,
            speed=self.speed,
            quirks=self.quirks,
            running=self.running,
        )


def demo_profile(base_url: str, base: ResolvedProfile, demo: DemoOptions) -> ResolvedProfile:
    """The profile used by `--demo`: the simulator at `base_url` with its demo credentials."""
    from ztui.core.secret import Secret
    from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    return replace(
        base,
        name="demo",
        base_url=base_url,
        environment="simulator",
        is_production=False,
        client_id=DEMO_CLIENT_ID,
        client_secret=Secret(DEMO_CLIENT_SECRET),
        org_ids=(),
        entity_id=None,
        read_only=demo.read_only,
        tenant_name="demo",
    )


@dataclass(frozen=True)
class FaultPreset:
    """One thing the demo can break: a palette entry and the control call behind it."""

    title: str
    """The palette entry."""
    help: str
    """The palette's second line."""
    method: str
    path: str
    body: dict[str, Any] | None
    outcome: str
    """What the user should now see on the board."""


# The client retries a failed list call three times (four attempts), so a fault must
# outlast several attempts for a family to go stale at all.
FAULT_PRESETS: tuple[FaultPreset, ...] = (
    FaultPreset(
        "Demo: server errors on data backfill",
        "The next 12 data-backfill list calls answer HTTP 500",
        "POST",
        "/_sim/faults",
        {
            "route": "GET /v1/uno/data-backfill/listjobs",
            "kind": "status",
            "status": 500,
            "times": 12,
        },
        "Data backfill now answers 500: its rows dim and the status bar says since when. "
        "It recovers by itself once the errors stop.",
    ),
    FaultPreset(
        "Demo: dropped connections on booking date",
        "The next 12 booking-date list calls lose their connection",
        "POST",
        "/_sim/faults",
        {"route": "GET /v1/uno/data-backfill/bookingdate/jobs", "kind": "drop", "times": 12},
        "Booking-date calls now drop: the family goes stale, then recovers by itself.",
    ),
    FaultPreset(
        "Demo: rate limit",
        "The next call answers 429 with Retry-After: 20",
        "POST",
        "/_sim/faults",
        {"route": "GET *", "kind": "rate_limit", "delay_s": 20, "times": 1},
        "The next call answers 429: the status bar says until when polling waits, as "
        "Retry-After asks, then it resumes by itself.",
    ),
    FaultPreset(
        "Demo: expire the access token",
        "Revoke every token the simulator issued",
        "POST",
        "/_sim/revoke-tokens",
        None,
        "The token was revoked: the next call gets 401, ztui fetches a new token and "
        "carries on without a message.",
    ),
    FaultPreset(
        "Demo: clear injected faults",
        "Remove every fault still armed",
        "DELETE",
        "/_sim/faults",
        None,
        "No fault is armed any more.",
    ),
)


async def inject(base_url: str, preset: FaultPreset) -> str:
    """Arm `preset` on the simulator at `base_url`; return what the user should now see.

    Raises:
        RuntimeError: the simulator could not be reached or refused the request.
    """
    # Imported here: `ztui --demo` reads this module before it starts the simulator.
    import httpx

    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=5.0) as client:
            response = await client.request(preset.method, preset.path, json=preset.body)
    except httpx.HTTPError as exc:
        raise RuntimeError(f"the simulator did not answer ({type(exc).__name__})") from None
    if response.status_code >= 400:
        raise RuntimeError(
            f"the simulator refused {preset.method} {preset.path}: HTTP {response.status_code}"
        )
    return preset.outcome
