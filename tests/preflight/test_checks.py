"""Unit tests of the pre-flight checks: every rule, on files built in `tmp_path`."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from ztui.families.custom_object import CUSTOM_OBJECT_MAX_BYTES
from ztui.families.data_backfill import DATA_BACKFILL_MAX_BYTES
from ztui.ops.preflight import (
    CheckTarget,
    FileReport,
    Finding,
    PreflightCancelled,
    check_file,
    md5_hex,
    sha256_hex,
)

TEMPLATE = ["Id", "Name", "#Description", "Amount__c"]
BACKFILL = CheckTarget("data_backfill", template_header=TEMPLATE)
CO_CREATE = CheckTarget("custom_object", "create")
CO_UPDATE = CheckTarget("custom_object", "update")
CO_DELETE = CheckTarget("custom_object", "delete")

ID1 = "8ad0823f8b2b4c5d018b2c3d4e5f0001"
ID2 = "8ad0823f8b2b4c5d018b2c3d4e5f0002"
ID3 = "8ad0823f8b2b4c5d018b2c3d4e5f0003"
"""Well-formed Zuora record ids (32 hex characters) for data-backfill rows."""
UUID1 = "1a2b3c4d-0000-4000-8000-00000000abcd"
UUID2 = "1a2b3c4d-0000-4000-8000-00000000abce"
"""Well-formed custom-object record ids."""


def write(tmp_path: Path, name: str, content: bytes | str) -> Path:
    """Write `content` (str as UTF-8) to `tmp_path / name`."""
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def codes(report: FileReport) -> list[str]:
    """The codes of all findings, in order."""
    return [f.code for f in report.findings]


def only(report: FileReport, code: str) -> Finding:
    """The single finding with `code`."""
    found = [f for f in report.findings if f.code == code]
    assert len(found) == 1, report.findings
    return found[0]


def make_zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip archive holding `members`."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


# -- a clean file and the report's contents -------------------------------------------


def test_clean_backfill_file_passes_and_describes_itself(tmp_path: Path) -> None:
    text = f"Id,Name,#Description,Amount__c\r\n{ID1},Alpha,ref,10\r\n{ID2},Beta,,20\r\n"
    path = write(tmp_path, "rows.csv", text)
    report = check_file(path, target=BACKFILL)
    assert report.ok, report.findings
    assert report.findings == []
    assert report.header == TEMPLATE
    assert report.kept_columns == ["Id", "Name", "Amount__c"]
    assert report.row_count == 2
    assert report.preview_rows == [[ID1, "Alpha", "ref", "10"], [ID2, "Beta", "", "20"]]
    assert report.preview_lines == [2, 3]
    # A blank '#' column is a comment, not a null write.
    assert report.blank_cells == set()
    assert report.encoding == "utf-8"
    assert report.delimiter == ","
    assert report.size == len(text.encode())
    assert report.payload == text.encode()
    assert report.inner_name is None


def test_md5_and_sha256_are_of_the_payload(tmp_path: Path) -> None:
    data = b"Id,Name\n1,x\n"
    path = write(tmp_path, "a.csv", data)
    report = check_file(path, target=CheckTarget("data_backfill", template_header=["Id", "Name"]))
    assert report.md5 == hashlib.md5(data).hexdigest() == md5_hex(data)
    assert report.sha256 == hashlib.sha256(data).hexdigest() == sha256_hex(data)
    assert len(report.md5) == 32  # the API's checksum is exactly 32 chars (§3)


def test_preview_is_capped_and_row_count_is_total(tmp_path: Path) -> None:
    rows = "".join(f"{i},n{i},,{i}\n" for i in range(100))
    path = write(tmp_path, "a.csv", "Id,Name,#Description,Amount__c\n" + rows)
    report = check_file(path, target=BACKFILL, preview_rows=5)
    assert report.row_count == 100
    assert len(report.preview_rows) == 5
    assert report.preview_lines == [2, 3, 4, 5, 6]


# -- extension and size -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["rows.txt", "rows", "rows.xlsx"])
def test_wrong_extension_is_a_file_level_error(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, name, "Id,Name\n1,a\n")
    report = check_file(path, target=BACKFILL)
    finding = only(report, "extension")
    assert finding.is_error
    assert finding.line is None
    assert ".csv or .zip" in finding.message
    assert not report.ok


def test_uppercase_extension_is_fine(tmp_path: Path) -> None:
    path = write(tmp_path, "ROWS.CSV", f"Id,Name\n{ID1},a\n")
    assert check_file(path, target=BACKFILL).ok


def test_custom_object_refuses_zip(tmp_path: Path) -> None:
    path = write(tmp_path, "rows.zip", make_zip({"a.csv": b"id,brand__c\n1,x\n"}))
    report = check_file(path, target=CO_UPDATE)
    assert "extension" in codes(report)
    assert ".csv" in only(report, "extension").message


def test_backfill_over_4_mb_is_an_error(tmp_path: Path) -> None:
    line = "1,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,,5\n"
    count = DATA_BACKFILL_MAX_BYTES // len(line) + 1
    path = write(tmp_path, "big.csv", "Id,Name,#Description,Amount__c\n" + line * count)
    report = check_file(path, target=BACKFILL)
    finding = only(report, "size")
    assert finding.is_error
    assert "4.0 MB" in finding.message
    # The content is still checked, so the user sees everything in one pass.
    assert "id-duplicate" in codes(report)


def test_custom_object_allows_up_to_15_mb(tmp_path: Path) -> None:
    header = "id,brand__c\n"
    row = "x" * 100 + ",y\n"
    body = header + "".join(f"{i:08d}{row}" for i in range(45_000))
    assert DATA_BACKFILL_MAX_BYTES < len(body) < CUSTOM_OBJECT_MAX_BYTES
    path = write(tmp_path, "co.csv", body)
    report = check_file(path, target=CO_UPDATE)
    assert "size" not in codes(report), report.findings
    smaller = CheckTarget("custom_object", "update", max_bytes=1000)
    assert only(check_file(path, target=smaller), "size").is_error


def test_empty_file(tmp_path: Path) -> None:
    report = check_file(write(tmp_path, "a.csv", b""), target=BACKFILL)
    assert codes(report) == ["empty"]
    assert not report.ok


def test_missing_file_is_a_finding_not_an_exception(tmp_path: Path) -> None:
    report = check_file(tmp_path / "gone.csv", target=BACKFILL)
    finding = only(report, "unreadable")
    assert "gone.csv" in finding.message
    assert report.payload is None
    assert not report.ok


def test_unreadable_file_is_a_finding(tmp_path: Path) -> None:
    directory = tmp_path / "dir.csv"
    directory.mkdir()
    report = check_file(directory, target=BACKFILL)
    assert codes(report) == ["unreadable"]


# -- encoding ---------------------------------------------------------------------------


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", b"\xef\xbb\xbfId,Name\n" + ID1.encode() + b",Caf\xc3\xa9\n")
    report = check_file(path, target=BACKFILL)
    assert report.ok, report.findings
    assert report.encoding == "utf-8-sig"
    assert report.header == ["Id", "Name"]  # no BOM glued to the first column name
    assert report.preview_rows == [[ID1, "Café"]]


def test_latin1_reports_line_and_byte_offset(tmp_path: Path) -> None:
    data = b"Id,Name\n1,ok\n2,Caf" + b"\xe9\n"
    path = write(tmp_path, "a.csv", data)
    report = check_file(path, target=BACKFILL)
    finding = only(report, "encoding")
    assert finding.is_error
    assert finding.line == 3
    assert finding.column == 6  # "2,Caf" is five bytes; the bad one is the sixth
    assert finding.offset == data.index(b"\xe9")
    assert "0xE9" in finding.message
    assert "line 3" in finding.message
    assert report.encoding == "not utf-8"
    # Decoding goes on lossily: the header was still checked.
    assert report.header == ["Id", "Name"]


def test_bad_byte_after_bom_offset_counts_the_bom(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbfId\n\xff\n"
    report = check_file(write(tmp_path, "a.csv", data), target=BACKFILL)
    finding = only(report, "encoding")
    assert (finding.line, finding.column, finding.offset) == (2, 1, 6)


def test_utf16_is_named(tmp_path: Path) -> None:
    data = "Id,Name\n1,a\n".encode("utf-16")
    report = check_file(write(tmp_path, "a.csv", data), target=BACKFILL)
    finding = only(report, "encoding")
    assert "UTF-16" in finding.message
    assert finding.line == 1


def test_excel_workbook_renamed_csv(tmp_path: Path) -> None:
    data = make_zip({"xl/workbook.xml": b"<workbook/>"})
    report = check_file(write(tmp_path, "book.csv", data), target=BACKFILL)
    assert codes(report) == ["not-text"]


def test_nul_byte_is_binary(tmp_path: Path) -> None:
    report = check_file(write(tmp_path, "a.csv", b"Id,Name\n1,a\x00b\n"), target=BACKFILL)
    finding = only(report, "nul-byte")
    assert (finding.line, finding.column) == (2, 4)


# -- header -----------------------------------------------------------------------------


def test_unknown_column_names_line_and_column_with_case_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "Id,name,Amount__c\n1,a,2\n")
    report = check_file(path, target=BACKFILL)
    finding = only(report, "header-unknown")
    assert (finding.line, finding.column, finding.column_name) == (1, 2, "name")
    assert "Did you mean 'Name'" in finding.message


def test_whitespace_near_miss_gets_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "Id, Name\n1,a\n")
    finding = only(check_file(path, target=BACKFILL), "header-unknown")
    assert "'Name'" in finding.message
    assert finding.column == 2


def test_typo_gets_a_close_match(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "Id,Amount_c\n1,2\n")
    finding = only(check_file(path, target=BACKFILL), "header-unknown")
    assert "Amount__c" in finding.message


def test_reference_only_column_used_as_writable(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "Id,Description\n1,x\n")
    finding = only(check_file(path, target=BACKFILL), "header-unknown")
    assert "#Description" in finding.message
    assert "reference only" in finding.message


def test_missing_template_columns_are_fine(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", f"Id,Amount__c\n{ID1},2\n")
    assert check_file(path, target=BACKFILL).findings == []


def test_hash_columns_are_not_checked_against_the_template(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", f"Id,#My own notes,Amount__c\n{ID1},,2\n")
    report = check_file(path, target=BACKFILL)
    assert report.findings == []
    assert report.kept_columns == ["Id", "Amount__c"]


def test_only_hash_columns_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "#Id,#Name\n1,a\n")
    assert only(check_file(path, target=BACKFILL), "header-no-columns").line == 1


def test_duplicate_column_names(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "Id,Name,Name\n1,a,b\n")
    finding = only(check_file(path, target=BACKFILL), "header-duplicate")
    assert (finding.line, finding.column) == (1, 3)
    assert "column 2" in finding.message


def test_empty_column_name(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "Id,,Name\n1,x,a\n")
    finding = only(check_file(path, target=BACKFILL), "header-empty")
    assert (finding.line, finding.column) == (1, 2)


def test_empty_first_line(tmp_path: Path) -> None:
    report = check_file(write(tmp_path, "a.csv", "\nId,Name\n1,a\n"), target=BACKFILL)
    assert only(report, "header-missing").line == 1


def test_header_only_has_no_rows(tmp_path: Path) -> None:
    report = check_file(write(tmp_path, "a.csv", "Id,Name\n"), target=BACKFILL)
    assert only(report, "no-rows").line == 1


def test_no_template_is_a_warning(tmp_path: Path) -> None:
    target = CheckTarget("data_backfill", template_header=None)
    report = check_file(write(tmp_path, "a.csv", "Anything,Goes\n1,2\n"), target=target)
    assert report.ok
    assert codes(report) == ["no-template"]


@pytest.mark.parametrize("target", [CO_UPDATE, CO_DELETE])
def test_custom_object_update_and_delete_need_id(tmp_path: Path, target: CheckTarget) -> None:
    path = write(tmp_path, "a.csv", "brand__c,model__c\nx,y\n")
    finding = only(check_file(path, target=target), "id-missing")
    assert finding.line == 1
    assert str(target.operation) in finding.message


@pytest.mark.parametrize("name", ["id", "Id", "ID"])
def test_id_column_is_case_insensitive(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, "a.csv", f"{name},brand__c\n{UUID1},x\n")
    assert check_file(path, target=CO_UPDATE).ok


def test_custom_object_create_needs_no_id(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "brand__c,model__c\nx,\n")
    report = check_file(path, target=CO_CREATE)
    assert report.findings == []  # and a blank cell on create is not a null write


def test_custom_object_header_spaces(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "id,brand__c \n1,x\n")
    finding = only(check_file(path, target=CO_UPDATE), "header-space")
    assert (finding.line, finding.column) == (1, 2)


def test_duplicate_ids_name_both_lines(tmp_path: Path) -> None:
    text = 'id,brand__c\nAAA,x\nbbb,y\n"multi\nline",z\naaa,w\n'
    finding = only(check_file(write(tmp_path, "a.csv", text), target=CO_UPDATE), "id-duplicate")
    # "multi\nline" spans lines 4-5, so the repeat is on line 6; the first is on line 2.
    assert (finding.line, finding.column, finding.column_name) == (6, 1, "id")
    assert "line 2" in finding.message.lower()
    assert "line 6" in finding.message.lower()


def test_blank_id_in_a_backfill_file_is_an_error_naming_line_and_column(tmp_path: Path) -> None:
    text = f"Id,Name\n{ID1},a\n,b\n"
    report = check_file(write(tmp_path, "a.csv", text), target=BACKFILL)
    assert not report.ok
    finding = only(report, "id-blank")
    assert finding.is_error
    assert (finding.line, finding.column, finding.column_name) == (3, 1, "Id")
    assert "Line 3, column 1 (Id)" in finding.message
    # The key column is never part of the blank-cells advice (which could suggest
    # leaving the column out).
    assert "blank-cells" not in codes(report)


@pytest.mark.parametrize(
    ("target", "value"),
    [
        (BACKFILL, "not-an-id"),
        (BACKFILL, "1"),
        (BACKFILL, ID1[:-1]),  # 31 characters
        (BACKFILL, ID1 + "0"),  # 33 characters
        (BACKFILL, ID1[:-1] + "g"),  # not hexadecimal
        (BACKFILL, UUID1),  # a custom-object id is not a Zuora record id
        (CO_UPDATE, "not-an-id"),
        (CO_UPDATE, ID1),  # a Zuora record id is not a custom-object id
        (CO_DELETE, UUID1.replace("-", "")),
        (CO_DELETE, UUID1[:-1]),
    ],
)
def test_malformed_key_id_is_an_error_naming_line_and_column(
    tmp_path: Path, target: CheckTarget, value: str
) -> None:
    first = ID2 if target is BACKFILL else UUID2
    name = "Id" if target is BACKFILL else "id"
    text = f"{name},Name__c\n{first},a\n{value},b\n"
    report = check_file(write(tmp_path, "a.csv", text), target=target)
    assert not report.ok
    finding = only(report, "id-malformed")
    assert (finding.line, finding.column, finding.column_name) == (3, 1, name)
    assert f"Line 3, column 1 ({name})" in finding.message
    assert repr(value) in finding.message


@pytest.mark.parametrize(
    ("target", "value"),
    [
        (BACKFILL, ID1.upper()),
        (CO_UPDATE, UUID1.upper()),
        (CO_DELETE, f" {UUID1} "),  # surrounding blanks are not part of the id
    ],
)
def test_well_formed_ids_pass_whatever_their_case(
    tmp_path: Path, target: CheckTarget, value: str
) -> None:
    name = "Id" if target is BACKFILL else "id"
    report = check_file(write(tmp_path, "a.csv", f"{name},Name__c\n{value},a\n"), target=target)
    assert "id-malformed" not in codes(report), report.findings


def test_ids_of_a_create_file_are_not_checked(tmp_path: Path) -> None:
    # A create file carries no id column that names an existing record.
    report = check_file(write(tmp_path, "c.csv", "id,brand__c\nnot-an-id,x\n"), target=CO_CREATE)
    assert "id-malformed" not in codes(report)


def test_no_advice_ever_says_to_drop_the_key_column(tmp_path: Path) -> None:
    text = f"Id,Name,Amount__c\n{ID1},,\n,b,\nnot-an-id,,3\n"
    report = check_file(write(tmp_path, "a.csv", text), target=BACKFILL)
    assert report.findings
    for finding in report.findings:
        assert "drop" not in finding.message.lower(), finding.message
        if finding.code == "blank-cells":
            assert finding.column_name != "Id"


def test_blank_id_on_update(tmp_path: Path) -> None:
    text = "id,brand__c\n1,x\n,y\n"
    finding = only(check_file(write(tmp_path, "a.csv", text), target=CO_DELETE), "id-blank")
    assert (finding.line, finding.column) == (3, 1)


def test_semicolon_delimiter_is_an_error_on_line_1(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", f"Id;Name\n{ID1};a\n{ID2};b\n")
    report = check_file(path, target=BACKFILL)
    assert report.delimiter == ";"
    assert codes(report) == ["delimiter"]  # parsed with ';', the header itself is fine
    assert only(report, "delimiter").line == 1


def test_tab_delimiter(tmp_path: Path) -> None:
    report = check_file(write(tmp_path, "a.csv", "Id\tName\n1\ta\n"), target=BACKFILL)
    assert report.delimiter == "\t"
    assert "tabs" in only(report, "delimiter").message


def test_commas_inside_quotes_do_not_fool_the_delimiter(tmp_path: Path) -> None:
    text = f'Id,Name\n{ID1},"a;b;c;d"\n{ID2},"x;y;z"\n'
    report = check_file(write(tmp_path, "a.csv", text), target=BACKFILL)
    assert report.delimiter == ","
    assert report.ok


def test_single_column_file(tmp_path: Path) -> None:
    report = check_file(write(tmp_path, "a.csv", f"id\n{UUID1}\n{UUID2}\n"), target=CO_DELETE)
    assert report.ok
    assert report.delimiter == ","


# -- rows -------------------------------------------------------------------------------


def test_too_many_fields_names_line_and_column(tmp_path: Path) -> None:
    text = "Id,Name\n1,a\n2,b,c\n"
    finding = only(check_file(write(tmp_path, "a.csv", text), target=BACKFILL), "row-width")
    assert (finding.line, finding.column) == (3, 3)


def test_too_few_fields_names_the_missing_column(tmp_path: Path) -> None:
    text = "Id,Name,Amount__c\n1,a,2\n2,b\n"
    finding = only(check_file(write(tmp_path, "a.csv", text), target=BACKFILL), "row-width")
    assert (finding.line, finding.column, finding.column_name) == (3, 3, "Amount__c")


def test_embedded_newlines_report_the_record_start_line(tmp_path: Path) -> None:
    text = 'Id,Name\n1,"one\ntwo\nthree"\n2,b,extra\n'
    report = check_file(write(tmp_path, "a.csv", text), target=BACKFILL)
    assert report.row_count == 2
    assert report.preview_rows[0] == ["1", "one\ntwo\nthree"]
    assert only(report, "row-width").line == 5


def test_unclosed_quote(tmp_path: Path) -> None:
    text = 'Id,Name\n1,a\n2,"never closed\n3,c\n'
    finding = only(check_file(write(tmp_path, "a.csv", text), target=BACKFILL), "csv-syntax")
    assert finding.line == 3
    assert "never closed" in finding.message


def test_text_after_closing_quote(tmp_path: Path) -> None:
    text = 'Id,Name\n1,a\n2,"b"c\n'
    finding = only(check_file(write(tmp_path, "a.csv", text), target=BACKFILL), "csv-syntax")
    assert finding.line == 3


def test_bare_cr_line_endings(tmp_path: Path) -> None:
    report = check_file(write(tmp_path, "a.csv", "Id,Name\r1,a\r2,b\r"), target=BACKFILL)
    assert only(report, "csv-syntax").line == 1


def test_huge_field(tmp_path: Path) -> None:
    text = "Id,Name\n1,a\n2," + "x" * 200_000 + "\n"
    finding = only(check_file(write(tmp_path, "a.csv", text), target=BACKFILL), "csv-syntax")
    assert finding.line == 3
    assert "longer than" in finding.message


def test_blank_lines_are_a_warning(tmp_path: Path) -> None:
    text = "Id,Name\n1,a\n\n2,b\n\n"
    report = check_file(write(tmp_path, "a.csv", text), target=BACKFILL)
    finding = only(report, "blank-lines")
    assert finding.severity == "warning"
    assert finding.line == 3
    assert "2 blank" in finding.message
    assert report.row_count == 2


def test_floods_are_summarised(tmp_path: Path) -> None:
    text = "Id,Name\n" + "1,a,extra\n" * 500
    report = check_file(write(tmp_path, "a.csv", text), target=BACKFILL)
    widths = [f for f in report.findings if f.code == "row-width"]
    assert len(widths) == 21
    assert "480 more" in widths[-1].message
    assert widths[-1].line == 22


# -- warnings ---------------------------------------------------------------------------


def test_blank_cells_in_kept_columns_warn_once_per_column(tmp_path: Path) -> None:
    text = f"Id,Name,#Description,Amount__c\n{ID1},,,5\n{ID2},b,,\n{ID3},,,7\n"
    report = check_file(write(tmp_path, "a.csv", text), target=BACKFILL)
    assert report.ok  # warnings don't block
    blanks = [f for f in report.warnings if f.code == "blank-cells"]
    assert [(f.line, f.column, f.column_name) for f in blanks] == [
        (2, 2, "Name"),
        (3, 4, "Amount__c"),
    ]
    assert "2 blank" in blanks[0].message
    assert "null" in blanks[0].message
    # Highlight positions: (preview row, column index), '#Description' (index 2) excluded.
    assert report.blank_cells == {(0, 1), (1, 3), (2, 1)}


def test_blank_cells_warn_on_custom_object_update_only(tmp_path: Path) -> None:
    text = "id,brand__c\n1,\n"
    update = check_file(write(tmp_path, "u.csv", text), target=CO_UPDATE)
    assert [f.code for f in update.warnings] == ["blank-cells"]
    create = check_file(write(tmp_path, "c.csv", "brand__c,x__c\n,1\n"), target=CO_CREATE)
    assert create.warnings == []
    assert create.blank_cells == set()


@pytest.mark.parametrize("cell", ["=SUM(A1:A3)", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)"])
def test_formula_cells_warn(tmp_path: Path, cell: str) -> None:
    text = f'Id,Name\n1,ok\n2,"{cell}"\n'
    finding = only(check_file(write(tmp_path, "a.csv", text), target=BACKFILL), "formula")
    assert finding.severity == "warning"
    assert (finding.line, finding.column, finding.column_name) == (3, 2, "Name")


@pytest.mark.parametrize("cell", ["-12.50", "+3", "-1e5", "-.5", "-1,234.00"])
def test_plain_numbers_are_not_formulas(tmp_path: Path, cell: str) -> None:
    text = f'Id,Amount__c\n{ID1},"{cell}"\n'
    assert check_file(write(tmp_path, "a.csv", text), target=BACKFILL).findings == []


def test_formula_in_reference_column_is_ignored(tmp_path: Path) -> None:
    text = f"Id,#Description\n{ID1},=1+1\n"
    assert check_file(write(tmp_path, "a.csv", text), target=BACKFILL).findings == []


# -- zip --------------------------------------------------------------------------------


def test_zip_with_one_csv_is_checked_inside(tmp_path: Path) -> None:
    inner = b"Id,Name\n1,a\n1,b\n"
    data = make_zip({"rows.csv": inner})
    report = check_file(write(tmp_path, "rows.zip", data), target=BACKFILL)
    assert report.inner_name == "rows.csv"
    assert report.payload == data  # the zip is sent as is
    assert report.md5 == md5_hex(data)
    assert report.row_count == 2
    assert only(report, "id-duplicate").line == 3


def test_zip_directory_entries_are_ignored(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("folder/", b"")
        zf.writestr("folder/rows.csv", f"Id,Name\n{ID1},a\n".encode())
    report = check_file(write(tmp_path, "r.zip", buf.getvalue()), target=BACKFILL)
    assert report.ok, report.findings


def test_zip_with_two_members(tmp_path: Path) -> None:
    data = make_zip({"a.csv": b"Id\n1\n", "b.csv": b"Id\n2\n"})
    finding = only(check_file(write(tmp_path, "r.zip", data), target=BACKFILL), "zip-members")
    assert "holds 2" in finding.message
    assert finding.line is None


def test_empty_zip(tmp_path: Path) -> None:
    report = check_file(write(tmp_path, "r.zip", make_zip({})), target=BACKFILL)
    assert codes(report) == ["zip-members"]


def test_zip_with_non_csv_member(tmp_path: Path) -> None:
    data = make_zip({"rows.xlsx": b"whatever"})
    report = check_file(write(tmp_path, "r.zip", data), target=BACKFILL)
    assert "rows.xlsx" in only(report, "zip-not-csv").message


def test_zip_bomb_by_ratio_is_refused_before_extracting(tmp_path: Path) -> None:
    data = make_zip({"bomb.csv": b"Id\n" + b"0" * (20 * 1024 * 1024)})
    assert len(data) < 100_000
    report = check_file(write(tmp_path, "r.zip", data), target=BACKFILL)
    finding = only(report, "zip-bomb")
    assert "inflates" in finding.message
    assert report.row_count == 0


def test_zip_too_large_unpacked(tmp_path: Path) -> None:
    # Stored (no compression), so the ratio is fine but the size is not.
    data = make_zip({"big.csv": b"Id\n" + b"1\n" * (17 * 512 * 1024)}, zipfile.ZIP_STORED)
    target = CheckTarget("data_backfill", template_header=["Id"], max_bytes=64 * 1024)
    report = check_file(write(tmp_path, "r.zip", data), target=target)
    assert "zip-too-large" in codes(report)


def test_zip_lying_about_its_size_is_capped(tmp_path: Path) -> None:
    data = bytearray(make_zip({"a.csv": b"Id\n" + b"1\n" * 5000}))
    # Patch the central directory's declared uncompressed size down to 10 bytes.
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24 : cd + 28] = (10).to_bytes(4, "little")
    report = check_file(write(tmp_path, "r.zip", bytes(data)), target=BACKFILL)
    assert report.errors
    assert {f.code for f in report.errors} <= {"zip-bomb", "zip-invalid"}


def test_corrupt_zip(tmp_path: Path) -> None:
    report = check_file(write(tmp_path, "r.zip", b"PK\x03\x04garbage"), target=BACKFILL)
    assert codes(report) == ["zip-invalid"]


def test_encrypted_zip_member(tmp_path: Path) -> None:
    data = bytearray(make_zip({"a.csv": b"Id\n1\n"}, zipfile.ZIP_STORED))
    for sig, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        pos = data.find(sig)
        data[pos + flag_at] |= 0x1
    report = check_file(write(tmp_path, "r.zip", bytes(data)), target=BACKFILL)
    assert codes(report) == ["zip-encrypted"]


# -- progress and cancel ----------------------------------------------------------------


def test_progress_runs_from_zero_to_one(tmp_path: Path) -> None:
    text = "Id,Name\n" + "".join(f"{i},n\n" for i in range(10_000))
    seen: list[float] = []
    check_file(write(tmp_path, "a.csv", text), target=BACKFILL, progress=seen.append)
    assert seen[0] == 0.0
    assert seen[-1] == 1.0
    assert seen == sorted(seen)
    assert len(seen) > 5


def test_progress_ends_at_one_for_a_rejected_file(tmp_path: Path) -> None:
    seen: list[float] = []
    check_file(write(tmp_path, "a.csv", b""), target=BACKFILL, progress=seen.append)
    assert seen[-1] == 1.0


def test_cancel_stops_mid_parse(tmp_path: Path) -> None:
    text = "Id,Name\n" + "".join(f"{i},n\n" for i in range(50_000))
    calls = 0

    def cancelled() -> bool:
        nonlocal calls
        calls += 1
        return calls > 5

    with pytest.raises(PreflightCancelled):
        check_file(write(tmp_path, "a.csv", text), target=BACKFILL, cancelled=cancelled)


def test_cancel_before_start(tmp_path: Path) -> None:
    with pytest.raises(PreflightCancelled):
        check_file(write(tmp_path, "a.csv", "Id\n1\n"), target=BACKFILL, cancelled=lambda: True)


def test_fifteen_megabytes_check_quickly(tmp_path: Path) -> None:
    import time

    rows = "".join(
        f'{i:08x}-0000-4000-8000-{i:012x},Brand {i % 50},"Model, {i}",{i * 1.5},-{i}\n'
        for i in range(195_000)
    )
    text = "id,brand__c,model__c,price__c,#note\n" + rows
    path = write(tmp_path, "big.csv", text)
    assert path.stat().st_size > 14 * 1024 * 1024
    start = time.perf_counter()
    report = check_file(path, target=CO_UPDATE)
    elapsed = time.perf_counter() - start
    assert report.ok, report.findings[:3]
    assert report.row_count == 195_000
    assert elapsed < 4.0


def test_data_backfill_duplicate_record_ids_are_errors(tmp_path: Path) -> None:
    """Two rows naming the same record in a backfill file: an error at the second."""
    from ztui.ops.preflight import CheckTarget, check_file

    path = tmp_path / "prpc.csv"
    path.write_text(
        "ProductRatePlanChargeId,ProductFamily\nabc1,Hardware\nabc2,Software\nABC1,Services\n",
        encoding="utf-8",
    )
    header = ["ProductRatePlanChargeId", "ProductFamily", "ProductLine"]
    report = check_file(path, target=CheckTarget("data_backfill", template_header=header))
    dupes = [f for f in report.findings if f.code == "id-duplicate"]
    assert [(f.line, f.column) for f in dupes] == [(4, 1)]
    assert "line 2" in dupes[0].message
