"""Provides what a pre-flight check reports: `Finding`, `CheckTarget`, `FileReport`.

These are the plain records shared by the checker (`ztui.ops.preflight`), the upload
screen and the submit flow; they hold no checking logic beyond what each one says
about itself.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from ztui.families.custom_object import CUSTOM_OBJECT_MAX_BYTES
from ztui.families.data_backfill import DATA_BACKFILL_MAX_BYTES

__all__ = [
    "FILE_LEVEL_CODES",
    "HASH_CHUNK",
    "MIB",
    "CheckTarget",
    "FileReport",
    "Finding",
    "PreflightCancelled",
    "Severity",
    "TargetFamily",
    "md5_hex",
    "sha256_hex",
]

Severity = Literal["error", "warning"]
TargetFamily = Literal["data_backfill", "custom_object"]

MIB: Final = 1024 * 1024

FILE_LEVEL_CODES: Final = frozenset(
    {
        "unreadable",
        "extension",
        "size",
        "empty",
        "zip-invalid",
        "zip-members",
        "zip-not-csv",
        "zip-encrypted",
        "zip-too-large",
        "zip-bomb",
        "not-text",
        "internal-error",
    }
)
"""Error codes about the file as a whole; every other error names a line."""

HASH_CHUNK: Final = MIB
"""Bytes read at a time when hashing a file."""


class PreflightCancelled(Exception):  # noqa: N818 (name fixed by the upload brief)
    """Raised by `check_file` when its `cancelled` callback returns true."""


@dataclass(frozen=True)
class Finding:
    """One problem found in a file.

    The message is complete on its own (it repeats line and column), so a UI can show it
    as is; the separate fields let a preview jump to the cell.
    """

    severity: Severity
    """`"error"` blocks the submit; `"warning"` needs an acknowledgement."""
    code: str
    """Stable machine code, e.g. `"header-unknown"`, `"blank-cells"`."""
    message: str
    """Human sentence saying what is wrong, where, and what to do."""
    line: int | None = None
    """Physical line in the CSV (header = 1), or None for file-level findings."""
    column: int | None = None
    """1-based column number (for encoding errors: byte within the line)."""
    column_name: str | None = None
    """Header name of the column, where known."""
    offset: int | None = None
    """0-based byte offset in the CSV, for encoding findings."""

    @property
    def is_error(self) -> bool:
        """True for findings that block the submit."""
        return self.severity == "error"

    @property
    def where(self) -> str:
        """Short location text such as `line 3, column 2 (Name)`; empty if file-level."""
        parts: list[str] = []
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            col = f"column {self.column}"
            if self.column_name is not None:
                col += f" ({self.column_name})"
            parts.append(col)
        return ", ".join(parts)


@dataclass(frozen=True)
class CheckTarget:
    """What the file is meant for, which decides the rules applied."""

    family: TargetFamily
    """`"data_backfill"` or `"custom_object"` (a `ztui.api.models.Family` value works too)."""
    operation: str | None = None
    """For custom objects: `"create"`, `"update"` or `"delete"`."""
    template_header: list[str] | None = None
    """For data backfill: the header of the API template for the chosen type."""
    max_bytes: int | None = None
    """Upload size limit; None means the family's documented limit."""

    @property
    def limit(self) -> int:
        """The size limit in bytes that applies."""
        if self.max_bytes is not None:
            return self.max_bytes
        if self.family == "custom_object":
            return CUSTOM_OBJECT_MAX_BYTES
        return DATA_BACKFILL_MAX_BYTES

    @property
    def needs_id(self) -> bool:
        """True when the file must carry an `id` column (custom-object update/delete)."""
        return self.family == "custom_object" and self.operation in ("update", "delete")

    @property
    def key_is_checked(self) -> bool:
        """True when the id column names the record each row changes, so each cell must
        hold a well-formed id: data backfill, and custom-object update and delete."""
        return self.family == "data_backfill" or self.needs_id

    @property
    def blanks_write_null(self) -> bool:
        """True when a blank cell overwrites the field with null (backfill, CO update)."""
        if self.family == "custom_object":
            return self.operation == "update"
        return True

    @property
    def allowed_extensions(self) -> tuple[str, ...]:
        """File extensions accepted for this target (lower case, with the dot)."""
        if self.family == "custom_object":
            return (".csv",)
        return (".csv", ".zip")


@dataclass
class FileReport:
    """Everything `check_file` learned about a file; built once, then read by the UI."""

    path: Path
    """The file checked."""
    size: int = 0
    """Size in bytes of the file on disk (the zip itself for a zip)."""
    md5: str = ""
    """MD5 hex of `payload` (sent as `checksum` for data backfill); empty if unread."""
    sha256: str = ""
    """SHA-256 hex of `payload`, for the journal; empty if unread."""
    encoding: str = ""
    """`"utf-8"`, `"utf-8-sig"` (BOM), `"not utf-8"`, or empty if never decoded."""
    delimiter: str = ","
    """Field delimiter found in the header."""
    header: list[str] = field(default_factory=list)
    """Header cells as written (BOM removed)."""
    kept_columns: list[str] = field(default_factory=list)
    """Header cells that are not `#` reference columns: the fields Zuora writes."""
    row_count: int = 0
    """Number of data records (header and blank lines excluded)."""
    preview_rows: list[list[str]] = field(default_factory=list)
    """The first data records, as parsed."""
    preview_lines: list[int] = field(default_factory=list)
    """Physical start line of each preview record."""
    blank_cells: set[tuple[int, int]] = field(default_factory=set)
    """(preview row index, column index) of blank cells that would write null."""
    findings: list[Finding] = field(default_factory=list)
    """Errors and warnings, errors first after `check_file` returns."""
    payload: bytes | None = None
    """The exact bytes to upload (the CSV, or the zip as is); None if unreadable."""
    inner_name: str | None = None
    """Name of the CSV inside a zip, else None."""

    @property
    def errors(self) -> list[Finding]:
        """Findings that block the submit."""
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        """Findings that need an explicit acknowledgement."""
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when nothing blocks the submit (warnings may still need acknowledging)."""
        return self.payload is not None and not self.errors


def md5_hex(data: bytes) -> str:
    """Return the MD5 hex digest of `data` (Zuora's `checksum`, docs/zuora-api.md §3)."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def sha256_hex(data: bytes) -> str:
    """Return the SHA-256 hex digest of `data`."""
    return hashlib.sha256(data).hexdigest()
