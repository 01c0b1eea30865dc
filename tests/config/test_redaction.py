"""Redaction: credentials never reach the log, whatever shape they arrive in."""

from __future__ import annotations

import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from ztui.core.logsetup import (
    REDACTED,
    RedactingFilter,
    clear_registered_secrets,
    format_exception_redacted,
    redact,
    register_secret,
    setup_logging,
)
from ztui.core.paths import log_dir


@pytest.fixture(autouse=True)
def _clean_logging() -> Iterator[None]:
    clear_registered_secrets()
    yield
    clear_registered_secrets()
    for name in ("ztui", "httpx"):
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)


# (id, input, text that must vanish, text that must survive)
CASES: list[tuple[str, str, str, str]] = [
    ("header", "Authorization: Bearer abc.DEF-123_x", "abc.DEF", "Authorization: Bearer ********"),
    ("header-lower", "authorization: bearer tok9999", "tok9999", "authorization: bearer ********"),
    ("header-basic", "Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz", "Basic ********"),
    ("header-json", '{"Authorization": "Bearer tok123"}', "tok123", '"Bearer ********"'),
    (
        "header-httpx-tuple",
        "[(b'Authorization', b'Bearer tok456'), (b'Accept', b'application/json')]",
        "tok456",
        "(b'Accept', b'application/json')",
    ),
    ("bare-bearer", "sending Bearer abcdefghij to server", "abcdefghij", "to server"),
    (
        "json-token-body",
        '{"access_token":"c652aaaa538","token_type":"bearer","expires_in":3599,"jti":"c652bbb"}',
        "c652",
        '"token_type":"bearer","expires_in":3599',
    ),
    (
        "json-spaced",
        '{"client_secret" : "s3cr3t!", "client_id": "id-1"}',
        "s3cr3t",
        '"client_id": "id-1"',
    ),
    (
        "python-repr",
        "{'client_secret': 'pw with space', 'token': 'tt'}",
        "pw with space",
        "{'client_secret': '********'",
    ),
    (
        "form",
        "client_id=abc&client_secret=s%26cret&grant_type=client_credentials",
        "s%26cret",
        "client_id=abc&client_secret=********&grant_type=client_credentials",
    ),
    ("query-token", "GET /v1/x?token=zzz111&page=2", "zzz111", "page=2"),
    (
        "s3-presigned",
        "download https://b.s3.amazonaws.com/r.csv?X-Amz-Algorithm=AWS4&X-Amz-Credential=AK"
        "&X-Amz-Signature=deadbeef ok",
        "deadbeef",
        f"https://b.s3.amazonaws.com/r.csv?{REDACTED} ok",
    ),
    (
        "azure-sas",
        "url=https://a.blob.core.windows.net/c/f.csv?sv=2020-08-04&se=2026&sig=abc%2Bdef",
        "abc%2Bdef",
        f"https://a.blob.core.windows.net/c/f.csv?{REDACTED}",
    ),
    (
        "cloudfront",
        "https://d1.cloudfront.net/f?Expires=1&Signature=xyz~&Key-Pair-Id=K1",
        "Key-Pair-Id=K1",
        f"https://d1.cloudfront.net/f?{REDACTED}",
    ),
    (
        "gcs-signed",
        '"https://storage.googleapis.com/b/o?X-Goog-Signature=f00d&X-Goog-Date=1"',
        "f00d",
        f'"https://storage.googleapis.com/b/o?{REDACTED}"',
    ),
]


@pytest.mark.parametrize(
    ("text", "gone", "kept"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_redact(text: str, gone: str, kept: str) -> None:
    masked = redact(text)
    assert gone not in masked
    assert kept in masked


@pytest.mark.parametrize(
    "text",
    [
        "GET https://rest.zuora.com/v1/uno/data-backfill/jobs?pageSize=40&cursor=abc",
        '{"token_type":"bearer","expires_in":3599}',
        "job ff8080818bb300af018bb325fe0c58f3 is Processing (42%)",
        "tokenizer keyspace",
        "",
    ],
)
def test_harmless_text_is_untouched(text: str) -> None:
    assert redact(text) == text


def test_registered_secret_masked_everywhere() -> None:
    secret = 'p@ss&w"rd/42'
    register_secret(secret)
    assert redact(f"raw {secret} end") == f"raw {REDACTED} end"
    assert "rd/42" not in redact("form client_id=x&client_secret=p%40ss%26w%22rd%2F42")
    assert redact('{"other": "p@ss&w\\"rd/42"}') == '{"other": "********"}'
    assert "rd/42" not in redact("in a message: p%40ss%26w%22rd%2F42.")


def test_short_values_are_not_registered() -> None:
    register_secret("abc")
    assert redact("abc abc") == "abc abc"


def test_secret_containing_another_is_masked_whole() -> None:
    register_secret("abcd")
    register_secret("abcdefgh")
    assert redact("abcdefgh") == REDACTED


def make_record(msg: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord("ztui.test", logging.ERROR, __file__, 1, msg, args, exc_info)


def test_filter_redacts_formatted_args() -> None:
    record = make_record("token response %s for %r", '{"access_token":"t0ken1"}', "me")
    assert RedactingFilter().filter(record) is True
    assert "t0ken1" not in record.getMessage()
    assert record.getMessage().endswith("for 'me'")
    assert record.args is None


def test_filter_survives_bad_format_string() -> None:
    record = make_record("broken %d %d", "client_secret=oops1")
    RedactingFilter().filter(record)
    assert "oops1" not in record.getMessage()


def test_filter_redacts_traceback() -> None:
    register_secret("registered-secret-xyz")
    try:
        raise RuntimeError("failed with Authorization: Bearer tb-token-1 and registered-secret-xyz")
    except RuntimeError as exc:
        record = make_record("boom", exc=exc)
    RedactingFilter().filter(record)
    assert record.exc_info is None
    assert record.exc_text is not None
    assert "RuntimeError" in record.exc_text
    assert "tb-token-1" not in record.exc_text
    assert "registered-secret-xyz" not in record.exc_text
    formatted = logging.Formatter().format(record)
    assert "Traceback" in formatted
    assert "tb-token-1" not in formatted


def test_format_exception_redacted_covers_chained_causes() -> None:
    try:
        try:
            raise ValueError("inner client_secret=chained-1")
        except ValueError as inner:
            raise RuntimeError("outer") from inner
    except RuntimeError as exc:
        text = format_exception_redacted(exc)
    assert "chained-1" not in text
    assert "ValueError" in text
    assert "RuntimeError: outer" in text


def test_setup_logging_writes_redacted_rotating_file() -> None:
    path = setup_logging()
    assert path == log_dir() / "ztui.log"
    register_secret("the-client-secret")
    log = logging.getLogger("ztui.api.client")
    log.info("POST /oauth/token client_secret=the-client-secret")
    log.debug("debug is off by default")
    try:
        raise ConnectionError("GET https://f.s3.amazonaws.com/x?X-Amz-Signature=sig123")
    except ConnectionError:
        log.exception("download failed")
    for handler in logging.getLogger("ztui").handlers:
        handler.flush()
    text = path.read_text(encoding="utf-8")
    assert "POST /oauth/token client_secret=********" in text
    assert "the-client-secret" not in text
    assert "sig123" not in text
    assert "ConnectionError" in text
    assert "debug is off" not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    handler = next(h for h in logging.getLogger("ztui").handlers)
    assert getattr(handler, "maxBytes", None) == 1_000_000
    assert getattr(handler, "backupCount", None) == 3
    assert logging.getLogger("ztui").propagate is False


def test_setup_logging_debug_and_idempotent(tmp_path: Path) -> None:
    setup_logging(directory=tmp_path)
    path = setup_logging(debug=True, directory=tmp_path)
    logger = logging.getLogger("ztui")
    assert len(logger.handlers) == 1
    logging.getLogger("ztui.x").debug("request headers Authorization: Bearer dbg-tok")
    logging.getLogger("httpx").info("HTTP Request: GET https://h/f?sig=abc9 200")
    for handler in logger.handlers:
        handler.flush()
    text = path.read_text(encoding="utf-8")
    assert "Authorization: Bearer ********" in text
    assert "dbg-tok" not in text
    assert "HTTP Request: GET https://h/f?********" in text
    assert "abc9" not in text


def test_nothing_logged_to_the_terminal(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    setup_logging(directory=tmp_path)
    logging.getLogger("ztui.y").error("visible only in the file")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_excepthook_prints_redacted_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    from ztui.core.logsetup import install_excepthook

    previous = sys.excepthook
    try:
        install_excepthook()
        try:
            raise RuntimeError("crash with access_token=leak-me-1")
        except RuntimeError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
    finally:
        sys.excepthook = previous
    err = capsys.readouterr().err
    assert "RuntimeError: crash with access_token=********" in err
    assert "leak-me-1" not in err
