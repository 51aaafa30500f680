"""Numbers in request data: only what a person or a client plainly means, never a crash."""

from __future__ import annotations

from decimal import Decimal

import pytest

from netcourt.core.numbers import MAX_WHOLE_NUMBER, amount_text, parse_amount, whole_number


@pytest.mark.parametrize(
    ("raw", "read"),
    [("4", 4), (" 12 ", 12), ("007", 7), (str(MAX_WHOLE_NUMBER), MAX_WHOLE_NUMBER)],
)
def test_a_whole_number_in_ascii_digits_is_read(raw, read) -> None:
    assert whole_number(raw) == read


@pytest.mark.parametrize(
    "raw",
    [
        "",
        " ",
        "\u00b2",  # a digit to str.isdigit(), not to int()
        "\u0663",  # Arabic-Indic three: int() takes it
        "\uff13",  # full-width three: not in a version or a header
        "1_000",  # int() takes it
        "+4",
        "-4",
        "4.0",
        "9" * 5000,  # int() refuses more than 4300 digits
        str(MAX_WHOLE_NUMBER + 1),
        None,
        4,
    ],
)
def test_anything_else_is_not_a_whole_number(raw) -> None:
    assert whole_number(raw) is None


def test_a_signed_whole_number() -> None:
    assert whole_number("-4", signed=True) == -4
    assert whole_number("--4", signed=True) is None


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("1000", "1000"),
        ("1,000.50", "1000.50"),
        ("12,345,678", "12345678"),
        ("０１２", "012"),
        ("１，０００．５", "1000.5"),
        (".5", ".5"),
    ],
)
def test_an_amount_is_read_as_people_write_it(raw, text) -> None:
    assert amount_text(raw) == text
    assert parse_amount(raw) == Decimal(text)


@pytest.mark.parametrize(
    "raw",
    ["", ".", "1_000", "\u0663", "1e3", "-5", "+5", "NaN", "1,00", "0,123", "1.000,50", "1 000"]
    + ["9" * 65, "\u00b2", None],
)
def test_anything_else_is_not_an_amount(raw) -> None:
    assert amount_text(raw) is None
    assert parse_amount(raw) is None
