"""Provides `state.toml`: small things ztui remembers between runs.

The user's `config.toml` is never rewritten (tomli-w would drop its comments); what ztui
learns while running (last upload folder, last profile, column widths) goes here
instead, under `ztui.core.paths.state_path()`. Writes are atomic (temporary file, then
rename), and a corrupt or unreadable state file is ignored with a logged warning: losing
remembered trivia must never stop the app. Secrets never belong here.
"""

from __future__ import annotations

import logging
import os
import tempfile
import tomllib
from collections.abc import Mapping
from datetime import date, datetime, time
from pathlib import Path, PurePath
from typing import Any

import tomli_w

from ztui.core.paths import state_path

log = logging.getLogger(__name__)


def load_state(path: Path | None = None) -> dict[str, Any]:
    """Read the state file.

    Args:
        path: The file; defaults to `ztui.core.paths.state_path()`.

    Returns:
        Its contents, or an empty dict when it is missing, unreadable or corrupt (the
        latter two are logged as warnings).
    """
    file = path if path is not None else state_path()
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        log.warning("state file %s unreadable, ignored: %s", file, exc.strerror or exc)
        return {}
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        log.warning("state file %s is corrupt, ignored: %s", file, exc)
        return {}


def save_state(data: Mapping[str, Any], path: Path | None = None) -> None:
    """Write `data` as the whole state file, atomically.

    `None` values are dropped (TOML has no null) and paths are stored as text.

    Args:
        data: TOML-serializable values (str, int, float, bool, dates, lists, tables).
        path: The file; defaults to `ztui.core.paths.state_path()`.

    Raises:
        OSError: The file could not be written.
        TypeError: A value cannot be stored in TOML.
    """
    file = path if path is not None else state_path()
    text = tomli_w.dumps(_clean(data))
    file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # A temporary file in the same directory, renamed over the old one: a crash
    # mid-write leaves either the old state or the new, never half of one.
    fd, tmp_name = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=file.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, file)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except OSError:
            pass
        raise


def remember(key: str, value: Any, path: Path | None = None) -> bool:
    """Store one value in the state file (None forgets it).

    Failures are logged, not raised: remembering is a convenience.

    Args:
        key: The name to store it under.
        value: A TOML-serializable value, a path, or None to delete the key.
        path: The file; defaults to `ztui.core.paths.state_path()`.

    Returns:
        Whether the value was saved.
    """
    data = load_state(path)
    if value is None:
        if key not in data:
            return True
        data.pop(key)
    else:
        data[key] = value
    try:
        save_state(data, path)
    except (OSError, TypeError, ValueError) as exc:
        log.warning("could not remember %r: %s", key, exc)
        return False
    return True


def recall(key: str, default: Any = None, path: Path | None = None) -> Any:
    """Return the value remembered under `key`, or `default`.

    Args:
        key: The name it was stored under.
        default: What to return when nothing is stored.
        path: The file; defaults to `ztui.core.paths.state_path()`.
    """
    return load_state(path).get(key, default)


def _clean(value: Any) -> Any:
    """Make `value` storable: drop None entries, turn paths into text."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value if v is not None]
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, str | bool | int | float | datetime | date | time):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in state.toml")
