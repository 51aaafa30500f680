"""Checking what people type: stripped, within its length, free of control characters.

Text with NUL or other control characters is refused on every database alike (PostgreSQL
cannot store NUL at all; SQLite would keep it silently).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.utils import translation

from netcourt.core.problems import Problem

ALLOWED_CONTROL = {"\n", "\r", "\t"}


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
    """Text with NUL or other control characters is refused on every database alike
    (PostgreSQL cannot store NUL at all; SQLite would keep it silently)."""
    if isinstance(value, str):
        if any(unicodedata.category(c) == "Cc" and c not in ALLOWED_CONTROL for c in value):
            raise Problem(
                "input_invalid",
                translation.gettext("The text contains characters that are not allowed."),
                field=field,
                status=422,
            )
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            refuse_control_characters(item, f"{field}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_control_characters(key, field)
            refuse_control_characters(item, f"{field}.{key}" if field else str(key))
