"""Provides the failed-row tools: tolerant error parsing, grouping and the fix-and-resubmit CSV.

Everything here is pure Python (no Textual, no network) so that the error viewer and the
headless `ztui errors ID --csv` command share one implementation:

- `parse_errors_tolerant` reads a custom-object `/errors` body without dropping entries it
  cannot understand (they are kept, raw, as `malformed` errors);
- `group_errors` groups errors by code and message, with counts;
- `errors_to_csv_text` / `export_failed_rows` write the failed rows ready to fix and
  re-upload: the record's columns plus the error code and message, or, when the uploaded
  file is known, the original rows joined by row number;
- `read_backfill_result` turns a data-backfill result file (your file plus `Success` and
  `Error Message` columns, API doc §3) into per-row errors.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from ztui.api.models import JobError

MALFORMED_CODE: Final = "malformed"
"""The `JobError.code` given to an error entry ztui could not read; its message is the raw JSON."""

ERROR_CODE_COLUMN: Final = "error_code"
"""Name of the column holding the error code(s) in an export."""

ERROR_MESSAGE_COLUMN: Final = "error_message"
"""Name of the column holding the error message(s) in an export."""

ERROR_ROW_COLUMN: Final = "error_row"
"""Name of the column holding the source CSV row number in an export without the original."""

SYSTEM_FIELDS: Final = frozenset(
    {"type", "createdbyid", "createddate", "updatedbyid", "updateddate"}
)
"""Record fields the server fills in itself (API doc §6); they are left out of a re-upload
file because an upload may only carry `Id` and the object's own fields."""

_JOIN: Final = "; "


class ExportError(Exception):
    """The export could not be written or the original file could not be read.

    The message says what failed and where, fit to show a user.
    """


@dataclass(frozen=True)
class ErrorGroup:
    """Errors sharing one code and message."""

    code: str
    """The error code ("" when the server sent none)."""
    message: str
    """The group's message template (row-specific values blanked; see `message_template`)."""
    indices: tuple[int, ...]
    """Positions of this group's errors in the list given to `group_errors`."""

    @property
    def count(self) -> int:
        """How many errors the group holds."""
        return len(self.indices)


@dataclass(frozen=True)
class ExportPlan:
    """The header and rows an export will write (before they become CSV text)."""

    header: tuple[str, ...]
    """Column names, in order."""
    rows: tuple[tuple[str, ...], ...] = field(default=())
    """One tuple per failed row, as long as `header`."""


def _raw_text(item: object) -> str:
    try:
        return json.dumps(item, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(item)


def _parse_entry(item: object) -> JobError:
    """Read one error entry, or keep it raw as a `malformed` error."""
    if not isinstance(item, Mapping):
        return JobError(row=None, code=MALFORMED_CODE, message=_raw_text(item))
    row = item.get("row")
    code = item.get("code")
    message = item.get("message")
    record = item.get("record")
    row_ok = row is None or (isinstance(row, int) and not isinstance(row, bool))
    if isinstance(row, str) and row.strip().isdigit():
        row, row_ok = int(row), True
    code_ok = code is None or (isinstance(code, str | int) and not isinstance(code, bool))
    message_ok = message is None or isinstance(message, str)
    record_ok = record is None or isinstance(record, Mapping)
    if not (row_ok and code_ok and message_ok and record_ok):
        return JobError(row=None, code=MALFORMED_CODE, message=_raw_text(item))
    return JobError(
        row=row if isinstance(row, int) else None,
        code="" if code is None else str(code),
        message=message or "",
        record=record if isinstance(record, Mapping) else {},
    )


def parse_errors_tolerant(data: object) -> list[JobError]:
    """Parse a custom-object `/errors` body, keeping entries it cannot read.

    Unlike `ztui.api.models.parse_job_errors`, one bad entry does not fail the whole list:
    it becomes a `JobError` with code `MALFORMED_CODE`, no row, and the entry's raw JSON as
    its message, so the user sees it instead of losing it.

    Args:
        data: The decoded JSON body, `{"errors": [...]}`, or the list itself.

    Returns:
        One `JobError` per entry, in the server's order. A body that is not a list or an
        object holding one yields a single malformed entry.
    """
    if isinstance(data, Mapping):
        data = data.get("errors", [])
    if data is None:
        return []
    if not isinstance(data, list):
        return [JobError(row=None, code=MALFORMED_CODE, message=_raw_text(data))]
    return [_parse_entry(item) for item in data]


_QUOTED = re.compile(r'"[^"]*"|\'[^\']*\'')
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")


def message_template(message: str) -> str:
    """The message with its row-specific values blanked, for grouping.

    Zuora row messages embed the offending value (`input string "123" is not a valid
    UUID`), so grouping on the exact text would make one group per row. Quoted values
    become `"…"` and bare numbers `#`; a malformed entry's raw JSON is kept as it is.

    Args:
        message: The server's message.

    Returns:
        The template; the exact message stays in each row.
    """
    if message.startswith(("{", "[")):
        return message
    return _NUMBER.sub("#", _QUOTED.sub(lambda m: f"{m.group(0)[0]}…{m.group(0)[0]}", message))


def group_errors(errors: Sequence[JobError]) -> list[ErrorGroup]:
    """Group errors by code and message template (`message_template`), biggest first.

    Args:
        errors: The errors, in any order.

    Returns:
        The groups, sorted by descending count, then code and message. Each group's
        `message` is the template; its `indices` point into `errors` in ascending order.
    """
    buckets: dict[tuple[str, str], list[int]] = {}
    for index, error in enumerate(errors):
        key = (
            error.code,
            error.message if error.code == MALFORMED_CODE else message_template(error.message),
        )
        buckets.setdefault(key, []).append(index)
    groups = [
        ErrorGroup(code=code, message=message, indices=tuple(indices))
        for (code, message), indices in buckets.items()
    ]
    groups.sort(key=lambda g: (-g.count, g.code, g.message))
    return groups


def cell_text(value: object) -> str:
    """Render a JSON value as one CSV cell: null is empty, booleans are lower case.

    Args:
        value: Any value decoded from JSON.

    Returns:
        The cell text; objects and lists become compact JSON.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return _raw_text(value)


def _unique(name: str, taken: Iterable[str]) -> str:
    """`name`, or `name_2`, `name_3`... when the record already has such a column."""
    existing = {t.lower() for t in taken}
    if name.lower() not in existing:
        return name
    n = 2
    while f"{name}_{n}".lower() in existing:
        n += 1
    return f"{name}_{n}"


def _merge_by_row(errors: Sequence[JobError]) -> list[tuple[int | None, list[JobError]]]:
    """One entry per failed row (errors without a row stand alone), ordered by row."""
    by_row: dict[int, list[JobError]] = {}
    loose: list[JobError] = []
    for error in errors:
        if error.row is None:
            loose.append(error)
        else:
            by_row.setdefault(error.row, []).append(error)
    merged: list[tuple[int | None, list[JobError]]] = [(row, by_row[row]) for row in sorted(by_row)]
    merged.extend((None, [error]) for error in loose)
    return merged


def _codes(errors: Sequence[JobError]) -> str:
    return _JOIN.join(dict.fromkeys(e.code for e in errors if e.code))


def _messages(errors: Sequence[JobError]) -> str:
    return _JOIN.join(dict.fromkeys(e.message for e in errors if e.message))


def _record_columns(errors: Sequence[JobError]) -> list[str]:
    columns: dict[str, None] = {}
    for error in errors:
        for key in error.record:
            if str(key).lower() not in SYSTEM_FIELDS:
                columns.setdefault(str(key), None)
    return list(columns)


def _read_original(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and data rows of the uploaded CSV (`rows[0]` is file row 2)."""
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            rows = list(reader)
    except FileNotFoundError:
        raise ExportError(f"The uploaded file {path} no longer exists.") from None
    except UnicodeDecodeError as exc:
        raise ExportError(f"The uploaded file {path} is not UTF-8 (byte {exc.start}).") from None
    except csv.Error as exc:
        raise ExportError(f"The uploaded file {path} is not valid CSV: {exc}.") from None
    except OSError as exc:
        raise ExportError(f"Cannot read the uploaded file {path}: {exc.strerror}.") from None
    if header is None:
        raise ExportError(f"The uploaded file {path} is empty.")
    return header, rows


def plan_export(errors: Sequence[JobError], *, original_csv: Path | None = None) -> ExportPlan:
    """Work out the header and rows of a failed-rows export.

    Without `original_csv`, the columns are the records' own columns (server-filled
    system fields left out) followed by `error_row`, `error_code` and `error_message`.
    With it, the columns are the original file's header plus `error_code` and
    `error_message`, and each failed row is the original line with that row number
    (header = row 1, as the API counts); an error whose row is not in the file falls back
    to its echoed record, matched to the header case-insensitively.

    Several errors on one row make one output row, their codes and messages joined with
    "; ". Errors without a row number (including malformed entries) come last.

    Args:
        errors: The errors to export.
        original_csv: The file that was uploaded for this job, when known.

    Returns:
        The plan; `len(plan.rows)` is the number of rows an export writes.

    Raises:
        ExportError: The original file cannot be read.
    """
    merged = _merge_by_row(errors)
    if original_csv is None:
        columns = _record_columns(errors)
        row_col = _unique(ERROR_ROW_COLUMN, columns)
        code_col = _unique(ERROR_CODE_COLUMN, [*columns, row_col])
        msg_col = _unique(ERROR_MESSAGE_COLUMN, [*columns, row_col, code_col])
        out: list[tuple[str, ...]] = []
        for row, group in merged:
            record: dict[str, Any] = {}
            for error in group:
                for key, value in error.record.items():
                    record.setdefault(str(key), value)
            out.append(
                (
                    *(cell_text(record.get(c)) for c in columns),
                    "" if row is None else str(row),
                    _codes(group),
                    _messages(group),
                )
            )
        return ExportPlan(header=(*columns, row_col, code_col, msg_col), rows=tuple(out))

    header, lines = _read_original(original_csv)
    code_col = _unique(ERROR_CODE_COLUMN, header)
    msg_col = _unique(ERROR_MESSAGE_COLUMN, [*header, code_col])
    lower = [h.lower() for h in header]
    out = []
    for row, group in merged:
        index = None if row is None else row - 2
        if index is not None and 0 <= index < len(lines):
            cells = list(lines[index])
            cells = (cells + [""] * len(header))[: len(header)]
        else:
            record_lower: dict[str, Any] = {}
            for error in group:
                for key, value in error.record.items():
                    record_lower.setdefault(str(key).lower(), value)
            cells = [cell_text(record_lower.get(name)) for name in lower]
        out.append((*cells, _codes(group), _messages(group)))
    return ExportPlan(header=(*header, code_col, msg_col), rows=tuple(out))


def _render(plan: ExportPlan) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(plan.header)
    writer.writerows(plan.rows)
    return buffer.getvalue()


def errors_to_csv_text(errors: Sequence[JobError], *, original_csv: Path | None = None) -> str:
    """The failed-rows export as CSV text (see `plan_export` for the columns).

    Args:
        errors: The errors to export.
        original_csv: The file that was uploaded for this job, when known.

    Returns:
        CSV text with a header line and one line per failed row, `\\n` line endings.

    Raises:
        ExportError: The original file cannot be read.
    """
    return _render(plan_export(errors, original_csv=original_csv))


def export_failed_rows(
    errors: Sequence[JobError], dest: Path, *, original_csv: Path | None = None
) -> int:
    """Write the failed rows to `dest` as UTF-8 CSV, ready to fix and re-upload.

    The file is written next to `dest` and renamed over it, so an interrupted export
    never leaves half a file behind. Missing parent folders are created.

    Args:
        errors: The errors to export.
        dest: The CSV file to write (replaced if it exists).
        original_csv: The file that was uploaded for this job, when known; its rows are
            joined to the errors by row number.

    Returns:
        The number of data rows written (failed rows, not counting the header).

    Raises:
        ExportError: The original file cannot be read or `dest` cannot be written.
    """
    plan = plan_export(errors, original_csv=original_csv)
    text = _render(plan)
    dest = dest.expanduser()
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            os.replace(tmp_name, dest)
        except BaseException:
            # Don't leave the temporary file behind, whatever stopped us.
            Path(tmp_name).unlink(missing_ok=True)
            raise
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ExportError(f"Cannot write {dest}: {reason}.") from None
    return len(plan.rows)


_SUCCESS_NAMES: Final = ("success",)
_MESSAGE_NAMES: Final = ("error message", "errormessage", "error_message", "error")


def _find_column(header: Sequence[str], names: Sequence[str]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def _is_failure(value: str) -> bool:
    return value.strip().lower() in {"false", "no", "n", "0", "failed", "failure", "error"}


def parse_backfill_result_text(text: str) -> list[JobError]:
    """Per-row errors from a data-backfill result CSV (your file plus result columns).

    The result file is the uploaded file with `Success` and `Error Message` columns added
    (API doc §3, [KC]); their exact spelling is undocumented, so names are matched
    case-insensitively. A row fails when `Success` is false-like, or, without a `Success`
    column, when its error message is not empty.

    Args:
        text: The CSV text.

    Returns:
        One `JobError` per failed row: the row number (header = 1), code "", the error
        message, and the row's other columns as the record.

    Raises:
        ExportError: The text is not CSV or has neither result column.
    """
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ExportError(f"The result file is not valid CSV: {exc}.") from None
    if not rows:
        return []
    header = rows[0]
    success_at = _find_column(header, _SUCCESS_NAMES)
    message_at = _find_column(header, _MESSAGE_NAMES)
    if success_at is None and message_at is None:
        raise ExportError("The result file has no Success or Error Message column.")
    result_cols = {success_at, message_at}
    errors: list[JobError] = []
    for number, cells in enumerate(rows[1:], start=2):
        padded = cells + [""] * (len(header) - len(cells))
        message = padded[message_at].strip() if message_at is not None else ""
        failed = _is_failure(padded[success_at]) if success_at is not None else bool(message)
        if not failed:
            continue
        record = {name: padded[i] for i, name in enumerate(header) if i not in result_cols and name}
        errors.append(JobError(row=number, code="", message=message, record=record))
    return errors


def read_backfill_result(path: Path) -> list[JobError]:
    """Read a downloaded data-backfill result file (`.csv` or `.zip` holding one CSV).

    Args:
        path: The downloaded file.

    Returns:
        The failed rows, as `parse_backfill_result_text` reads them.

    Raises:
        ExportError: The file cannot be read, is not UTF-8, or has no result columns.
    """
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
                if not names:
                    raise ExportError(f"The result archive {path} holds no CSV file.")
                data = archive.read(names[0])
        else:
            data = path.read_bytes()
    except (OSError, zipfile.BadZipFile) as exc:
        raise ExportError(f"Cannot read the result file {path}: {exc}.") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExportError(f"The result file {path} is not UTF-8 (byte {exc.start}).") from None
    return parse_backfill_result_text(text)
