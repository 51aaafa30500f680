"""Amounts of money as people give them: exact decimals to the fen, never floating point."""

from __future__ import annotations

from decimal import Decimal

from netcourt.procedure.numbers import amount_text
from netcourt.procedure.schema import Text

CENT = Decimal("0.01")
MONEY_LIMIT = Decimal("1e15")


class MoneyError(ValueError):
    """An amount was refused. `code` is `amount_invalid` or `amount_too_large`; `text` says why,
    in both languages, as a phrase that follows the amount's name ("must not be negative")."""

    def __init__(self, code: str, en: str, zh: str) -> None:
        super().__init__(en)
        self.code = code
        self.text = Text(en=en, zh=zh)


def _not_digits() -> MoneyError:
    return MoneyError(
        "amount_invalid",
        "must be an amount written in digits (e.g. 1234.50)",
        "应为以数字书写的金额（如1234.50）",
    )


def parse_money(value: object) -> Decimal:
    """`value` (a Decimal, an int or text) as a non-negative amount with two decimal places.
    Text is read as people write an amount (:func:`netcourt.procedure.numbers.amount_text`):
    ASCII or full-width digits, an optional decimal point, thousands separators where they
    belong ("1,000.50"); another script's digits, underscores and exponents are
    refused, as are negative amounts, floats, booleans, more than two decimals and absurd
    sizes."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise _not_digits()
    if isinstance(value, str):
        text = value.strip()
        negative = text.startswith("-")  # an amount, but refused below as negative
        read = amount_text(text[1:] if negative else text)
        if read is None:
            raise _not_digits()
        value = "-" + read if negative else read
    amount = Decimal(value)
    if not amount.is_finite():
        raise MoneyError("amount_invalid", "must be a finite amount", "应为有限的金额")
    if amount < 0:
        raise MoneyError("amount_invalid", "must not be negative", "不得为负数")
    if amount >= MONEY_LIMIT:
        raise MoneyError("amount_too_large", "is too large", "数额过大")
    if amount != amount.quantize(CENT):
        raise MoneyError(
            "amount_invalid",
            "may have at most two decimal places (fen)",
            "最多保留两位小数（至分）",
        )
    return amount.quantize(CENT)
