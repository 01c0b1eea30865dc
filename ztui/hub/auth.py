"""Provides the hub's token: the file `ztui serve` keeps it in, and the check of a request.

`ztui serve` makes one random token the first time, in `hub-token` in ztui's state folder,
with mode 0600, and reuses it on every restart (so viewers keep their copy). A hub not
bound to loopback asks for it on every route; on loopback it asks for it on writes only.
Viewers send it as `Authorization: Bearer <token>`, read from `--hub-token-file`.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
import stat
from pathlib import Path
from typing import Final

from ztui.core.paths import state_path

TOKEN_FILE: Final = "hub-token"
"""The token file's name in ztui's state folder."""

_MIN_LENGTH: Final = 32


class TokenError(Exception):
    """The token file cannot be made or read; the message says which file and why."""


def token_path() -> Path:
    """Where `ztui serve` keeps its token: `hub-token` beside `state.toml`."""
    return state_path().parent / TOKEN_FILE


def _usable(text: str) -> bool:
    return len(text) >= _MIN_LENGTH and text.isascii() and text.isprintable() and " " not in text


def load_or_create_token(path: Path | None = None) -> tuple[str, Path, bool]:
    """The hub's token, made (mode 0600) when the file is missing or does not hold one.

    A file readable by others than its owner is narrowed to 0600 before it is used.

    Returns:
        `(token, path, created)`.

    Raises:
        TokenError: The file cannot be read or written.
    """
    path = path or token_path()
    try:
        if path.exists():
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & 0o077:
                os.chmod(path, 0o600)
            text = path.read_text(encoding="utf-8").strip()
            if _usable(text):
                return text, path, False
            path.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        token = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(token + "\n")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise TokenError(f"cannot use the hub token file {path}: {why}") from None
    return token, path, True


def read_token_file(path: Path) -> str:
    """The token in a viewer's `--hub-token-file`.

    Raises:
        TokenError: The file cannot be read or holds no token.
    """
    try:
        text = path.expanduser().read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise TokenError(f"cannot read the hub token file {path}: {why}") from None
    if not _usable(text):
        raise TokenError(f"{path} holds no hub token (copy the file `ztui serve` printed)")
    return text


def bearer_matches(header: str | None, token: str) -> bool:
    """True when an `Authorization` header carries `token` as a bearer token."""
    if not header:
        return False
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(value.strip().encode("utf-8"), token.encode("utf-8"))


def is_loopback(host: str) -> bool:
    """True when binding `host` listens on this machine only."""
    name = host.strip().strip("[]")
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
