"""Money shown to people: exact decimals, formatted per language with Babel."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency


def babel_locale(lang: str) -> str:
    return "zh_Hans_CN" if lang.lower().startswith("zh") else "en"


def format_money(amount: Decimal, currency: str, lang: str, *, exact: bool = False) -> str:
    """``exact`` keeps every decimal place (a fee's band lines run below the fen, and the
    rounding line makes up the difference) instead of the currency's two."""
    return format_currency(
        amount, currency, locale=babel_locale(lang), decimal_quantization=not exact
    )
