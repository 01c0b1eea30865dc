"""Runs the job board benchmarks and checks each figure against its budget.

    python benchmarks/run.py               # every figure, 5 runs per terminal target
    python benchmarks/run.py --runs 9
    python benchmarks/run.py --skip-terminal   # API calls and journal only (no pty needed)

Terminal figures come from `tools/tuibench.py` (in this folder), which runs each target
in a pseudo-terminal with an emulated screen;
`bench.toml` lists the targets and budgets. Ratios compare ztui with the minimal Textual
app measured in the same run. The API-call figures come from `api_calls.py` (one
simulated hour against the simulator, and a busy simulated day with the API Sandbox's
default budget). The journal figures come from `journal_cost.py` (`ztui jobs` with a
100 MB journal against one without). Every figure is printed beside its budget; the
exit code is 1 when one is missed, 0 when all are met or the benchmark had to be
skipped (pyte absent), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import importlib.util
import json
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TOOLS = HERE / "tools"
TUIBENCH = TOOLS / "tuibench.py"
CONFIG = HERE / "bench.toml"


@dataclass(frozen=True)
class Figure:
    """One measured figure and its budget."""

    name: str
    value: float | None
    budget: float | None
    unit: str
    note: str = ""
    higher_is_worse: bool = True

    @property
    def ok(self) -> bool | None:
        """True when within budget, None when there is no budget or no value."""
        if self.budget is None or self.value is None:
            return None
        return self.value <= self.budget if self.higher_is_worse else self.value >= self.budget


def _fill(value: Any, names: dict[str, str]) -> Any:
    """Replace `{name}` placeholders in every string of a TOML structure."""
    if isinstance(value, str):
        for key, text in names.items():
            value = value.replace("{" + key + "}", text)
        return value
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


def _quoted(path: Path | str) -> str:
    text = str(path)
    return f'"{text}"' if " " in text else text


def run_tuibench(runs: int | None, workdir: Path) -> tuple[dict[str, Any], dict[str, float]]:
    """Run tuibench over bench.toml; return the medians per target and the budgets."""
    with CONFIG.open("rb") as handle:
        config = tomllib.load(handle)
    budgets = {k: float(v) for k, v in config.pop("budgets", {}).items()}
    idle_config = workdir / "idle-config.toml"
    # Polls an hour apart: after the first poll nothing changes, which is what the idle
    # figures are about (a poll that changes rows is measured by the poll-10-rows target).
    idle_config.write_text("[ui]\npoll_active_s = 3600\npoll_idle_s = 3600\n")
    # The default polling, written out so that no user config changes it: the families
    # with a running job are polled every 5 s, the others every 60 s.
    watch_config = workdir / "watch-config.toml"
    watch_config.write_text("[ui]\npoll_active_s = 5\npoll_idle_s = 60\n")
    names = {
        "python": _quoted(sys.executable),
        "tools": _quoted(TOOLS),
        "bench": _quoted(HERE),
        "idle_config": str(idle_config),
        "watch_config": str(watch_config),
    }
    config = _fill(config, names)
    if runs is not None:
        config["runs"] = runs
    filled = workdir / "bench.toml"
    filled.write_text(tomli_w.dumps(config))
    # Measure start-up as an installed package starts: with its modules byte-compiled
    # (pip writes the .pyc files at install time; an editable checkout run with
    # PYTHONDONTWRITEBYTECODE would otherwise compile every ztui module at each start).
    compileall.compile_dir(REPO / "ztui", quiet=1)
    command = [sys.executable, str(TUIBENCH), "--config", str(filled), "-q"]
    print("$", " ".join(command), flush=True)
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr[-4000:])
    last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "{}"
    try:
        medians: dict[str, Any] = json.loads(last).get("medians", {})
    except json.JSONDecodeError:
        medians = {}
    if not medians:
        raise SystemExit(f"tuibench gave no figures (exit {result.returncode})")
    return medians, budgets


def terminal_figures(medians: dict[str, Any], budgets: dict[str, float]) -> list[Figure]:
    """Turn tuibench medians into the issue's figures."""

    def get(target: str, key: str) -> float | None:
        value = medians.get(target, {}).get(key)
        return float(value) if isinstance(value, int | float) else None

    hello = get("hello", "ready_s")
    figures = [Figure("first frame, minimal app", hello, None, "s")]
    for target, budget_key, label in (
        ("ztui-100", "first_frame_100_ratio", "first frame, 100 jobs"),
        ("ztui-10k", "first_frame_10k_ratio", "first frame, 10,000 jobs"),
    ):
        ready = get(target, "ready_s")
        ratio = ready / hello if ready is not None and hello else None
        figures.append(
            Figure(
                f"{label} / minimal app",
                ratio,
                budgets.get(budget_key),
                "x",
                f"{ready:.3f} s" if ready is not None else "no frame",
            )
        )
    rows_50k = get("ztui-50k", "ready_s")
    figures.append(
        Figure(
            "first rows, 50,000 jobs",
            rows_50k,
            budgets.get("first_rows_50k_s"),
            "s",
            f"{rows_50k / hello:.2f}x the minimal app" if rows_50k is not None and hello else "",
        )
    )
    figures.append(
        Figure(
            "poll changing 10 visible rows",
            get("poll-10-rows", "idle_bytes_per_burst"),
            budgets.get("poll_10_rows_bytes"),
            "bytes",
            "per burst, 10,000 jobs",
        )
    )
    for target in ("ztui-100", "ztui-10k"):
        figures.append(
            Figure(
                f"idle output, {target}",
                get(target, "idle_bytes_per_s"),
                budgets.get("idle_bytes_per_s"),
                "bytes/s",
            )
        )
        figures.append(
            Figure(
                f"idle CPU, {target}",
                get(target, "idle_cpu_s_per_s"),
                budgets.get("idle_cpu_s_per_s"),
                "CPU s/s",
            )
        )
    figures.append(
        Figure(
            "CPU watching 10,000 jobs, 3 running",
            get("watch-10k", "idle_cpu_s_per_s"),
            budgets.get("watch_cpu_s_per_s"),
            "CPU s/s",
            "5 s polls for their families, 60 s for the others; a 60 s window",
        )
    )
    rss_100 = get("ztui-100", "peak_rss_mb")
    for target, jobs, budget_key, label in (
        ("ztui-10k", 10_000, "peak_rss_10k_mb", "10,000"),
        ("ztui-50k", 50_000, "peak_rss_50k_mb", "50,000"),
    ):
        rss = get(target, "peak_rss_mb")
        figures.append(
            Figure(
                f"peak RSS, {label} jobs", rss, budgets.get(budget_key), "MB", "app and simulator"
            )
        )
        per_job = (rss - rss_100) * 2**20 / (jobs - 100) if rss and rss_100 else None
        figures.append(
            Figure(
                f"bytes per job, {label} jobs",
                per_job,
                budgets.get("bytes_per_job"),
                "bytes",
                "peak RSS above the 100-job demo's / extra jobs",
            )
        )
    for target, budget_key, label in (
        ("ztui-10k", "filter_key_10k_s", "10,000"),
        ("ztui-50k", "filter_key_50k_s", "50,000"),
    ):
        figures.append(
            Figure(
                f"filter keystroke, {label} jobs",
                get(target, "key_latency_s"),
                budgets.get(budget_key),
                "s",
                "last key to narrowed view on screen",
            )
        )
    return figures


def api_figures(jobs: int) -> list[Figure]:
    """One simulated hour of polling: calls per hour and calls per tick."""
    sys.path.insert(0, str(HERE))
    from api_calls import measure

    result = asyncio.run(measure(jobs=jobs))
    print(f"\nAPI calls, {jobs}-job demo, one simulated hour: {json.dumps(result.by_kind)}")
    list_note = (
        f"{result.ticks} ticks, {result.active_at_start} jobs active at start, "
        f"{result.refused} retried after token expiry"
    )
    return [
        Figure("API calls per hour", result.calls_per_hour, None, "calls/h", list_note),
        Figure(
            "list calls per family per tick (uno families)",
            result.max_list_calls_per_family_tick,
            1.0,
            "calls",
        ),
        Figure(
            "custom-object list pages per tick",
            result.co_pages_per_tick,
            None,
            "pages",
            "cursor pages, stopping at known jobs",
        ),
        Figure("detail calls while only the board runs", result.detail_calls, 0.0, "calls"),
    ]


def busy_day_figures() -> list[Figure]:
    """A busy simulated day with the sandbox default budget: calls and end delays."""
    sys.path.insert(0, str(HERE))
    from api_calls import measure_busy_day

    with CONFIG.open("rb") as handle:
        budgets = tomllib.load(handle).get("budgets", {})
    day = asyncio.run(measure_busy_day())
    print(
        f"\nAPI calls, busy simulated day (a job every 20 minutes, budget "
        f"{day.daily_call_budget}): {json.dumps(day.by_kind)}"
    )
    note = f"{day.jobs} jobs, {day.ended} ended"
    return [
        Figure(
            "calls in a busy simulated day",
            day.calls_per_day,
            budgets.get("busy_day_calls"),
            "calls",
            f"sandbox default budget, {note}",
        ),
        Figure(
            "busy day: job end to board, median",
            day.median_delay_s,
            budgets.get("busy_day_end_median_s"),
            "s",
        ),
        Figure(
            "busy day: job end to board, p95",
            day.p95_delay_s,
            budgets.get("busy_day_end_p95_s"),
            "s",
        ),
    ]


def journal_figures() -> list[Figure]:
    """What a 100 MB journal adds to `ztui jobs`: time and peak memory."""
    sys.path.insert(0, str(HERE))
    from journal_cost import measure

    with CONFIG.open("rb") as handle:
        budgets = tomllib.load(handle).get("budgets", {})
    cost = measure()
    print(
        f"\nztui jobs with a {cost.journal_mb:.0f} MB journal ({cost.aqua_creates:,} AQuA "
        f"creates): {cost.journal_s:.3f} s, {cost.journal_rss_mb:.1f} MB; without: "
        f"{cost.empty_s:.3f} s, {cost.empty_rss_mb:.1f} MB"
    )
    return [
        Figure(
            "100 MB journal: added to ztui jobs",
            cost.added_s,
            budgets.get("journal_100mb_added_s"),
            "s",
            f"median of {cost.runs}",
        ),
        Figure(
            "100 MB journal: added peak memory",
            cost.added_mb,
            budgets.get("journal_100mb_added_mb"),
            "MB",
        ),
    ]


def _format(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit in ("bytes", "bytes/s", "calls/h", "calls"):
        return f"{value:,.0f} {unit}" if value >= 10 or value == int(value) else f"{value:.2f}"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:.3f} {unit}"


def report(figures: list[Figure]) -> int:
    """Print every figure beside its budget; return the number missed."""
    print("\n== figures (median) vs budgets")
    width = max(len(f.name) for f in figures) + 2
    missed = 0
    for figure in figures:
        verdict = {True: "ok", False: "MISSED", None: "-"}[figure.ok]
        budget = "" if figure.budget is None else f"<= {_format(figure.budget, figure.unit)}"
        print(
            f"  {figure.name:<{width}}{_format(figure.value, figure.unit):>16}  "
            f"{budget:<18}{verdict:<7}{figure.note}"
        )
        if figure.ok is False or (figure.budget is not None and figure.value is None):
            missed += 1
    return missed


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; see the module docstring for the exit codes."""
    parser = argparse.ArgumentParser(description="ztui job board benchmarks")
    parser.add_argument("--runs", type=int, help="runs per terminal target (default: bench.toml)")
    parser.add_argument("--api-jobs", type=int, default=1000, help="jobs for the API figure")
    parser.add_argument("--skip-terminal", action="store_true", help="API figures only")
    parser.add_argument("--skip-api", action="store_true", help="terminal figures only")
    parser.add_argument(
        "--skip-journal", action="store_true", help="leave out the 100 MB journal figures"
    )
    args = parser.parse_args(argv)

    figures: list[Figure] = []
    if not args.skip_terminal:
        if importlib.util.find_spec("pyte") is None:
            print("benchmarks skipped: tuibench needs `pyte` (pip install '.[dev]')")
            return 0
        with tempfile.TemporaryDirectory(prefix="ztui-bench-") as tmp:
            medians, budgets = run_tuibench(args.runs, Path(tmp))
        figures.extend(terminal_figures(medians, budgets))
    if not args.skip_api:
        figures.extend(api_figures(args.api_jobs))
        figures.extend(busy_day_figures())
    if not args.skip_journal:
        figures.extend(journal_figures())
    missed = report(figures)
    print(f"\n{missed} budget(s) missed" if missed else "\nall budgets met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
