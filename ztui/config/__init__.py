"""Provides ztui's configuration: the TOML file, its validation, and profile resolution.

The submodules, by what they hold:

- `schema`: the settings dataclasses (`Settings`, `UiSettings`, `NotifySettings`,
  `ProfileConfig`, `ResolvedProfile`) and their constants.
- `environments`: the Zuora environments and the base-URL check.
- `lines`: the TOML key-to-line scanner that lets errors name a line.
- `load`: `load_settings`, the validator, and `ConfigError` (file, line, key, reason).
- `resolve`: which profile a run uses, merged with the environment and command line.

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
