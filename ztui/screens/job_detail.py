"""Provides `JobDetailScreen`: everything the API says about one job, kept live.

The screen follows the app's `jobs` snapshot like the board does (no polling of its
own). On open, and when the job's status changes, it makes one on-demand detail fetch in
its `detail` worker, which is cancelled when the screen closes. A failed fetch leaves the
last known data on screen with its age and the reason.

Each family's layout (`FamilyDef.detail`) lists every field of docs/zuora-api.md §3-§7; then come
any other field the server sent, the status transitions ztui observed (the app's
`StatusHistory`), and for a family of batches (AQuA) the batches table and the countdown
to the result purge (`FamilyDef.result_ttl_s`: AQuA files live 72 h).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, tzinfo
from itertools import pairwise
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, ClassVar, Final

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from ztui.api.errors import ApiError, MalformedResponse
from ztui.api.models import AquaBatch, Family, Job, JobState
from ztui.api.parsing import parse_timestamp_zone
from ztui.core.paths import stylesheet
from ztui.dialogs.path import PathModal, default_folder
from ztui.families import family_def
from ztui.families.base import DetailField
from ztui.host import host
from ztui.messages import StopRequested
from ztui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from ztui.service.history import StatusChange
    from ztui.service.snapshot import JobSnapshot

log = logging.getLogger("ztui.screens.job_detail")

LABEL_WIDTH: Final = 20


# ------------------------------------------------------------------------ formatting


def _utc(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _span(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min {seconds % 60:.0f} s"
    if seconds < 86400:
        return f"{seconds // 3600:.0f} h {seconds % 3600 // 60:.0f} min"
    return f"{seconds // 86400:.0f} d {seconds % 86400 // 3600:.0f} h"


def relative(ts: float, now: float) -> str:
    """`3 min 2 s ago` / `in 5 s`, relative to `now` (epoch seconds)."""
    delta = now - ts
    if abs(delta) < 1:
        return "now"
    return f"{_span(delta)} ago" if delta > 0 else f"in {_span(delta)}"


def time_text(value: object, now: float, zone: tzinfo | None = None) -> str | None:
    """Absolute and relative rendering of a wire timestamp, or the raw value if unreadable.

    A value that names no zone is read in `zone` (the tenant's, UTC when None), and the
    text says so (docs/tolerance.md rule 6).
    """
    if value is None or value == "":
        return None
    try:
        ts, assumed = parse_timestamp_zone(value, zone or UTC)
    except MalformedResponse:
        return f"{value} (unreadable time)"
    if ts is None:
        return None
    text = f"{_utc(ts)} ({relative(ts.timestamp(), now)})"
    return f"{text} · sent as {value!r} without a zone, read as {assumed}" if assumed else text


_UNITS: Final = {"inputFileSize": "bytes", "outputFileSize": "bytes"}
"""Keys whose number carries a documented unit (docs/zuora-api.md §3): shown after the
readable value beside it, as `179.6KB (183,902 bytes)`."""

_NO_DOCUMENTED_UNIT: Final = frozenset({"remainingTime"})
"""Keys whose number has no documented unit: left out when a readable text (such as
`remainingTimeText`) is shown beside it; the raw value stays in the JSON view."""


def _is_identifier(key: str) -> bool:
    """Codes and ids are names, not amounts: no thousands separators."""
    lower = key.lower()
    return "code" in lower or lower == "id" or lower.endswith("id")


def _plain(value: object, key: str = "") -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, int | float):
        if isinstance(value, int) and not _is_identifier(key):
            return f"{value:,}"
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def progress_bar(progress: float | None, width: int = 30) -> Content:
    """A text progress bar coloured from the theme; `unknown` when there is no figure."""
    if progress is None:
        return Content.from_markup("[$text-muted]unknown[/]")
    filled = round(max(0.0, min(1.0, progress)) * width)
    return Content.from_markup(
        "[$success]$done[/][$panel-lighten-2]$todo[/] $pct",
        done="━" * filled,
        todo="━" * (width - filled),
        pct=f"{progress:.0%}",
    )


class _Fields:
    """Reads fields of a job's raw JSON and remembers which ones were shown."""

    def __init__(self, raw: Mapping[str, Any], now: float, zone: tzinfo | None) -> None:
        self.raw = raw
        self.now = now
        self.zone = zone
        self.used: set[str] = set()
        self.rows: list[tuple[str, Content | str]] = []

    def get(self, key: str) -> Any:
        self.used.add(key)
        return self.raw.get(key)

    def add(self, label: str, value: Content | str | None) -> None:
        if value is None or (isinstance(value, str) and not value):
            return
        self.rows.append((label, value))

    def text(self, label: str, *keys: str, suffix: str = "") -> None:
        parts: list[str] = []
        for key in keys:
            part = _plain(self.get(key), key)
            if not part or part in parts:  # `importType` and `type` often agree
                continue
            if parts and key in _NO_DOCUMENTED_UNIT:
                continue
            if parts and key in _UNITS:
                parts[0] += f" ({part} {_UNITS[key]})"
                continue
            parts.append(part)
        if parts:
            self.add(label, " · ".join(parts) + suffix)

    def time(self, label: str, key: str, *readable: str) -> None:
        text: str | None = time_text(self.get(key), self.now, self.zone)
        for alt in readable:
            value = self.get(alt)
            if text is None:
                text = time_text(value, self.now, self.zone)
            elif isinstance(value, str) and value:
                text = f"{text} · {value}"
        self.add(label, text)

    def rest(self) -> Iterator[tuple[str, str]]:
        for key in sorted(k for k in self.raw if k not in self.used):
            value = _plain(self.raw[key], key)
            yield key, "" if value is None else value


def _status_line(job: Job) -> Content:
    return Content.from_markup(
        "$status [$text-muted]($state)[/]", status=job.status or "(none)", state=str(job.state)
    )


def family_fields(
    job: Job, now: float, zone: tzinfo | None = None, *, dry_run: bool = False
) -> tuple[list[tuple[str, Content | str]], list[tuple[str, str]]]:
    """The rows the detail screen shows for `job`, and the raw fields not covered by them.

    Args:
        job: The job (its `raw` is what the server sent).
        now: Wall-clock epoch seconds for relative times.
        zone: The tenant's zone, for timestamps sent without one (UTC when None).
        dry_run: The job is a dry run (the server says so, or ztui's journal does).

    Returns:
        `(rows, others)`: labelled values in the family's layout, then every other raw
        field as `(key, text)`.
    """
    f = _Fields(job.raw, now, zone)
    f.used.update({"status", "id", "Id"})
    no_id = job.unreadable is not None and job.unreadable.job_id is None
    f.add("Job id", "(none in the answer)" if no_id else job.id)
    f.add("Status", _status_line(job))
    if job.unreadable is not None:
        # docs/tolerance.md rule 1: what could not be read, and the object as received.
        f.add("Unreadable", job.unreadable.reason)
        f.add("Excerpt", job.unreadable.excerpt)
        return f.rows, list(f.rest())
    f.add("Progress", progress_bar(job.progress))
    if dry_run:
        f.used.add("dryRun")
        source = "the job says so" if job.dry_run else "ztui created it with dryRun; journal"
        f.add("Dry run", f"yes: it changes no data ({source})")
    layout = family_def(job.family).detail
    for row in layout.fields:
        _add_row(f, row, job)
    f.used.update(layout.hidden)
    return f.rows, list(f.rest())


def _add_row(f: _Fields, row: DetailField, job: Job) -> None:
    """Add one row of the family's layout (`DetailField.kind` says how it reads)."""
    match row.kind:
        case "text":
            f.text(row.label, *row.keys, suffix=row.suffix)
        case "time":
            f.time(row.label, row.keys[0], *row.keys[1:])
        case "milliseconds":
            time_ms = f.get(row.keys[0])
            if isinstance(time_ms, int | float) and not isinstance(time_ms, bool):
                f.add(row.label, f"{time_ms:,} ms ({_span(time_ms / 1000)})")
        case "error":
            error = f.get(row.keys[0])
            if isinstance(error, Mapping):
                code = _plain(error.get("code"), "code")
                message = _plain(error.get("message")) or ""
                f.add(row.label, f"{message} (code {code})" if code else message)
            elif error is not None:
                f.add(row.label, _plain(error))
        case "counts":
            if job.total is not None:
                f.add(row.label, f"{job.processed or 0} of {job.total}")


def _rows_content(rows: list[tuple[str, Content | str]]) -> Content:
    lines: list[Content] = []
    for label, value in rows:
        value_content = value if isinstance(value, Content) else Content(value)
        lines.append(
            Content.assemble((f"{label:<{LABEL_WIDTH}}", "bold $text-muted"), value_content)
        )
    return Content("\n").join(lines)


def _safe_name(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")
    return cleaned[:60] or "file"


# ------------------------------------------------------------------------ downloads


def downloadable_files(job: Job) -> list[tuple[str, str]]:
    """The result files a job exposes, as `(file id, suggested file name)`.

    A family with batches (AQuA): each batch's `fileId` and `segments`; a family with a
    result file (data backfill): that file (`FamilyDef.result_file`). Names are made
    unique and safe for a file system.
    """
    files: list[tuple[str, str]] = []
    definition = family_def(job.family)
    if definition.parse_batches is not None:
        fmt = str(job.raw.get("format") or "csv").lower()
        ext = {"zip": "zip", "gzip": "csv.gz"}.get(fmt, "csv")
        try:
            batches = definition.parse_batches(job.raw)
        except MalformedResponse:
            batches = []
        # The job id's end in the name: two runs of a nightly job never share a file name.
        base = f"{_safe_name(job.kind)}-{job.id[-8:]}"
        for number, batch in enumerate(batches, start=1):
            label = _safe_name(batch.name or batch.batch_id or f"batch{number}")
            ids = list(batch.segments) or ([batch.file_id] if batch.file_id else [])
            for part, file_id in enumerate(ids, start=1):
                suffix = f"-part{part}" if len(ids) > 1 else ""
                files.append((file_id, f"{base}-{label}{suffix}.{ext}"))
    elif definition.result_file is not None:
        result_id = job.raw.get(definition.result_file.id_key)
        if isinstance(result_id, str) and result_id:
            name = job.raw.get(definition.result_file.name_key)
            safe = _safe_name(name) if isinstance(name, str) and name else f"{job.id}_result.zip"
            files.append((result_id, safe))
    seen: set[str] = set()
    unique: list[tuple[str, str]] = []
    for file_id, name in files:
        candidate, n = name, 2
        while candidate in seen:
            stem, dot, ext = name.partition(".")
            candidate = f"{stem}-{n}{dot}{ext}"
            n += 1
        seen.add(candidate)
        unique.append((file_id, candidate))
    return unique


def completed_at(job: Job, history: tuple[StatusChange, ...]) -> tuple[float | None, str]:
    """When a job whose API gives no completion time (AQuA) completed, and how ztui knows.

    The API has no completion time (§7). When ztui watched the job go from an active to
    a finished status, that moment is used; a job first seen already finished falls back
    to its start time, which is earlier than the real completion, so the countdown errs
    on the early side.
    """
    for before, after in pairwise(history):
        if not before.state.is_terminal and after.state.is_terminal:
            return after.at, "completion observed by ztui"
    if job.created_at is not None:
        return job.created_at.timestamp(), "estimated from the start time"
    return None, "completion time unknown"


# ------------------------------------------------------------------------ the screen


class JobDetailScreen(Screen[None]):
    """Everything about one job: fields, progress, timeline, batches, raw JSON."""

    CSS_PATH: ClassVar[list[str | PurePath]] = stylesheet("detail.tcss")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="detail.back", tooltip="Back to the job list"),
        Binding(
            "s",
            "stop",
            "Stop/cancel",
            id="detail.stop",
            tooltip="Stop or cancel this job (asks first; says why when not possible)",
        ),
        Binding("e", "errors", "Errors", id="detail.errors", tooltip="Why this job failed"),
        Binding(
            "d",
            "download",
            "Download",
            id="detail.download",
            tooltip="Download the result file(s) to a folder",
        ),
        Binding(
            "j", "toggle_raw", "Raw JSON", id="detail.raw", tooltip="Show or hide the raw JSON"
        ),
        Binding(
            "r",
            "refetch",
            "Refetch",
            show=False,
            id="detail.refetch",
            tooltip="Fetch this job again",
        ),
        Binding(
            "c",
            "copy_id",
            "Copy id",
            show=False,
            id="detail.copy_id",
            tooltip="Copy the job id (OSC 52)",
        ),
        Binding(
            "C",
            "copy_request_id",
            "Copy request id",
            show=False,
            id="detail.copy_request_id",
            tooltip="Copy the Zuora-Request-Id of the last fetch (OSC 52)",
        ),
    ]

    def __init__(self, key: tuple[Family, str]) -> None:
        """Create the detail screen of one job.

        Args:
            key: `(family, job id)`.
        """
        super().__init__()
        self.key = key
        self._job: Job | None = None
        """The freshest version of the job, from the snapshot or the detail fetch."""
        self._other_raw: Mapping[str, Any] = {}
        """Raw fields of the other source, shown when the freshest one lacks them."""
        self._listed: Job | None = None
        self._fetched_at: float | None = None
        self._data_at: float | None = None
        self._request_id: str | None = None
        self._fetch_error: tuple[float, str] | None = None
        self._gone = False
        self._raw_shown = False

    def _now(self) -> float:
        return host(self).wall_clock()

    def compose(self) -> ComposeResult:
        """Title, freshness, fields, batches, timeline and raw JSON."""
        yield Header()
        family, job_id = self.key
        yield Static(f"{family.label} job {job_id}", id="detail-title")
        yield Static("Loading…", id="detail-freshness")
        with VerticalScroll(id="detail-body"):
            yield Static("", id="detail-fields")
            yield Static("Batches", id="detail-batches-title", classes="section")
            yield DataTable(id="aqua-batches", cursor_type="row", zebra_stripes=True)
            yield Static("", id="detail-purge")
            yield Static("Other fields", id="detail-other-title", classes="section")
            yield Static("", id="detail-other")
            yield Static(
                "Timeline (observed by ztui)", id="detail-timeline-title", classes="section"
            )
            yield Static("", id="detail-timeline")
            yield Static("", id="detail-raw", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        """Follow the app's snapshot and fetch the detail once."""
        has_batches = family_def(self.key[0]).has_batches
        for selector in ("#detail-batches-title", "#aqua-batches", "#detail-purge"):
            self.query_one(selector).display = has_batches
        self.query_one("#detail-raw").display = False
        if has_batches:
            table: DataTable[str] = self.query_one("#aqua-batches", DataTable)
            for label in ("Name", "Status", "Records", "File id", "Message"):
                table.add_column(label, key=label.lower())
        self.watch(self.app, "jobs", self._jobs_changed, init=True)
        self.load_detail()

    # ------------------------------------------------------------------ data

    def _jobs_changed(self, snapshot: JobSnapshot | None) -> None:
        if snapshot is None:
            self._refresh_view()
            return
        listed = snapshot.get(*self.key)
        self._gone = listed is None and snapshot.families.get(self.key[0]) is not None
        if listed is not None and listed != self._listed:
            previous = self._listed
            self._listed = listed
            self._set_job(listed, self._now())
            if previous is not None and previous.status != listed.status:
                self.load_detail()
        self._refresh_view()

    def _set_job(self, job: Job, at: float) -> None:
        if self._job is not None and self._job is not job:
            self._other_raw = self._job.raw
        self._job = job
        self._data_at = at

    @work(group="detail", exclusive=True, exit_on_error=False, description="Fetching job detail")
    async def load_detail(self) -> None:
        """Fetch the job once (through the watcher's cache when it runs)."""
        app = host(self)
        family, job_id = self.key
        try:
            poller = app.poller
            client = app.client
            if poller is not None:
                job = await poller.fetch_detail(family, job_id)
            elif client is not None:
                job = await client.get_job(family, job_id)
            else:
                self._fetch_error = (self._now(), "not connected")
                self._refresh_view()
                return
        except ApiError as exc:
            self._fetch_error = (self._now(), str(exc))
            self._refresh_view()
            return
        from ztui.api.transport import current_call

        # This worker's own call (the watcher's polls run in another task); a cached
        # terminal job made no call, so the previous request id stays.
        call = current_call()
        if call is not None and call.request_id:
            self._request_id = call.request_id
        now = self._now()
        self._fetch_error = None
        self._fetched_at = now
        self._set_job(job, now)
        self._refresh_view()

    # ------------------------------------------------------------------ rendering

    def _refresh_view(self) -> None:
        now = self._now()
        self._render_freshness(now)
        job = self._job
        if job is None:
            return
        merged = dict(self._other_raw)
        merged.update(job.raw)
        view = Job(**{**_job_fields(job), "raw": merged})
        title = self.query_one("#detail-title", Static)
        dry_run = host(self).dry_runs.is_dry_run(job)
        title.update(
            Content.from_markup(
                "[b]$family[/b] job $id · $kind$dry · $status",
                family=job.family.label,
                id=job.id,
                kind=job.kind,
                dry=" (dry run)" if dry_run else "",
                status=job.status or "(no status)",
            )
        )
        for state in JobState:
            title.set_class(job.state is state, f"-{state}")
        access = host(self).access
        rows, others = family_fields(
            view, now, access.timezone if access is not None else None, dry_run=dry_run
        )
        self.query_one("#detail-fields", Static).update(_rows_content(rows))
        other = self.query_one("#detail-other", Static)
        other.update(_rows_content([(k, v) for k, v in others]) if others else "(none)")
        self._render_timeline(now)
        if family_def(job.family).has_batches:
            self._render_batches(view, now)
        if self._raw_shown:
            self.query_one("#detail-raw", Static).update(
                json.dumps(dict(job.raw), indent=2, ensure_ascii=False, sort_keys=True, default=str)
            )

    def _render_freshness(self, now: float) -> None:
        parts: list[str] = []
        if self._fetch_error is not None:
            at, reason = self._fetch_error
            parts.append(f"Detail fetch failed {relative(at, now)}: {reason}.")
            if self._data_at is not None:
                parts.append(
                    f"Showing data from {_utc(datetime.fromtimestamp(self._data_at, UTC))}"
                    f" ({_span(now - self._data_at)} old)."
                )
        elif self._fetched_at is not None:
            parts.append(f"Fetched {_utc(datetime.fromtimestamp(self._fetched_at, UTC))}.")
        elif self._job is None:
            parts.append("Loading…")
        if self._request_id:
            parts.append(f"Zuora-Request-Id {self._request_id}")
        if self._gone:
            parts.append("No longer in the job list.")
        snapshot = host(self).jobs
        if snapshot is not None and snapshot.is_stale(self.key[0]):
            status = snapshot.families.get(self.key[0])
            parts.append(f"List stale: {status.error if status else 'unknown'}")
        widget = self.query_one("#detail-freshness", Static)
        widget.update(" ".join(parts))
        widget.set_class(self._fetch_error is not None, "-error")

    def _render_timeline(self, now: float) -> None:
        history = host(self).history.of(self.key)
        if not history:
            self.query_one("#detail-timeline", Static).update("(nothing observed yet)")
            return
        lines = [
            Content.assemble(
                (f"{_utc(datetime.fromtimestamp(c.at, UTC))}  ", "$text-muted"),
                f"{c.status or '(none)'} ({c.state})",
                (f"  {relative(c.at, now)}", "$text-muted"),
            )
            for c in history
        ]
        self.query_one("#detail-timeline", Static).update(Content("\n").join(lines))

    def _render_batches(self, job: Job, now: float) -> None:
        definition = family_def(job.family)
        table: DataTable[str] = self.query_one("#aqua-batches", DataTable)
        try:
            batches: list[AquaBatch] = (
                definition.parse_batches(job.raw) if definition.parse_batches else []
            )
        except MalformedResponse as exc:
            batches = []
            self.query_one("#detail-purge", Static).update(f"Batches unreadable: {exc.message}")
        wanted = {
            f"b{i}": (
                b.name or b.batch_id or "",
                b.status,
                "" if b.record_count is None else f"{b.record_count:,}",
                ", ".join(b.segments) if b.segments else (b.file_id or ""),
                b.message or "",
            )
            for i, b in enumerate(batches)
        }
        if [k.value for k in table.rows] != list(wanted):
            table.clear()
            for key, cells in wanted.items():
                table.add_row(*cells, key=key)
        else:
            columns = ("name", "status", "records", "file id", "message")
            for key, cells in wanted.items():
                for column, value in zip(columns, cells, strict=True):
                    if table.get_cell(key, column) != value:
                        table.update_cell(key, column, value)
        table.styles.height = len(wanted) + 2
        ttl = definition.result_ttl_s
        if ttl is None:
            return
        hours = f"{ttl / 3600:.0f} h"
        if job.state is JobState.SUCCEEDED or (
            job.state.is_terminal and any(b.file_id for b in batches)
        ):
            completed, how = completed_at(job, host(self).history.of(self.key))
            purge = self.query_one("#detail-purge", Static)
            if completed is None:
                purge.update(
                    f"Result files are purged {hours} after completion (completion time unknown)."
                )
            else:
                purge_at = completed + ttl
                left = purge_at - now
                when = _utc(datetime.fromtimestamp(purge_at, UTC))
                text = (
                    f"Result files are purged at {when}: in {_span(left)} ({how})."
                    if left > 0
                    else f"Result files were purged at {when} ({how})."
                )
                purge.update(text)
                purge.set_class(left < 6 * 3600, "-warning")
        elif batches:
            self.query_one("#detail-purge", Static).update(
                f"Result files stay available for {hours} after the job completes."
            )

    # ------------------------------------------------------------------ actions

    def action_back(self) -> None:
        """Back to where the user came from."""
        self.dismiss()

    def action_stop(self) -> None:
        """Stop or cancel the job (the app's flow confirms, re-reads and sends once)."""
        self.post_message(StopRequested(self.key))

    def action_errors(self) -> None:
        """Open the error viewer of this job."""
        host(self).open_errors(self.key)

    def action_toggle_raw(self) -> None:
        """Show or hide the raw JSON."""
        self._raw_shown = not self._raw_shown
        raw = self.query_one("#detail-raw", Static)
        raw.display = self._raw_shown
        self.set_class(self._raw_shown, "-raw")
        if self._raw_shown:
            self._refresh_view()
            self.query_one("#detail-body", VerticalScroll).scroll_to_widget(raw)

    def action_refetch(self) -> None:
        """Fetch the job again now."""
        self.load_detail()

    def action_copy_id(self) -> None:
        """Copy the job id to the clipboard (OSC 52)."""
        self.app.copy_to_clipboard(self.key[1])
        self.notify(f"Copied job id {self.key[1]}", timeout=3)

    def action_copy_request_id(self) -> None:
        """Copy the Zuora-Request-Id of the last fetch (OSC 52)."""
        client = host(self).client
        request_id = self._request_id or (client.last_request_id if client else None)
        if not request_id:
            self.notify("No request id yet.", severity="warning")
            return
        self.app.copy_to_clipboard(request_id)
        self.notify(f"Copied request id {request_id}", timeout=3)

    def action_download(self) -> None:
        """Ask for a folder, then download the job's result file(s) there."""
        job = self._job
        if job is None:
            self.notify("The job is not loaded yet.", severity="warning")
            return
        files = downloadable_files(job)
        if not files:
            why = (
                "This job has no result file yet."
                if family_def(job.family).has_result_files
                else f"{job.family.label} jobs expose no result file."
            )
            self.notify(why, severity="warning")
            return

        def chosen(folder: Path | None) -> None:
            if folder is None:
                return
            host(self).last_folder = folder
            taken = [name for _file_id, name in files if (folder / name).exists()]
            if not taken:
                self.download_files(folder, files)
                return

            def decided(choice: str | None) -> None:
                if choice == "overwrite":
                    self.download_files(folder, files)
                elif choice == "keep":
                    self.download_files(folder, _free_names(folder, files))
                else:
                    self.notify("Nothing was downloaded.", timeout=3)

            shown = ", ".join(taken[:3]) + ("…" if len(taken) > 3 else "")
            host(self).choose(
                "Files already there",
                f"{len(taken)} of the files already exist in {folder}: {shown}",
                [
                    ("overwrite", "Overwrite", "error"),
                    ("keep", "Keep both"),
                    ("cancel", "Cancel"),
                ],
                decided,
            )

        count = f"{len(files)} file{'s' if len(files) != 1 else ''}"
        self.app.push_screen(
            PathModal(f"Download {count} to folder:", default_folder(host(self).last_folder)),
            chosen,
        )

    @work(group="download", exit_on_error=False, description="Downloading result files")
    async def download_files(self, folder: Path, files: list[tuple[str, str]]) -> None:
        """Download each file into `folder`, reporting what was written."""
        access = host(self).access
        if access is None:
            self.notify("Not connected; nothing was downloaded.", severity="error")
            return
        try:
            await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        except OSError as exc:
            self.notify(f"Cannot create {folder}: {exc.strerror}", severity="error")
            return
        written: list[Path] = []
        for file_id, name in files:
            try:
                written.append(await access.download_file(file_id, folder / name))
            except ApiError as exc:
                self.notify(
                    f"Download of file {file_id} failed: {exc}", severity="error", timeout=10
                )
            except OSError as exc:
                self.notify(f"Cannot write {folder / name}: {exc.strerror}", severity="error")
        if written:
            names = ", ".join(p.name for p in written[:3]) + ("…" if len(written) > 3 else "")
            self.notify(f"Downloaded {len(written)} file(s) to {folder}: {names}")


def _free_names(folder: Path, files: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`files` with each name that exists in `folder` changed to `X (1).csv`, `X (2).csv`..."""
    out: list[tuple[str, str]] = []
    used: set[str] = set()
    for file_id, name in files:
        candidate, n = name, 0
        stem, dot, ext = name.partition(".")
        while (folder / candidate).exists() or candidate in used:
            n += 1
            candidate = f"{stem} ({n}){dot}{ext}"
        used.add(candidate)
        out.append((file_id, candidate))
    return out


def _job_fields(job: Job) -> dict[str, Any]:
    import dataclasses

    return {f.name: getattr(job, f.name) for f in dataclasses.fields(job) if f.name != "raw"}
