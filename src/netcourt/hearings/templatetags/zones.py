"""``{{ key|zone_name }}``: a time zone as people call it, in the page's language."""

from __future__ import annotations

from django import template

from netcourt.hearings.times import zone_name as _zone_name

register = template.Library()


@register.filter
def zone_name(key: str) -> str:
    return _zone_name(str(key))
