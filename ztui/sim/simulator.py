"""Provides `Simulator`: the in-memory Zuora tenant behind the simulated endpoints.

It combines the shared state (`ztui.sim.core.SimCore`: jobs, tokens, limits, faults,
idempotency, the request log and the clock) with each family's operations. A new
simulator is empty; `ztui.sim.seed.seeded_simulator` builds one with a scenario.
"""

from __future__ import annotations

from typing import Any

from ztui.sim.aqua_api import AquaApi
from ztui.sim.custom_objects_api import CustomObjectApi
from ztui.sim.uno_api import UnoApi


class Simulator(UnoApi, CustomObjectApi, AquaApi):
    """The simulated tenant: every family's calls over one shared state."""

    def jobs_wire(self, base_url: str) -> dict[str, list[dict[str, Any]]]:
        """Every job in its wire shape, grouped by family (`/_sim/jobs`)."""
        with self.lock:
            self.tick()
            cfg = self.config
            return {
                "data_backfill": [
                    j.wire(cfg, base_url, listing=False) for j in self.data_backfill.values()
                ],
                "booking_date": [j.wire(cfg) for j in self.booking_date.values()],
                "propagation": [j.wire(cfg) for j in self.propagation.values()],
                "custom_object": [j.wire() for j in self.custom_object.values()],
                "aqua": [j.wire() for j in self.aqua.values()],
            }
