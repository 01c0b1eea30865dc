"""Provides ztui's settings: the TOML config file, its validation, and profile resolution.

The config file (`ztui.core.paths.config_path()`) is read with `tomllib` and never rewritten.
A file that does not exist means defaults. Every bad value raises `ConfigError`, which
names the file, the line (where known), the key and the reason in one line; the entry
point prints it and exits with code 2 before any UI starts. Unknown keys are reported in
`Settings.warnings` and otherwise ignored.

`resolve_profile` merges one profile with the environment and the command line
(precedence: command line > environment > profile > defaults) into a `ResolvedProfile`,
fetching the client secret from the environment variable or command the profile names.
With nothing configured the base URL is the local simulator's default,
`http://127.0.0.1:8787` (`DEFAULT_BASE_URL`).

Example:

    [ui]
    theme = "ztui"
    poll_active_s = 5

    [ui.keymap]
    "jobs.stop" = "s,delete"

    [ui.notify]
    bell = true
    command = ["notify-send", "ztui"]

    [profiles.sandbox]
    environment = "us-sandbox"
    client_id = "0a1b2c3d-..."
    client_secret_env = "ZUORA_SANDBOX_SECRET"
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import urlsplit

from ztui.core.logsetup import register_secret
from ztui.core.paths import config_path
from ztui.core.secret import (
    SECRET_COMMAND_TIMEOUT_S,
    Secret,
    run_secret_command,
)

DEFAULT_BASE_URL: Final = "http://127.0.0.1:8787"
"""The base URL used when nothing is configured: the local simulator's default address."""

FALSE_WORDS: Final = frozenset({"0", "false", "no", "off", ""})
"""`ZTUI_READ_ONLY` values that mean writable; any other value means read-only."""


@dataclass(frozen=True)
class Environment:
    """One Zuora environment and its REST root (API doc §2.1)."""

    name: str
    """Stable short key used in config files, e.g. `us-sandbox`."""
    base_url: str
    """The REST root, without a trailing slash."""
    production: bool
    """True for the four production roots: writes there need extra care."""
    label: str
    """Human-readable name, as Zuora's documentation writes it."""


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


ENVIRONMENTS: Final[Mapping[str, Environment]] = _environments()
"""Every Zuora environment of API doc §2.1, by short key."""


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


class ConfigError(Exception):
    """A configuration problem the user must fix; `str()` gives one line that says where.

    Attributes:
        path: The config file, when the problem is in it (or was found while using it).
        line: The 1-based line in `path`, where known.
        key: The dotted key (`profiles.prod.environment`), or the option or variable
            (`--profile`, `ZTUI_READ_ONLY`) at fault, where known.
        reason: What is wrong and, where possible, how to fix it.
    """

    def __init__(
        self,
        reason: str,
        *,
        path: Path | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.key = key
        self.reason = reason
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.path is not None:
            where.append(str(self.path))
        if self.line is not None:
            where.append(f"line {self.line}")
        prefix = " ".join(where)
        parts = [p for p in (prefix, self.key, self.reason) if p]
        return "config error: " + ": ".join(parts)

    def __str__(self) -> str:
        return self._render()


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
    entity_ids: tuple[str, ...] = ()
    """Sent as `Zuora-Entity-Ids` (Multi-entity tenants)."""
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
    entity_ids: tuple[str, ...] = ()
    """`Zuora-Entity-Ids` values."""
    read_only: bool = True
    """When true, ztui offers no action that changes anything on the server."""
    tenant_name: str | None = None
    """The tenant name to type before each write on production."""
    daily_call_budget: int | None = None
    """Calls per day ztui may spend, or None for no budget."""
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Where each value came from (`base_url` -> `ZTUI_BASE_URL`), for `config check`."""

    @property
    def needs_typed_confirm(self) -> bool:
        """Whether each write must be confirmed by typing `confirm_phrase` (production)."""
        return self.is_production

    @property
    def confirm_phrase(self) -> str:
        """What the user types to confirm a write on production: tenant name, else profile."""
        return self.tenant_name or self.name


# ---------------------------------------------------------------------------------------
# Locating keys: tomllib gives no positions, so a small line scanner maps dotted keys to
# the line that defines them. It is only used to point at lines in error messages.

_BARE_OR_QUOTED = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_DOTTED = rf"{_BARE_OR_QUOTED}(?:\s*\.\s*{_BARE_OR_QUOTED})*"
_HEADER_RE = re.compile(rf"^\s*\[\s*({_DOTTED})\s*\]")
_ARRAY_HEADER_RE = re.compile(rf"^\s*\[\[\s*({_DOTTED})\s*\]\]")
_KEY_RE = re.compile(rf"^\s*({_DOTTED})\s*=")
_PART_RE = re.compile(r"""[A-Za-z0-9_-]+|"((?:[^"\\]|\\.)*)"|'([^']*)'""")
_TOML_POS_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_END_RE = re.compile(r"\s*\(at end of document\)\s*$")


def _split_dotted(text: str) -> tuple[str, ...]:
    parts = []
    for match in _PART_RE.finditer(text):
        if match.group(1) is not None:
            parts.append(match.group(1))
        elif match.group(2) is not None:
            parts.append(match.group(2))
        else:
            parts.append(match.group(0))
    return tuple(parts)


def _scan_lines(text: str) -> dict[tuple[str, ...], int]:
    """Map each table header and key in `text` to the 1-based line defining it."""
    found: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    in_multiline: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if in_multiline is not None:
            if raw.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        if (match := _ARRAY_HEADER_RE.match(raw)) or (match := _HEADER_RE.match(raw)):
            table = _split_dotted(match.group(1))
            found.setdefault(table, number)
        elif match := _KEY_RE.match(raw):
            found.setdefault(table + _split_dotted(match.group(1)), number)
        for delimiter in ('"""', "'''"):
            if raw.count(delimiter) % 2 == 1:
                in_multiline = delimiter
                break
    return found


def _dotted(parts: Sequence[str]) -> str:
    return ".".join(p if re.fullmatch(r"[A-Za-z0-9_-]+", p) else f'"{p}"' for p in parts)


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"float {value}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"{type(value).__name__} {value}"


_SECRET_KEY_RE = re.compile(
    r"(?i)^(?:client_secret|secret|password|passwd|access_token|token|api_?key|"
    r".*_(?:secret|password|token))$"
)
"""Keys that look like a literal credential written into the file."""

_FORBIDDEN_LITERAL_SECRETS: Final = frozenset({"client_secret", "access_token"})
"""Keys rejected outright: the format takes secrets only by reference."""


class _Validator:
    """Walks the parsed TOML, building settings and collecting warnings."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = _scan_lines(text)
        self.warnings: list[str] = []
        self.secret_looking: list[str] = []

    def line_of(self, key: Sequence[str]) -> int | None:
        parts = tuple(key)
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return None

    def error(self, key: Sequence[str], reason: str) -> ConfigError:
        return ConfigError(reason, path=self.path, line=self.line_of(key), key=_dotted(key))

    def warn(self, key: Sequence[str], reason: str) -> None:
        line = self.line_of(key)
        where = f"{self.path} line {line}" if line is not None else str(self.path)
        self.warnings.append(f"config warning: {where}: {_dotted(key)}: {reason}")

    def unknown(self, table: Mapping[str, Any], known: set[str], prefix: Sequence[str]) -> None:
        for key in table:
            if key in known:
                continue
            where = (*prefix, key)
            if key.lower() in _FORBIDDEN_LITERAL_SECRETS:
                raise self.error(
                    where,
                    "secrets may not be written in the config file; "
                    "use client_secret_env (an environment variable name) "
                    "or client_secret_command (a command printing the secret)",
                )
            if _SECRET_KEY_RE.match(key):
                self.secret_looking.append(_dotted(where))
            close = [k for k in sorted(known) if _similar(k, key)]
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.warn(where, f"unknown key, ignored{hint}")

    # -- typed getters -------------------------------------------------------------------

    def table(self, parent: Mapping[str, Any], key: str, prefix: Sequence[str]) -> dict[str, Any]:
        value = parent.get(key, {})
        if not isinstance(value, dict):
            raise self.error((*prefix, key), f"expected a table, got {_type_name(value)}")
        return value

    def string(
        self, parent: Mapping[str, Any], key: str, prefix: Sequence[str], *, empty: bool = False
    ) -> str | None:
        if key not in parent:
            return None
        value = parent[key]
        if not isinstance(value, str):
            raise self.error((*prefix, key), f"expected a string, got {_type_name(value)}")
        if not empty and not value.strip():
            raise self.error((*prefix, key), "must not be empty")
        return value

    def boolean(self, parent: Mapping[str, Any], key: str, prefix: Sequence[str]) -> bool | None:
        if key not in parent:
            return None
        value = parent[key]
        if not isinstance(value, bool):
            hint = " (write true or false, without quotes)" if isinstance(value, str) else ""
            raise self.error(
                (*prefix, key), f"expected true or false, got {_type_name(value)}{hint}"
            )
        return value

    def number(
        self, parent: Mapping[str, Any], key: str, prefix: Sequence[str], *, minimum: float
    ) -> float | None:
        if key not in parent:
            return None
        value = parent[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error((*prefix, key), f"expected a number, got {_type_name(value)}")
        if value != value or value < minimum:  # NaN fails too
            raise self.error((*prefix, key), f"must be at least {minimum:g}, got {value}")
        return float(value)

    def integer(
        self, parent: Mapping[str, Any], key: str, prefix: Sequence[str], *, minimum: int
    ) -> int | None:
        if key not in parent:
            return None
        value = parent[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error((*prefix, key), f"expected an integer, got {_type_name(value)}")
        if value < minimum:
            raise self.error((*prefix, key), f"must be at least {minimum}, got {value}")
        return value

    def strings(
        self, parent: Mapping[str, Any], key: str, prefix: Sequence[str], *, nonempty: bool
    ) -> tuple[str, ...] | None:
        if key not in parent:
            return None
        value = parent[key]
        where = (*prefix, key)
        if not isinstance(value, list):
            raise self.error(where, f"expected an array of strings, got {_type_name(value)}")
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item:
                raise self.error(
                    where, f"item {index} must be a non-empty string, got {_type_name(item)}"
                )
        if nonempty and not value:
            raise self.error(where, "must not be empty")
        return tuple(value)

    # -- sections ------------------------------------------------------------------------

    def ui(self, data: Mapping[str, Any]) -> UiSettings:
        prefix = ("ui",)
        table = self.table(data, "ui", ())
        known = {
            "theme",
            "keymap",
            "poll_active_s",
            "poll_idle_s",
            "poll_low_budget_s",
            "hide_finished_after_s",
            "notify",
        }
        self.unknown(table, known, prefix)
        defaults = UiSettings()
        theme = self.string(table, "theme", prefix)
        keymap = self.keymap(table, prefix)
        numbers: dict[str, float] = {}
        for key, minimum in (
            ("poll_active_s", 1.0),
            ("poll_idle_s", 1.0),
            ("poll_low_budget_s", 1.0),
            ("hide_finished_after_s", 0.0),
        ):
            value = self.number(table, key, prefix, minimum=minimum)
            if value is not None:
                numbers[key] = value
        return UiSettings(
            theme=theme if theme is not None else defaults.theme,
            keymap=keymap,
            poll_active_s=numbers.get("poll_active_s", defaults.poll_active_s),
            poll_idle_s=numbers.get("poll_idle_s", defaults.poll_idle_s),
            poll_low_budget_s=numbers.get("poll_low_budget_s", defaults.poll_low_budget_s),
            hide_finished_after_s=numbers.get(
                "hide_finished_after_s", defaults.hide_finished_after_s
            ),
            notify=self.notify(table, prefix),
        )

    def keymap(self, parent: Mapping[str, Any], prefix: Sequence[str]) -> Mapping[str, str]:
        table = self.table(parent, "keymap", prefix)
        keymap: dict[str, str] = {}
        for binding_id, keys in table.items():
            where = (*prefix, "keymap", binding_id)
            if isinstance(keys, list) and keys and all(isinstance(k, str) and k for k in keys):
                # Accept ["s", "delete"] as well as Textual's own "s,delete".
                keys = ",".join(keys)
            if not isinstance(keys, str) or not keys.strip():
                raise self.error(
                    where,
                    'expected keys as a string like "s" or "s,delete" '
                    f"(or an array of key names), got {_type_name(keys)}",
                )
            keymap[binding_id] = ",".join(k.strip() for k in keys.split(",") if k.strip())
        return MappingProxyType(keymap)

    def notify(self, parent: Mapping[str, Any], prefix: Sequence[str]) -> NotifySettings:
        where = (*prefix, "notify")
        table = self.table(parent, "notify", prefix)
        self.unknown(table, {"toast", "bell", "osc9", "command"}, where)
        defaults = NotifySettings()
        toast = self.boolean(table, "toast", where)
        bell = self.boolean(table, "bell", where)
        osc9 = self.boolean(table, "osc9", where)
        command = self.command(table, "command", where)
        return NotifySettings(
            toast=defaults.toast if toast is None else toast,
            bell=defaults.bell if bell is None else bell,
            osc9=defaults.osc9 if osc9 is None else osc9,
            command=command,
        )

    def command(
        self, parent: Mapping[str, Any], key: str, prefix: Sequence[str]
    ) -> tuple[str, ...] | None:
        value = parent.get(key)
        if isinstance(value, str):
            raise self.error(
                (*prefix, key),
                'expected an array of arguments such as ["pass", "show", "zuora"] '
                "(it runs without a shell), got a string",
            )
        return self.strings(parent, key, prefix, nonempty=True)

    def profiles(self, data: Mapping[str, Any]) -> dict[str, ProfileConfig]:
        table = self.table(data, "profiles", ())
        profiles: dict[str, ProfileConfig] = {}
        for name, body in table.items():
            where = ("profiles", name)
            if not isinstance(body, dict):
                raise self.error(
                    where, f"expected a table [profiles.{_dotted([name])}], got {_type_name(body)}"
                )
            if not name.strip():
                raise self.error(where, "profile names must not be empty")
            profiles[name] = self.profile(name, body)
        return profiles

    def profile(self, name: str, body: Mapping[str, Any]) -> ProfileConfig:
        prefix = ("profiles", name)
        known = {
            "environment",
            "base_url",
            "client_id",
            "client_secret_env",
            "client_secret_command",
            "org_ids",
            "entity_ids",
            "read_only",
            "tenant_name",
            "daily_call_budget",
        }
        self.unknown(body, known, prefix)
        environment = self.string(body, "environment", prefix)
        if environment is not None and environment.strip().lower() in ENVIRONMENTS:
            environment = environment.strip().lower()
        elif environment is not None:
            known_envs = ", ".join(ENVIRONMENTS)
            raise self.error(
                (*prefix, "environment"),
                f"unknown environment {environment!r} (known: {known_envs})",
            )
        base_url = self.string(body, "base_url", prefix)
        if environment is not None and base_url is not None:
            raise self.error(
                (*prefix, "base_url"),
                "set either environment or base_url, not both",
            )
        if base_url is not None:
            base_url = _check_url(
                base_url, lambda reason: self.error((*prefix, "base_url"), reason)
            )
        client_id = self.string(body, "client_id", prefix)
        secret_env = self.string(body, "client_secret_env", prefix)
        if secret_env is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", secret_env):
            raise self.error(
                (*prefix, "client_secret_env"),
                f"expected the name of an environment variable, got {secret_env!r}",
            )
        secret_command = self.command(body, "client_secret_command", prefix)
        if secret_env is not None and secret_command is not None:
            raise self.error(
                (*prefix, "client_secret_command"),
                "set either client_secret_env or client_secret_command, not both",
            )
        if client_id is None and (secret_env is not None or secret_command is not None):
            raise self.error(
                (*prefix, "client_id"),
                "missing key: a profile with a client secret needs its client_id",
            )
        if client_id is not None and len(client_id.strip()) != 36:
            self.warn(
                (*prefix, "client_id"),
                f"Zuora client ids have 36 characters; this one has {len(client_id.strip())}",
            )
        org_ids = self.strings(body, "org_ids", prefix, nonempty=False) or ()
        entity_ids = self.strings(body, "entity_ids", prefix, nonempty=False) or ()
        read_only = self.boolean(body, "read_only", prefix)
        tenant_name = self.string(body, "tenant_name", prefix)
        budget = self.integer(body, "daily_call_budget", prefix, minimum=1)
        profile = ProfileConfig(
            name=name,
            environment=environment,
            base_url=base_url,
            client_id=client_id.strip() if client_id is not None else None,
            client_secret_env=secret_env,
            client_secret_command=secret_command,
            org_ids=org_ids,
            entity_ids=entity_ids,
            read_only=read_only,
            tenant_name=tenant_name,
            daily_call_budget=budget,
            line=self.line_of(prefix),
            key_lines=MappingProxyType(
                {key: line for key in body if (line := self.line_of((*prefix, key))) is not None}
            ),
        )
        if profile.is_production and read_only is False and tenant_name is None:
            self.warn(
                prefix,
                "production profile with read_only = false but no tenant_name: "
                "writes will ask you to type the profile name instead",
            )
        return profile


def _similar(a: str, b: str) -> bool:
    """Cheap typo check: same letters but one, or one is a prefix of the other."""
    a, b = a.lower(), b.lower()
    if a == b or (len(b) >= 4 and (a.startswith(b) or b.startswith(a))):
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    from difflib import SequenceMatcher

    return SequenceMatcher(None, a, b).ratio() >= 0.85


def _check_url(value: str, fail: Callable[[str], ConfigError]) -> str:
    """Return `value` without its trailing slash, or raise `fail(reason)` if not a URL."""
    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise fail(f"expected an http:// or https:// URL, got {value!r}")
    if parts.query or parts.fragment:
        raise fail(f"a base URL takes no query or fragment, got {value!r}")
    if parts.username or parts.password:
        raise fail("a base URL must not carry credentials")
    return text.rstrip("/")


def _read_config_text(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ConfigError("is a directory, not a file", path=path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", path=path) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError("not valid UTF-8 text", path=path, line=line) from None


def load_settings(path: Path | None = None) -> Settings:
    """Read and validate the config file.

    Args:
        path: The file to read; defaults to `ztui.core.paths.config_path()`.

    Returns:
        The settings; defaults (with `path=None`) when the file does not exist.

    Raises:
        ConfigError: On a syntax error, a wrong type, an unknown environment, a missing
            key or a literal secret, naming file, line, key and reason.
    """
    file = path if path is not None else config_path()
    text = _read_config_text(file)
    if text is None:
        return Settings()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(file, text, exc) from None
    validator = _Validator(file, text)
    validator.unknown(data, {"ui", "profiles", "default_profile"}, ())
    ui = validator.ui(data)
    profiles = validator.profiles(data)
    default_profile = validator.string(data, "default_profile", ())
    if default_profile is not None and default_profile not in profiles:
        names = ", ".join(profiles) or "none defined"
        raise validator.error(
            ("default_profile",), f"no profile named {default_profile!r} (profiles: {names})"
        )
    if validator.secret_looking and _readable_by_others(file):
        keys = ", ".join(validator.secret_looking)
        validator.warnings.append(
            f"config warning: {file}: is readable by other users and has secret-looking "
            f"keys ({keys}); run `chmod 600 {file}` and keep secrets in client_secret_env "
            "or client_secret_command"
        )
    return Settings(
        ui=ui,
        profiles=MappingProxyType(profiles),
        default_profile=default_profile,
        path=file,
        warnings=tuple(validator.warnings),
    )


def _syntax_error(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> ConfigError:
    message = str(exc)
    line: int | None = None
    if match := _TOML_POS_RE.search(message):
        line = int(match.group(1))
        message = message[: match.start()]
    elif match := _TOML_END_RE.search(message):
        line = max(1, len(text.splitlines()))
        message = message[: match.start()]
    key = None
    if line is not None:
        # Name the key being defined on (or last before) the bad line, when we can.
        candidates = [(n, k) for k, n in _scan_lines(text).items() if n <= line]
        if candidates:
            key = _dotted(max(candidates)[1])
    reason = f"TOML syntax error: {message[:1].lower()}{message[1:]}"
    return ConfigError(reason, path=path, line=line, key=key)


def _readable_by_others(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return bool(mode & (stat.S_IRGRP | stat.S_IROTH))


def parse_read_only(value: str) -> bool:
    """Interpret a `ZTUI_READ_ONLY` value, failing closed.

    Args:
        value: The variable's text.

    Returns:
        False only for `0`, `false`, `no`, `off` or empty (any case); True otherwise.
    """
    return value.strip().lower() not in FALSE_WORDS


def select_profile_name(
    settings: Settings, profile: str | None = None, env: Mapping[str, str] | None = None
) -> tuple[str | None, str]:
    """Decide which profile this run uses.

    Args:
        settings: The loaded settings.
        profile: The `--profile` value, if given.
        env: The environment (for `ZTUI_PROFILE`); defaults to `os.environ`.

    Returns:
        The profile name (None when no profile is configured at all) and where the
        choice came from.

    Raises:
        ConfigError: If the chosen name is not a profile, or several profiles exist and
            none is chosen.
    """
    environ = os.environ if env is None else env
    env_profile = environ.get("ZTUI_PROFILE", "").strip() or None
    for name, source in (
        (profile, "--profile"),
        (env_profile, "ZTUI_PROFILE"),
        (settings.default_profile, "default_profile"),
    ):
        if name is None:
            continue
        if name not in settings.profiles:
            names = ", ".join(settings.profiles) or "none defined"
            if settings.path is None:
                names = f"no config file at {config_path()}"
            raise ConfigError(
                f"no profile named {name!r} (profiles: {names})", path=settings.path, key=source
            )
        return name, source
    if len(settings.profiles) == 1:
        return next(iter(settings.profiles)), "the only profile"
    if settings.profiles:
        names = ", ".join(settings.profiles)
        raise ConfigError(
            f"several profiles ({names}) and none chosen: set default_profile, "
            "pass --profile NAME or set ZTUI_PROFILE",
            path=settings.path,
            key="default_profile",
        )
    return None, "defaults"


def resolve_profile(
    settings: Settings,
    *,
    profile: str | None = None,
    base_url: str | None = None,
    read_only: bool | None = None,
    write: bool = False,
    env: Mapping[str, str] | None = None,
    secret_timeout_s: float = SECRET_COMMAND_TIMEOUT_S,
) -> ResolvedProfile:
    """Merge the chosen profile with the environment and command line for this run.

    Precedence is command line > environment > profile > defaults. The client secret is
    fetched here (from `ZTUI_CLIENT_SECRET`, the profile's `client_secret_env`, or its
    `client_secret_command`) and registered with the log redactor.

    Args:
        settings: The loaded settings.
        profile: `--profile`.
        base_url: `--base-url`.
        read_only: `--read-only` (True), or None when not given.
        write: `--write`: lift read-only for this run.
        env: The environment; defaults to `os.environ`. `client_secret_command` always
            runs with the real process environment.
        secret_timeout_s: How long `client_secret_command` may run.

    Returns:
        The resolved connection settings.

    Raises:
        ConfigError: For an unknown profile, a bad override, contradicting flags, a
            missing client id or secret on a Zuora environment, or a failing secret
            command (whose output is never included).
    """
    environ: Mapping[str, str] = os.environ if env is None else env
    sources: dict[str, str] = {}
    name, name_source = select_profile_name(settings, profile, environ)
    config = settings.profiles[name] if name is not None else ProfileConfig(name="default")
    sources["name"] = name_source
    where = f"profiles.{_dotted([config.name])}"
    from_profile = f"profile {config.name!r}" if name is not None else "defaults"

    def fail(reason: str, key: str) -> ConfigError:
        line = None
        if key.startswith("profiles."):
            line = config.key_lines.get(key.rsplit(".", 1)[-1], config.line)
        return ConfigError(reason, path=settings.path, line=line, key=key)

    # Base URL and environment.
    env_base = environ.get("ZTUI_BASE_URL", "").strip() or None
    if base_url is not None:
        url = _check_url(base_url, lambda r: ConfigError(r, key="--base-url"))
        sources["base_url"] = "--base-url"
    elif env_base is not None:
        url = _check_url(env_base, lambda r: ConfigError(r, key="ZTUI_BASE_URL"))
        sources["base_url"] = "ZTUI_BASE_URL"
    else:
        url = config.base_url_resolved
        if config.environment is not None:
            sources["base_url"] = f"{from_profile} (environment {config.environment})"
        elif config.base_url is not None:
            sources["base_url"] = from_profile
        else:
            sources["base_url"] = "default (local simulator)"
    known_env = environment_for_url(url)
    is_production = known_env is not None and known_env.production

    # Client id.
    env_client_id = environ.get("ZTUI_CLIENT_ID", "").strip() or None
    client_id = env_client_id or config.client_id
    if client_id is not None:
        sources["client_id"] = "ZTUI_CLIENT_ID" if env_client_id else from_profile

    # Client secret: the environment override first, then the profile's reference.
    secret: Secret | None = None
    env_secret = environ.get("ZTUI_CLIENT_SECRET")
    if env_secret:
        secret = Secret(env_secret)
        sources["client_secret"] = "ZTUI_CLIENT_SECRET"
    elif config.client_secret_env is not None:
        value = environ.get(config.client_secret_env, "")
        if not value:
            raise fail(
                f"environment variable {config.client_secret_env} is not set or empty",
                f"{where}.client_secret_env",
            )
        secret = Secret(value)
        sources["client_secret"] = f"${config.client_secret_env}"
    elif config.client_secret_command is not None:
        secret = Secret(
            run_secret_command(
                config.client_secret_command,
                timeout_s=secret_timeout_s,
                fail=lambda reason: fail(reason, f"{where}.client_secret_command"),
            )
        )
        sources["client_secret"] = "client_secret_command"
    if secret is not None:
        register_secret(secret.reveal())

    if known_env is not None:
        # A real Zuora root cannot be used without credentials; say so now, not at the
        # first 401.
        if client_id is None:
            raise fail(
                f"missing key: {known_env.label} needs a client_id "
                "(in the profile or ZTUI_CLIENT_ID)",
                f"{where}.client_id" if name is not None else "ZTUI_CLIENT_ID",
            )
        if secret is None:
            raise fail(
                f"missing key: {known_env.label} needs a client secret: set "
                "client_secret_env or client_secret_command (or ZTUI_CLIENT_SECRET)",
                f"{where}.client_secret_env" if name is not None else "ZTUI_CLIENT_SECRET",
            )

    # Read-only: fail closed.
    if read_only and write:
        raise ConfigError("--read-only and --write contradict each other", key="--write")
    env_read_only = environ.get("ZTUI_READ_ONLY")
    if write:
        ro, sources["read_only"] = False, "--write"
    elif read_only is not None:
        ro, sources["read_only"] = read_only, "--read-only"
    elif env_read_only is not None:
        ro, sources["read_only"] = parse_read_only(env_read_only), "ZTUI_READ_ONLY"
    elif config.read_only is not None:
        ro, sources["read_only"] = config.read_only, from_profile
    else:
        ro = is_production
        sources["read_only"] = "default (production)" if is_production else "default"

    return ResolvedProfile(
        name=config.name,
        base_url=url,
        environment=known_env.name if known_env is not None else None,
        is_production=is_production,
        client_id=client_id,
        client_secret=secret,
        org_ids=config.org_ids,
        entity_ids=config.entity_ids,
        read_only=ro,
        tenant_name=config.tenant_name,
        daily_call_budget=config.daily_call_budget,
        sources=MappingProxyType(sources),
    )
