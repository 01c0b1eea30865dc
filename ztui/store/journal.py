"""Provides the write journal: an append-only JSON-lines record of every job ztui changed.

Each create, upload, stop and cancel ztui sends is written as one line, flushed and
fsynced before the call returns, under the platformdirs data directory
(`ztui.core.paths.journal_path()`). The journal answers two questions after a restart: what
did we do to this tenant (the `J` screen), and which AQuA jobs did we create (AQuA has no
list endpoint, so the board follows the ids the journal knows).

It never holds a secret: every string on its way in goes through
`ztui.core.logsetup.redact`, which masks bearer tokens, `Authorization` values, credential
keys and every value registered with `ztui.core.logsetup.register_secret`. A masked field
keeps its place and its name is listed under `extra["redacted"]`, so the record of the
action survives while the credential does not. Zuora access tokens are plain 32-hex
strings, indistinguishable from job ids, so they are only caught once registered.
"""

from __future__ import annotations

import fcntl
import getpass
import json
import logging
import os
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Final, Literal
from urllib.parse import urlsplit

from ztui.core.logsetup import redact
from ztui.core.paths import journal_path
from ztui.families import aqua

__all__ = [
    "ACTIONS",
    "OUTCOMES",
    "Journal",
    "JournalEntry",
    "collapse_attempts",
    "host_of",
    "os_user",
    "unsettled_text",
]

log = logging.getLogger(__name__)

Action = Literal["create", "upload", "stop", "cancel"]
Outcome = Literal["sending", "ok", "refused", "error", "pending", "unknown"]
ACTIONS: Final = ("create", "upload", "stop", "cancel")
"""The actions ztui journals."""
OUTCOMES: Final = ("sending", "ok", "refused", "error", "pending", "unknown")
"""What became of an action, as far as ztui knows when it writes the line. `refused`: the
server answered without doing it (an AQuA cancel that reached a finished job; the
message holds the server's code and message)."""

_AQUA: Final = aqua.DEFINITION.family.value

ROTATE_BYTES: Final = 16 * 1024 * 1024
"""When an append would take the journal past this size, the journal becomes
`journal.1.jsonl` (replacing the one before) and a new one starts: the two together stay
under 32 MB, so reading them stays cheap on every start and every headless command."""

AQUA_FOLLOW_HOURS: Final = 75
"""How long after its create an AQuA job is followed: its result files are removed after
3 days (docs/zuora-api.md §7), and by then it has long ended (a query running over 3 h is
killed, §7), so it can neither change nor be downloaded. 72 h plus those 3 h."""

UNSETTLED_DAYS: Final = 30
"""How far back `Journal.unsettled` looks for writes left open."""

READ_BACK_MARGIN: Final = timedelta(hours=1)
"""Reading back from the end stops at the first line this much older than the window: a
line is written moments after its time is taken, so lines of concurrent ztui processes
can be a little out of order, never by this much."""

_BLOCK: Final = 1 << 20
"""Bytes read at a time when reading the journal back from its end."""

_ATTEMPT_RE: Final = re.compile(rb'"attempt": "([^"]+)"')
_AT_RE: Final = re.compile(rb'"at": "([^"]+)"')
_OUTCOME_RE: Final = re.compile(rb'"outcome": "([a-z]+)"')

_AQUA_MARK: Final = f'"family": "{_AQUA}"'.encode()
_DRY_RUN_MARK: Final = b'"dry_run": true'
"""How a create sent with `dryRun: true` reads in its line (`json.dumps` spacing)."""
DRY_RUN_DAYS: Final = 90
"""How far back the journal is read for dry runs to mark: a board hides finished jobs
long before that."""
"""How an AQuA line looks in the file (`json.dumps` default separators), so a scan for AQuA
creates decodes only those lines."""


def os_user() -> str:
    """Return the OS user name, or `"unknown"` when the platform cannot tell."""
    try:
        return getpass.getuser()
    except Exception:  # getuser raises OSError/KeyError with no login name or passwd entry
        return "unknown"


def host_of(value: str | None) -> str:
    """Return just the host (and port) of a base URL or netloc, lower-cased.

    User info (`user:password@`), path and query are dropped, so a URL pasted with
    credentials in it never reaches the journal.

    Args:
        value: `https://rest.zuora.com/v1`, `rest.zuora.com`, `127.0.0.1:8080`, or None.

    Returns:
        `rest.zuora.com`, `127.0.0.1:8080`, or `""` for None/empty.
    """
    if not value:
        return ""
    text = value.strip()
    netloc = urlsplit(text).netloc if "://" in text else text.split("/", 1)[0]
    return netloc.rsplit("@", 1)[-1].lower()


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class JournalEntry:
    """One journalled action. Only `family` and `action` are required."""

    family: str
    """Job family, a `ztui.api.models.Family` value such as `"aqua"`."""
    action: str
    """One of `ACTIONS`: `"create"`, `"upload"`, `"stop"` or `"cancel"`."""
    at: str = field(default_factory=_now_iso)
    """When the line was made, ISO-8601 UTC."""
    user: str = field(default_factory=os_user)
    """The OS user running ztui."""
    profile: str | None = None
    """Config profile name."""
    host: str | None = None
    """Host (and port) of the base URL only; `Journal.append` strips anything else."""
    file_name: str | None = None
    """Base name of the uploaded file, for create/upload."""
    size: int | None = None
    """Bytes uploaded."""
    sha256: str | None = None
    """SHA-256 hex of the bytes uploaded."""
    md5: str | None = None
    """MD5 hex of the bytes uploaded (the data-backfill `checksum`)."""
    idempotency_key: str | None = None
    """`Idempotency-Key` sent with the request, so a retry can be matched up."""
    track_id: str | None = None
    """`Zuora-Track-Id` sent with the request."""
    request_id: str | None = None
    """`Zuora-Request-Id` (or equivalent) the server answered with."""
    http_status: int | None = None
    """HTTP status of the answer; None if none came (timeout, connection lost)."""
    job_id: str | None = None
    """The job created or acted on."""
    outcome: str = "unknown"
    """One of `OUTCOMES`."""
    message: str = ""
    """Short human text: the server's reason, or what happened."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Anything else worth keeping (object, operation, type, AQuA job name...)."""

    def to_json(self) -> dict[str, Any]:
        """Return the entry as a JSON-ready dict (one journal line)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JournalEntry:
        """Build an entry from a journal line's dict, tolerating missing or odd fields.

        Unknown keys go into `extra`; values of the wrong type are dropped to defaults.

        Raises:
            ValueError: `family` or `action` is missing or not a string.
        """
        family, action = data.get("family"), data.get("action")
        if not isinstance(family, str) or not isinstance(action, str):
            raise ValueError("journal line lacks family/action")
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        raw_extra = data.get("extra")
        if isinstance(raw_extra, dict):
            extra.update(raw_extra)
        for key, value in data.items():
            if key == "extra":
                continue
            if key not in known:
                extra[key] = value
            elif key in _INT_FIELDS:
                if isinstance(value, int) and not isinstance(value, bool):
                    kwargs[key] = value
            elif isinstance(value, str):
                kwargs[key] = value
        return cls(**kwargs, extra=extra)


_INT_FIELDS: Final = frozenset({"size", "http_status"})


class Journal:
    """The append-only journal file.

    Safe to share between threads; each line is written with a single `write` on an
    `O_APPEND` descriptor, so concurrent ztui processes don't interleave lines either.
    """

    def __init__(self, path: Path | None = None, *, rotate_bytes: int = ROTATE_BYTES) -> None:
        """Open (lazily) the journal at `path`, default `ztui.core.paths.journal_path()`."""
        self.path = path if path is not None else journal_path()
        """The JSON-lines file."""
        self.rotate_bytes = rotate_bytes
        """The size past which the journal rotates (see `ROTATE_BYTES`)."""
        self.failures: list[str] = []
        """What could not be recorded since this journal was opened, one sentence each."""
        self.problem: str | None = None
        """Why the latest append failed (`No space left on device`), None once one works."""
        self._listeners: list[Callable[[str], None]] = []
        self._recovery_listeners: list[Callable[[str], None]] = []
        self.skipped_lines: list[int] = []
        """Line numbers the last `read` could not parse (a torn write, hand edits)."""
        self._lock = threading.Lock()

    def on_failure(self, listener: Callable[[str], None]) -> None:
        """Call `listener` with a sentence for the user each time an append fails, so a
        full disk is said where the user looks (the app's screen, a command's stderr),
        not only in a log on that same disk."""
        self._listeners.append(listener)

    def on_recovery(self, listener: Callable[[str], None]) -> None:
        """Call `listener` with a sentence for the user when an append succeeds after one
        failed, so a warning shown since the failure can be taken down."""
        self._recovery_listeners.append(listener)

    def append(self, entry: JournalEntry) -> JournalEntry:
        """Write `entry` as one line, flushed and fsynced; return what was written.

        The host is reduced to host[:port] and every string is redacted first. A failure
        is added to `failures`, kept in `problem` and told to every `on_failure` listener,
        then raised; the next append that works clears `problem` and tells the
        `on_recovery` listeners.

        Raises:
            OSError: The journal cannot be written.
        """
        try:
            written = self._append(entry)
        except OSError as exc:
            what = f"{entry.action} of {entry.family} job {entry.job_id or '(no id yet)'}"
            self.problem = str(exc.strerror or exc)
            text = (
                f"The journal {self.path} could not record the {what}: "
                f"{self.problem}. ztui keeps working, but this write is not on record."
            )
            self.failures.append(text)
            self._tell(self._listeners, text)
            raise
        if self.problem is not None:
            self.problem = None
            self._tell(self._recovery_listeners, f"The journal {self.path} records again.")
        return written

    @staticmethod
    def _tell(listeners: list[Callable[[str], None]], text: str) -> None:
        for listener in list(listeners):
            try:
                listener(text)
            except Exception:  # a listener must not hide the journal's own outcome
                log.exception("journal listener failed")

    def _append(self, entry: JournalEntry) -> JournalEntry:
        clean = _sanitise(entry)
        line = json.dumps(clean.to_json(), ensure_ascii=False, default=str) + "\n"
        data = line.encode("utf-8")
        with self._lock:
            self._ensure_parent()
            self._rotate_if_full(len(data))
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                st = os.fstat(fd)
                if st.st_mode & 0o077:
                    os.fchmod(fd, 0o600)  # the journal names jobs and users: owner only
                # A torn last line (crash mid-write) must not swallow this entry too.
                if st.st_size > 0 and os.pread(fd, 1, st.st_size - 1) != b"\n":
                    data = b"\n" + data
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        return clean

    @property
    def previous_path(self) -> Path:
        """The journal before the last rotation (`journal.1.jsonl`)."""
        return self.path.with_name(f"{self.path.stem}.1{self.path.suffix}")

    def _rotate_if_full(self, incoming: int) -> None:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return
        if size + incoming <= self.rotate_bytes:
            return
        # Several ztui processes may append at once: rotate under an exclusive lock and
        # look again, so only one of them moves the file.
        lock_path = self.path.with_name(f".{self.path.name}.lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                if self.path.stat().st_size + incoming > self.rotate_bytes:
                    os.replace(self.path, self.previous_path)
                    log.info("journal rotated to %s", self.previous_path)
            except FileNotFoundError:
                pass
        finally:
            os.close(fd)

    def _files(self) -> list[Path]:
        return [self.previous_path, self.path]

    def _lines(self, wanted: bytes | None = None) -> Iterable[tuple[int, bytes]]:
        """Every non-blank line of both files, oldest first, numbered across them; with
        `wanted`, only the lines holding those bytes."""
        number = 0
        for path in self._files():
            try:
                fh = path.open("rb")
            except FileNotFoundError:
                continue
            with fh:
                for raw in fh:
                    number += 1
                    if raw.strip() and (wanted is None or wanted in raw):
                        yield number, raw

    def read(self, limit: int | None = None) -> list[JournalEntry]:
        """Return the entries, oldest first; with `limit`, only the newest `limit`.

        Both the journal and the one before its last rotation are read. Lines that don't
        parse (a torn last line, hand edits) are skipped, logged, and their numbers left
        in `skipped_lines`. A missing journal reads as empty.

        Raises:
            OSError: The journal exists but cannot be read.
        """
        entries: deque[JournalEntry] = deque(maxlen=limit if limit and limit > 0 else None)
        skipped: list[int] = []
        for number, raw in self._lines():
            entry = _parse_line(raw)
            if entry is None:
                skipped.append(number)
            else:
                entries.append(entry)
        if skipped:
            log.warning("journal %s: skipped unreadable line(s) %s", self.path, skipped[:10])
        self.skipped_lines = skipped
        if limit is not None and limit <= 0:
            return []
        return list(entries)

    def _lines_back(self, since: datetime) -> Iterator[bytes]:
        """The non-blank lines of both files, newest first, back to `since`.

        The journal is written in time order, so reading stops at the first line older
        than `since` (less `READ_BACK_MARGIN`): the cost is that of the recent lines,
        however large the files are.
        """
        stop = since - READ_BACK_MARGIN
        for path in (self.path, self.previous_path):
            try:
                fh = path.open("rb")
            except FileNotFoundError:
                continue
            with fh:
                for raw in _reversed_lines(fh):
                    if not raw.strip():
                        continue
                    at = _AT_RE.search(raw)
                    if at is not None and not _at_or_after(_text(at.group(1)), stop):
                        return
                    yield raw

    def unsettled(
        self, profile: str | None, host: str | None, *, since: datetime | None = None
    ) -> list[JournalEntry]:
        """Writes of this connection whose last line leaves them open, oldest first.

        Every create and stop is written as "sending" before it goes out, then as how it
        ended, under one `extra["attempt"]`. An attempt whose last line is still
        "sending" was in flight when ztui stopped (a crash, a kill, a lost machine): it
        may or may not have reached Zuora. One whose last line is "unknown" lost its
        answer and could not be settled. Both are for the user to look at.

        Args:
            profile: Profile name the writes were made under.
            host: Base URL or host of the connection; compared as `host_of`.
            since: Only writes whose last line is this recent; by default the last
                `UNSETTLED_DAYS`. The journal is read back from its end to there.
        """
        if since is None:
            since = datetime.now(UTC) - timedelta(days=UNSETTLED_DAYS)
        want_host = host_of(host)
        # Newest first, so the first line seen of an attempt is its last. Each line's
        # attempt and outcome are read with a pattern; only a write left open is decoded.
        seen: set[bytes] = set()
        found: list[JournalEntry] = []
        for raw in self._lines_back(since):
            attempt = _ATTEMPT_RE.search(raw)
            if attempt is None or attempt.group(1) in seen:
                continue
            seen.add(attempt.group(1))
            outcome = _OUTCOME_RE.search(raw)
            if outcome is None or outcome.group(1) not in (b"sending", b"unknown"):
                continue
            entry = _parse_line(raw)
            if entry is None:
                continue
            if (entry.profile or None) != (profile or None) or host_of(entry.host) != want_host:
                continue
            found.append(entry)
        found.reverse()
        return found

    def attempt_lines(self, attempt: str, *, since: datetime | None = None) -> list[JournalEntry]:
        """Every line of one write (`extra["attempt"]`), oldest first, back to `since`
        (by default the last `UNSETTLED_DAYS`)."""
        if since is None:
            since = datetime.now(UTC) - timedelta(days=UNSETTLED_DAYS)
        mark = f'"attempt": "{attempt}"'.encode()
        entries = [
            entry
            for raw in self._lines_back(since)
            if mark in raw and (entry := _parse_line(raw)) is not None
        ]
        entries.reverse()
        return entries

    def recent(self, since: datetime) -> list[JournalEntry]:
        """The entries written at or after `since`, oldest first (read back from the end)."""
        entries = [entry for raw in self._lines_back(since) if (entry := _parse_line(raw))]
        entries.reverse()
        return [e for e in entries if _at_or_after(e.at, since)]

    def known_aqua_ids(
        self, profile: str | None, host: str | None, *, since: datetime | None = None
    ) -> list[str]:
        """AQuA job ids created from ztui on this connection, oldest first, no repeats.

        The journal is read back from its end to `since`, and only the lines about AQuA
        are decoded, so the cost is that of the recent lines.

        Args:
            profile: Profile name the jobs were created under.
            host: Base URL or host of the connection; compared as `host_of`.
            since: Only jobs created at or after this time (aware datetime); by default
                the last `AQUA_FOLLOW_HOURS`, after which a job can neither change nor
                be downloaded.

        Returns:
            The ids of successful (or not known to have failed) AQuA creates.
        """
        if since is None:
            since = datetime.now(UTC) - timedelta(hours=AQUA_FOLLOW_HOURS)
        want_host = host_of(host)
        ids: list[str] = []
        for raw in self._lines_back(since):
            if _AQUA_MARK not in raw:
                continue
            entry = _parse_line(raw)
            if entry is None or (
                entry.family != _AQUA
                or entry.action != "create"
                or not entry.job_id
                or entry.outcome == "error"
                or (entry.profile or None) != (profile or None)
                or host_of(entry.host) != want_host
            ):
                continue
            if not _at_or_after(entry.at, since):
                continue
            ids.append(entry.job_id)
        return list(dict.fromkeys(reversed(ids)))

    def dry_run_ids(
        self, profile: str | None, host: str | None, *, since: datetime | None = None
    ) -> frozenset[tuple[str, str]]:
        """`(family, job id)` of the jobs this connection created as dry runs
        (`extra["dry_run"]`).

        Zuora does not say whether it echoes `dryRun` in a job (docs/zuora-api.md §5), so
        the journal is what tells a dry run from a real one after the fact. The journal is
        read back from its end to `since`, and only lines holding `"dry_run": true` are
        decoded.

        Args:
            profile: Profile name the jobs were created under.
            host: Base URL or host of the connection; compared as `host_of`.
            since: Only creates at or after this time (aware datetime); by default the
                last `DRY_RUN_DAYS`.
        """
        if since is None:
            since = datetime.now(UTC) - timedelta(days=DRY_RUN_DAYS)
        want_host = host_of(host)
        keys: set[tuple[str, str]] = set()
        for raw in self._lines_back(since):
            if _DRY_RUN_MARK not in raw:
                continue
            entry = _parse_line(raw)
            if (
                entry is None
                or entry.action != "create"
                or not entry.job_id
                or entry.extra.get("dry_run") is not True
                or (entry.profile or None) != (profile or None)
                or host_of(entry.host) != want_host
                or not _at_or_after(entry.at, since)
            ):
                continue
            keys.add((entry.family, entry.job_id))
        return frozenset(keys)

    def _ensure_parent(self) -> None:
        parent = self.path.parent
        if not parent.exists():
            parent.mkdir(parents=True, mode=0o700, exist_ok=True)
            os.chmod(parent, 0o700)  # mkdir's mode is filtered through the umask


def unsettled_text(entry: JournalEntry) -> str:
    """One sentence about a write `Journal.unsettled` returned, for the user."""
    what = f"{entry.action} of {entry.family} job {entry.job_id or '(id not known yet)'}"
    if entry.outcome == "sending":
        how = "was in flight when ztui stopped"
    else:
        how = "lost its answer and could not be settled"
    return (
        f"the {what}, sent {entry.at}, {how}: it may or may not have reached Zuora. "
        "Check the job on the board (the journal, J, lists it)."
    )


def collapse_attempts(entries: Iterable[JournalEntry]) -> list[JournalEntry]:
    """One entry per write: the last line of each attempt (`extra["attempt"]`), in the
    order the writes ended; lines without an attempt are kept as they are. A write still
    shown as "sending" is one whose end was never recorded."""
    last: dict[str, int] = {}
    kept: list[JournalEntry | None] = []
    for entry in entries:
        attempt = entry.extra.get("attempt")
        if isinstance(attempt, str) and attempt:
            earlier = last.get(attempt)
            if earlier is not None:
                kept[earlier] = None
            last[attempt] = len(kept)
        kept.append(entry)
    return [e for e in kept if e is not None]


def _parse_line(raw: bytes) -> JournalEntry | None:
    try:
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return JournalEntry.from_json(data)
    except (ValueError, UnicodeDecodeError):
        return None


def _reversed_lines(fh: BinaryIO) -> Iterator[bytes]:
    """The lines of a file, last first, read in blocks from its end."""
    end = fh.seek(0, os.SEEK_END)
    tail = b""
    while end > 0:
        start = max(0, end - _BLOCK)
        fh.seek(start)
        block = fh.read(end - start) + tail
        end = start
        lines = block.split(b"\n")
        # The first piece may be the end of a line that starts in an earlier block.
        tail = lines[0] if start > 0 else b""
        yield from reversed(lines[1:] if start > 0 else lines)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _at_or_after(at: str, since: datetime) -> bool:
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        return True  # keep what we cannot date rather than lose a job
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when >= since


def _sanitise(entry: JournalEntry) -> JournalEntry:
    """Reduce the host and redact every string field (and those nested in `extra`)."""
    masked: list[str] = []
    changes: dict[str, Any] = {}
    for f in fields(entry):
        value = getattr(entry, f.name)
        if f.name == "host" and isinstance(value, str):
            value = host_of(value)
            changes["host"] = value
        if isinstance(value, str):
            clean = redact(value)
            if clean != value:
                changes[f.name] = clean
                masked.append(f.name)
    extra = _redact_tree(entry.extra, "extra", masked)
    if masked:
        extra = dict(extra)
        previous = extra.get("redacted")
        names = list(previous) if isinstance(previous, list) else []
        extra["redacted"] = names + [m for m in masked if m not in names]
    changes["extra"] = extra
    return replace(entry, **changes)


def _redact_tree(value: Any, where: str, masked: list[str]) -> Any:
    """Return `value` with every string (keys included) redacted, noting where."""
    if isinstance(value, str):
        clean = redact(value)
        if clean != value:
            masked.append(where)
        return clean
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            # The path of a masked value is itself journalled, so build it from the
            # already-redacted key.
            key = _redact_tree(str(k), f"{where}.key", masked)
            out[key] = _redact_tree(v, f"{where}.{key}", masked)
        return out
    if isinstance(value, Iterable) and not isinstance(value, bytes | bytearray):
        return [_redact_tree(v, f"{where}[]", masked) for v in value]
    if isinstance(value, bool | int | float) or value is None:
        return value
    # Anything else (a Secret, a Path, a datetime) is stored as its str(), which for
    # `Secret` is the mask.
    return _redact_tree(str(value), where, masked)
