"""Amounts of money as people give them: exact decimals to the fen, never floating point."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

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
    """`value` (a Decimal, an int or a string of digits) as a non-negative amount with two
    decimal places; floats, booleans, more than two decimals and absurd sizes are refused."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise _not_digits()
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise _not_digits() from None
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
