"""Calendar invitations for hearings (iCalendar, RFC 5545; the invitation by e-mail, RFC 6047).

One VEVENT a hearing, its UID stable for the hearing's life (``<hearing id>@<court host>``) and
its SEQUENCE the hearing's: when a hearing is moved, the calendar programme of everyone who
keeps the invitation replaces the old time with the new one, and a cancelled hearing is
struck out (STATUS:CANCELLED). Times are written in UTC, so no time-zone tables are needed;
the text (summary, description, place) is in the language active when it is made: the
caller sets it, for an e-mail the person's own.

Written here rather than with a library: the little iCalendar a hearing needs is text
escaping and folding lines at 75 octets without splitting a character (Chinese names are three
octets a character in UTF-8).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from netcourt.core import clock
from netcourt.core.i18n import current_language
from netcourt.hearings.actions import ENTRY_OPENS
from netcourt.hearings.models import Hearing, HearingStatus, Mode
from netcourt.hearings.times import starts_line

PRODID = "-//netcourt//Hearings//EN"
MIME_TYPE = "text/calendar"
LINE_OCTETS = 75  # RFC 5545 §3.1: a content line is folded at 75 octets, CRLF excluded
# TEXT may hold any character but the controls (RFC 5545 §3.3.11); a tab is kept.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def escape(text: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, line breaks as ``\\n``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROLS.sub("", text)
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def parameter(value: str) -> str:
    """A parameter value (a CN): quoted when it holds ``:;,``; a double quote cannot appear
    in one at all (RFC 5545 §3.2), so it is dropped."""
    value = _CONTROLS.sub("", value.replace("\n", " ")).replace('"', "")
    return f'"{value}"' if any(c in value for c in ":;,") else value


def fold(line: str) -> str:
    """``line`` folded into lines of at most 75 octets, each continuation starting with a
    space, never splitting a UTF-8 sequence."""
    out: list[str] = []
    current: list[str] = []
    size, limit = 0, LINE_OCTETS
    for char in line:
        octets = len(char.encode())
        if size + octets > limit:
            out.append("".join(current))
            current, size, limit = [], 0, LINE_OCTETS - 1  # the leading space counts
        current.append(char)
        size += octets
    out.append("".join(current))
    return "\r\n ".join(out)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _host() -> str:
    return urlsplit(settings.NETCOURT_BASE_URL).hostname or "netcourt.localhost"


def uid(hearing: Hearing) -> str:
    """The hearing's identifier in every calendar: the same for each invitation and change."""
    return f"{hearing.pk}@{_host()}"


def page_url(hearing: Hearing) -> str:
    """The case's hearing page, where the parties enter the online hearing."""
    return settings.NETCOURT_BASE_URL + reverse("hearings:case", args=[hearing.case_id])


def _summary(hearing: Hearing, title: bool) -> str:
    case = hearing.case
    reference = case.number or (case.title if title else "") or str(case.pk)
    if hearing.status == HearingStatus.CANCELLED:
        return gettext("Cancelled: hearing in case %(number)s") % {"number": reference}
    return gettext("Hearing in case %(number)s") % {"number": reference}


def _location(hearing: Hearing, court: str, url: str) -> str:
    courtroom = gettext("Courtroom of the %(court)s") % {"court": court}
    if hearing.mode == Mode.ONLINE:
        return url
    if hearing.mode == Mode.OFFLINE:
        return courtroom
    return f"{url} / {courtroom}"


def _description(hearing: Hearing, court: str, title: bool, url: str) -> str:
    case = hearing.case
    lines = [
        gettext("Case %(number)s at the %(court)s.")
        % {"number": case.number or "—", "court": court},
    ]
    if case.title and title:
        lines.append(case.title)
    lines.append(starts_line(hearing.starts_at, hearing.minutes))
    if hearing.mode == Mode.ONLINE:
        lines.append(
            gettext(
                "The hearing is held online, by video. Enter it from the case's hearing page "
                "(the waiting room opens %(minutes)s minutes before): %(url)s"
            )
            % {"url": url, "minutes": int(ENTRY_OPENS.total_seconds() // 60)}
        )
    elif hearing.mode == Mode.OFFLINE:
        lines.append(
            gettext("The hearing is held in the courtroom of the %(court)s.") % {"court": court}
        )
    else:
        lines.append(
            gettext(
                "The hearing is held partly online and partly in the courtroom of the "
                "%(court)s: those who agreed to take part online enter it from the case's "
                "hearing page, %(url)s; the others come to the courtroom."
            )
            % {"court": court, "url": url}
        )
    lines.append(
        gettext("The hearing is public.")
        if hearing.public
        else gettext("The hearing is not public.")
    )
    if hearing.status == HearingStatus.CANCELLED:
        lines.append(gettext("This hearing was cancelled."))
    return "\n".join(lines)


def _event(
    hearing: Hearing,
    person: Any | None,
    stamp: datetime,
    title: bool = True,
    url: str | None = None,
) -> list[str]:
    """The VEVENT of ``hearing``; with ``person``, naming them as the attendee summoned;
    without the case's ``title`` if asked; linking to ``url`` (the case's hearing page
    unless told otherwise)."""
    court = hearing.case.court.name_in(current_language())
    url = url or page_url(hearing)
    cancelled = hearing.status == HearingStatus.CANCELLED
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid(hearing)}",
        f"SEQUENCE:{hearing.sequence}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART:{_utc(hearing.starts_at)}",
        f"DTEND:{_utc(hearing.starts_at + timedelta(minutes=hearing.minutes))}",
        f"SUMMARY:{escape(_summary(hearing, title))}",
        f"DESCRIPTION:{escape(_description(hearing, court, title, url))}",
        f"LOCATION:{escape(_location(hearing, court, url))}",
        f"URL:{url}",
        f"CLASS:{'PUBLIC' if hearing.public else 'PRIVATE'}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        "TRANSP:OPAQUE",
        f"ORGANIZER;CN={parameter(court)}:mailto:{settings.DEFAULT_FROM_EMAIL}",
    ]
    email: str = getattr(person, "email", "") or ""
    if email:
        lines.append(
            f"ATTENDEE;CN={parameter(str(person))};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;"
            f"RSVP=FALSE:mailto:{email}"
        )
    lines.append("END:VEVENT")
    return lines


def _calendar(method: str, events: Iterable[list[str]]) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    lines.append(f"METHOD:{method}")
    for event in events:
        lines.extend(event)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def method_of(hearing: Hearing) -> str:
    """REQUEST for a hearing to attend; CANCEL once it is cancelled (RFC 5546 §3.2)."""
    return "CANCEL" if hearing.status == HearingStatus.CANCELLED else "REQUEST"


def invitation(hearing: Hearing, person: Any | None = None, *, in_case: bool = True) -> str:
    """The invitation to ``hearing`` (one VEVENT), for ``person`` when known. For someone
    called who has no role in the case (a witness, an interpreter), without the case's title
    and linking to the hearing's own page, the one they can open."""
    if in_case:
        return _calendar(method_of(hearing), [_event(hearing, person, clock.now())])
    own_page = settings.NETCOURT_BASE_URL + reverse("hearings:hearing", args=[hearing.pk])
    event = _event(hearing, person, clock.now(), title=False, url=own_page)
    return _calendar(method_of(hearing), [event])


def calendar(hearings: Iterable[Hearing], titles: bool = True) -> str:
    """Several hearings as one calendar to import or subscribe to (METHOD:PUBLISH); without
    the cases' titles if ``titles`` is false."""
    stamp = clock.now()
    return _calendar("PUBLISH", (_event(h, None, stamp, titles) for h in hearings))


def attachment(hearing: Hearing, person: Any, *, in_case: bool = True) -> tuple[str, str, str]:
    """The invitation as an e-mail attachment: file name, text and MIME type (with the
    ``method`` parameter RFC 6047 asks for); for someone outside the case as `invitation`
    makes it for them."""
    return (
        "hearing.ics",
        invitation(hearing, person, in_case=in_case),
        f"{MIME_TYPE}; method={method_of(hearing)}",
    )


def summons_attachment(service: Any, language: str) -> tuple[str, str, str] | None:
    """The invitation a summons served by e-mail carries: the hearing the serving step
    scheduled, in the delivery's language. None for any other served document, and once the
    hearing was moved by a later step: the summons states the time it was issued for, as a
    summons on paper would, and the later step's summons (with its own invitation) the new
    one."""
    hearing = (
        Hearing.objects.select_related("case__court")
        .filter(scheduled_by_id=service.served_by_id)
        .first()
    )
    if hearing is None:
        return None
    with translation.override(language):
        return attachment(hearing, None)
