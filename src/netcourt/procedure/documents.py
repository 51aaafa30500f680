"""Case numbers and document templates.

Templates use `{field}` placeholders and `{{`/`}}` for literal braces; nothing else of Python's
format language (no attributes, indexes, conversions or format specs) is accepted.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

from netcourt.procedure.pack import Pack
from netcourt.procedure.schema import SNAKE_CASE

CASE_NUMBER_FIELDS = frozenset({"year", "court_code", "type_code", "seq"})

_FORMATTER = string.Formatter()


def _parts(text: str) -> list[tuple[str, str | None]]:
    """Split a template into (literal, placeholder) pairs; raise ValueError on bad syntax."""
    parts: list[tuple[str, str | None]] = []
    for literal, name, spec, conversion in _FORMATTER.parse(text):
        if name is not None:
            if not SNAKE_CASE.fullmatch(name):
                raise ValueError(f"placeholder {{{name}}} is not a snake_case field name")
            if spec or conversion:
                raise ValueError(
                    f"placeholder {{{name}}} may not carry a format spec or conversion"
                )
        parts.append((literal, name))
    return parts


def template_fields(text: str) -> frozenset[str]:
    """The placeholder names used in a template text."""
    return frozenset(name for _, name in _parts(text) if name is not None)


def _fill(text: str, context: Mapping[str, str]) -> str:
    return "".join(
        literal + (context[name] if name is not None else "") for literal, name in _parts(text)
    )


def render_template(pack: Pack, template_id: str, lang: str, context: Mapping[str, str]) -> str:
    """Render a template in a language ("zh…" gives Chinese, anything else English).

    A line made only of one placeholder whose value is empty is left out, so an empty party
    block (e.g. no third parties) leaves no blank line. Raises KeyError for an unknown template
    and ValueError naming every field missing from `context`.
    """
    template = pack.templates[template_id]
    text = template.zh if lang.lower().startswith("zh") else template.en
    missing = [
        name for name in template.fields if name in template_fields(text) and name not in context
    ]
    if missing:
        raise ValueError(f"template {template_id!r}: missing field(s): {', '.join(missing)}")
    lines = []
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        only = stripped[1:-1] if stripped.startswith("{") and stripped.endswith("}") else None
        if only is not None and template_fields(stripped) == {only} and context[only] == "":
            continue
        lines.append(_fill(line, context))
    return "".join(lines)


def format_case_number(pack: Pack, court_id: str, case_type: str, year: int, seq: int) -> str:
    """The case number, e.g. "(2026)浙0192民初1号". KeyError for an unknown court or case type."""
    court = pack.court(court_id)
    type_code = pack.case_type_codes[case_type]
    if not 1000 <= year <= 9999:
        raise ValueError(f"year {year} is not a four-digit year")
    if seq < 1:
        raise ValueError(f"sequence number {seq} must be at least 1")
    values = {"year": str(year), "court_code": court.code, "type_code": type_code, "seq": str(seq)}
    return _fill(pack.case_number_format, values)
