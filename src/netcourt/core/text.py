"""Checking what people type: stripped, within its length, free of control characters.

Text with NUL or other control characters is refused on every database alike (PostgreSQL
cannot store NUL at all; SQLite would keep it silently). So is text with bidirectional
control characters: an unclosed right-to-left override in a name or a title turns the court's
own words printed after it backwards (a party could make "identity: not verified" read as
something else); and text with characters that show nothing, or made of accents on nothing,
with which two names look the same or a name of nothing looks like one.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import translation

from netcourt.core.problems import Problem

ALLOWED_CONTROL = {"\n", "\r", "\t"}
# Embeddings and overrides (U+202A-U+202E), isolates (U+2066-U+2069), the left-to-right and
# right-to-left marks and the Arabic letter mark: invisible, and they reorder what follows.
BIDI_CONTROLS = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\u200e", "\u200f", "\u061c"]
)


def _span(first: int, last: int) -> list[str]:
    return [chr(c) for c in range(first, last + 1)]


# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt, Unicode 16): characters a
# renderer shows as nothing when it does not support them — the soft hyphen, the combining
# grapheme joiner, the Hangul and Khmer fillers, Mongolian selectors, zero-width spaces and
# joiners, word joiner and invisible operators, variation selectors, the byte-order mark,
# shorthand format controls, musical beam and phrase controls, tags, and the code points kept
# for more of them.
DEFAULT_IGNORABLE = frozenset(
    ["\u00ad", "\u034f", "\u061c", "\u3164", "\ufeff", "\uffa0"]
    + _span(0x115F, 0x1160)
    + _span(0x17B4, 0x17B5)
    + _span(0x180B, 0x180F)
    + _span(0x200B, 0x200F)
    + _span(0x202A, 0x202E)
    + _span(0x2060, 0x206F)
    + _span(0xFE00, 0xFE0F)
    + _span(0xFFF0, 0xFFF8)
    + _span(0x1BCA0, 0x1BCA3)
    + _span(0x1D173, 0x1D17A)
    + _span(0xE0000, 0xE0FFF)
)
# Of those, the ones that join or vary the characters around them inside a longer text: the
# zero-width non-joiner and joiner (Persian and Indic words, emoji sequences) and the variation
# selectors (an emoji's presentation, an ideograph's registered variant). A name or a title,
# which people tell apart by how it looks, has no room for them.
JOINERS = frozenset(_span(0x200C, 0x200D) + _span(0xFE00, 0xFE0F) + _span(0xE0100, 0xE01EF))
# Characters that show nothing, anywhere: the default ignorable ones but the joiners, the
# interlinear annotation marks and the braille pattern blank (a space that is not one). In a
# name or a title they make two different texts look the same, or a name of nothing look
# like one.
INVISIBLE = (DEFAULT_IGNORABLE - JOINERS) | frozenset(["\u2800", *_span(0xFFF9, 0xFFFB)])
# Noncharacters: code points Unicode keeps out of interchange for good.
NONCHARACTERS = frozenset(
    _span(0xFDD0, 0xFDEF)
    + [chr(plane + end) for plane in range(0, 0x110000, 0x10000) for end in (0xFFFE, 0xFFFF)]
)
_REFUSED = BIDI_CONTROLS | INVISIBLE | NONCHARACTERS
LINE_BREAKS = frozenset("\n\r\u2028\u2029\x85\x0b\x0c")


def _not_allowed() -> str:
    return translation.gettext("The text contains characters that are not allowed.")


def has_forbidden_characters(value: str, *, one_line: bool = False) -> bool:
    """Whether ``value`` holds a control character (other than a line break or a tab), a
    bidirectional control character, an invisible one or a noncharacter, or is made of
    combining marks alone (accents on nothing). In a ``one_line`` answer (a name, a title)
    a tab, a joiner and a variation selector are refused too."""
    if any(
        c in _REFUSED
        or (one_line and c in JOINERS)
        or (unicodedata.category(c) == "Cc" and (one_line or c not in ALLOWED_CONTROL))
        for c in value
    ):
        return True
    shown = [c for c in value if not c.isspace()]
    return bool(shown) and all(unicodedata.category(c).startswith("M") for c in shown)


def refuse_for_one_line(value: str, field: str) -> None:
    """A one-line answer (a name, a title, an address) holds no line break: it goes into the
    subject of an e-mail and the heading of a page as it is; nor a tab, a joiner or a
    variation selector (`has_forbidden_characters`)."""
    if any(c in LINE_BREAKS for c in value):
        raise Problem(
            "input_invalid",
            translation.gettext("This answer must be on one line."),
            field=field,
            status=422,
        )
    if has_forbidden_characters(value, one_line=True):
        raise Problem("input_invalid", _not_allowed(), field=field, status=422)


def clean_text(
    value: str, field: str, limit: int, *, required: bool = True, one_line: bool = False
) -> str:
    """A person's answer, stripped; refused when missing (if required), too long, holding
    control characters, or (``one_line``: a name, a title) not on one line."""
    value = (value or "").strip()
    if required and not value:
        raise Problem(
            "input_missing",
            translation.gettext("This answer is required."),
            field=field,
            status=422,
        )
    if len(value) > limit:
        raise Problem(
            "input_invalid",
            translation.gettext("At most %(limit)s characters.") % {"limit": limit},
            field=field,
            status=422,
        )
    refuse_control_characters(value, field)
    if one_line:
        refuse_for_one_line(value, field)
    return value


def refuse_control_characters(value: Any, field: str) -> None:
    """Text with NUL or other control characters, or bidirectional control characters, is
    refused (see :func:`has_forbidden_characters`); lists and dicts are checked throughout."""
    if isinstance(value, str):
        if has_forbidden_characters(value):
            raise Problem("input_invalid", _not_allowed(), field=field, status=422)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            refuse_control_characters(item, f"{field}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_control_characters(key, field)
            refuse_control_characters(item, f"{field}.{key}" if field else str(key))


def validate_plain_text(value: Any) -> None:
    """The same check for a form field (a Django validator): the translated message shows
    next to the field. Takes a field's text or its list of lines."""
    values = value if isinstance(value, (list, tuple)) else [value]
    if any(isinstance(v, str) and has_forbidden_characters(v) for v in values):
        raise ValidationError(_not_allowed(), code="invalid_characters")


def validate_one_line(value: Any) -> None:
    """`validate_plain_text` for a one-line field (a name, a title): no tab, joiner or
    variation selector either (a line break is one of the control characters refused)."""
    if isinstance(value, str) and has_forbidden_characters(value, one_line=True):
        raise ValidationError(_not_allowed(), code="invalid_characters")


def comparable_name(name: str) -> str:
    """A name as two ways of writing it compare: full-width forms folded (NFKC), case folded,
    spaces and punctuation (the middle dot of transcribed names) removed."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(c for c in folded if unicodedata.category(c)[0] not in "PZ" and not c.isspace())
