"""Config validation: every bad file raises one ConfigError naming file, line, key, reason."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ztui.config.environments import ENVIRONMENTS
from ztui.config.load import ConfigError, load_settings
from ztui.core.paths import config_path


def write_config(text: str, mode: int = 0o600) -> Path:
    """Write `text` as the isolated config file and return its path."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


# (id, file text, expected line, expected key, fragment of the reason)
ERROR_CASES: list[tuple[str, str, int | None, str | None, str]] = [
    (
        "toml-syntax",
        '[ui]\ntheme = "ztui"\npoll_active_s = \n',
        3,
        "ui.poll_active_s",
        "TOML syntax error",
    ),
    (
        "toml-unclosed-string",
        '[profiles.a]\nbase_url = "http://x\n',
        2,
        "profiles.a.base_url",
        "TOML syntax error",
    ),
    (
        "toml-duplicate-key",
        '[ui]\ntheme = "a"\ntheme = "b"\n',
        3,
        "ui.theme",
        "TOML syntax error",
    ),
    (
        "unknown-environment",
        '[profiles.prod]\nclient_id = "x"\nenvironment = "us-prodd"\n',
        3,
        "profiles.prod.environment",
        "unknown environment 'us-prodd' (known: us-production",
    ),
    (
        "environment-and-base-url",
        '[profiles.p]\nenvironment = "us-sandbox"\nbase_url = "http://127.0.0.1:1"\n',
        3,
        "profiles.p.base_url",
        "either environment or base_url, not both",
    ),
    (
        "base-url-not-a-url",
        '[profiles.p]\nbase_url = "rest.zuora.com"\n',
        2,
        "profiles.p.base_url",
        "expected an http:// or https:// URL",
    ),
    (
        "base-url-with-credentials",
        '[profiles.p]\nbase_url = "https://u:pw@example.com"\n',
        2,
        "profiles.p.base_url",
        "must not carry credentials",
    ),
    (
        "client-id-wrong-type",
        "[profiles.p]\nbase_url = 'http://h'\nclient_id = 42\n",
        3,
        "profiles.p.client_id",
        "expected a string, got integer 42",
    ),
    (
        "read-only-quoted",
        '[profiles.p]\nread_only = "yes"\n',
        2,
        "profiles.p.read_only",
        "expected true or false, got string 'yes' (write true or false, without quotes)",
    ),
    (
        "budget-float",
        "[profiles.p]\ndaily_call_budget = 10.5\n",
        2,
        "profiles.p.daily_call_budget",
        "expected an integer, got float 10.5",
    ),
    (
        "budget-zero",
        "[profiles.p]\ndaily_call_budget = 0\n",
        2,
        "profiles.p.daily_call_budget",
        "must be at least 1",
    ),
    (
        "org-ids-not-list",
        '[profiles.p]\norg_ids = "a,b"\n',
        2,
        "profiles.p.org_ids",
        "expected an array of strings",
    ),
    (
        "entity-ids-list",
        '[profiles.p]\nentity_ids = ["e1", "e2"]\n',
        2,
        "profiles.p.entity_ids",
        "not a list (got an array of 2): one entity per profile; make one profile per entity",
    ),
    (
        "entity-ids-one",
        '[profiles.p]\nentity_ids = ["e1"]\n',
        2,
        "profiles.p.entity_ids",
        'entity_id = "e1"',
    ),
    (
        "entity-id-array",
        '[profiles.p]\nentity_id = ["e1", "e2"]\n',
        2,
        "profiles.p.entity_id",
        "got an array of 2: one entity per profile; make one profile per entity",
    ),
    (
        "entity-id-comma-joined",
        '[profiles.p]\nentity_id = "e1,e2"\n',
        2,
        "profiles.p.entity_id",
        "expected one entity id, got several",
    ),
    (
        "timezone-unknown",
        '[profiles.p]\nbase_url = "http://127.0.0.1:1"\ntimezone = "America/Lost_Angeles"\n',
        3,
        "profiles.p.timezone",
        "unknown time zone 'America/Lost_Angeles'",
    ),
    (
        "timezone-not-text",
        "[profiles.p]\ntimezone = -8\n",
        2,
        "profiles.p.timezone",
        "expected a string",
    ),
    (
        "entity-id-not-text",
        "[profiles.p]\nentity_id = 3\n",
        2,
        "profiles.p.entity_id",
        "expected a string, got integer 3",
    ),
    (
        "missing-client-id",
        '[profiles.p]\nenvironment = "us-sandbox"\nclient_secret_env = "SECRET"\n',
        1,
        "profiles.p.client_id",
        "missing key",
    ),
    (
        "literal-client-secret",
        '[profiles.p]\nclient_id = "x"\nclient_secret = "hunter2"\n',
        3,
        "profiles.p.client_secret",
        "use client_secret_env (an environment variable name) or client_secret_command",
    ),
    (
        "literal-client-secret-top-level",
        'client_secret = "hunter2"\n',
        1,
        "client_secret",
        "secrets may not be written in the config file",
    ),
    (
        "secret-env-not-a-name",
        '[profiles.p]\nclient_id = "x"\nclient_secret_env = "$MY SECRET"\n',
        3,
        "profiles.p.client_secret_env",
        "expected the name of an environment variable",
    ),
    (
        "secret-command-string",
        '[profiles.p]\nclient_id = "x"\nclient_secret_command = "pass show z"\n',
        3,
        "profiles.p.client_secret_command",
        "runs without a shell",
    ),
    (
        "secret-command-empty",
        '[profiles.p]\nclient_id = "x"\nclient_secret_command = []\n',
        3,
        "profiles.p.client_secret_command",
        "must not be empty",
    ),
    (
        "secret-env-and-command",
        '[profiles.p]\nclient_id = "x"\nclient_secret_env = "S"\nclient_secret_command = ["a"]\n',
        4,
        "profiles.p.client_secret_command",
        "not both",
    ),
    (
        "profile-not-a-table",
        'profiles = { p = "prod" }\n',
        1,
        "profiles.p",
        "expected a table",
    ),
    (
        "keymap-not-a-table",
        '[ui]\nkeymap = "s=stop"\n',
        2,
        "ui.keymap",
        "expected a table, got string",
    ),
    (
        "keymap-value-int",
        '[ui.keymap]\n"jobs.stop" = 5\n',
        2,
        'ui.keymap."jobs.stop"',
        "expected keys as a string",
    ),
    (
        "poll-interval-string",
        '[ui]\npoll_active_s = "5s"\n',
        2,
        "ui.poll_active_s",
        "expected a number, got string '5s'",
    ),
    (
        "poll-interval-too-small",
        "[ui]\npoll_idle_s = 0.1\n",
        2,
        "ui.poll_idle_s",
        "must be at least 1",
    ),
    (
        "notify-bell-int",
        "[ui.notify]\nbell = 1\n",
        2,
        "ui.notify.bell",
        "expected true or false, got integer 1",
    ),
    (
        "notify-command-inline-table",
        "[ui]\nnotify = { command = [1] }\n",
        2,
        "ui.notify.command",
        "item 0 must be a non-empty string",
    ),
    (
        "default-profile-unknown",
        'default_profile = "prod"\n\n[profiles.dev]\nbase_url = "http://h"\n',
        1,
        "default_profile",
        "no profile named 'prod' (profiles: dev)",
    ),
    (
        "theme-empty",
        '[ui]\ntheme = ""\n',
        2,
        "ui.theme",
        "must not be empty",
    ),
    (
        "ui-not-a-table",
        'ui = "dark"\n',
        1,
        "ui",
        "expected a table",
    ),
    (
        "network-list-cap-zero",
        "[network]\nmax_list_answer_mb = 0\n",
        2,
        "network.max_list_answer_mb",
        "must be at least 1, got 0",
    ),
    (
        "network-job-cap-not-integer",
        '[network]\nanswer_deadline_s = 60\nmax_job_answer_mb = "16MB"\n',
        3,
        "network.max_job_answer_mb",
        "expected an integer, got string '16MB'",
    ),
    (
        "network-cap-too-large",
        "[network]\nmax_list_answer_mb = 100000\n",
        2,
        "network.max_list_answer_mb",
        "must be at most 4096 (MB), got 100000",
    ),
    (
        "network-deadline-too-short",
        "[network]\nanswer_deadline_s = 0.5\n",
        2,
        "network.answer_deadline_s",
        "must be at least 1, got 0.5",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "key", "reason"),
    [case[1:] for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
def test_config_error_names_file_line_key_and_reason(
    text: str, line: int | None, key: str | None, reason: str
) -> None:
    path = write_config(text)
    with pytest.raises(ConfigError) as info:
        load_settings()
    error = info.value
    assert error.path == path
    assert error.line == line
    assert error.key == key
    assert reason in error.reason
    message = str(error)
    assert message.startswith(f"config error: {path} line {line}: {key}: ")
    assert "\n" not in message
    assert "hunter2" not in message


def test_not_utf8_is_an_error_with_line() -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'[ui]\ntheme = "\xff"\n')
    with pytest.raises(ConfigError, match="not valid UTF-8") as info:
        load_settings()
    assert info.value.line == 2


def test_config_path_is_a_directory() -> None:
    path = config_path()
    path.mkdir(parents=True)
    with pytest.raises(ConfigError, match="is a directory"):
        load_settings()


def test_missing_file_means_defaults() -> None:
    settings = load_settings()
    assert settings.path is None
    assert settings.profiles == {}
    assert settings.default_profile is None
    assert settings.ui.theme == "ztui"
    assert settings.ui.poll_active_s == 5
    assert settings.ui.notify.toast is True
    assert settings.warnings == ()


def test_unknown_keys_warn_and_are_ignored() -> None:
    path = write_config(
        "colour = 'blue'\n"
        "[ui]\n"
        "theme = 'ansi-dark'\n"
        "poll_activ_s = 3\n"
        "[ui.notify]\n"
        "sound = true\n"
        "[profiles.p]\n"
        "base_url = 'http://127.0.0.1:9'\n"
        "region = 'us'\n"
        "[extras]\n"
        "x = 1\n"
    )
    settings = load_settings()
    assert settings.ui.theme == "ansi-dark"
    assert settings.ui.poll_active_s == 5  # the misspelt key changed nothing
    assert settings.profiles["p"].base_url == "http://127.0.0.1:9"
    text = "\n".join(settings.warnings)
    assert f"{path} line 1: colour: unknown key, ignored" in text
    assert (
        f"{path} line 4: ui.poll_activ_s: unknown key, ignored (did you mean 'poll_active_s'?)"
        in text
    )
    assert f"{path} line 6: ui.notify.sound: unknown key" in text
    assert f"{path} line 9: profiles.p.region: unknown key" in text
    assert f"{path} line 10: extras: unknown key" in text
    assert len(settings.warnings) == 5


def test_valid_full_config_round_trip() -> None:
    write_config(
        'default_profile = "sbx"\n'
        "[ui]\n"
        'theme = "ansi-light"\n'
        "poll_active_s = 2\n"
        "poll_idle_s = 30.5\n"
        "poll_low_budget_s = 300\n"
        "hide_finished_after_s = 0\n"
        "[ui.keymap]\n"
        '"jobs.stop" = "s, delete"\n'
        '"jobs.upload" = ["u", "ctrl+u"]\n'
        "[ui.notify]\n"
        "toast = false\n"
        "bell = true\n"
        "osc9 = true\n"
        'command = ["notify-send", "ztui"]\n'
        "[profiles.sbx]\n"
        'environment = " EU-Sandbox"\n'
        'client_id = "123456789012345678901234567890123456"\n'
        'client_secret_env = "SBX_SECRET"\n'
        'org_ids = ["o1", "o2"]\n'
        'entity_id = "0e5c1b2a-3d4f-4a6b-8c7d-9e0f1a2b3c4d"\n'
        'timezone = "America/Los_Angeles"\n'
        "read_only = true\n"
        'tenant_name = "acme"\n'
        "daily_call_budget = 5000\n"
        '[profiles."local sim"]\n'
        'base_url = "http://127.0.0.1:8787/"\n'
    )
    settings = load_settings()
    assert settings.warnings == ()
    ui = settings.ui
    assert (ui.theme, ui.poll_active_s, ui.poll_idle_s, ui.poll_low_budget_s) == (
        "ansi-light",
        2,
        30.5,
        300,
    )
    assert ui.hide_finished_after_s == 0
    assert dict(ui.keymap) == {"jobs.stop": "s,delete", "jobs.upload": "u,ctrl+u"}
    assert ui.notify.toast is False
    assert ui.notify.bell is True
    assert ui.notify.osc9 is True
    assert ui.notify.command == ("notify-send", "ztui")
    sbx = settings.profiles["sbx"]
    assert sbx.environment == "eu-sandbox"
    assert sbx.base_url_resolved == ENVIRONMENTS["eu-sandbox"].base_url
    assert sbx.org_ids == ("o1", "o2")
    assert sbx.entity_id == "0e5c1b2a-3d4f-4a6b-8c7d-9e0f1a2b3c4d"
    assert sbx.timezone == "America/Los_Angeles"
    assert sbx.read_only is True
    assert sbx.daily_call_budget == 5000
    assert sbx.line == 16
    assert sbx.key_lines["client_secret_env"] == 19
    local = settings.profiles["local sim"]
    assert local.base_url == "http://127.0.0.1:8787"  # trailing slash dropped
    assert list(settings.profiles) == ["sbx", "local sim"]


def test_short_client_id_warns() -> None:
    write_config('[profiles.p]\nbase_url = "http://h"\nclient_id = "abc"\n')
    (warning,) = load_settings().warnings
    assert "line 3: profiles.p.client_id: Zuora client ids have 36 characters" in warning


def test_production_writable_without_tenant_name_warns() -> None:
    write_config(
        '[profiles.prod]\nenvironment = "eu-production"\n'
        'client_id = "123456789012345678901234567890123456"\nread_only = false\n'
    )
    (warning,) = load_settings().warnings
    assert "profiles.prod" in warning
    assert "no tenant_name" in warning


@pytest.mark.parametrize(("mode", "warned"), [(0o644, True), (0o640, True), (0o600, False)])
def test_secret_looking_key_in_readable_file_warns(mode: int, warned: bool) -> None:
    path = write_config('[profiles.p]\nbase_url = "http://h"\npassword = "hunter2"\n', mode)
    warnings = load_settings().warnings
    readable = [w for w in warnings if "readable by other users" in w]
    assert bool(readable) is warned
    if warned:
        assert "profiles.p.password" in readable[0]
        assert f"chmod 600 {path}" in readable[0]
    assert all("hunter2" not in w for w in warnings)


def test_every_environment_has_an_https_root() -> None:
    assert len(ENVIRONMENTS) == 11
    production = {k for k, e in ENVIRONMENTS.items() if e.production}
    assert production == {
        "us-production",
        "us-cloud1-production",
        "eu-production",
        "apac-production",
    }
    for key, env in ENVIRONMENTS.items():
        assert env.name == key
        assert env.base_url.startswith("https://rest.")
        assert not env.base_url.endswith("/")


def test_network_limits_are_read_and_reach_the_client() -> None:
    from ztui.config.resolve import resolve_profile
    from ztui.service.connection import open_client

    write_config(
        "[network]\nmax_list_answer_mb = 8\nmax_job_answer_mb = 2\nanswer_deadline_s = 45\n"
    )
    settings = load_settings()
    assert (
        settings.network.max_list_answer_mb,
        settings.network.max_job_answer_mb,
        settings.network.answer_deadline_s,
    ) == (8, 2, 45.0)
    client = open_client(resolve_profile(settings), settings.network)
    transport = client._transport
    assert transport.max_list_answer_bytes == 8 * 1024 * 1024
    assert transport.max_job_answer_bytes == 2 * 1024 * 1024
    assert transport.answer_deadline_s == 45.0


def test_network_defaults() -> None:
    from ztui.api.transport import ANSWER_DEADLINE_S, MAX_JOB_ANSWER_BYTES, MAX_LIST_ANSWER_BYTES

    write_config("[ui]\n")
    network = load_settings().network
    assert network.max_list_answer_mb * 1024 * 1024 == MAX_LIST_ANSWER_BYTES
    assert network.max_job_answer_mb * 1024 * 1024 == MAX_JOB_ANSWER_BYTES
    assert network.answer_deadline_s == ANSWER_DEADLINE_S
