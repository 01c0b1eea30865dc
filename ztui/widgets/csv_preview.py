"""Provides `CsvPreview`: the first rows of a checked CSV, its facts and its problems.

It shows a `ztui.ops.preflight.FileReport` and nothing else: total rows, delimiter,
encoding, size and MD5 on one line; the first rows in a table, where a blank cell in a
kept column (one Zuora would write null over) is highlighted; then every finding, errors
first, each naming its line and column.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static

if TYPE_CHECKING:
    from ztui.ops.preflight import FileReport

BLANK_MARK = "␣ blank"
"""What a highlighted blank cell shows (an empty highlighted cell is easy to miss)."""

_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def human_size(size: int) -> str:
    """`1,234 bytes`, `12.3 KB`, `4.0 MB` (binary units, as the limits are)."""
    if size < 1024:
        return f"{size:,} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def summary_text(report: FileReport) -> str:
    """One line of facts about a checked file."""
    parts = [
        report.path.name + (f" → {report.inner_name}" if report.inner_name else ""),
        f"{report.row_count:,} rows",
        human_size(report.size),
        f"delimiter {_DELIMITER_NAMES.get(report.delimiter, repr(report.delimiter))}",
        f"encoding {report.encoding or 'unknown'}",
    ]
    if report.md5:
        parts.append(f"MD5 {report.md5}")
    return " · ".join(parts)


CELL_WIDTH = 20
"""Cells are cut to this many characters so that every column fits beside the tree."""


def _clip(value: str) -> str:
    return value if len(value) <= CELL_WIDTH else value[: CELL_WIDTH - 1] + "…"


class CsvPreview(Vertical):
    """The preview of one checked file (or a hint when there is none)."""

    DEFAULT_CSS: ClassVar[str] = """
    CsvPreview { height: 1fr; }
    CsvPreview #preview-summary { height: auto; }
    CsvPreview #preview-table { height: auto; max-height: 14; }
    CsvPreview #preview-findings { height: 1fr; }
    CsvPreview .finding { height: auto; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        """Create an empty preview."""
        super().__init__(id=id, classes=classes)
        self.report: FileReport | None = None
        """The report shown, or None."""

    def compose(self) -> ComposeResult:
        """Summary line, the rows table and the findings list."""
        yield Static("No file chosen.", id="preview-summary")
        table: DataTable[Text] = DataTable(
            id="preview-table", zebra_stripes=True, cursor_type="none", show_cursor=False
        )
        yield table
        yield VerticalScroll(id="preview-findings")

    def show(self, report: FileReport | None, *, hint: str = "No file chosen.") -> None:
        """Show `report`, or `hint` when it is None.

        Args:
            report: The pre-flight result to show.
            hint: Text shown instead when there is no report.
        """
        self.report = report
        summary = self.query_one("#preview-summary", Static)
        table: DataTable[Text] = self.query_one("#preview-table", DataTable)
        findings = self.query_one("#preview-findings", VerticalScroll)
        table.clear(columns=True)
        findings.remove_children()
        self.set_class(report is not None and bool(report.errors), "-has-errors")
        if report is None:
            summary.update(hint)
            table.display = False
            return
        summary.update(Text(summary_text(report)))
        table.display = bool(report.header)
        if report.header:
            self._fill_table(table, report)
        lines: list[Static] = []
        for finding in report.findings:
            mark = "✖" if finding.is_error else "⚠"
            lines.append(
                Static(
                    Text(f"{mark} {finding.message}"),
                    classes=f"finding -{finding.severity}",
                )
            )
        if not report.findings:
            lines.append(Static("✔ No problems found.", classes="finding -ok"))
        findings.mount_all(lines)

    def _fill_table(self, table: DataTable[Text], report: FileReport) -> None:
        kept = set(report.kept_columns)
        table.add_column(Text("line"), key="__line__")
        for j, name in enumerate(report.header):
            label = Text(_clip(name))
            if name not in kept:
                label.stylize("dim")  # '#' columns are reference only
            table.add_column(label, key=f"c{j}")
        warn = self.app.theme_variables.get("warning", "yellow")
        blank_style = f"bold reverse {warn}"
        width = len(report.header)
        for i, row in enumerate(report.preview_rows):
            cells: list[Text] = [Text(str(report.preview_lines[i]), style="dim")]
            for j in range(width):
                value = row[j] if j < len(row) else ""
                if (i, j) in report.blank_cells:
                    cells.append(Text(BLANK_MARK, style=blank_style))
                else:
                    # Text, not str: DataTable would read a str as markup.
                    cells.append(Text(_clip(value)))
            table.add_row(*cells)
