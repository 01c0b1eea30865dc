"""Tests of the write journal: round trip, permissions, torn lines, redaction, AQuA ids."""

from __future__ import annotations

import json
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ztui.core import paths
from ztui.core.logsetup import clear_registered_secrets, register_secret
from ztui.core.secret import Secret
from ztui.store.journal import (
    AQUA_FOLLOW_HOURS,
    UNSETTLED_DAYS,
    Journal,
    JournalEntry,
    host_of,
    os_user,
)


@pytest.fixture(autouse=True)
def _no_registered_secrets() -> Iterator[None]:
    clear_registered_secrets()
    yield
    clear_registered_secrets()


def upload_entry(**overrides: object) -> JournalEntry:
    """A fully populated upload entry."""
    fields: dict[str, object] = {
        "family": "data_backfill",
        "action": "upload",
        "profile": "sandbox",
        "host": "rest.apisandbox.zuora.com",
        "file_name": "rows.csv",
        "size": 1234,
        "sha256": "a" * 64,
        "md5": "b" * 32,
        "idempotency_key": "5a1f6c1e-8f0c-4b8e-9d61-1c2f3e4d5a6b",
        "track_id": "ztui-1",
        "request_id": "req-1",
        "http_status": 200,
        "job_id": "ff8080818bb300af018bb325fe0c58f3",
        "outcome": "ok",
        "message": "accepted",
        "extra": {"type": "ProductRatePlanCharge"},
    }
    fields.update(overrides)
    return JournalEntry(**fields)  # type: ignore[arg-type]


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j" / "journal.jsonl")
    entry = upload_entry()
    written = journal.append(entry)
    assert written == entry
    assert journal.read() == [entry]
    assert journal.skipped_lines == []


def test_defaults_fill_time_and_user(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    before = datetime.now(UTC).replace(microsecond=0)
    journal.append(JournalEntry(family="custom_object", action="cancel"))
    (entry,) = journal.read()
    assert before <= datetime.fromisoformat(entry.at) <= datetime.now(UTC)
    assert entry.user == os_user()
    assert entry.user
    assert entry.outcome == "unknown"


def test_one_json_object_per_line_in_order(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    for i in range(3):
        journal.append(upload_entry(job_id=f"job{i}", message="two\nlines"))
    lines = path.read_text("utf-8").splitlines()
    assert len(lines) == 3
    assert [json.loads(line)["job_id"] for line in lines] == ["job0", "job1", "job2"]
    assert [e.job_id for e in journal.read(limit=2)] == ["job1", "job2"]
    assert journal.read()[0].message == "two\nlines"


def test_default_path_is_under_the_data_dir(isolated_home: Path) -> None:
    journal = Journal()
    assert journal.path == paths.journal_path()
    assert journal.path.is_relative_to(isolated_home)
    journal.append(upload_entry())
    assert journal.path.exists()


def test_permissions_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "journal.jsonl"
    Journal(path).append(upload_entry())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_loose_permissions_are_tightened(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    path.write_text("")
    path.chmod(0o644)
    Journal(path).append(upload_entry())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_missing_journal_reads_empty(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "none.jsonl")
    assert journal.read() == []
    assert journal.known_aqua_ids("p", "h") == []


def test_truncated_last_line_is_skipped_and_next_append_is_intact(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.append(upload_entry(job_id="first"))
    with path.open("ab") as fh:
        fh.write(b'{"family": "aqua", "action": "cre')  # a crash mid-write
    assert [e.job_id for e in journal.read()] == ["first"]
    assert journal.skipped_lines == [2]
    journal.append(upload_entry(job_id="after"))
    assert [e.job_id for e in journal.read()] == ["first", "after"]
    assert journal.skipped_lines == [2]


def test_garbage_lines_anywhere_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    good = json.dumps(upload_entry().to_json())
    path.write_bytes(
        b"not json\n" + good.encode() + b"\n[1,2]\n\xff\xfe\n{}\n\n" + good.encode() + b"\n"
    )
    journal = Journal(path)
    assert len(journal.read()) == 2
    assert journal.skipped_lines == [1, 3, 4, 5]


def test_odd_field_types_are_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    line = {"family": "aqua", "action": "create", "size": "big", "http_status": True, "new": 1}
    path.write_text(json.dumps(line) + "\n")
    (entry,) = Journal(path).read()
    assert entry.size is None
    assert entry.http_status is None
    assert entry.extra == {"new": 1}


def test_host_is_reduced_to_host_and_port(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    written = journal.append(upload_entry(host="https://user:pw@REST.zuora.com:8443/v1?x=1"))
    assert written.host == "rest.zuora.com:8443"
    assert "pw" not in (tmp_path / "journal.jsonl").read_text()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://rest.zuora.com/v1", "rest.zuora.com"),
        ("http://127.0.0.1:8080", "127.0.0.1:8080"),
        ("rest.zuora.com", "rest.zuora.com"),
        ("rest.zuora.com/path", "rest.zuora.com"),
        (None, ""),
        ("", ""),
    ],
)
def test_host_of(value: str | None, expected: str) -> None:
    assert host_of(value) == expected


def test_bearer_token_is_masked(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXRleHQ"
    written = journal.append(
        upload_entry(
            outcome="error",
            message=f"401 with Authorization: Bearer {token}",
            extra={"headers": {"Authorization": f"Bearer {token}"}},
        )
    )
    text = path.read_text()
    assert token not in text
    assert "Bearer" in written.message
    assert set(written.extra["redacted"]) >= {"message", "extra.headers.Authorization"}
    # The record of the action itself survives.
    assert journal.read()[0].job_id == "ff8080818bb300af018bb325fe0c58f3"


def test_registered_secret_is_masked_everywhere(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    secret = "0123456789abcdef0123456789abcdef"  # Zuora tokens look like job ids
    register_secret(secret)
    Journal(path).append(
        upload_entry(
            idempotency_key=secret,
            message=f"token {secret} expired",
            extra={"nested": [{"k": secret}], secret: "as a key"},
        )
    )
    text = path.read_text()
    assert secret not in text
    (entry,) = Journal(path).read()
    assert "idempotency_key" in entry.extra["redacted"]


def test_secret_object_in_extra_is_stored_as_its_mask(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    Journal(path).append(upload_entry(extra={"secret": Secret("hunter2-is-long")}))
    assert "hunter2" not in path.read_text()


def test_hex_ids_and_hashes_are_not_mistaken_for_tokens(tmp_path: Path) -> None:
    entry = upload_entry()
    written = Journal(tmp_path / "journal.jsonl").append(entry)
    assert written == entry
    assert "redacted" not in written.extra


def test_concurrent_appends_do_not_interleave(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")

    def worker(n: int) -> None:
        for i in range(20):
            journal.append(upload_entry(job_id=f"{n}-{i}", message="x" * 2000))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = journal.read()
    assert journal.skipped_lines == []
    assert len(entries) == 80
    assert len({e.job_id for e in entries}) == 80


def test_known_aqua_ids(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    host = "https://rest.apisandbox.zuora.com"
    common = {"family": "aqua", "profile": "sandbox", "host": host}

    def add(**kw: object) -> None:
        fields = {**common, **kw}
        journal.append(JournalEntry(**fields))  # type: ignore[arg-type]

    add(action="create", job_id="a1", outcome="ok")
    add(action="create", job_id="a2", outcome="pending")
    add(action="create", job_id=None, outcome="error")  # validation failure: null id
    add(action="create", job_id="a3", outcome="error")
    add(action="cancel", job_id="a4", outcome="ok")  # not created by us
    add(action="create", job_id="a1", outcome="ok")  # a replayed create: no repeat
    add(action="create", job_id="other-profile", outcome="ok", profile="prod")
    add(action="create", job_id="other-host", outcome="ok", host="rest.zuora.com")
    add(action="create", job_id="co", outcome="ok", family="custom_object")
    assert journal.known_aqua_ids("sandbox", "rest.apisandbox.zuora.com") == ["a1", "a2"]
    assert journal.known_aqua_ids("sandbox", host + "/v1/") == ["a1", "a2"]
    assert journal.known_aqua_ids("prod", host) == ["other-profile"]


def test_known_aqua_ids_since(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    old = (datetime.now(UTC) - timedelta(days=10)).isoformat()
    base: dict[str, Any] = {
        "family": "aqua",
        "action": "create",
        "profile": "p",
        "host": "h",
        "outcome": "ok",
    }
    journal.append(JournalEntry(**base, job_id="old", at=old))
    journal.append(JournalEntry(**base, job_id="new"))
    since = datetime.now(UTC) - timedelta(days=1)
    assert journal.known_aqua_ids("p", "h", since=since) == ["new"]
    assert journal.known_aqua_ids("p", "h", since=since - timedelta(days=30)) == ["old", "new"]


def test_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    Journal(path).append(
        JournalEntry(
            family="aqua", action="create", profile="p", host="h", job_id="j", outcome="ok"
        )
    )
    assert Journal(path).known_aqua_ids("p", "h") == ["j"]


def test_known_aqua_ids_skip_jobs_past_their_result_window(tmp_path: Path) -> None:
    # Result files are removed after 3 days (docs/zuora-api.md §7): an older AQuA job can
    # neither change nor be downloaded, so it is not followed.
    journal = Journal(tmp_path / "journal.jsonl")
    now = datetime.now(UTC)
    gone = (now - timedelta(hours=AQUA_FOLLOW_HOURS + 1)).isoformat()
    recent = (now - timedelta(hours=AQUA_FOLLOW_HOURS - 1)).isoformat()
    base: dict[str, Any] = {"family": "aqua", "action": "create", "profile": "p", "host": "h"}
    journal.append(JournalEntry(**base, job_id="results-gone", at=gone, outcome="ok"))
    journal.append(JournalEntry(**base, job_id="kept", at=recent, outcome="ok"))
    journal.append(JournalEntry(**base, job_id="new", outcome="ok"))
    assert journal.known_aqua_ids("p", "h") == ["kept", "new"]


def _old_lines(path: Path, count: int, days: float) -> None:
    """`count` lines of long-settled writes, `days` ago (appended as an older ztui did)."""
    at = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")
    with path.open("ab") as fh:
        for i in range(count):
            entry = JournalEntry(
                family="aqua",
                action="create",
                at=at,
                profile="p",
                host="h",
                job_id=f"{i:032x}",
                outcome="sending" if i % 2 else "ok",
                extra={"attempt": f"old-{i}"},
            )
            fh.write(json.dumps(entry.to_json()).encode() + b"\n")


def test_reading_for_recent_writes_stops_at_old_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "journal.jsonl"
    _old_lines(path, 5000, days=UNSETTLED_DAYS + 100)
    journal = Journal(path)
    _write(journal, "fresh", "sending")
    journal.append(
        JournalEntry(
            family="aqua", action="create", profile="p", host="h", job_id="q", outcome="ok"
        )
    )
    decoded: list[bytes] = []
    real = json.loads

    def counting(raw: Any, *args: Any, **kwargs: Any) -> Any:
        decoded.append(raw)
        return real(raw, *args, **kwargs)

    monkeypatch.setattr(json, "loads", counting)
    assert journal.known_aqua_ids("p", "h") == ["q"]
    assert [e.extra["attempt"] for e in journal.unsettled("p", "h")] == ["fresh"]
    # Only the recent lines were decoded, not the 5,000 old ones (half of them "sending").
    assert len(decoded) <= 3
    # Asked for a wider window, the old writes left open are found.
    since = datetime.now(UTC) - timedelta(days=UNSETTLED_DAYS + 200)
    assert len(journal.unsettled("p", "h", since=since)) == 2501


def test_reading_back_handles_lines_across_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ztui.store.journal as module

    monkeypatch.setattr(module, "_BLOCK", 97)  # every line spans blocks
    journal = Journal(tmp_path / "journal.jsonl")
    for i in range(40):
        _write(journal, f"a{i}", "sending", message="m" * (i * 7))
    found = journal.unsettled("p", "h")
    assert [e.extra["attempt"] for e in found] == [f"a{i}" for i in range(40)]
    assert [len(e.message) for e in found] == [i * 7 for i in range(40)]


def test_a_full_journal_rotates_and_both_halves_are_read(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path, rotate_bytes=4096)
    for i in range(30):
        journal.append(upload_entry(job_id=f"j{i}", message="m" * 200))
    previous = journal.previous_path
    assert previous == tmp_path / "journal.1.jsonl"
    assert previous.exists()
    assert path.stat().st_size <= 4096
    assert previous.stat().st_size <= 4096
    entries = journal.read()
    ids = [e.job_id for e in entries]
    # Oldest first, across both files, nothing repeated; only what two rotations ago
    # held is gone.
    assert ids == sorted(ids, key=lambda j: int(str(j)[1:]))
    assert ids[-1] == "j29"
    assert len(ids) == len(set(ids)) >= 10
    assert stat.S_IMODE(previous.stat().st_mode) == 0o600


def test_rotation_under_concurrent_appends_keeps_the_newest_lines(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl", rotate_bytes=64 * 1024)

    def worker(n: int) -> None:
        other = Journal(tmp_path / "journal.jsonl", rotate_bytes=64 * 1024)
        for i in range(60):
            other.append(upload_entry(job_id=f"{n}-{i}", message="x" * 500))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = journal.read()
    assert journal.skipped_lines == []
    newest = {f"{n}-59" for n in range(4)}
    assert newest <= {e.job_id for e in entries}
    assert (tmp_path / "journal.jsonl").stat().st_size <= 64 * 1024


def test_scanning_for_aqua_ids_decodes_only_aqua_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    for i in range(50):
        journal.append(upload_entry(job_id=f"db-{i}"))
    journal.append(
        JournalEntry(
            family="aqua", action="create", profile="p", host="h", job_id="q", outcome="ok"
        )
    )
    decoded: list[bytes] = []
    real = json.loads

    def counting(raw: Any, *args: Any, **kwargs: Any) -> Any:
        decoded.append(raw)
        return real(raw, *args, **kwargs)

    monkeypatch.setattr(json, "loads", counting)
    assert journal.known_aqua_ids("p", "h") == ["q"]
    assert len(decoded) == 1


def test_a_failed_append_is_recorded_told_and_raised(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    path.mkdir()  # anything that makes the write fail: a full disk, a read-only folder
    journal = Journal(path)
    told: list[str] = []
    journal.on_failure(told.append)
    with pytest.raises(IsADirectoryError):
        journal.append(JournalEntry(family="aqua", action="cancel", job_id="j1", outcome="ok"))
    assert len(told) == 1
    assert journal.failures == told
    assert "cancel of aqua job j1" in told[0]
    assert str(path) in told[0]


def _write(journal: Journal, attempt: str, outcome: str, **kw: Any) -> None:
    fields: dict[str, Any] = {"family": "aqua", "action": "create", "profile": "p", "host": "h"}
    journal.append(JournalEntry(**{**fields, **kw}, outcome=outcome, extra={"attempt": attempt}))


def test_unsettled_writes_are_those_whose_last_line_leaves_them_open(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    _write(journal, "a1", "sending")
    _write(journal, "a1", "ok", job_id="j1")  # settled
    _write(journal, "a2", "sending")  # in flight when ztui stopped
    _write(journal, "a3", "sending", action="stop", family="booking_date", job_id="j3")
    _write(journal, "a3", "unknown", action="stop", family="booking_date", job_id="j3")
    _write(journal, "a4", "sending", profile="other")  # another connection
    open_writes = journal.unsettled("p", "h")
    assert [(e.extra["attempt"], e.outcome) for e in open_writes] == [
        ("a2", "sending"),
        ("a3", "unknown"),
    ]


def test_the_journal_screen_shows_one_line_per_write(tmp_path: Path) -> None:
    from ztui.store.journal import collapse_attempts

    journal = Journal(tmp_path / "journal.jsonl")
    _write(journal, "a1", "sending")
    journal.append(upload_entry(job_id="no-attempt"))
    _write(journal, "a1", "ok", job_id="j1")
    _write(journal, "a2", "sending")
    shown = collapse_attempts(journal.read())
    assert [(e.job_id, e.outcome) for e in shown] == [
        ("no-attempt", "ok"),
        ("j1", "ok"),
        (None, "sending"),
    ]


def test_dry_run_ids_are_the_dry_run_creates_of_this_connection(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")

    def create(job_id: str | None, dry: bool, **fields: Any) -> None:
        entry: dict[str, Any] = {
            "family": "propagation",
            "action": "create",
            "profile": "dev",
            "host": "sim:1",
            "job_id": job_id,
            "outcome": "ok",
            "extra": {"type": "RatePlanCharge", "dry_run": dry},
        }
        entry.update(fields)
        journal.append(JournalEntry(**entry))

    create(None, True, outcome="sending")  # the intent line: no job id yet
    create("a" * 32, True)
    create("b" * 32, False)
    create("c" * 32, True, profile="prod")
    create("d" * 32, True, host="other:1")
    assert journal.dry_run_ids("dev", "http://sim:1/") == {("propagation", "a" * 32)}
    later = datetime.now(UTC) + timedelta(days=1)
    assert journal.dry_run_ids("dev", "sim:1", since=later) == frozenset()


def test_a_write_that_works_after_a_failure_is_told_as_a_recovery(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "journal.jsonl"
    path.parent.mkdir()
    journal = Journal(path)
    failed: list[str] = []
    recovered: list[str] = []
    journal.on_failure(failed.append)
    journal.on_recovery(recovered.append)
    journal.append(upload_entry(job_id="j0"))
    assert recovered == []  # nothing had failed
    path.unlink()
    path.mkdir()  # EISDIR: as a full disk or a read-only folder would
    with pytest.raises(IsADirectoryError):
        journal.append(upload_entry(job_id="j1"))
    assert "Is a directory" in (journal.problem or "")
    path.rmdir()
    journal.append(upload_entry(job_id="j2"))
    assert journal.problem is None
    assert len(failed) == 1
    assert recovered == [f"The journal {path} records again."]
    journal.append(upload_entry(job_id="j3"))
    assert len(recovered) == 1
