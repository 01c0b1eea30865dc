"""Provides the pre-flight checks run on a CSV (or zipped CSV) before it is sent to Zuora.

Everything here is pure, blocking file work with no Textual import: the upload screen runs
`check_file` in a thread worker, passing `progress` and `cancelled` callbacks. The result is
a `FileReport` holding the bytes to upload (so what was checked is exactly what is sent),
their MD5 and SHA-256, a preview, and a list of `Finding`s. Errors block the submit; warnings
need an explicit acknowledgement.

The rules come from docs/zuora-api.md: §3 for data-backfill files (`.csv` or zipped `.csv`,
≤4 MB, header laid out as the type's template, `#` columns are read-only comments, a blank
cell in a kept column writes null, MD5 sent as `checksum`) and §6 for custom-object uploads
(raw UTF-8 CSV, ≤15 MB, update files need an `id`/`Id` column; delete files too, per the
issue).

Line numbers are physical lines of the CSV (lines end at LF; the header is line 1). A
record whose quoted field spans several lines is reported at the line where it starts.
Column numbers are 1-based.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

from ztui.ops.findings import (
    FILE_LEVEL_CODES,
    HASH_CHUNK,
    MIB,
    CheckTarget,
    FileReport,
    Finding,
    PreflightCancelled,
    md5_hex,
    sha256_hex,
)

__all__ = [
    "FILE_LEVEL_CODES",
    "CheckTarget",
    "FileReport",
    "Finding",
    "PreflightCancelled",
    "check_file",
    "md5_hex",
    "sha256_hex",
]


HARD_READ_CAP: Final = 64 * MIB
"""Files (or zip members) larger than this are never read into memory."""
ZIP_MAX_RATIO: Final = 100
"""A zip member inflating more than this many times its compressed size is refused."""
ZIP_RATIO_FLOOR: Final = MIB
"""The ratio rule only applies to members declaring more than this many bytes."""

MAX_FINDINGS_PER_CODE: Final = 20
"""After this many findings of one code, the rest are summarised in one finding."""
CANCEL_EVERY_ROWS: Final = 2000
"""How often (in records) the parse loop checks `cancelled` and reports progress."""

FORMULA_PREFIXES: Final = ("=", "+", "-", "@")
"""Cell prefixes that spreadsheets run as formulas (CSV injection, OWASP)."""

_ID_SHAPES: Final[dict[str, tuple[str, re.Pattern[str]]]] = {
    # docs/zuora-api.md §2.9: Zuora record ids are 32 hex characters; custom-object
    # records are UUIDs (36 characters with hyphens).
    "data_backfill": ("32 hexadecimal characters", re.compile(r"[0-9a-fA-F]{32}")),
    "custom_object": (
        "a UUID of 36 characters, like 1a2b3c4d-0000-4000-8000-00000000abcd",
        re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"),
    ),
}
"""Per family: how a key id looks, said to the user, and the pattern it must match."""

# A cell that is a plain number ("-12.5", "+3", "1e-3") is not a formula even though it
# starts with "-" or "+"; flagging every negative amount in a revenue file would drown the
# real warnings.
_NUMBER_RE: Final = re.compile(r"[+-]?(\d[\d,]*(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_DELIMITERS: Final = (",", ";", "\t", "|")
_SNIFF_SAMPLE: Final = 64 * 1024


def check_file(
    path: Path,
    *,
    target: CheckTarget,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    preview_rows: int = 20,
) -> FileReport:
    """Check `path` for upload to `target` and return what was found.

    Meant for a thread worker: it blocks on disk and CPU, reports progress from 0.0 to 1.0
    and polls `cancelled` every few thousand records.

    Args:
        path: The `.csv` (or `.zip` for data backfill) chosen by the user.
        target: The family, operation and template the file must fit.
        progress: Called with the fraction done, from the calling thread.
        cancelled: Polled regularly; when it returns true the check stops.
        preview_rows: How many data records to keep for the preview.

    Returns:
        A report; problems in the file, including unreadable files, are findings in it.

    Raises:
        PreflightCancelled: `cancelled()` returned true.
    """
    checker = _Checker(path, target, progress, cancelled, max(0, preview_rows))
    try:
        checker.run()
    except PreflightCancelled:
        raise
    except Exception as exc:  # a bug must not surface as a traceback in the UI
        checker.error(
            "internal-error",
            f"The check stopped unexpectedly ({type(exc).__name__}); "
            "please report this with the file's shape (not its data).",
        )
    return checker.finish()


class _Checker:
    """One run of the checks; collects findings into a `FileReport`."""

    def __init__(
        self,
        path: Path,
        target: CheckTarget,
        progress: Callable[[float], None] | None,
        cancelled: Callable[[], bool] | None,
        preview_rows: int,
    ) -> None:
        self.path = path
        self.target = target
        self._progress = progress
        self._cancelled = cancelled
        self.preview_limit = preview_rows
        self.report = FileReport(path=path)
        self._counts: dict[str, int] = {}
        self._first_suppressed: dict[str, Finding] = {}

    # -- plumbing ---------------------------------------------------------------------

    def tick(self, fraction: float) -> None:
        """Report progress and honour cancellation."""
        if self._cancelled is not None and self._cancelled():
            raise PreflightCancelled(str(self.path))
        if self._progress is not None:
            self._progress(min(1.0, max(0.0, fraction)))

    def add(self, finding: Finding) -> None:
        """Record a finding, summarising floods of one code."""
        n = self._counts.get(finding.code, 0) + 1
        self._counts[finding.code] = n
        if n <= MAX_FINDINGS_PER_CODE:
            self.report.findings.append(finding)
        elif n == MAX_FINDINGS_PER_CODE + 1:
            self._first_suppressed[finding.code] = finding

    def error(
        self,
        code: str,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        column_name: str | None = None,
        offset: int | None = None,
    ) -> None:
        """Record an error finding."""
        self.add(Finding("error", code, message, line, column, column_name, offset))

    def warning(
        self,
        code: str,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        column_name: str | None = None,
    ) -> None:
        """Record a warning finding."""
        self.add(Finding("warning", code, message, line, column, column_name))

    def finish(self) -> FileReport:
        """Append flood summaries, order errors first, and return the report."""
        for code, first in self._first_suppressed.items():
            extra = self._counts[code] - MAX_FINDINGS_PER_CODE
            self.report.findings.append(
                Finding(
                    first.severity,
                    code,
                    f"…and {extra:,} more like this, the next one at {first.where or 'the file'}.",
                    line=first.line,
                    column=first.column,
                    column_name=first.column_name,
                )
            )
        self.report.findings.sort(key=lambda f: f.severity != "error")
        return self.report

    # -- stages -----------------------------------------------------------------------

    def run(self) -> None:
        """Run every stage in order; progress ends at 1.0 however early a stage stops."""
        self.tick(0.0)
        self._stages()
        self.tick(1.0)

    def _stages(self) -> None:
        data = self._read_file()
        if data is None:
            return
        self.tick(0.05)
        csv_bytes = self._unwrap(data)
        self.tick(0.15)
        if csv_bytes is None:
            return
        text = self._decode(csv_bytes)
        self.tick(0.2)
        if text is None:
            return
        self._parse(text)

    def _read_file(self) -> bytes | None:
        """Read the file and hash it; check extension and size."""
        path, target, report = self.path, self.target, self.report
        suffix = path.suffix.lower()
        if suffix not in target.allowed_extensions:
            allowed = " or ".join(target.allowed_extensions)
            self.error(
                "extension",
                f"{path.name!r} has extension {suffix or '(none)'!r}; "
                f"{_family_label(target)} files must be {allowed}.",
            )
        try:
            size = path.stat().st_size
            report.size = size
            if size > HARD_READ_CAP:
                self.error(
                    "size",
                    f"The file is {_mb(size)}; the limit is {_mb(target.limit)}, "
                    "so it was not read.",
                )
                return None
            data = self._read_bytes(path)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            self.error("unreadable", f"Cannot read {path.name!r}: {reason}.")
            return None
        report.size = len(data)
        report.payload = data
        report.md5 = md5_hex(data)
        report.sha256 = sha256_hex(data)
        if len(data) > target.limit:
            self.error(
                "size",
                f"The file is {_mb(len(data))}; {_family_label(target)} uploads are "
                f"limited to {_mb(target.limit)}.",
            )
        if not data:
            self.error("empty", "The file is empty; it needs at least a header line.")
            return None
        return data

    def _read_bytes(self, path: Path) -> bytes:
        """Read the whole file in chunks, polling for cancellation."""
        chunks: list[bytes] = []
        total = 0
        with path.open("rb") as fh:
            while True:
                chunk = fh.read(HASH_CHUNK)
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
                if total > HARD_READ_CAP:
                    raise OSError(0, f"the file grew past {_mb(HARD_READ_CAP)} while reading")
                self.tick(0.0)
        return b"".join(chunks)

    def _unwrap(self, data: bytes) -> bytes | None:
        """Return the CSV bytes: the file itself, or the single member of a zip."""
        is_zip_name = self.path.suffix.lower() == ".zip"
        looks_zip = data[:4] == b"PK\x03\x04"
        if not is_zip_name:
            if looks_zip:
                self.error(
                    "not-text",
                    "This is a zip or an Excel workbook, not CSV text; "
                    "save it as 'CSV UTF-8 (comma delimited)'.",
                )
                return None
            return data
        if self.target.family != "data_backfill":
            return None  # the extension error already says zips are not accepted
        return self._read_zip(data)

    def _read_zip(self, data: bytes) -> bytes | None:
        """Validate a zip before extracting, then stream its one CSV with a cap."""
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
            self.error("zip-invalid", "The file is not a readable zip archive.")
            return None
        with zf:
            try:
                infos = zf.infolist()
            except Exception:
                self.error("zip-invalid", "The zip's table of contents cannot be read.")
                return None
            members = [i for i in infos if not i.is_dir()]
            if len(members) != 1:
                names = ", ".join(repr(i.filename) for i in members[:5]) or "none"
                self.error(
                    "zip-members",
                    f"The zip must hold exactly one CSV; it holds {len(members)} files ({names}).",
                )
                return None
            info = members[0]
            self.report.inner_name = info.filename
            if not info.filename.lower().endswith(".csv"):
                self.error(
                    "zip-not-csv", f"The file inside the zip, {info.filename!r}, is not a .csv."
                )
                return None
            if info.flag_bits & 0x1:
                self.error("zip-encrypted", "The CSV inside the zip is password-protected.")
                return None
            # Declared sizes first: never start inflating something that announces itself
            # as a bomb. The stream cap below catches archives that lie about sizes.
            cap = min(HARD_READ_CAP, max(self.target.limit * 16, 16 * MIB))
            if info.file_size > cap:
                self.error(
                    "zip-too-large",
                    f"The CSV inside the zip would be {_mb(info.file_size)} unpacked; "
                    f"more than the {_mb(cap)} ztui will check.",
                )
                return None
            ratio = info.file_size / max(1, info.compress_size)
            if info.file_size > ZIP_RATIO_FLOOR and ratio > ZIP_MAX_RATIO:
                self.error(
                    "zip-bomb",
                    f"The CSV inside the zip inflates {ratio:,.0f} times "
                    f"(limit {ZIP_MAX_RATIO}); refusing to unpack it.",
                )
                return None
            limit = min(cap, max(info.file_size, 0))
            chunks: list[bytes] = []
            total = 0
            try:
                with zf.open(info) as member:
                    while True:
                        chunk = member.read(HASH_CHUNK)
                        if not chunk:
                            break
                        total += len(chunk)
                        if total > limit:
                            self.error(
                                "zip-bomb",
                                "The CSV inside the zip unpacks to more than its declared "
                                f"size ({info.file_size:,} bytes); refusing to go on.",
                            )
                            return None
                        chunks.append(chunk)
                        self.tick(0.05 + 0.1 * total / max(1, limit))
            except PreflightCancelled:
                raise
            except Exception as exc:
                self.error(
                    "zip-invalid",
                    f"The CSV inside the zip cannot be unpacked ({type(exc).__name__}).",
                )
                return None
        return b"".join(chunks)

    def _decode(self, data: bytes) -> str | None:
        """Decode as UTF-8 (BOM allowed); report the first bad byte, then go on lossily."""
        report = self.report
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not data.startswith(
            codecs.BOM_UTF8
        ):
            report.encoding = "not utf-8"
            self.error(
                "encoding",
                "The file is UTF-16 (it starts with a UTF-16 byte-order mark); "
                "Zuora needs UTF-8: save it as 'CSV UTF-8'.",
                line=1,
                column=1,
                offset=0,
            )
            return None
        bom = data.startswith(codecs.BOM_UTF8)
        body = data[len(codecs.BOM_UTF8) :] if bom else data
        try:
            text = body.decode("utf-8")
            report.encoding = "utf-8-sig" if bom else "utf-8"
        except UnicodeDecodeError as exc:
            report.encoding = "not utf-8"
            start = exc.start + (len(codecs.BOM_UTF8) if bom else 0)
            line = data.count(b"\n", 0, start) + 1
            line_start = data.rfind(b"\n", 0, start) + 1
            byte_in_line = start - line_start + 1
            self.error(
                "encoding",
                f"Not UTF-8: byte 0x{data[start]:02X} at line {line}, byte {byte_in_line} of "
                f"that line (file offset {start}) cannot be decoded. Save the file as "
                "'CSV UTF-8' (it is probably Latin-1 or Windows-1252).",
                line=line,
                column=byte_in_line,
                offset=start,
            )
            # Go on with replacement characters so header problems show up in one pass.
            text = body.decode("utf-8", errors="replace")
        nul = text.find("\x00")
        if nul >= 0:
            line = text.count("\n", 0, nul) + 1
            col = nul - (text.rfind("\n", 0, nul) + 1) + 1
            self.error(
                "nul-byte",
                f"Line {line}, character {col} holds a NUL byte: this is binary data, not CSV "
                "text.",
                line=line,
                column=col,
            )
            return None
        return text

    def _parse(self, text: str) -> None:
        """Parse the CSV, check the header, then every record."""
        report, target = self.report, self.target
        first_nl = text.find("\n")
        header_line = text if first_nl < 0 else text[:first_nl]
        delimiter = _detect_delimiter(header_line, text[:_SNIFF_SAMPLE])
        report.delimiter = delimiter
        if delimiter != ",":
            shown = {"\t": "tabs", ";": "semicolons", "|": "pipes"}.get(delimiter, delimiter)
            self.error(
                "delimiter",
                f"Line 1: columns are separated by {shown}; Zuora reads comma-separated "
                "files only. Export as 'CSV (comma delimited)'.",
                line=1,
            )
        total_lines = max(1, text.count("\n") + 1)
        records = _records(text, delimiter)
        try:
            first = next(records, None)
        except _RecordError as exc:
            self._csv_error(exc.error, exc.line)
            return
        if first is None or not first[1] or first[1] == [""]:
            self.error("header-missing", "Line 1 is empty; the file needs a header line.", line=1)
            return
        header = first[1]
        report.header = header
        kept = [i for i, name in enumerate(header) if not name.startswith("#")]
        report.kept_columns = [header[i] for i in kept]
        self._check_header(header, kept)
        id_col = self._id_column(header, kept)
        formula_cols: dict[int, tuple[int, int]] = {}  # column -> (count, first line)
        blank_cols: dict[int, tuple[int, int]] = {}
        seen_ids: dict[str, int] = {}
        check_blanks = target.blanks_write_null
        # Where a blank id is already an error, don't also warn about it.
        blank_id_col = id_col if target.key_is_checked else None
        ncols = len(header)
        blank_lines = 0
        first_blank_line = 0
        rows = 0
        try:
            for line, row in records:
                if not row:
                    blank_lines += 1
                    first_blank_line = first_blank_line or line
                    continue
                rows += 1
                if rows % CANCEL_EVERY_ROWS == 0:
                    self.tick(0.2 + 0.8 * line / total_lines)
                if len(row) != ncols:
                    self._width_error(line, row, header)
                if rows <= self.preview_limit:
                    report.preview_rows.append(row)
                    report.preview_lines.append(line)
                    if check_blanks:
                        for j in kept:
                            if j < len(row) and row[j] == "":
                                report.blank_cells.add((rows - 1, j))
                if check_blanks and "" in row:
                    for j in kept:
                        if j < len(row) and row[j] == "" and j != blank_id_col:
                            n, at = blank_cols.get(j, (0, line))
                            blank_cols[j] = (n + 1, at)
                for j in kept:
                    if j >= len(row):
                        break
                    cell = row[j]
                    if cell and cell[0] in "=+-@" and not _NUMBER_RE.fullmatch(cell):
                        n, at = formula_cols.get(j, (0, line))
                        formula_cols[j] = (n + 1, at)
                if id_col is not None:
                    self._check_id(line, row, id_col, header, seen_ids)
        except _RecordError as exc:
            self._csv_error(exc.error, exc.line)
        report.row_count = rows
        if rows == 0 and not self.report.errors:
            self.error(
                "no-rows",
                "The file has a header but no data rows; there is nothing to send.",
                line=1,
            )
        if blank_lines:
            self.warning(
                "blank-lines",
                f"{blank_lines:,} blank line(s), the first at line {first_blank_line}; "
                "remove them, Zuora may read them as empty records.",
                line=first_blank_line,
            )
        for j, (n, at) in sorted(blank_cols.items()):
            self.warning(
                "blank-cells",
                f"Column {j + 1} ({header[j]}) has {n:,} blank cell(s), the first at line "
                f"{at}: Zuora writes null over the field there. Fill them in, or leave "
                "the column out if you do not mean to update that field.",
                line=at,
                column=j + 1,
                column_name=header[j],
            )
        for j, (n, at) in sorted(formula_cols.items()):
            self.warning(
                "formula",
                f"Column {j + 1} ({header[j]}) has {n:,} cell(s) starting with = + - or @, "
                f"the first at line {at}: a spreadsheet opening the result file may run "
                "them as formulas.",
                line=at,
                column=j + 1,
                column_name=header[j],
            )

    # -- header and row rules ------------------------------------------------------------

    def _check_header(self, header: list[str], kept: list[int]) -> None:
        target = self.target
        first_seen: dict[str, int] = {}
        for j, name in enumerate(header):
            if name.strip() == "":
                self.error(
                    "header-empty",
                    f"Line 1, column {j + 1}: the column has no name.",
                    line=1,
                    column=j + 1,
                )
                continue
            if name in first_seen:
                self.error(
                    "header-duplicate",
                    f"Line 1, column {j + 1}: {name!r} repeats column {first_seen[name] + 1}.",
                    line=1,
                    column=j + 1,
                    column_name=name,
                )
            else:
                first_seen[name] = j
        if not kept:
            self.error(
                "header-no-columns",
                "Line 1: every column starts with '#' (reference only), so nothing would be "
                "updated.",
                line=1,
            )
        if target.family == "data_backfill":
            self._check_template(header, kept)
        else:
            for j in kept:
                name = header[j]
                if name and name != name.strip():
                    self.error(
                        "header-space",
                        f"Line 1, column {j + 1}: {name!r} has spaces around the name; "
                        f"did you mean {name.strip()!r}?",
                        line=1,
                        column=j + 1,
                        column_name=name,
                    )
        if target.needs_id and not any(header[j].strip().lower() == "id" for j in kept):
            self.error(
                "id-missing",
                f"Line 1: a custom-object {target.operation} file needs an 'id' column "
                "naming the records.",
                line=1,
            )

    def _check_template(self, header: list[str], kept: list[int]) -> None:
        template = self.target.template_header
        if template is None:
            self.warning(
                "no-template",
                "The template for this type could not be loaded, so the header was not "
                "checked against it.",
                line=1,
            )
            return
        writable = [t for t in template if not t.startswith("#")]
        writable_set = set(writable)
        reference = {t[1:].strip(): t for t in template if t.startswith("#")}
        normal = {_norm(t): t for t in writable}
        for j in kept:
            name = header[j]
            if name in writable_set or not name.strip():
                continue
            hint = ""
            if _norm(name) in normal:
                hint = f" Did you mean {normal[_norm(name)]!r}? Zuora compares names exactly."
            elif name.strip() in reference:
                hint = (
                    f" The template has it as {reference[name.strip()]!r}: reference only, "
                    "it cannot be updated. Prefix it with '#' or drop it."
                )
            else:
                close = difflib.get_close_matches(name, writable, n=1, cutoff=0.75)
                if close:
                    hint = f" Did you mean {close[0]!r}?"
            self.error(
                "header-unknown",
                f"Line 1, column {j + 1}: {name!r} is not a column of this type's template.{hint}",
                line=1,
                column=j + 1,
                column_name=name,
            )

    def _id_column(self, header: list[str], kept: list[int]) -> int | None:
        """The column holding record ids, checked for blanks and duplicates.

        Custom objects: `id`/`Id`. Data backfill: the first kept column named like a
        record id (`...Id`, e.g. `ProductRatePlanChargeId`), since each row updates the
        record it names and two rows for one record would race.
        """
        for j in kept:
            if header[j].strip().lower() == "id":
                return j
        if self.target.family == "data_backfill":
            for j in kept:
                if header[j].strip().lower().endswith("id"):
                    return j
        return None

    def _check_id(
        self, line: int, row: list[str], j: int, header: list[str], seen: dict[str, int]
    ) -> None:
        if j >= len(row):
            return
        value = row[j].strip()
        name = header[j]
        if not value:
            if self.target.key_is_checked:
                self.error(
                    "id-blank",
                    f"Line {line}, column {j + 1} ({name}): the id is blank; every row "
                    "must name the record it changes.",
                    line=line,
                    column=j + 1,
                    column_name=name,
                )
            return
        if self.target.key_is_checked:
            shape, pattern = _ID_SHAPES[self.target.family]
            if not pattern.fullmatch(value):
                self.error(
                    "id-malformed",
                    f"Line {line}, column {j + 1} ({name}): {_short(value)!r} is not a "
                    f"record id ({shape}).",
                    line=line,
                    column=j + 1,
                    column_name=name,
                )
        key = value.lower()  # UUIDs and 32-hex ids are case-insensitive
        earlier = seen.get(key)
        if earlier is None:
            seen[key] = line
            return
        self.error(
            "id-duplicate",
            f"Line {line}, column {j + 1} ({name}): id {_short(value)!r} already appears at "
            f"line {earlier}.",
            line=line,
            column=j + 1,
            column_name=name,
        )

    def _width_error(self, line: int, row: list[str], header: list[str]) -> None:
        ncols = len(header)
        if len(row) > ncols:
            self.error(
                "row-width",
                f"Line {line}: {len(row)} fields but the header has {ncols}; the extra one "
                f"starts at column {ncols + 1} (an unquoted comma?).",
                line=line,
                column=ncols + 1,
            )
        else:
            missing = header[len(row)]
            self.error(
                "row-width",
                f"Line {line}: {len(row)} fields but the header has {ncols}; "
                f"column {len(row) + 1} ({missing}) onwards is missing.",
                line=line,
                column=len(row) + 1,
                column_name=missing,
            )

    def _csv_error(self, exc: csv.Error, line: int) -> None:
        text = str(exc)
        if "field larger than field limit" in text:
            why = f"a field is longer than {csv.field_size_limit():,} characters"
        elif "unexpected end of data" in text:
            why = "a quoted field is never closed (a missing '\"')"
        elif "new-line character seen in unquoted field" in text:
            why = "a bare carriage return (CR) splits the line; save with LF or CRLF endings"
        elif "expected" in text and "after" in text:
            why = "a quote is followed by more text in the same field (quotes inside a field must be doubled)"  # noqa: E501
        else:
            why = text
        self.error(
            "csv-syntax",
            f"Line {line}: {why}. Checking stopped at this record.",
            line=line,
        )


class _RecordError(Exception):
    """A `csv.Error` tagged with the physical line where the bad record starts."""

    def __init__(self, line: int, error: csv.Error) -> None:
        super().__init__(str(error))
        self.line = line
        self.error = error


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (physical start line, record) pairs; raise `_RecordError` on bad syntax."""
    # Split on LF only (keeping it), so line numbers match what editors show.
    reader = csv.reader(
        io.StringIO(text, newline="\n"),
        delimiter=delimiter,
        quotechar='"',
        doublequote=True,
        skipinitialspace=False,
        strict=True,
    )
    previous = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _RecordError(previous + 1, exc) from None
        start = previous + 1
        previous = reader.line_num
        yield start, row


def _detect_delimiter(header_line: str, sample: str) -> str:
    """Find the field delimiter, trusting commas in the header first.

    `csv.Sniffer` guesses from character frequencies across lines and is easily fooled by
    commas or semicolons inside text cells; a comma-separated header is decisive, since
    Zuora's templates are comma-separated.
    """
    widths: dict[str, int] = {}
    for d in _DELIMITERS:
        try:
            widths[d] = len(next(csv.reader([header_line], delimiter=d), []))
        except csv.Error:
            widths[d] = 0
    if widths[","] > 1:
        return ","
    cut = sample.rfind("\n")
    if cut > 0:
        sample = sample[:cut]
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(_DELIMITERS)).delimiter
    except csv.Error:
        sniffed = ""
    if sniffed in widths and widths[sniffed] > 1:
        return sniffed
    best = max(_DELIMITERS, key=lambda d: widths[d])
    return best if widths[best] > 1 else ","


def _norm(name: str) -> str:
    """Normalise a column name for near-miss hints (case, spaces, underscores)."""
    return re.sub(r"[\s_]+", "", name).casefold()


def _short(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _mb(size: int) -> str:
    return f"{size / MIB:.1f} MB" if size >= MIB // 10 else f"{size:,} bytes"


def _family_label(target: CheckTarget) -> str:
    return "Custom-object" if target.family == "custom_object" else "Data-backfill"
