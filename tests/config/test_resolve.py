"""Profile resolution: precedence, fail-closed read-only, and fetching the client secret."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
import tomli_w

from ztui.config.load import ConfigError, load_settings
from ztui.config.resolve import parse_read_only, resolve_profile
from ztui.config.schema import DEFAULT_BASE_URL, Settings
from ztui.core.logsetup import clear_registered_secrets, redact
from ztui.core.paths import config_path

CLIENT_ID = "123456789012345678901234567890123456"


@pytest.fixture(autouse=True)
def _forget_secrets() -> None:
    clear_registered_secrets()


def load(text: str) -> Settings:
    """Write `text` as the isolated config and load it."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return load_settings()


TWO_PROFILES = f"""
default_profile = "sbx"

[profiles.sbx]
environment = "us-sandbox"
client_id = "{CLIENT_ID}"
client_secret_env = "SBX_SECRET"
daily_call_budget = 100

[profiles.prod]
environment = "us-production"
client_id = "{CLIENT_ID}"
client_secret_env = "PROD_SECRET"
tenant_name = "acme"
org_ids = ["org-1"]

[profiles.local]
base_url = "http://127.0.0.1:9999"
"""

ENV = {"SBX_SECRET": "sbx-secret-value", "PROD_SECRET": "prod-secret-value"}


def test_nothing_configured_points_at_the_simulator() -> None:
    resolved = resolve_profile(load_settings(), env={})
    assert resolved.name == "default"
    assert resolved.base_url == DEFAULT_BASE_URL == "http://127.0.0.1:8787"
    assert resolved.environment is None
    assert resolved.is_production is False
    assert resolved.read_only is False
    assert resolved.client_id is None
    assert resolved.client_secret is None
    assert resolved.needs_typed_confirm is False


def test_default_profile_is_used() -> None:
    resolved = resolve_profile(load(TWO_PROFILES), env=ENV)
    assert resolved.name == "sbx"
    assert resolved.base_url == "https://rest.apisandbox.zuora.com"
    assert resolved.environment == "us-sandbox"
    assert resolved.client_id == CLIENT_ID
    assert resolved.client_secret is not None
    assert resolved.client_secret.reveal() == "sbx-secret-value"
    assert resolved.daily_call_budget == 100
    assert resolved.read_only is False
    assert resolved.sources["name"] == "default_profile"


def test_cli_profile_beats_env_beats_default() -> None:
    settings = load(TWO_PROFILES)
    assert resolve_profile(settings, env={**ENV, "ZTUI_PROFILE": "local"}).name == "local"
    both = resolve_profile(settings, profile="prod", env={**ENV, "ZTUI_PROFILE": "local"})
    assert both.name == "prod"
    assert both.sources["name"] == "--profile"


def test_unknown_profile_names_its_source() -> None:
    settings = load(TWO_PROFILES)
    with pytest.raises(ConfigError) as info:
        resolve_profile(settings, env={"ZTUI_PROFILE": "staging"})
    assert info.value.key == "ZTUI_PROFILE"
    assert "no profile named 'staging' (profiles: sbx, prod, local)" in str(info.value)
    with pytest.raises(ConfigError, match="--profile: no profile named 'x'"):
        resolve_profile(settings, profile="x", env={})


def test_single_profile_needs_no_default() -> None:
    settings = load('[profiles.only]\nbase_url = "http://127.0.0.1:1"\n')
    assert resolve_profile(settings, env={}).name == "only"


def test_several_profiles_without_default_is_an_error() -> None:
    settings = load('[profiles.a]\nbase_url = "http://h"\n[profiles.b]\nbase_url = "http://i"\n')
    with pytest.raises(ConfigError, match="none chosen: set default_profile") as info:
        resolve_profile(settings, env={})
    assert info.value.key == "default_profile"


def test_base_url_precedence_cli_env_profile() -> None:
    settings = load(TWO_PROFILES)
    env = {**ENV, "ZTUI_BASE_URL": "http://127.0.0.1:7000/"}
    assert resolve_profile(settings, profile="local", env={}).base_url == "http://127.0.0.1:9999"
    from_env = resolve_profile(settings, profile="local", env=env)
    assert from_env.base_url == "http://127.0.0.1:7000"
    assert from_env.sources["base_url"] == "ZTUI_BASE_URL"
    from_cli = resolve_profile(settings, profile="local", base_url="http://127.0.0.1:6000", env=env)
    assert from_cli.base_url == "http://127.0.0.1:6000"
    assert from_cli.sources["base_url"] == "--base-url"


def test_bad_base_url_override_names_option() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_profile(load_settings(), base_url="ftp://x", env={})
    assert info.value.key == "--base-url"
    with pytest.raises(ConfigError) as info:
        resolve_profile(load_settings(), env={"ZTUI_BASE_URL": "not a url"})
    assert info.value.key == "ZTUI_BASE_URL"


def test_overriding_url_to_production_root_is_production() -> None:
    # Pointing a harmless profile at a production root by URL must not dodge read-only.
    settings = load(TWO_PROFILES)
    env = {
        "ZTUI_BASE_URL": "https://REST.zuora.com/",
        "ZTUI_CLIENT_ID": CLIENT_ID,
        "ZTUI_CLIENT_SECRET": "s3cret-env",
    }
    resolved = resolve_profile(settings, profile="local", env=env)
    assert resolved.environment == "us-production"
    assert resolved.is_production is True
    assert resolved.read_only is True
    assert resolved.needs_typed_confirm is True


def test_client_id_and_secret_env_overrides() -> None:
    settings = load(TWO_PROFILES)
    env = {**ENV, "ZTUI_CLIENT_ID": "c" * 36, "ZTUI_CLIENT_SECRET": "from-env-override"}
    resolved = resolve_profile(settings, env=env)
    assert resolved.client_id == "c" * 36
    assert resolved.client_secret is not None
    assert resolved.client_secret.reveal() == "from-env-override"
    assert resolved.sources["client_secret"] == "ZTUI_CLIENT_SECRET"


def test_missing_secret_env_var_is_a_config_error() -> None:
    settings = load(TWO_PROFILES)
    with pytest.raises(ConfigError) as info:
        resolve_profile(settings, env={})
    error = info.value
    assert error.key == "profiles.sbx.client_secret_env"
    assert error.line == 7
    assert "SBX_SECRET is not set" in error.reason


def test_zuora_environment_without_credentials_is_an_error() -> None:
    settings = load('[profiles.p]\nenvironment = "eu-sandbox"\n')
    with pytest.raises(ConfigError, match="needs a client_id") as info:
        resolve_profile(settings, env={})
    assert info.value.key == "profiles.p.client_id"
    with pytest.raises(ConfigError, match="needs a client secret"):
        resolve_profile(settings, env={"ZTUI_CLIENT_ID": CLIENT_ID})
    ok = resolve_profile(settings, env={"ZTUI_CLIENT_ID": CLIENT_ID, "ZTUI_CLIENT_SECRET": "abcd"})
    assert ok.environment == "eu-sandbox"


def test_resolved_profile_repr_hides_secret() -> None:
    resolved = resolve_profile(load(TWO_PROFILES), env=ENV)
    assert "sbx-secret-value" not in repr(resolved)
    assert "sbx-secret-value" not in str(resolved)
    # Resolving registers the secret with the log redactor.
    assert redact("sent sbx-secret-value") == "sent ********"


# --- read-only ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "read_only"),
    [
        ("0", False),
        ("false", False),
        ("FALSE", False),
        ("No", False),
        ("off", False),
        ("", False),
        (" off ", False),
        ("1", True),
        ("true", True),
        ("yes", True),
        ("on", True),
        ("nope", True),
        ("2", True),
        ("f", True),
        ("disable", True),
    ],
)
def test_ztui_read_only_fails_closed(value: str, read_only: bool) -> None:
    assert parse_read_only(value) is read_only
    resolved = resolve_profile(load_settings(), env={"ZTUI_READ_ONLY": value})
    assert resolved.read_only is read_only
    assert resolved.sources["read_only"] == "ZTUI_READ_ONLY"


def test_production_defaults_to_read_only() -> None:
    resolved = resolve_profile(load(TWO_PROFILES), profile="prod", env=ENV)
    assert resolved.is_production is True
    assert resolved.read_only is True
    assert resolved.sources["read_only"] == "default (production)"
    assert resolved.org_ids == ("org-1",)
    assert resolved.confirm_phrase == "acme"


def test_write_lifts_read_only_for_the_run_but_still_needs_confirm() -> None:
    settings = load(TWO_PROFILES)
    env = {**ENV, "ZTUI_READ_ONLY": "1"}
    resolved = resolve_profile(settings, profile="prod", write=True, env=env)
    assert resolved.read_only is False
    assert resolved.needs_typed_confirm is True
    assert resolved.sources["read_only"] == "--write"


def test_read_only_precedence() -> None:
    settings = load(
        TWO_PROFILES.replace(
            'base_url = "http://127.0.0.1:9999"', 'base_url = "http://h"\nread_only = true'
        )
    )
    assert resolve_profile(settings, profile="local", env={}).read_only is True
    assert (
        resolve_profile(settings, profile="local", env={"ZTUI_READ_ONLY": "no"}).read_only is False
    )
    assert (
        resolve_profile(
            settings, profile="sbx", read_only=True, env={**ENV, "ZTUI_READ_ONLY": "0"}
        ).read_only
        is True
    )


def test_read_only_and_write_together_is_an_error() -> None:
    with pytest.raises(ConfigError, match="--read-only and --write"):
        resolve_profile(load_settings(), read_only=True, write=True, env={})


# --- client_secret_command ---------------------------------------------------------------


def command_profile(code: str) -> Settings:
    """A profile whose secret comes from `python -c code`."""
    line = tomli_w.dumps({"client_secret_command": [sys.executable, "-c", code]})
    return load(
        f'[profiles.cmd]\nbase_url = "http://127.0.0.1:1"\nclient_id = "{CLIENT_ID}"\n{line}'
    )


def test_secret_command_success() -> None:
    settings = command_profile("print('  from-command-secret  ')")
    resolved = resolve_profile(settings, env={})
    assert resolved.client_secret is not None
    assert resolved.client_secret.reveal() == "from-command-secret"
    assert resolved.sources["client_secret"] == "client_secret_command"
    assert redact("x from-command-secret y") == "x ******** y"


def test_secret_command_not_run_when_env_override_given(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    settings = command_profile(f"open({str(marker)!r}, 'w'); print('x')")
    resolved = resolve_profile(settings, env={"ZTUI_CLIENT_SECRET": "override"})
    assert resolved.client_secret is not None
    assert resolved.client_secret.reveal() == "override"
    assert not marker.exists()


def test_secret_command_failure_hides_its_output() -> None:
    settings = command_profile(
        "import sys; print('leaked-stdout'); sys.stderr.write('leaked-stderr'); sys.exit(3)"
    )
    with pytest.raises(ConfigError) as info:
        resolve_profile(settings, env={})
    error = info.value
    assert error.key == "profiles.cmd.client_secret_command"
    assert error.line == 4
    assert "exited with code 3" in error.reason
    assert "leaked" not in str(error)
    assert error.__cause__ is None
    assert error.__context__ is None


def test_secret_command_empty_output() -> None:
    with pytest.raises(ConfigError, match="printed nothing"):
        resolve_profile(command_profile("pass"), env={})


def test_secret_command_timeout_kills_it() -> None:
    settings = command_profile("import time; print('late-secret', flush=True); time.sleep(30)")
    started = time.monotonic()
    with pytest.raises(ConfigError, match=r"timed out after 0\.5 s") as info:
        resolve_profile(settings, env={}, secret_timeout_s=0.5)
    assert time.monotonic() - started < 5
    assert "late-secret" not in str(info.value)


def test_secret_command_not_found() -> None:
    settings = load(
        f'[profiles.cmd]\nbase_url = "http://h"\nclient_id = "{CLIENT_ID}"\n'
        'client_secret_command = ["/nonexistent/ztui-secret-helper", "--get"]\n'
    )
    with pytest.raises(ConfigError, match="command not found: '/nonexistent/ztui-secret-helper'"):
        resolve_profile(settings, env={})


SANDBOX_PROFILES = f"""
[profiles.sbx]
environment = "us-sandbox"
client_id = "{CLIENT_ID}"
client_secret_env = "SBX_SECRET"

[profiles.own]
environment = "eu-sandbox"
client_id = "{CLIENT_ID}"
client_secret_env = "SBX_SECRET"
daily_call_budget = 2500

[profiles.byurl]
base_url = "https://rest.sandbox.na.zuora.com/"
client_id = "{CLIENT_ID}"
client_secret_env = "SBX_SECRET"

[profiles.prod]
environment = "us-production"
client_id = "{CLIENT_ID}"
client_secret_env = "SBX_SECRET"

[profiles.dev]
environment = "us-central-sandbox"
client_id = "{CLIENT_ID}"
client_secret_env = "SBX_SECRET"

[profiles.local]
base_url = "http://127.0.0.1:9999"
"""


@pytest.mark.parametrize(
    ("profile", "budget", "source"),
    [
        ("sbx", 8000, "default (API Sandbox)"),
        ("byurl", 8000, "default (API Sandbox)"),
        ("own", 2500, "profile 'own'"),
        ("prod", None, None),
        ("dev", None, None),
        ("local", None, None),
    ],
)
def test_api_sandbox_gets_a_default_daily_budget(
    profile: str, budget: int | None, source: str | None
) -> None:
    resolved = resolve_profile(load(SANDBOX_PROFILES), profile=profile, env=ENV)
    assert resolved.daily_call_budget == budget
    assert resolved.sources.get("daily_call_budget") == source


def test_a_url_override_onto_an_api_sandbox_gets_its_budget() -> None:
    env = {**ENV, "ZTUI_BASE_URL": "https://rest.apisandbox.zuora.com"}
    resolved = resolve_profile(load(SANDBOX_PROFILES), profile="prod", env=env)
    assert resolved.daily_call_budget == 8000
