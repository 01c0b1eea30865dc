"""Measures what a large journal adds to `ztui jobs`: time and peak memory.

A simulator (seeded jobs, plus a few AQuA jobs created just now) serves two homes: one
with no journal, one with a synthetic journal of `--mb` megabytes (100 by default). The
synthetic journal holds the lines ztui writes over two years of use: creates, uploads and
stops of every family, each as its "sending" line and its outcome, with file names,
hashes, keys and request ids; among them 2,400 AQuA creates, all but the few made just now
older than the result window, and some old writes left open. `ztui jobs --all` runs
alternately in each home, `--runs` times; the figures are the medians of the journal
runs less those of the empty runs, wall time and peak resident memory of the process.

    python benchmarks/journal_cost.py            # figures and budgets, exit 1 when missed
    python benchmarks/journal_cost.py --mb 20 --runs 3

`run.py` calls `measure` and checks `journal_100mb_added_s` and `journal_100mb_added_mb`
in `bench.toml`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

AQUA_IDS = 2400
"""AQuA creates in the synthetic journal."""
RECENT_AQUA = 8
"""Of which made just now (real jobs in the simulator)."""


@dataclass(frozen=True)
class JournalCost:
    """Medians of `ztui jobs` with and without the journal."""

    journal_mb: float
    runs: int
    empty_s: float
    journal_s: float
    empty_rss_mb: float
    journal_rss_mb: float
    journal_lines: int
    aqua_creates: int

    @property
    def added_s(self) -> float:
        """Seconds the journal adds."""
        return self.journal_s - self.empty_s

    @property
    def added_mb(self) -> float:
        """Peak resident megabytes the journal adds."""
        return self.journal_rss_mb - self.empty_rss_mb


def _env(home: Path, base_url: str) -> dict[str, str]:
    from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    env = {k: v for k, v in os.environ.items() if not k.startswith("ZTUI_")}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        ZTUI_CONFIG=str(home / ".config" / "ztui" / "config.toml"),
        ZTUI_BASE_URL=base_url,
        ZTUI_CLIENT_ID=DEMO_CLIENT_ID,
        ZTUI_CLIENT_SECRET=DEMO_CLIENT_SECRET,
    )
    return env


def _line(entry: dict[str, Any]) -> bytes:
    # As `Journal.append` writes it.
    return (json.dumps(entry, ensure_ascii=False, default=str) + "\n").encode()


def write_journal(path: Path, size_mb: float, host: str, recent_aqua: list[str]) -> tuple[int, int]:
    """Write a synthetic journal of about `size_mb` MB, oldest line first.

    Returns:
        The lines written and the AQuA creates among them.
    """
    from ztui.store.journal import JournalEntry

    rng = random.Random(16)
    now = datetime.now(UTC)
    start = now - timedelta(days=730)
    target = int(size_mb * 1024 * 1024)
    families = [
        ("data_backfill", "create"),
        ("data_backfill", "stop"),
        ("booking_date", "create"),
        ("booking_date", "stop"),
        ("propagation", "create"),
        ("custom_object", "create"),
        ("custom_object", "upload"),
        ("custom_object", "cancel"),
    ]
    # About one write in 35 is an AQuA create: 2,400 of them in two years (a write, its
    # two lines, takes about 1,250 bytes).
    writes_estimate = target // 1250
    aqua_every = max(1, writes_estimate // (AQUA_IDS - len(recent_aqua)))
    span = (now - timedelta(hours=80) - start).total_seconds()
    written = 0
    lines = 0
    aqua_creates = len(recent_aqua)
    n = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        while written < target:
            at = start + timedelta(seconds=span * written / target)
            attempt = uuid.UUID(int=rng.getrandbits(128)).hex
            if n % aqua_every == 0:
                family, action = "aqua", "create"
                aqua_creates += 1
            else:
                family, action = families[rng.randrange(len(families))]
            n += 1
            job_id = uuid.UUID(int=rng.getrandbits(128)).hex
            name = f"{family}_{at:%Y%m%d}_{n}.csv"
            payload = name.encode()
            base: dict[str, Any] = {
                "family": family,
                "action": action,
                "at": at.isoformat(timespec="seconds"),
                "user": "operator",
                "profile": "default",
                "host": host,
                "extra": {"attempt": attempt},
            }
            if action in ("create", "upload") and family != "aqua":
                base.update(
                    file_name=name,
                    size=rng.randrange(1000, 40_000_000),
                    sha256=hashlib.sha256(payload).hexdigest(),
                    md5=hashlib.md5(payload, usedforsecurity=False).hexdigest(),
                )
                base["extra"].update(
                    type="RatePlanCharge", rows=rng.randrange(10, 90000), path=f"/data/{name}"
                )
            if family == "aqua":
                base["extra"].update(name=f"export-{n}", format="csv", queries=3)
            key = str(uuid.UUID(int=rng.getrandbits(128)))
            sending = JournalEntry(
                **base,
                idempotency_key=key,
                outcome="sending",
                message=f"sending the {action}",
            ).to_json()
            # Some writes of long ago never got their outcome (old crashes).
            left_open = rng.random() < 0.001
            ended = JournalEntry(
                **{**base, "at": (at + timedelta(seconds=2)).isoformat(timespec="seconds")},
                idempotency_key=key,
                track_id=f"ztui-{attempt[:8]}-{n}",
                request_id=str(uuid.UUID(int=rng.getrandbits(128))),
                http_status=200,
                job_id=job_id,
                outcome="ok",
                message="created" if action == "create" else f"status now {action}ped",
            ).to_json()
            for entry in (sending,) if left_open else (sending, ended):
                data = _line(entry)
                fh.write(data)
                written += len(data)
                lines += 1
        for job_id in recent_aqua:
            at = datetime.now(UTC).isoformat(timespec="seconds")
            entry = JournalEntry(
                family="aqua",
                action="create",
                at=at,
                profile="default",
                host=host,
                job_id=job_id,
                outcome="ok",
                extra={"attempt": uuid.uuid4().hex},
            ).to_json()
            fh.write(_line(entry))
            lines += 1
    return lines, aqua_creates


def _run_jobs(env: dict[str, str]) -> tuple[float, float]:
    """Run `ztui jobs --all` once; return (wall seconds, peak RSS in MB)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ztui", "jobs", "--all"],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"ztui jobs exited {proc.returncode}: {err[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024  # ru_maxrss is in KB on Linux


def measure(size_mb: float = 100.0, runs: int = 5, jobs: int = 200) -> JournalCost:
    """Run `ztui jobs --all` in both homes, alternately, `runs` times each."""
    import asyncio

    from ztui.api.client import ZuoraClient
    from ztui.core.secret import Secret
    from ztui.sim import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SimConfig, SimServer

    server = SimServer(SimConfig(jobs=jobs, clock="manual"))
    server.start()
    try:
        body = {
            "format": "csv",
            "version": "1.1",
            "name": "bench",
            "encrypted": "none",
            "queries": [{"name": "q", "query": "select Id from Account", "type": "zoql"}],
        }

        async def create() -> list[str]:
            async with ZuoraClient(
                server.base_url,
                client_id=DEMO_CLIENT_ID,
                client_secret=Secret(DEMO_CLIENT_SECRET),
            ) as client:
                return [(await client.create_aqua_job(body)).id for _ in range(RECENT_AQUA)]

        recent = asyncio.run(create())
        host = server.base_url.split("://", 1)[1]
        with tempfile.TemporaryDirectory(prefix="ztui-journal-bench-") as tmp:
            empty_home = Path(tmp) / "empty"
            big_home = Path(tmp) / "journal"
            journal = big_home / ".local" / "share" / "ztui" / "journal.jsonl"
            lines, aqua_creates = write_journal(journal, size_mb, host, recent)
            actual_mb = journal.stat().st_size / (1024 * 1024)
            # The other home's journal is empty: what the journal costs includes the gets
            # of the recent AQuA jobs it makes the listing follow.
            empty_journal = empty_home / ".local" / "share" / "ztui" / "journal.jsonl"
            write_journal(empty_journal, 0, host, [])
            empty_env = _env(empty_home, server.base_url)
            big_env = _env(big_home, server.base_url)
            _run_jobs(empty_env)  # warm the file cache and the byte-compiled modules
            _run_jobs(big_env)
            empty: list[tuple[float, float]] = []
            big: list[tuple[float, float]] = []
            for _ in range(runs):
                empty.append(_run_jobs(empty_env))
                big.append(_run_jobs(big_env))
    finally:
        server.stop()
    return JournalCost(
        journal_mb=actual_mb,
        runs=runs,
        empty_s=statistics.median(t for t, _ in empty),
        journal_s=statistics.median(t for t, _ in big),
        empty_rss_mb=statistics.median(m for _, m in empty),
        journal_rss_mb=statistics.median(m for _, m in big),
        journal_lines=lines,
        aqua_creates=aqua_creates,
    )


def budgets() -> dict[str, float]:
    """The journal budgets of bench.toml."""
    with (HERE / "bench.toml").open("rb") as handle:
        table = tomllib.load(handle).get("budgets", {})
    return {k: float(v) for k, v in table.items() if k.startswith("journal_")}


def main(argv: list[str] | None = None) -> int:
    """Measure, print the figures beside their budgets; exit 1 when one is missed."""
    parser = argparse.ArgumentParser(description="What a large journal adds to ztui jobs")
    parser.add_argument("--mb", type=float, default=100.0, help="journal size (default 100)")
    parser.add_argument("--runs", type=int, default=5, help="runs per home (default 5)")
    args = parser.parse_args(argv)
    cost = measure(args.mb, args.runs)
    limits = budgets()
    time_budget = limits.get("journal_100mb_added_s", 0.2)
    rss_budget = limits.get("journal_100mb_added_mb", 30.0)
    print(
        f"journal {cost.journal_mb:.0f} MB ({cost.journal_lines:,} lines, "
        f"{cost.aqua_creates:,} AQuA creates, {RECENT_AQUA} of them recent), "
        f"{cost.runs} runs each"
    )
    print(f"  ztui jobs, no journal:   {cost.empty_s:.3f} s, {cost.empty_rss_mb:.1f} MB peak")
    print(f"  ztui jobs, with journal: {cost.journal_s:.3f} s, {cost.journal_rss_mb:.1f} MB peak")
    ok_time = cost.added_s <= time_budget
    ok_rss = cost.added_mb <= rss_budget
    print(
        f"  added time  {cost.added_s:+.3f} s   budget <= {time_budget:g} s   "
        f"{'ok' if ok_time else 'MISSED'}"
    )
    print(
        f"  added peak  {cost.added_mb:+.1f} MB   budget <= {rss_budget:g} MB   "
        f"{'ok' if ok_rss else 'MISSED'}"
    )
    return 0 if ok_time and ok_rss else 1


if __name__ == "__main__":
    sys.exit(main())
