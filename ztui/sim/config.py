"""Provides `SimConfig`, every knob of the Zuora simulator, and the demo credentials."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

DEMO_CLIENT_ID = "5a1d2c3e-0f00-4d00-8e00-0000000de303"
"""The OAuth client id the simulator accepts by default (36 chars, like Zuora's)."""

DEMO_CLIENT_SECRET = "ztui-demo-secret"
"""The OAuth client secret the simulator accepts by default (<= 42 chars)."""

START_EPOCH = 1768478400.0
"""2026-01-15T12:00:00Z: where a manual clock starts."""

FAMILIES = ("data_backfill", "booking_date", "propagation", "custom_object", "aqua")
"""The five job families, in the order `/_sim/jobs` lists them."""


@dataclass
class SimConfig:
    """Everything the simulator can be told. Defaults suit the demo; tests shrink them.

    Times are seconds of simulator clock unless a field says otherwise.
    """

    # --- scenario and clock -------------------------------------------------------------
    jobs: int = 60
    """Seeded scenario size across the five families (0 = empty)."""
    co_jobs: int = 0
    """Custom-object jobs seeded on top of `jobs` (a tenant with a long custom-object
    history, e.g. 15,000, far more than the board reads)."""
    seed: int = 1
    """Seed of the scenario and of every id the simulator makes."""
    running: int | None = None
    """Seeded jobs still running at the clock's now: None = the scenario's own mix (about
    8% of the jobs); N = at most N, spread over the families in their listed order."""
    speed: float = 1.0
    """Wall-clock multiplier in `clock="wall"` mode."""
    clock: str = "wall"
    """`"wall"`: real time x speed (demo); `"manual"`: frozen, moved only by advance."""
    start_epoch: float = START_EPOCH
    """Where a manual clock starts (a wall clock starts at the real current time)."""

    # --- auth ----------------------------------------------------------------------------
    client_id: str = DEMO_CLIENT_ID
    """The accepted OAuth client id."""
    client_secret: str = DEMO_CLIENT_SECRET
    """The accepted OAuth client secret."""
    token_ttl: int = 3599
    """`expires_in` of issued tokens, in seconds."""

    # --- limits ---------------------------------------------------------------------------
    rate_limit_minute: int = 50_000
    """Tenant API quota per minute (production default; tests set tiny ones)."""
    rate_limit_hour: int = 2_250_000
    """Tenant API quota per hour."""
    rate_limit_day: int = 27_000_000
    """Tenant API quota per day."""
    concurrency_limit: int | None = 40
    """Cap on in-flight `/v1` requests per tenant; None disables it."""
    token_ip_limit_per_min: int | None = 100
    """Cap on `/oauth/token` calls per client IP per minute; None disables it."""
    retry_after_s: int = 1
    """`Retry-After` sent with a concurrency-limit 429."""

    # --- wire-shape switches ---------------------------------------------------------------
    data_backfill_list_paths: tuple[str, ...] = ("data", "date")
    """Which data-backfill list spellings answer (`data-backfill`, `date-backfill`)."""
    propagation_read_api: bool = True
    """Serve propagation list/get/stop (REF-only calls); False makes them 404."""
    timestamps: str = "epoch"
    """Data-backfill timestamps: `"epoch"` (epoch-ms strings) or `"iso"`."""
    type_keys: str = "doc"
    """`"doc"`: `importType` on get, `type` on list; `"both"`: both keys everywhere."""
    aqua_error_http_status: int = 200
    """HTTP status of an AQuA create that fails validation (undocumented)."""
    unknown_statuses: bool = False
    """Emit unexpected status strings (data-backfill `Accepted`, booking `STOPPING`)."""
    success_false_http_200: bool = False
    """Uno 4xx errors come back as HTTP 200 with `success:false`."""
    readable_utc_offset_min: int = 0
    """Offset of the booking `*Readable` strings, in minutes east of UTC."""
    quirks: bool = False
    """Real-tenant mode: answer with every variant the sources allow (`ztui.sim.quirks`)."""

    # --- custom objects / AQuA limits ------------------------------------------------------
    co_permissions: tuple[str, ...] = ("view", "edit", "delete")
    """Custom-object permissions the user has: any of view, edit, delete."""
    co_max_active: int = 5
    """Custom-object jobs allowed in accepted/pending/in_progress at once."""
    aqua_max_active: int = 50
    """AQuA jobs allowed in submitted/executing, per mode (stateless, stateful)."""

    # --- idempotency and files -------------------------------------------------------------
    idempotency_inflight_delay: float = 0.0
    """Real seconds an idempotent request stays in flight (to provoke 409)."""
    idempotency_ttl: float = 86400.0
    """How long an idempotent response is replayed."""
    file_ttl: float = 3 * 86400.0
    """Result and upload files expire this long after they were made, then 404."""

    # --- state-machine timing ----------------------------------------------------------------
    tick_s: float = 1.0
    """Length of one progress tick of every running job."""
    db_validation_s: float = 2.0
    """Data backfill: time spent `Pending` (file validation)."""
    db_rows_per_tick: int = 10
    """Data backfill: rows processed per tick."""
    db_stop_s: float = 3.0
    """Data backfill: time spent `Stopping` before `Stopped`."""
    bd_accept_s: float = 2.0
    """Booking date / propagation: time spent `ACCEPTED`."""
    bd_batches: int = 40
    """Booking date: batches of a new job."""
    bd_batches_per_tick: int = 1
    """Booking date / propagation: batches finished per tick (at least)."""
    bd_stop_s: float = 3.0
    """Booking/propagation: time in `STOPPING` (only shown with `unknown_statuses`)."""
    prop_records: int = 20_000
    """Propagation: records a new job covers (batches = ceil(records / batchSize))."""
    prop_max_ticks: int = 40
    """Propagation: a new job finishes within about this many ticks."""
    co_accept_s: float = 2.0
    """Custom-object delete jobs: time spent `accepted`."""
    co_rows_per_tick: int = 20
    """Custom objects: records processed per tick."""
    co_delete_records: int = 250
    """Custom-object delete jobs: records the filter matches."""
    aqua_submit_s: float = 1.0
    """AQuA: time spent `submitted` before `executing`."""
    aqua_batch_s: float = 3.0
    """AQuA: time each batch (query) executes."""
    aqua_max_records: int = 500
    """AQuA: upper bound of a new batch's `recordCount`."""

    extra: dict[str, Any] = field(default_factory=dict)
    """Free-form notes; ignored by the simulator."""

    def validate(self) -> None:
        """Check enum-like fields and ranges.

        Raises:
            ValueError: naming the field and the allowed values.
        """
        if self.clock not in ("wall", "manual"):
            raise ValueError(f"SimConfig.clock must be 'wall' or 'manual', not {self.clock!r}")
        if self.timestamps not in ("epoch", "iso"):
            raise ValueError(
                f"SimConfig.timestamps must be 'epoch' or 'iso', not {self.timestamps!r}"
            )
        if self.type_keys not in ("doc", "both"):
            raise ValueError(f"SimConfig.type_keys must be 'doc' or 'both', not {self.type_keys!r}")
        bad = set(self.data_backfill_list_paths) - {"data", "date"}
        if bad:
            raise ValueError(
                f"SimConfig.data_backfill_list_paths allows 'data' and 'date', not {sorted(bad)}"
            )
        bad = set(self.co_permissions) - {"view", "edit", "delete"}
        if bad:
            raise ValueError(f"SimConfig.co_permissions allows view/edit/delete, not {sorted(bad)}")
        if self.jobs < 0:
            raise ValueError("SimConfig.jobs must be >= 0")
        if self.running is not None and self.running < 0:
            raise ValueError("SimConfig.running must be >= 0 or None")
        if self.co_jobs < 0:
            raise ValueError("SimConfig.co_jobs must be >= 0")
        if self.speed <= 0:
            raise ValueError("SimConfig.speed must be > 0")
        if self.tick_s <= 0:
            raise ValueError("SimConfig.tick_s must be > 0")
        if len(self.client_id) != 36:
            raise ValueError("SimConfig.client_id must be exactly 36 characters")
        if not 0 < len(self.client_secret) <= 42:
            raise ValueError("SimConfig.client_secret must be 1..42 characters")

    def to_dict(self) -> dict[str, Any]:
        """The config as JSON-ready data (the secret masked)."""
        data = dataclasses.asdict(self)
        data["client_secret"] = "********"
        for key, value in data.items():
            if isinstance(value, tuple):
                data[key] = list(value)
        return data


RUNTIME_FIXED = frozenset({"jobs", "co_jobs", "seed", "running", "clock", "start_epoch", "speed"})
"""Fields `/_sim/config` refuses to change: they shape the scenario or the clock."""


def apply_changes(config: SimConfig, changes: dict[str, Any]) -> SimConfig:
    """Return a copy of `config` with `changes` applied, type-checked against the defaults.

    Raises:
        ValueError: naming the key and why it was refused.
    """
    fields = {f.name: f for f in dataclasses.fields(SimConfig)}
    updates: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in fields:
            raise ValueError(f"unknown config key {key!r}")
        if key in RUNTIME_FIXED:
            raise ValueError(f"config key {key!r} cannot change at runtime")
        current = getattr(config, key)
        if isinstance(current, tuple):
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"config key {key!r} needs a list of strings")
            value = tuple(value)
        elif isinstance(current, bool):
            if not isinstance(value, bool):
                raise ValueError(f"config key {key!r} needs true or false")
        elif isinstance(current, int | float) or current is None:
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                raise ValueError(f"config key {key!r} needs a number")
            if isinstance(current, int) and isinstance(value, float) and value.is_integer():
                value = int(value)
        elif isinstance(current, str) and not isinstance(value, str):
            raise ValueError(f"config key {key!r} needs a string")
        updates[key] = value
    new = dataclasses.replace(config, **updates)
    new.validate()
    return new
