"""Property tests: whatever bytes arrive, the checks never crash and errors say where."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ztui.ops.preflight import FILE_LEVEL_CODES, CheckTarget, FileReport, check_file

TARGETS = [
    CheckTarget("data_backfill", template_header=["Id", "Name", "#Note", "Amount__c"]),
    CheckTarget("data_backfill", template_header=None),
    CheckTarget("custom_object", "create"),
    CheckTarget("custom_object", "update"),
    CheckTarget("custom_object", "delete"),
]

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Cells made of the characters that trip CSV parsers up.
cell_text = st.text(
    alphabet=st.sampled_from(list('ab,;"\n\r\t =+-@#Id\x00é€ ')) | st.characters(),
    max_size=12,
)


@st.composite
def csvish(draw: st.DrawFn) -> bytes:
    """Text shaped roughly like a CSV, with quoting, embedded newlines and odd encodings."""
    names = draw(
        st.lists(
            st.sampled_from(["Id", "id", "Name", "#Note", "Amount__c", "name ", "", "Id"])
            | cell_text,
            min_size=0,
            max_size=6,
        )
    )
    delimiter = draw(st.sampled_from([",", ",", ",", ";", "\t"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    rows = draw(
        st.lists(
            st.lists(cell_text | st.just(""), max_size=7),
            max_size=8,
        )
    )
    quote_all = draw(st.booleans())

    def render(cells: list[str]) -> str:
        if quote_all:
            return delimiter.join('"' + c.replace('"', '""') + '"' for c in cells)
        return delimiter.join(cells)

    text = newline.join([render(names), *(render(r) for r in rows)])
    if draw(st.booleans()):
        text += newline
    if draw(st.booleans()):
        # A field past the csv module's 128 KiB field limit.
        text += "x" * draw(st.integers(min_value=100_000, max_value=150_000))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16", "cp1252"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.booleans()) and data:
        # Flip a byte somewhere, as a corrupted download would.
        at = draw(st.integers(min_value=0, max_value=len(data) - 1))
        data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    return data


def assert_well_formed(report: FileReport) -> None:
    """Every error names a line, unless it is about the whole file."""
    assert "internal-error" not in {f.code for f in report.findings}, report.findings
    for finding in report.findings:
        assert finding.severity in ("error", "warning")
        assert finding.message
        if finding.severity == "error" and finding.code not in FILE_LEVEL_CODES:
            assert finding.line is not None, finding
            assert finding.line >= 1, finding
        if finding.column is not None:
            assert finding.column >= 1, finding
    if report.ok:
        assert report.header, "an accepted file has a header"
        assert report.payload is not None


def run(data: bytes, name: str, target: CheckTarget) -> FileReport:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        return check_file(path, target=target)


@SETTINGS
@given(data=st.binary(max_size=2000), target=st.sampled_from(TARGETS))
def test_random_bytes_never_crash(data: bytes, target: CheckTarget) -> None:
    assert_well_formed(run(data, "random.csv", target))


@SETTINGS
@given(data=csvish(), target=st.sampled_from(TARGETS))
def test_csvish_text_never_crashes(data: bytes, target: CheckTarget) -> None:
    report = run(data, "rows.csv", target)
    assert_well_formed(report)
    if report.encoding in ("utf-8", "utf-8-sig"):
        assert len(report.preview_rows) <= 20


@SETTINGS
@given(data=csvish(), extra=st.binary(max_size=200), two=st.booleans())
def test_zips_never_crash(data: bytes, extra: bytes, two: bool) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("rows.csv", data)
        if two:
            zf.writestr("other.bin", extra)
    blob = buf.getvalue()
    report = run(blob, "rows.zip", TARGETS[0])
    assert_well_formed(report)
    # A damaged archive: truncated or with trailing junk.
    assert_well_formed(run(blob[: len(blob) // 2] + extra, "rows.zip", TARGETS[0]))


@SETTINGS
@given(
    header=st.lists(st.text(max_size=10), min_size=1, max_size=6),
    rows=st.lists(st.lists(st.text(max_size=10), max_size=6), max_size=10),
)
def test_csv_written_by_the_csv_module_round_trips(
    header: list[str], rows: list[list[str]]
) -> None:
    """Well-quoted CSV keeps its cells: the preview shows exactly what was written."""
    import csv

    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    report = run(out.getvalue().encode("utf-8"), "rows.csv", TARGETS[1])
    assert_well_formed(report)
    codes = {f.code for f in report.findings}
    if codes & {"nul-byte", "csv-syntax", "header-missing", "delimiter"}:
        return
    assert report.header == header
    # csv.writer writes [] as a blank line (skipped with a warning) and [""] as '""'.
    records = [r for r in rows if r]
    assert report.row_count == len(records)
    assert report.preview_rows == records[:20]


@pytest.mark.parametrize("target", TARGETS)
def test_huge_single_field_and_long_lines(tmp_path: Path, target: CheckTarget) -> None:
    path = tmp_path / "huge.csv"
    path.write_bytes(b'Id,Name\n1,"' + b"y" * 300_000 + b'"\n2,' + b"z" * 90_000 + b"\n")
    assert_well_formed(check_file(path, target=target))
