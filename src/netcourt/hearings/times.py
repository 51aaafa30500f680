"""Times as each person reads them: the court sits in its own zone, people may live elsewhere."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext


def court_zone() -> ZoneInfo:
    """The zone the court sits in (``NETCOURT_TIME_ZONE``, Asia/Shanghai by default)."""
    return ZoneInfo(settings.TIME_ZONE)


def court_time(moment: datetime) -> str:
    """``moment`` as a date and time in the court's zone, in the current language."""
    return formats.date_format(moment.astimezone(court_zone()), "DATETIME_FORMAT")


def zone_name(key: str) -> str:
    """A time zone as people call it in the current language ("China Time", "中国时间",
    "British Time"), from the CLDR's names; a zone without a region of its own (UTC) by its
    standard name; the identifier itself when the CLDR has no name for it."""
    from babel.core import UnknownLocaleError
    from babel.dates import get_timezone_name
    from django.utils.translation import get_language, to_locale

    try:
        locale = to_locale(get_language() or "en")
        if key in ("UTC", "Etc/UTC", "Etc/GMT"):
            return str(get_timezone_name(key, zone_variant="standard", locale=locale))
        return str(get_timezone_name(key, locale=locale))
    except (LookupError, UnknownLocaleError, ValueError):
        return key


def starts_line(starts_at: datetime, minutes: int) -> str:
    """When a hearing begins (in the court's zone, named) and how long it is planned for: the
    sentence the invitation, the summons and the step's notice give."""
    return gettext(
        "Starts %(when)s (%(zone)s, the court's time); planned for %(minutes)s minutes."
    ) % {"when": court_time(starts_at), "zone": zone_name(court_zone().key), "minutes": minutes}


def zone_of(user: Any) -> ZoneInfo:
    """The person's own zone, or the court's when they chose none (or one no longer known)."""
    name = getattr(user, "time_zone", "") or ""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return court_zone()


def known_zone(name: str) -> bool:
    return name in available_timezones()


def both_zones(moment: datetime, user: Any) -> dict[str, Any]:
    """``moment`` in the court's zone and, when it differs, in the person's own."""
    court, own = court_zone(), zone_of(user)
    shown: dict[str, Any] = {"court": moment.astimezone(court), "court_zone": court.key}
    if own.key != court.key:
        shown.update(own=moment.astimezone(own), own_zone=own.key)
    return shown
