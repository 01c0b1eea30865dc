"""Tests for the failed-row tools: tolerant parsing, grouping and the CSV export."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest

from ztui.api.models import JobError
from ztui.ops.export import (
    MALFORMED_CODE,
    ExportError,
    errors_file_for,
    errors_to_csv_text,
    export_failed_rows,
    group_errors,
    message_template,
    parse_backfill_result_text,
    parse_errors_tolerant,
    plan_export,
    read_backfill_result,
)

ID_A = "1" * 8 + "-1111-4111-8111-" + "1" * 12
ID_HEX = "8ad0823f8b2b4c5d018b2c3d4e5f0001"


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _err(row: int | None, code: str, message: str, **record: object) -> JobError:
    return JobError(row=row, code=code, message=message, record=record)


def test_tolerant_parse_keeps_malformed_entries_raw() -> None:
    body = {
        "errors": [
            {"code": 71012520, "message": "bad id", "row": 2, "record": {"Id": "123"}},
            "not an object",
            {"code": 1, "message": ["list?"], "row": 3},
            {"code": "7", "message": "ok", "row": "4"},
        ]
    }
    errors = parse_errors_tolerant(body)
    assert len(errors) == 4
    assert errors[0] == JobError(row=2, code="71012520", message="bad id")
    assert errors[0].record == {"Id": "123"}
    assert errors[1].code == MALFORMED_CODE
    assert errors[1].message == '"not an object"'
    assert errors[2].code == MALFORMED_CODE
    assert '"list?"' in errors[2].message
    assert errors[3].row == 4


def test_tolerant_parse_of_a_non_list_body_is_one_malformed_entry() -> None:
    assert parse_errors_tolerant({"errors": None}) == []
    (only,) = parse_errors_tolerant({"errors": 5})
    assert only.code == MALFORMED_CODE


def test_group_errors_counts_and_orders_biggest_first() -> None:
    errors = [_err(2 + i, "A", "first") for i in range(3)]
    errors.insert(1, _err(9, "B", "second"))
    groups = group_errors(errors)
    assert [(g.code, g.message, g.count) for g in groups] == [("A", "first", 3), ("B", "second", 1)]
    assert groups[0].indices == (0, 2, 3)
    assert groups[1].indices == (1,)


def test_group_errors_blanks_row_specific_values() -> None:
    errors = [
        _err(2, "71012520", 'input string "123" is not a valid UUID'),
        _err(3, "71012520", 'input string "x-9" is not a valid UUID'),
        _err(4, "71012530", "row has 2 values but the header has 3 columns"),
        _err(5, "71012530", "row has 1 values but the header has 3 columns"),
        _err(6, MALFORMED_CODE, '{"row": 1}'),
    ]
    groups = group_errors(errors)
    assert [(g.code, g.message, g.count) for g in groups] == [
        ("71012520", 'input string "…" is not a valid UUID', 2),
        ("71012530", "row has # values but the header has # columns", 2),
        (MALFORMED_CODE, '{"row": 1}', 1),
    ]
    assert message_template("v2.5 took 12 s") == "v2.5 took # s"


def test_group_errors_handles_thousands_quickly() -> None:
    errors = [_err(i + 2, str(i % 7), f"msg {i % 7}") for i in range(20_000)]
    groups = group_errors(errors)
    assert len(groups) == 7
    assert sum(g.count for g in groups) == 20_000


def test_custom_object_export_keeps_only_data_columns_and_puts_errors_beside() -> None:
    errors = [
        _err(3, "71012520", "not a UUID", Id="123", brand__c="X", CreatedDate="2026-01-01"),
        _err(2, "71012520", "missing", Id="", brand__c="Y", seats__c=4),
    ]
    plan = plan_export(errors)
    # Sorted by row; server-filled CreatedDate is left out; no error column in the file.
    assert plan.header == ("Id", "brand__c", "seats__c")
    assert plan.rows == (("", "Y", "4"), ("123", "X", ""))
    assert plan.errors_header == ("line", "source_row", "error_code", "error_message")
    # `line` is the row's line in the fix file (header = line 1).
    assert plan.errors_rows == (
        ("2", "2", "71012520", "missing"),
        ("3", "3", "71012520", "not a UUID"),
    )
    assert _rows(errors_to_csv_text(errors))[0] == ["Id", "brand__c", "seats__c"]


def test_data_backfill_export_keeps_errors_as_reference_columns() -> None:
    errors = [_err(3, "", "Charge not found", Id=ID_HEX, Amount="1")]
    rows = _rows(errors_to_csv_text(errors, reference_prefix="#"))
    assert rows == [
        ["Id", "Amount", "#error_row", "#error_code", "#error_message"],
        [ID_HEX, "1", "3", "", "Charge not found"],
    ]
    assert plan_export(errors, reference_prefix="#").errors_rows == ()


def test_several_errors_on_one_row_make_one_output_row() -> None:
    errors = [_err(5, "A", "one", Id="x"), _err(5, "B", "two", Id="x"), _err(None, "C", "loose")]
    plan = plan_export(errors, reference_prefix="#")
    # The loose error has nothing to re-upload: not a blank line of the fix file.
    assert plan.rows == (("x", "5", "A; B", "one; two"),)
    assert plan.errors_rows == (("", "", "C", "loose"),)
    side = plan_export(errors)
    assert side.rows == (("x",),)
    assert side.errors_rows == (("2", "5", "A; B", "one; two"), ("", "", "C", "loose"))


def test_error_columns_do_not_clash_with_record_columns() -> None:
    plan = plan_export([_err(2, "A", "m", **{"#error_code": "mine"})], reference_prefix="#")
    assert plan.header == ("#error_code", "#error_row", "#error_code_2", "#error_message")
    assert plan.rows == (("mine", "2", "A", "m"),)


def test_export_joins_original_rows_by_row_number(tmp_path: Path) -> None:
    original = tmp_path / "upload.csv"
    original.write_text('Id,name__c\nid-1,"Ann, A"\nid-2,Bob\nid-3,Cy\n', encoding="utf-8")
    errors = [
        _err(4, "71012520", "bad", Id="ignored"),
        _err(2, "71012520", "bad too"),
        _err(99, "X", "off the end", id="from-record", NAME__C="rec"),
    ]
    dest = tmp_path / "out" / "failed.csv"
    result = export_failed_rows(errors, dest, original_csv=original)
    assert (result.path, result.rows, result.error_rows) == (dest, 3, 3)
    assert result.errors_path == errors_file_for(dest) == tmp_path / "out" / "failed.errors.csv"
    assert _rows(dest.read_text(encoding="utf-8")) == [
        ["Id", "name__c"],
        ["id-1", "Ann, A"],
        ["id-3", "Cy"],
        ["from-record", "rec"],
    ]
    assert _rows(result.errors_path.read_text(encoding="utf-8")) == [
        ["line", "source_row", "error_code", "error_message"],
        ["2", "2", "71012520", "bad too"],
        ["3", "4", "71012520", "bad"],
        ["4", "99", "X", "off the end"],
    ]
    assert "3 failed row(s)" in result.summary()
    assert str(result.errors_path) in result.summary()
    assert not [p for p in dest.parent.iterdir() if p.name.endswith(".tmp")]


def test_an_export_without_side_errors_removes_a_stale_errors_file(tmp_path: Path) -> None:
    dest = tmp_path / "failed.csv"
    export_failed_rows([_err(2, "A", "m", Id="x")], dest)
    assert errors_file_for(dest).exists()
    result = export_failed_rows([_err(2, "A", "m", Id="x")], dest, reference_prefix="#")
    assert result.errors_path is None
    assert not errors_file_for(dest).exists()


def test_export_file_content_matches_errors(tmp_path: Path) -> None:
    errors = [_err(i + 2, "71012520", f"row {i} bad", Id=f"id-{i}") for i in range(1000)]
    dest = tmp_path / "failed.csv"
    assert export_failed_rows(errors, dest, reference_prefix="#").rows == 1000
    rows = _rows(dest.read_text(encoding="utf-8"))
    assert len(rows) == 1001
    for i, row in enumerate(rows[1:]):
        assert row == [f"id-{i}", str(i + 2), "71012520", f"row {i} bad"]


def test_export_names_a_missing_original(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="no longer exists"):
        errors_to_csv_text([_err(2, "A", "m")], original_csv=tmp_path / "gone.csv")


def test_export_names_an_unwritable_destination(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="Cannot write"):
        export_failed_rows([_err(2, "A", "m")], blocker / "failed.csv")


def test_backfill_result_failed_rows() -> None:
    text = "Id,Amount,Success,Error Message\na,1,true,\nb,2,false,Charge not found\n"
    (error,) = parse_backfill_result_text(text)
    assert error.row == 3
    assert error.message == "Charge not found"
    assert error.record == {"Id": "b", "Amount": "2"}


def test_backfill_result_without_result_columns_is_refused() -> None:
    with pytest.raises(ExportError, match="no Success"):
        parse_backfill_result_text("a,b\n1,2\n")


def test_read_backfill_result_from_zip(tmp_path: Path) -> None:
    path = tmp_path / "file.csv_result.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("file.csv_result.csv", "Id,success,error message\nq,FALSE,nope\n")
    (error,) = read_backfill_result(path)
    assert (error.row, error.message) == (2, "nope")


def test_key_column_leads_the_fix_file_even_when_no_record_echoes_it() -> None:
    # Zuora leaves a malformed id out of the echoed record.
    errors = [_err(2, "71012520", 'input string "x" is not a valid UUID', brand__c="Volvo")]
    plan = plan_export(errors, key_column="Id")
    assert plan.header == ("Id", "brand__c")
    assert plan.rows == (("", "Volvo"),)
    echoed = plan_export([_err(2, "A", "m", id=ID_A, brand__c="Kia")], key_column="Id")
    assert echoed.header == ("id", "brand__c")  # matched case-insensitively, not doubled
