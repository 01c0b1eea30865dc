"""Unit tests for reading the three error body shapes and mapping codes to error classes."""

from __future__ import annotations

import pytest

from ztui.api.endpoints.files import disposition_filename
from ztui.api.errors import (
    ApiError,
    AuthError,
    BadRequest,
    NotFound,
    PermissionDenied,
    RateLimited,
    Reason,
    ServerError,
)
from ztui.api.shapes import error_class_for_code, extract_error


def test_uno_reasons_string_and_integer_codes() -> None:
    reasons, text = extract_error(
        {
            "success": False,
            "processId": "CBCFED6580B4E076",
            "reasons": [
                {"code": "53100320", "message": "first"},
                {"code": 53100321, "message": "second"},
            ],
        }
    )
    assert reasons == [Reason("53100320", "first"), Reason("53100321", "second")]
    assert text == "first; second"


def test_custom_object_shape() -> None:
    assert extract_error({"code": 71013040, "message": "Not Found."}) == (
        [Reason("71013040", "Not Found.")],
        "Not Found.",
    )


def test_aqua_shape() -> None:
    reasons, text = extract_error(
        {"id": None, "status": "error", "errorCode": "90005", "message": "syntax error"}
    )
    assert reasons == [Reason("90005", "syntax error")]
    assert text == "syntax error"


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"message": "Authentication error"}, "Authentication error"),
        ({"error": "invalid_client"}, "invalid_client"),
        ({"reasons": [{"code": "5"}]}, "error 5"),
        ({"unexpected": True}, ""),
        ("text", ""),
        (None, ""),
    ],
)
def test_other_bodies(body: object, text: str) -> None:
    assert extract_error(body)[1] == text


@pytest.mark.parametrize(
    ("code", "shape", "kind"),
    [
        ("53100310", "uno", PermissionDenied),
        ("90000011", "uno", AuthError),
        ("53100340", "uno", NotFound),
        ("53100361", "uno", ServerError),
        ("53100370", "uno", RateLimited),
        ("53100320", "uno", BadRequest),
        ("5310032", "uno", BadRequest),
        ("90002", "aqua", NotFound),
        ("90009", "aqua", PermissionDenied),
        ("90010", "aqua", BadRequest),
        ("71013020", "co", BadRequest),
        ("", "uno", BadRequest),
    ],
)
def test_code_categories(code: str, shape: str, kind: type[ApiError]) -> None:
    assert error_class_for_code(code, shape) is kind  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ('attachment; filename="ProductRatePlanCharge.csv"', "ProductRatePlanCharge.csv"),
        ("attachment; filename=plain.csv", "plain.csv"),
        ("attachment; filename*=UTF-8''utf.csv", "utf.csv"),
        ('attachment; filename="../../etc/passwd"', "passwd"),
        ("inline", None),
        (None, None),
    ],
)
def testdisposition_filename(header: str | None, name: str | None) -> None:
    assert disposition_filename(header) == name
