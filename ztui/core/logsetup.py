"""Provides ztui's logging: one redacting filter and a rotating log file.

Everything ztui logs goes through `RedactingFilter`, which masks credentials before a
record reaches a file: `Authorization` headers, bearer tokens, `access_token` /
`client_secret` / `token` values in JSON, form and query strings, the query strings of
pre-signed URLs, and any value handed to `register_secret` (the client secret, issued
tokens). The log never goes to the terminal, which belongs to the TUI.
"""

from __future__ import annotations

import io
import logging
import os
import re
import sys
import threading
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType
from typing import Final
from urllib.parse import quote, quote_plus

from ztui.core.paths import log_dir

REDACTED: Final = "********"
"""What a masked value is replaced with (the same mask `ztui.core.secret.Secret` shows)."""

LOG_FILE_NAME: Final = "ztui.log"
"""Name of the log file inside `ztui.core.paths.log_dir()`."""

MAX_LOG_BYTES: Final = 1_000_000
"""Size at which the log file rotates."""

LOG_BACKUPS: Final = 3
"""How many rotated log files are kept."""

_MIN_SECRET_LEN: Final = 4
"""Shorter registered values are ignored: masking every 'abc' would shred the log."""

_registered: set[str] = set()
_registered_lock = threading.Lock()
_registered_values: tuple[str, ...] = ()
"""The registered values, longest first (so a secret that contains another is masked
whole). Plain text, not one compiled pattern: a pattern per change would fill the `re`
module's cache as tokens come and go over a long run."""

# `Authorization: Bearer x`, `"Authorization": "Basic x"`, `authorization=x`, and httpx's
# header tuples `(b'authorization', b'Bearer x')`. The scheme word is kept, the credential
# masked.
_AUTH_HEADER = re.compile(
    r"""(?ix)
    (\b(?:proxy-)?authorization\b["']?\s*(?:[:=]|,)\s*(?:b?["'])?)  # name, separator, quote
    (?:(bearer|basic|zsession|token|digest)\s+)?                 # optional scheme
    ([^\s"',;)}\]]+)                                             # the credential
    """
)

# A bare bearer credential anywhere (e.g. in a repr of a request's headers).
_BEARER = re.compile(r"(?i)\b(bearer\s+)([A-Za-z0-9\-._~+/]+=*)")

# Sensitive keys in JSON (`"k": "v"`), Python reprs (`'k': 'v'`), forms and query strings
# (`k=v`), and `k: v` prose. `\b` keeps `token_type` and `tokenizer` out.
_SENSITIVE_KEYS = (
    r"access_token|refresh_token|id_token|client_secret|clientsecret|token|jti|"
    r"password|passwd|secret|api_?key|apisecretaccesskey|x-amz-security-token|"
    r"x-amz-signature|signature|sig"
)
_KEY_VALUE = re.compile(
    rf"""(?ix)
    (["']?\b(?:{_SENSITIVE_KEYS})\b["']?\s*[:=]\s*)   # key and separator
    (?:
        "(?:[^"\\]|\\.)*"                          # a double-quoted value (JSON)
      | '[^']*'                                    # a single-quoted value (repr)
      | [^\s"'&,;}}\]]+                            # a bare value (form, query, prose)
    )
    """
)

# A URL and its query string. Anything after `?` in a URL that looks pre-signed (S3,
# GCS, Azure SAS, CloudFront, or a token in the query) is dropped: the query *is* the
# credential.
_URL = re.compile(r"(?i)\b(https?://[^\s\"'<>?]+)\?([^\s\"'<>]*)")
_PRESIGNED_MARKERS = re.compile(
    r"(?i)(?:^|[&;])(?:x-amz-[a-z-]+|x-goog-[a-z-]+|signature|sig|token|access_token|"
    r"awsaccesskeyid|googleaccessid|key-pair-id|policy|se|sp|sv|skoid|st|expires|"
    r"security-token|auth|credential|client_secret|apikey|api_key|key)="
)


def register_secret(value: str) -> None:
    """Mask `value` wherever it appears in the log from now on.

    Call it with the client secret and with each issued access token. The value's
    URL-encoded and JSON-escaped spellings are masked too. Values shorter than four
    characters are ignored.

    Args:
        value: The secret text.
    """
    global _registered_values
    if len(value) < _MIN_SECRET_LEN:
        return
    variants = _spellings(value)
    with _registered_lock:
        if variants <= _registered:
            return
        _registered.update(variants)
        _registered_values = tuple(sorted(_registered, key=len, reverse=True))


def _spellings(value: str) -> set[str]:
    """`value` as it is, URL-encoded, and JSON-escaped."""
    variants = {value, quote(value, safe=""), quote_plus(value, safe="")}
    variants.add(value.replace("\\", "\\\\").replace('"', '\\"'))
    return variants


def forget_secret(value: str) -> None:
    """Stop masking `value` (and its spellings) from now on: an access token that has
    been replaced, so the mask list stays as short as the secrets still in use."""
    global _registered_values
    variants = _spellings(value)
    with _registered_lock:
        if not variants & _registered:
            return
        _registered.difference_update(variants)
        _registered_values = tuple(sorted(_registered, key=len, reverse=True))


def clear_registered_secrets() -> None:
    """Forget every value given to `register_secret` (for tests)."""
    global _registered_values
    with _registered_lock:
        _registered.clear()
        _registered_values = ()


def _mask_url_query(match: re.Match[str]) -> str:
    base, query = match.group(1), match.group(2)
    if _PRESIGNED_MARKERS.search(query):
        return f"{base}?{REDACTED}"
    return match.group(0)


def _mask_key_value(match: re.Match[str]) -> str:
    prefix = match.group(1)
    value = match.group(0)[len(prefix) :]
    if value[:1] in {'"', "'"}:
        quote_char = value[0]
        return f"{prefix}{quote_char}{REDACTED}{quote_char}"
    return f"{prefix}{REDACTED}"


def _mask_auth_header(match: re.Match[str]) -> str:
    scheme = f"{match.group(2)} " if match.group(2) else ""
    return f"{match.group(1)}{scheme}{REDACTED}"


def redact(text: str) -> str:
    """Return `text` with credentials masked.

    Masks registered secrets, `Authorization` header values, bearer tokens, the values of
    `access_token`, `client_secret`, `token` and similar keys in JSON, form and query
    strings, and the whole query string of pre-signed URLs.

    Args:
        text: Any text bound for a log, a traceback or a screen.

    Returns:
        The text with every credential replaced by `REDACTED`.
    """
    if not text:
        return text
    # Registered values go first, so a secret containing `&` or quotes is masked whole
    # before the key/value rules could split it.
    for value in _registered_values:
        if value in text:
            text = text.replace(value, REDACTED)
    text = _URL.sub(_mask_url_query, text)
    text = _AUTH_HEADER.sub(_mask_auth_header, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = _KEY_VALUE.sub(_mask_key_value, text)
    return text


def format_exception_redacted(exc: BaseException) -> str:
    """Format `exc` with its traceback, redacted, for showing to the user or logging.

    Args:
        exc: The exception to format.

    Returns:
        The traceback text with credentials masked.
    """
    return redact("".join(traceback.format_exception(exc)))


class RedactingFilter(logging.Filter):
    """A logging filter that masks credentials in the message, arguments and traceback.

    It formats the message (`record.msg % record.args`) and the traceback once,
    redacts both, and stores the results on the record, so no handler or formatter can
    later render the raw values.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact `record` in place; always keep it.

        Args:
            record: The record about to be emitted.

        Returns:
            True: records are masked, never dropped.
        """
        try:
            message = record.getMessage()
        except Exception:
            # A bad format string must not lose the record (nor raise inside logging).
            message = f"{record.msg!s} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = format_exception_redacted(record.exc_info[1]).rstrip("\n")
            # Drop the live exception: a handler could otherwise re-render it (with
            # locals) from `exc_info` and bypass the redaction.
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class _PrivateRotatingFileHandler(RotatingFileHandler):
    """A rotating file handler whose files are created readable by the owner only."""

    def _open(self) -> io.TextIOWrapper:
        # The log is redacted, but request bodies and job names are still nobody
        # else's business: create each file (including after rotation) as 0600.
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return io.TextIOWrapper(
            io.FileIO(fd, "a"), encoding=self.encoding or "utf-8", errors=self.errors
        )


_HANDLER_TAG: Final = "_ztui_log_handler"
_DEBUG_LOGGERS: Final = ("httpx",)
"""Third-party loggers whose records also go to the file under `--debug`."""


def setup_logging(debug: bool = False, *, directory: Path | None = None) -> Path:
    """Send the `ztui` logger (and, with `debug`, httpx's) to a redacted rotating file.

    Calling it again replaces the handler installed before. Nothing is written to the
    terminal: the `ztui` logger stops propagating to the root logger.

    Args:
        debug: Log at DEBUG (requests and responses, still redacted) instead of INFO.
        directory: Where to put the log file; defaults to `ztui.core.paths.log_dir()`.

    Returns:
        The path of the log file.
    """
    folder = directory if directory is not None else log_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / LOG_FILE_NAME
    handler = _PrivateRotatingFileHandler(
        path, maxBytes=MAX_LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    setattr(handler, _HANDLER_TAG, True)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", None, "%")
    )
    level = logging.DEBUG if debug else logging.INFO
    handler.setLevel(level)

    loggers: list[tuple[logging.Logger, int]] = [(logging.getLogger("ztui"), level)]
    for name in _DEBUG_LOGGERS:
        loggers.append((logging.getLogger(name), logging.DEBUG if debug else logging.WARNING))
    for logger, logger_level in loggers:
        _remove_installed_handlers(logger)
        logger.addHandler(handler)
        logger.setLevel(logger_level)
        logger.propagate = False
    return path


def _remove_installed_handlers(logger: logging.Logger) -> None:
    for old in list(logger.handlers):
        if getattr(old, _HANDLER_TAG, False):
            logger.removeHandler(old)
            old.close()


def install_excepthook() -> None:
    """Make uncaught exceptions print (and log) a redacted traceback.

    The entry point calls this once, so a crash outside the TUI's own error handling
    still shows no credential on the terminal or in the log.
    """

    def hook(
        exc_type: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        text = format_exception_redacted(exc.with_traceback(tb))
        logging.getLogger("ztui").critical("uncaught exception:\n%s", text.rstrip("\n"))
        sys.stderr.write(text)

    sys.excepthook = hook
