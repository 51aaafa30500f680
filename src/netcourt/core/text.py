"""Checking what people type: stripped, within its length, free of control characters.

Text with NUL or other control characters is refused on every database alike (PostgreSQL
cannot store NUL at all; SQLite would keep it silently). So is text with bidirectional
control characters: an unclosed right-to-left override in a name or a title turns the court's
own words printed after it backwards (a party could make "identity: not verified" read as
something else).
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


# Characters that show nothing: zero-width space, word joiner and invisible operators, the
# byte-order mark, the interlinear annotation marks, the Mongolian vowel separator, the Hangul
# fillers and the tag characters. In a name or a title they make two different texts look the
# same, or a name of nothing look like one.
INVISIBLE = frozenset(
    ["\u200b", "\ufeff", "\u180e", "\u115f", "\u1160", "\u3164", "\uffa0"]
    + [chr(c) for c in range(0x2060, 0x2065)]
    + [chr(c) for c in range(0xFFF9, 0xFFFC)]
    + [chr(c) for c in range(0xE0000, 0xE0080)]
)
LINE_BREAKS = frozenset("\n\r\u2028\u2029\x85\x0b\x0c")


def _not_allowed() -> str:
    return translation.gettext("The text contains characters that are not allowed.")


def has_forbidden_characters(value: str) -> bool:
    """Whether ``value`` holds a control character (other than a line break or a tab), a
    bidirectional control character or an invisible one."""
    return any(
        c in BIDI_CONTROLS
        or c in INVISIBLE
        or (unicodedata.category(c) == "Cc" and c not in ALLOWED_CONTROL)
        for c in value
    )


def refuse_line_breaks(value: str, field: str) -> None:
    """A one-line answer (a name, a title, an address) holds no line break: it goes into the
    subject of an e-mail and the heading of a page as it is."""
    if any(c in LINE_BREAKS for c in value):
        raise Problem(
            "input_invalid",
            translation.gettext("This answer must be on one line."),
            field=field,
            status=422,
        )


def clean_text(value: str, field: str, limit: int, *, required: bool = True) -> str:
    """A person's answer, stripped; refused when missing (if required), too long, or holding
    control characters."""
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


def comparable_name(name: str) -> str:
    """A name as two ways of writing it compare: full-width forms folded (NFKC), case folded,
    spaces and punctuation (the middle dot of transcribed names) removed."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(c for c in folded if unicodedata.category(c)[0] not in "PZ" and not c.isspace())
