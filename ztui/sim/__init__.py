"""Provides the Zuora simulator: a faithful fake of the job endpoints, for demo and tests.

`SimServer(SimConfig(...)).start()` serves it on loopback and returns its base URL;
`Simulator` is the in-memory tenant behind it and `create_app` the Starlette app. The
heavy parts (Starlette, uvicorn) load on first use of those names, so importing this
package for `DEMO_CLIENT_ID` or `SimConfig` stays cheap.

This package never imports `ztui.api`: it speaks the JSON of docs/zuora-api.md
(`docs/zuora-api.md`), so a bug in our client models can't hide behind the same
bug here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ztui.sim.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SimConfig

if TYPE_CHECKING:
    from ztui.sim.app import create_app
    from ztui.sim.server import SimServer
    from ztui.sim.simulator import Simulator

__all__ = [
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "SimConfig",
    "SimServer",
    "Simulator",
    "create_app",
]


def __getattr__(name: str) -> Any:
    if name == "SimServer":
        from ztui.sim.server import SimServer

        return SimServer
    if name == "Simulator":
        from ztui.sim.simulator import Simulator

        return Simulator
    if name == "create_app":
        from ztui.sim.app import create_app

        return create_app
    raise AttributeError(f"module 'ztui.sim' has no attribute {name!r}")
