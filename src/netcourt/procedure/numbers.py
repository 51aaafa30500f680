"""Reading numbers people and clients send: a version, a byte count, an id, an amount.

``str.isdigit()`` and ``int()`` take far more than ASCII digits ("²" is a digit to
``isdigit()`` but not to ``int()``; ``int()`` and ``Decimal()`` take Arabic-Indic digits and
underscores, and ``int()`` refuses more than 4300 digits with a ValueError), so request data
is read here only: a whole number in ASCII digits, of a bounded length; an amount in ASCII or
full-width digits (typed on a Chinese keyboard) with an optional decimal point and correctly
placed thousands separators. Anything else is None, for the caller to refuse in its own way.
Pure (no Django): the engine reads a step's numbers with it, and so does the web layer
(`netcourt.core.numbers`).
"""

from __future__ import annotations

import re

# A signed 64-bit column holds it; far below Python's limit on converting digits.
MAX_WHOLE_NUMBER = 2**63 - 1
MAX_AMOUNT_CHARACTERS = 64

_WHOLE = re.compile(r"-?[0-9]{1,19}")
_AMOUNT = re.compile(r"(?:[1-9][0-9]{0,2}(?:,[0-9]{3})+|[0-9]*)(?:\.[0-9]*)?")
_A_DIGIT = re.compile(r"[0-9]")
# Full-width digits, point and comma (a Chinese keyboard's) as their ASCII forms.
_FULL_WIDTH = {0xFF10 + n: str(n) for n in range(10)} | {0xFF0E: ".", 0xFF0C: ","}


def whole_number(
    raw: object, *, signed: bool = False, maximum: int = MAX_WHOLE_NUMBER
) -> int | None:
    """``raw`` (text, surrounding spaces allowed) as a whole number written in ASCII digits,
    at most ``maximum`` (and, when ``signed``, at least ``-maximum``); None for anything else:
    other scripts' digits, superscripts, underscores, a sign unless ``signed``, too many
    digits."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not _WHOLE.fullmatch(text) or (text.startswith("-") and not signed):
        return None
    value = int(text)
    return value if abs(value) <= maximum else None


def amount_text(raw: object) -> str | None:
    """``raw`` (text) as a plain ASCII decimal ("1,000.50" and "１０００．５０" → "1000.50"),
    or None when it is not an amount written in digits: another script's digits, an
    underscore, an exponent, a sign, misplaced thousands separators, nothing at all."""
    if not isinstance(raw, str):
        return None
    text = raw.strip().translate(_FULL_WIDTH)
    if len(text) > MAX_AMOUNT_CHARACTERS or not _AMOUNT.fullmatch(text):
        return None
    if not _A_DIGIT.search(text):
        return None  # "." or nothing
    return text.replace(",", "")
