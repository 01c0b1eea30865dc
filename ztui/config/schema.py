"""Provides the settings ztui reads from its config file and the profile a run resolves.

`Settings` is the whole file: the `[ui]` table (`UiSettings`, with `NotifySettings`), the
`[network]` table (`NetworkSettings`) and each `[profiles.NAME]` (`ProfileConfig`).
`ResolvedProfile` is one profile merged with the environment and the command line: what a
run connects with. All are frozen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Final

from ztui.config.environments import ENVIRONMENTS, environment_for_url
from ztui.core.secret import Secret

DEFAULT_BASE_URL: Final = "http://127.0.0.1:8787"
"""The base URL used when nothing is configured: the local simulator's default address."""

FALSE_WORDS: Final = frozenset({"0", "false", "no", "off", ""})
"""`ZTUI_READ_ONLY` values that mean writable; any other value means read-only."""


@dataclass(frozen=True)
class NotifySettings:
    """How ztui tells you that a job reached a terminal state (`[ui.notify]`)."""

    toast: bool = True
    """Show a toast inside the app."""
    bell: bool = False
    """Ring the terminal bell."""
    osc9: bool = False
    """Send an OSC 9 desktop notification (iTerm2, WezTerm, kitty, Windows Terminal...)."""
    command: tuple[str, ...] | None = None
    """An argv run without a shell on each terminal transition, or None."""


KNOWN_THEMES: tuple[str, ...] = (
    "ztui",
    "ansi-dark",
    "ansi-light",
    "atom-one-dark",
    "atom-one-light",
    "catppuccin-frappe",
    "catppuccin-latte",
    "catppuccin-macchiato",
    "catppuccin-mocha",
    "dracula",
    "flexoki",
    "gruvbox",
    "monokai",
    "nord",
    "rose-pine",
    "rose-pine-dawn",
    "rose-pine-moon",
    "solarized-dark",
    "solarized-light",
    "textual-dark",
    "textual-light",
    "tokyo-night",
)
"""The themes `ui.theme` may name: ztui's own, then Textual's built-in ones (a test keeps
this list equal to Textual's, so configuration needs no Textual import)."""


@dataclass(frozen=True)
class UiSettings:
    """The `[ui]` table: look, keys, pacing and notifications."""

    theme: str = "ztui"
    """Textual theme name (`ztui`, `ansi-dark`, `textual-light`, ...)."""
    keymap: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Binding id (`jobs.stop`) to comma-separated keys, for `App.set_keymap`."""
    poll_active_s: float = 5
    """Seconds between polls while some job is running."""
    poll_idle_s: float = 60
    """Seconds between polls while nothing is running."""
    poll_low_budget_s: float = 120
    """Seconds between polls once the daily call budget runs low."""
    hide_finished_after_s: float = 7 * 86400
    """Finished jobs older than this are hidden from the list."""
    notify: NotifySettings = field(default_factory=NotifySettings)
    """Terminal-transition notifications."""


@dataclass(frozen=True)
class NetworkSettings:
    """The `[network]` table: how much of an answer ztui reads, and for how long."""

    max_list_answer_mb: int = 64
    """The most read of a list answer (a job list, a page, row errors), after gzip."""
    max_job_answer_mb: int = 16
    """The most read of any other answer (one job, a create, a stop), after gzip. Result
    files are streamed to disk and are not limited."""
    answer_deadline_s: float = 120.0
    """The longest one request may take, from sending it to the last byte of its answer
    (Zuora answers a request still running after 120 s with a 504)."""


@dataclass(frozen=True)
class ProfileConfig:
    """One `[profiles.NAME]` table, validated but not yet merged with overrides."""

    name: str
    """The profile's name (the TOML key)."""
    environment: str | None = None
    """Key of `ENVIRONMENTS`; exclusive with `base_url`."""
    base_url: str | None = None
    """Explicit REST root (simulator, proxy); exclusive with `environment`."""
    client_id: str | None = None
    """OAuth client id."""
    client_secret_env: str | None = None
    """Name of the environment variable holding the client secret."""
    client_secret_command: tuple[str, ...] | None = None
    """argv run without a shell whose stdout is the client secret."""
    org_ids: tuple[str, ...] = ()
    """Sent as `Zuora-Org-Ids` (Multi-Org tenants)."""
    entity_id: str | None = None
    """Sent as `Zuora-Entity-Ids` (Multi-entity tenants): one entity per profile."""
    timezone: str | None = None
    """The tenant's zone (IANA name): timestamps without a zone are read in it."""
    read_only: bool | None = None
    """Explicit read-only flag; None means the default (true on production)."""
    tenant_name: str | None = None
    """Tenant name typed to confirm each write on production."""
    daily_call_budget: int | None = None
    """Calls per day ztui may spend; polling slows when it runs low."""
    line: int | None = None
    """Line of the profile's table header, for error messages."""
    key_lines: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    """Line of each key set in the profile, for error messages."""

    @property
    def base_url_resolved(self) -> str:
        """The REST root this profile points at (environment's, explicit, or the default)."""
        if self.environment is not None:
            return ENVIRONMENTS[self.environment].base_url
        return self.base_url or DEFAULT_BASE_URL

    @property
    def is_production(self) -> bool:
        """Whether the profile targets one of the production roots."""
        env = environment_for_url(self.base_url_resolved)
        return env is not None and env.production


@dataclass(frozen=True)
class Settings:
    """Everything read from the config file."""

    ui: UiSettings = field(default_factory=UiSettings)
    """The `[ui]` table."""
    network: NetworkSettings = field(default_factory=NetworkSettings)
    """The `[network]` table."""
    profiles: Mapping[str, ProfileConfig] = field(default_factory=lambda: MappingProxyType({}))
    """Profiles by name, in file order."""
    default_profile: str | None = None
    """The profile used when neither `--profile` nor `ZTUI_PROFILE` picks one."""
    path: Path | None = None
    """The file read, or None when none existed and defaults apply."""
    warnings: tuple[str, ...] = ()
    """One line per ignored key or risky setting, for the user to see."""


@dataclass(frozen=True)
class ResolvedProfile:
    """The connection settings for this run, after overrides; what the client uses."""

    name: str
    """Profile name; `default` when no profile was configured."""
    base_url: str
    """REST root, without a trailing slash."""
    environment: str | None
    """Key of `ENVIRONMENTS` when the base URL is a known Zuora root."""
    is_production: bool
    """Whether the base URL is a production root."""
    client_id: str | None
    """OAuth client id, if any."""
    client_secret: Secret | None
    """OAuth client secret, masked; None if none was configured."""
    org_ids: tuple[str, ...] = ()
    """`Zuora-Org-Ids` values."""
    entity_id: str | None = None
    """The `Zuora-Entity-Ids` value: a single entity id (docs/zuora-api.md §2.3)."""
    timezone: str | None = None
    """The tenant's zone, an IANA name; timestamps that name no zone are read in it (UTC
    when None; docs/tolerance.md rule 6)."""
    read_only: bool = True
    """When true, ztui offers no action that changes anything on the server."""
    tenant_name: str | None = None
    """The tenant name to type before each write on production."""
    daily_call_budget: int | None = None
    """Calls per day ztui may spend, or None for no budget."""
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Where each value came from (`base_url` -> `ZTUI_BASE_URL`), for `config check`."""
    read_only_hint: str | None = None
    """Why writes are refused and how to allow them, when something other than the
    profile decides (a hub a viewer is attached to); None: the profile's own flag."""

    @property
    def needs_typed_confirm(self) -> bool:
        """Whether each write must be confirmed by typing `confirm_phrase` (production)."""
        return self.is_production

    @property
    def confirm_phrase(self) -> str:
        """What the user types to confirm a write on production: tenant name, else profile."""
        return self.tenant_name or self.name
