"""Reading numbers people and clients send: a version, a byte count, an id, an amount.

The rules are the procedure engine's own (:mod:`netcourt.procedure.numbers`, pure Python), so
that a step's inputs, the fee engine and the web layer read a number alike: a whole number in
ASCII digits, of a bounded length; an amount in ASCII or full-width digits with an optional
decimal point and correctly placed thousands separators. Anything else is None, for the
caller to refuse in its own way.
"""

from __future__ import annotations

from decimal import Decimal

from netcourt.procedure.numbers import (
    MAX_AMOUNT_CHARACTERS,
    MAX_WHOLE_NUMBER,
    amount_text,
    whole_number,
)

__all__ = [
    "MAX_AMOUNT_CHARACTERS",
    "MAX_WHOLE_NUMBER",
    "amount_text",
    "parse_amount",
    "whole_number",
]


def parse_amount(raw: object) -> Decimal | None:
    """``raw`` as :func:`amount_text` reads it, as a Decimal; None when it is not an amount."""
    text = amount_text(raw)
    return Decimal(text) if text is not None else None
