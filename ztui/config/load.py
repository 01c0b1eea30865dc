"""Provides `load_settings`: reading and validating the config file, and `ConfigError`.

The config file (`ztui.core.paths.config_path()`) is read with `tomllib` and never rewritten.
A file that does not exist means defaults. Every bad value raises `ConfigError`, which
names the file, the line (where known), the key and the reason in one line; the entry
point prints it and exits with code 2 before any UI starts. Unknown keys are reported in
`Settings.warnings` and otherwise ignored.
"""

from __future__ import annotations

import difflib
import re
import stat
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from ztui.config.environments import ENVIRONMENTS, check_url
from ztui.config.lines import dotted, locate_syntax_error, scan_lines
from ztui.config.schema import (
    KNOWN_THEMES,
    NetworkSettings,
    NotifySettings,
    ProfileConfig,
    Settings,
    UiSettings,
)
from ztui.core.paths import config_path

_UUID: Final = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
"""A 36-character UUID with hyphens, the form [REF] requires of entity ids."""


MAX_ANSWER_MB: Final = 4096
"""The most `[network]` lets ztui read of one answer: past that, memory runs out first."""


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
        self.lines = scan_lines(text)
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
        return ConfigError(reason, path=self.path, line=self.line_of(key), key=dotted(key))

    def warn(self, key: Sequence[str], reason: str) -> None:
        line = self.line_of(key)
        where = f"{self.path} line {line}" if line is not None else str(self.path)
        self.warnings.append(f"config warning: {where}: {dotted(key)}: {reason}")

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
                self.secret_looking.append(dotted(where))
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
        if theme is not None and theme not in KNOWN_THEMES:
            close = difflib.get_close_matches(theme, KNOWN_THEMES, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise self.error(
                (*prefix, "theme"),
                f"unknown theme {theme!r}; {hint}known themes: {', '.join(KNOWN_THEMES)}",
            )
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

    def network(self, data: Mapping[str, Any]) -> NetworkSettings:
        prefix = ("network",)
        table = self.table(data, "network", ())
        known = {"max_list_answer_mb", "max_job_answer_mb", "answer_deadline_s"}
        self.unknown(table, known, prefix)
        defaults = NetworkSettings()
        list_mb = self.integer(table, "max_list_answer_mb", prefix, minimum=1)
        job_mb = self.integer(table, "max_job_answer_mb", prefix, minimum=1)
        for key, value in (("max_list_answer_mb", list_mb), ("max_job_answer_mb", job_mb)):
            if value is not None and value > MAX_ANSWER_MB:
                raise self.error(
                    (*prefix, key), f"must be at most {MAX_ANSWER_MB} (MB), got {value}"
                )
        deadline = self.number(table, "answer_deadline_s", prefix, minimum=1.0)
        return NetworkSettings(
            max_list_answer_mb=list_mb if list_mb is not None else defaults.max_list_answer_mb,
            max_job_answer_mb=job_mb if job_mb is not None else defaults.max_job_answer_mb,
            answer_deadline_s=deadline if deadline is not None else defaults.answer_deadline_s,
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
                    where, f"expected a table [profiles.{dotted([name])}], got {_type_name(body)}"
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
            "entity_id",
            "entity_ids",
            "timezone",
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
            base_url = check_url(base_url, lambda reason: self.error((*prefix, "base_url"), reason))
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
        entity_id = self.entity(body, prefix)
        timezone = self.zone(body, prefix)
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
            entity_id=entity_id,
            timezone=timezone,
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

    def zone(self, body: Mapping[str, Any], prefix: Sequence[str]) -> str | None:
        """The tenant's zone: an IANA name zoneinfo knows (docs/tolerance.md rule 6)."""
        name = self.string(body, "timezone", prefix)
        if name is None:
            return None
        name = name.strip()
        if name.upper() == "UTC":
            return "UTC"
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise self.error(
                (*prefix, "timezone"),
                f"unknown time zone {name!r}: expected an IANA name such as "
                '"America/Los_Angeles", "Europe/Berlin" or "UTC"',
            ) from None
        return name

    def entity(self, body: Mapping[str, Any], prefix: Sequence[str]) -> str | None:
        """The profile's one entity id (docs/tolerance.md rule 9).

        `Zuora-Entity-Ids` holds a single entity id (docs/zuora-api.md §2.3), so a list,
        in either key or as comma-separated text, is refused.
        """
        why = "one entity per profile; make one profile per entity"
        if "entity_ids" in body:
            value = body["entity_ids"]
            count = len(value) if isinstance(value, list) else None
            got = f"an array of {count}" if count is not None else _type_name(value)
            example = (
                f' (entity_id = "{value[0]}")' if count == 1 and isinstance(value[0], str) else ""
            )
            raise self.error(
                (*prefix, "entity_ids"),
                f"a profile names a single entity with entity_id{example}, not a list "
                f"(got {got}): {why}",
            )
        value = body.get("entity_id")
        if isinstance(value, list):
            raise self.error(
                (*prefix, "entity_id"),
                f"expected one entity id as a string, got an array of {len(value)}: {why}",
            )
        entity = self.string(body, "entity_id", prefix)
        if entity is None:
            return None
        entity = entity.strip()
        if "," in entity or len(entity.split()) > 1:
            raise self.error(
                (*prefix, "entity_id"),
                f"expected one entity id, got several ({entity!r}): {why}",
            )
        if not _UUID.fullmatch(entity):
            self.warn(
                (*prefix, "entity_id"),
                "Zuora entity ids are 36-character UUIDs with hyphens (docs/zuora-api.md §2.2)",
            )
        return entity


def _similar(a: str, b: str) -> bool:
    """Cheap typo check: same letters but one, or one is a prefix of the other."""
    a, b = a.lower(), b.lower()
    if a == b or (len(b) >= 4 and (a.startswith(b) or b.startswith(a))):
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    from difflib import SequenceMatcher

    return SequenceMatcher(None, a, b).ratio() >= 0.85


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
    except RecursionError:
        # tomllib recurses per nesting level of arrays and inline tables.
        raise ConfigError(
            "TOML nested too deeply to read (arrays or inline tables inside each other)",
            path=file,
        ) from None
    validator = _Validator(file, text)
    validator.unknown(data, {"ui", "network", "profiles", "default_profile"}, ())
    ui = validator.ui(data)
    network = validator.network(data)
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
        network=network,
        profiles=MappingProxyType(profiles),
        default_profile=default_profile,
        path=file,
        warnings=tuple(validator.warnings),
    )


def _syntax_error(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> ConfigError:
    message, line, key = locate_syntax_error(text, str(exc))
    reason = f"TOML syntax error: {message[:1].lower()}{message[1:]}"
    return ConfigError(reason, path=path, line=line, key=key)


def _readable_by_others(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return bool(mode & (stat.S_IRGRP | stat.S_IROTH))
