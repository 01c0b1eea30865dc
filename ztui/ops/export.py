"""Provides the failed-row tools: tolerant error parsing, grouping and the fix-and-resubmit CSV.

Everything here is pure Python (no Textual, no network) so that the error viewer and the
headless `ztui errors ID --csv` command share one implementation:

- `parse_errors_tolerant` reads a custom-object `/errors` body without dropping entries it
  cannot understand (they are kept, raw, as `malformed` errors);
- `group_errors` groups errors by code and message, with counts;
- `errors_to_csv_text` / `export_failed_rows` write the failed rows in a file the
  pre-flight check accepts for re-upload (the record's columns, or, when the uploaded
  file is known, the original rows joined by row number), with the errors as reference
  columns where the family's uploads allow them and in a file beside it otherwise;
- `read_backfill_result` turns a data-backfill result file (your file plus `Success` and
  `Error Message` columns, docs/zuora-api.md §3) into per-row errors.
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
"""Record fields the server fills in itself (docs/zuora-api.md §6); they are left out of a re-upload
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


SIDE_FILE_HEADER: Final = ("line", "source_row", ERROR_CODE_COLUMN, ERROR_MESSAGE_COLUMN)
"""Columns of the errors file written beside a fix file."""


@dataclass(frozen=True)
class ExportPlan:
    """What an export will write (before it becomes CSV text)."""

    header: tuple[str, ...]
    """Column names of the fix file, in order."""
    rows: tuple[tuple[str, ...], ...] = field(default=())
    """One tuple per failed row, as long as `header`."""
    errors_header: tuple[str, ...] = ()
    """Column names of the errors file (`SIDE_FILE_HEADER`), empty when there is none."""
    errors_rows: tuple[tuple[str, ...], ...] = ()
    """One tuple per failed row whose errors are not in the fix file."""


@dataclass(frozen=True)
class ExportResult:
    """What `export_failed_rows` wrote."""

    path: Path
    """The fix file."""
    rows: int
    """Data rows in the fix file."""
    errors_path: Path | None
    """The errors file beside it, when one was written."""
    error_rows: int
    """Lines in the errors file."""

    def summary(self) -> str:
        """One sentence for the user."""
        text = f"Wrote {self.rows:,} failed row(s) to {self.path}"
        if self.errors_path is not None:
            text += f"; their errors ({self.error_rows:,}) to {self.errors_path}"
        return text + "."


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


def _side_name(dest: Path) -> Path:
    return dest.with_name(f"{dest.stem}.errors{dest.suffix or '.csv'}")


def errors_file_for(dest: Path) -> Path:
    """Where an export to `dest` writes the errors it cannot keep in the file itself:
    `failed.csv` → `failed.errors.csv`."""
    return _side_name(dest.expanduser())


def plan_export(
    errors: Sequence[JobError],
    *,
    original_csv: Path | None = None,
    reference_prefix: str | None = None,
    key_column: str | None = None,
) -> ExportPlan:
    """Work out the two files of a fix-and-resubmit export.

    The fix file is one the pre-flight check accepts for re-upload once its values are
    fixed: only data columns, one line per failed row. Without `original_csv` the columns
    are the records' own (server-filled system fields left out); with it, they are the
    original file's header and each failed row is the original line with that row number
    (header = row 1, as the API counts). An error whose row is not in the file falls back
    to its echoed record, matched to the header case-insensitively.

    Where the errors go:

    - with `reference_prefix` (data backfill: `#`, which Zuora reads as a reference
      column, docs/zuora-api.md §3), into the fix file as `#error_row`, `#error_code` and
      `#error_message`;
    - otherwise (custom objects, whose uploads take only the object's fields), into the
      errors file beside it, one line per error row: its `line` in the fix file, the
      `source_row` Zuora reported, the code and the message.

    An error with nothing to re-upload (no record, no row in the original) is never a
    blank line of the fix file; it goes to the errors file with an empty `line`.

    With `key_column` (custom-object update and delete: `Id`), that column leads the fix
    file even when no record echoes it (Zuora leaves a malformed id out of the echo), so
    the rows whose id was wrong come back with a blank id to fill in, which the pre-flight
    check then asks for.

    Several errors on one row make one output row, their codes and messages joined with
    "; ". Errors without a row number (including malformed entries) come last.

    Args:
        errors: The errors to export.
        original_csv: The file that was uploaded for this job, when known.
        reference_prefix: The family's reference-column prefix, if its uploads have one.
        key_column: The column a re-upload of these rows must carry.

    Returns:
        The plan; `len(plan.rows)` is the number of rows the fix file holds.

    Raises:
        ExportError: The original file cannot be read.
    """
    merged = _merge_by_row(errors)
    cells_of: list[list[str] | None] = []
    if original_csv is None:
        header = _record_columns(errors)
        if key_column is not None and key_column.lower() not in {h.lower() for h in header}:
            header.insert(0, key_column)
        for _row, group in merged:
            record: dict[str, Any] = {}
            for error in group:
                for key, value in error.record.items():
                    record.setdefault(str(key), value)
            cells = [cell_text(record.get(c)) for c in header]
            cells_of.append(cells if any(cells) else None)
    else:
        header, lines = _read_original(original_csv)
        lower = [h.lower() for h in header]
        for row, group in merged:
            index = None if row is None else row - 2
            if index is not None and 0 <= index < len(lines):
                cells_of.append((list(lines[index]) + [""] * len(header))[: len(header)])
                continue
            record_lower: dict[str, Any] = {}
            for error in group:
                for key, value in error.record.items():
                    record_lower.setdefault(str(key).lower(), value)
            cells = [cell_text(record_lower.get(name)) for name in lower]
            cells_of.append(cells if any(cells) else None)

    inline = reference_prefix is not None
    error_columns: tuple[str, ...] = ()
    if inline:
        taken: list[str] = list(header)
        for name in (ERROR_ROW_COLUMN, ERROR_CODE_COLUMN, ERROR_MESSAGE_COLUMN):
            taken.append(_unique(f"{reference_prefix}{name}", taken))
        error_columns = tuple(taken[len(header) :])
    out: list[tuple[str, ...]] = []
    side: list[tuple[str, ...]] = []
    for (row, group), data in zip(merged, cells_of, strict=True):
        source_row = "" if row is None else str(row)
        if data is None:
            side.append(("", source_row, _codes(group), _messages(group)))
            continue
        if inline:
            out.append((*data, source_row, _codes(group), _messages(group)))
        else:
            out.append(tuple(data))
            side.append((str(len(out) + 1), source_row, _codes(group), _messages(group)))
    return ExportPlan(
        header=(*header, *error_columns),
        rows=tuple(out),
        errors_header=SIDE_FILE_HEADER if side else (),
        errors_rows=tuple(side),
    )


def _render(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def errors_to_csv_text(
    errors: Sequence[JobError],
    *,
    original_csv: Path | None = None,
    reference_prefix: str | None = None,
    key_column: str | None = None,
) -> str:
    """The fix file of a failed-rows export as CSV text (see `plan_export`); the errors
    that go beside it are not part of this text.

    Args:
        errors: The errors to export.
        original_csv: The file that was uploaded for this job, when known.
        reference_prefix: The family's reference-column prefix, if its uploads have one.
        key_column: The column a re-upload of these rows must carry.

    Returns:
        CSV text with a header line and one line per failed row, `\\n` line endings.

    Raises:
        ExportError: The original file cannot be read.
    """
    plan = plan_export(
        errors,
        original_csv=original_csv,
        reference_prefix=reference_prefix,
        key_column=key_column,
    )
    return _render(plan.header, plan.rows)


def _write_atomically(dest: Path, text: str) -> None:
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


def export_failed_rows(
    errors: Sequence[JobError],
    dest: Path,
    *,
    original_csv: Path | None = None,
    reference_prefix: str | None = None,
    key_column: str | None = None,
) -> ExportResult:
    """Write the failed rows to `dest` as UTF-8 CSV, ready to fix and re-upload, and the
    errors that do not fit in it to `errors_file_for(dest)` (see `plan_export`).

    Each file is written next to its destination and renamed over it, so an interrupted
    export never leaves half a file behind. Missing parent folders are created. An
    errors file left by an earlier export to the same `dest` is removed when this one
    has none, so the two files always belong together.

    Args:
        errors: The errors to export.
        dest: The CSV file to write (replaced if it exists).
        original_csv: The file that was uploaded for this job, when known; its rows are
            joined to the errors by row number.
        reference_prefix: The family's reference-column prefix, if its uploads have one.
        key_column: The column a re-upload of these rows must carry.

    Returns:
        What was written.

    Raises:
        ExportError: The original file cannot be read or a file cannot be written.
    """
    plan = plan_export(
        errors,
        original_csv=original_csv,
        reference_prefix=reference_prefix,
        key_column=key_column,
    )
    dest = dest.expanduser()
    side = _side_name(dest)
    _write_atomically(dest, _render(plan.header, plan.rows))
    if plan.errors_rows:
        _write_atomically(side, _render(plan.errors_header, plan.errors_rows))
        return ExportResult(dest, len(plan.rows), side, len(plan.errors_rows))
    try:
        side.unlink(missing_ok=True)
    except OSError as exc:
        raise ExportError(f"Cannot remove the stale {side}: {exc.strerror or exc}.") from None
    return ExportResult(dest, len(plan.rows), None, 0)


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
    (docs/zuora-api.md §3, [KC]); their exact spelling is undocumented, so names are matched
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
