"""Provides profile resolution: which profile a run uses, merged with its overrides.

`resolve_profile` merges one profile with the environment and the command line
(precedence: command line > environment > profile > defaults) into a `ResolvedProfile`,
fetching the client secret from the environment variable or command the profile names.
With nothing configured the base URL is the local simulator's default,
`http://127.0.0.1:8787` (`DEFAULT_BASE_URL`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType

from ztui.config.environments import SANDBOX_DAILY_CALL_BUDGET, check_url, environment_for_url
from ztui.config.lines import dotted
from ztui.config.load import ConfigError
from ztui.config.schema import FALSE_WORDS, ProfileConfig, ResolvedProfile, Settings
from ztui.core.logsetup import register_secret
from ztui.core.paths import config_path
from ztui.core.secret import SECRET_COMMAND_TIMEOUT_S, Secret, run_secret_command


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
    where = f"profiles.{dotted([config.name])}"
    from_profile = f"profile {config.name!r}" if name is not None else "defaults"

    def fail(reason: str, key: str) -> ConfigError:
        line = None
        if key.startswith("profiles."):
            line = config.key_lines.get(key.rsplit(".", 1)[-1], config.line)
        return ConfigError(reason, path=settings.path, line=line, key=key)

    # Base URL and environment.
    env_base = environ.get("ZTUI_BASE_URL", "").strip() or None
    if base_url is not None:
        url = check_url(base_url, lambda r: ConfigError(r, key="--base-url"))
        sources["base_url"] = "--base-url"
    elif env_base is not None:
        url = check_url(env_base, lambda r: ConfigError(r, key="ZTUI_BASE_URL"))
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

    # Call budget: an API Sandbox counts calls per day, so watch within most of them.
    budget = config.daily_call_budget
    if budget is not None:
        sources["daily_call_budget"] = from_profile
    elif known_env is not None and known_env.is_api_sandbox:
        budget = SANDBOX_DAILY_CALL_BUDGET
        sources["daily_call_budget"] = "default (API Sandbox)"

    return ResolvedProfile(
        name=config.name,
        base_url=url,
        environment=known_env.name if known_env is not None else None,
        is_production=is_production,
        client_id=client_id,
        client_secret=secret,
        org_ids=config.org_ids,
        entity_id=config.entity_id,
        timezone=config.timezone,
        read_only=ro,
        tenant_name=config.tenant_name,
        daily_call_budget=budget,
        sources=MappingProxyType(sources),
    )
