"""Notifications: in the netcourt inbox and by e-mail, in each person's language.

Every message is a ``notify.person`` job written in the transaction of the step that caused
it, so it goes out only after that step commits and is never lost with it; the job puts the
message in the person's inbox and e-mails it, in one transaction with its own completion.
A step that schedules or moves a hearing has each of its e-mails carry the person's calendar
invitation (``attaching``).
Reminders come before the running time limits the pack names (``service.reminders``: which
limits, to which side, how many days before the last day), by SMS too where that side agreed; court staff get a daily digest of what falls due.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from smtplib import SMTPRecipientsRefused
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import formats, timezone, translation

from netcourt.accounts.models import User
from netcourt.cases.models import Party
from netcourt.core import clock, jobs
from netcourt.core.i18n import current_language
from netcourt.core.models import Job
from netcourt.service.models import Notification

log = logging.getLogger(__name__)
DIGEST_DAYS = 7  # the digest lists what falls due within this many days
# A file (name, text, MIME type) made for one person, in their language.
Attachment = tuple[str, str, str]
_attaching = threading.local()  # what the messages queued now carry (see ``attaching``)


@contextmanager
def attaching(make: Callable[[Any], Attachment | None]) -> Iterator[None]:
    """While inside, each e-mail queued by :func:`tell` carries the file ``make`` returns for
    its recipient (called in the recipient's language): the invitation to the hearing a step
    just scheduled goes with the step's own notification, not in a message of its own."""
    previous = getattr(_attaching, "make", None)
    _attaching.make = make
    try:
        yield
    finally:
        _attaching.make = previous


def tell(
    people: Iterable[Any],
    compose: Callable[[str], tuple[str, str]],
    *,
    case: Any = None,
    key: str | None = None,
    sms: bool = False,
    link: str = "",
) -> None:
    """Queue a message to each of ``people``, composed once per language; with ``sms``, also
    by text message to those whose side agreed to SMS (reminders: what must not be missed).
    It links to the case's page, or to ``link`` (a page of the site) for someone who cannot
    open the case (a witness: the hearing's own page)."""
    link = link or (reverse("cases:detail", args=[case.pk]) if case is not None else "")
    composed: dict[str, tuple[str, str]] = {}
    wanted: list[tuple[str, str, dict[str, Any] | None, None]] = []
    make = getattr(_attaching, "make", None)
    for person in people:
        with translation.override(person.preferred_language or settings.LANGUAGE_CODE):
            lang = current_language()
            if lang not in composed:
                composed[lang] = compose(lang)
            attachment = make(person) if make is not None else None
        subject, body = composed[lang]
        args: dict[str, Any] = {
            "user": person.pk,
            "case": str(case.pk) if case is not None else None,
            "subject": subject,
            "body": body,
            "link": link,
            "sms": sms,
        }
        if attachment is not None:
            args["attachment"] = list(attachment)
        wanted.append(
            ("notify.person", f"{key}:{person.pk}" if key else f"notify:{uuid.uuid4()}", args, None)
        )
    if wanted:
        jobs.enqueue_many(wanted, new_keys=key is None)


def in_languages(versions: list[tuple[str, str]]) -> tuple[str, str]:
    """One message from its (subject, body) in each of its languages, in order: the subjects
    side by side, the bodies one after the other."""
    return " / ".join(s for s, _ in versions), "\n\n".join(b for _, b in versions)


def tell_addresses(
    addresses: Iterable[tuple[str, tuple[str, ...]]],
    compose: Callable[[str], tuple[str, str]],
) -> None:
    """Queue an e-mail to each (address, languages): for a party with no account in the case,
    at the address the court served it, which has no inbox to put the message in; in each of
    the languages, in order (both when the party's own is unknown)."""
    composed: dict[str, tuple[str, str]] = {}
    wanted: list[tuple[str, str, dict[str, Any] | None, None]] = []
    for address, languages in addresses:
        for language in languages:
            if language not in composed:
                with translation.override(language):
                    composed[language] = compose(language)
        subject, body = in_languages([composed[lang] for lang in languages])
        args = {"address": address, "subject": subject, "body": body}
        wanted.append(("notify.address", f"notify:{uuid.uuid4()}", args, None))
    if wanted:
        jobs.enqueue_many(wanted, new_keys=True)


@jobs.handler("notify.address")
def deliver_to_address(address: str, subject: str, body: str) -> None:
    """E-mail one message to an address with no account behind it (the job)."""
    one_line = " ".join(subject.split())
    try:
        EmailMessage(one_line, body, settings.DEFAULT_FROM_EMAIL, [address]).send()
    except SMTPRecipientsRefused:
        log.warning("notification refused by the mail server (an address with no account)")


@jobs.handler("notify.person")
def deliver(
    user: int,
    case: str | None,
    subject: str,
    body: str,
    link: str,
    sms: bool = False,
    attachment: list[str] | None = None,
) -> None:
    """Put the message in the inbox and e-mail it (the job; done once with its row)."""
    person = User.objects.filter(pk=user, is_active=True).first()
    if person is None:
        return
    Notification.objects.create(
        user=person, case_id=case, subject=subject, body=body, link=link, created_at=clock.now()
    )
    if sms and case is not None:
        _text(person, case, subject, link)
    if not person.email:
        return
    text = f"{body}\n\n{settings.NETCOURT_BASE_URL}{link}" if link else body
    # A subject is one line (a title written before titles had to be is made one here).
    one_line = " ".join(subject.split())
    message = EmailMessage(one_line, text, settings.DEFAULT_FROM_EMAIL, [person.email])
    if attachment:
        message.attach(*attachment)
    try:
        message.send()
    except SMTPRecipientsRefused:
        log.warning("notification refused by the mail server: user=%s", person.pk)


def _text(person: Any, case: str, subject: str, link: str) -> None:
    """The message's subject by SMS too, when the person's side in the case agreed to SMS.
    A notification's SMS is best effort: a failure is logged, never retried."""
    from netcourt.service.actions import current_consents
    from netcourt.service.channels import gateway
    from netcourt.service.models import Channel, ConsentKind, Decision
    from netcourt.service.sms import SmsError

    if not settings.NETCOURT_SMS_GATEWAY:
        return
    for party in Party.objects.filter(case_id=case, user=person):
        consent = current_consents(party).get(ConsentKind.ELECTRONIC_SERVICE)
        if consent and consent.decision == Decision.GIVEN and Channel.SMS in consent.channels:
            try:
                gateway(settings.NETCOURT_SMS_GATEWAY).send(
                    consent.phone, f"{subject} {settings.NETCOURT_BASE_URL}{link}"
                )
            except SmsError as error:
                log.warning(
                    "notification SMS not sent: user=%s error=%s", person.pk, type(error).__name__
                )
            return


def remind() -> None:
    """Reminders before running time limits (each tick; each reminder once)."""
    from netcourt.cases.models import CaseDeadline
    from netcourt.cases.notify import recipients
    from netcourt.cases.present import text

    today = clock.today()
    horizon = max(
        (d for p in _packs() if p.service.reminders for d in p.service.reminders.days), default=0
    )
    running = CaseDeadline.objects.filter(
        stopped_by__isnull=True,
        suspended_on__isnull=True,
        direction="after",
        due__gte=today,
        due__lte=today + timedelta(days=horizon),
    ).select_related("case__court")
    for deadline in running:
        rules = deadline.case.court.pack.service
        reminders = rules.reminders if rules is not None else None
        days = (deadline.due - today).days
        if reminders is None or days not in reminders.days:
            continue
        roles = reminders.limits.get(deadline.time_limit, ())
        if not roles:
            continue

        def compose(lang: str, deadline: Any = deadline) -> tuple[str, str]:
            label = text(deadline.label)
            due = formats.date_format(deadline.due, "DATE_FORMAT")
            reference = deadline.case.number or str(deadline.case.pk)
            subject = translation.gettext("Case %(number)s: %(limit)s ends on %(due)s") % {
                "number": reference,
                "limit": label,
                "due": due,
            }
            body = translation.gettext(
                "A reminder from the %(court)s: the time limit “%(limit)s” in case %(number)s "
                "ends on %(due)s. Sign in to act before then."
            ) % {
                "court": deadline.case.court.name_in(lang),
                "limit": label,
                "number": reference,
                "due": due,
            }
            return subject, body

        tell(
            recipients(deadline.case, roles),
            compose,
            case=deadline.case,
            key=f"remind:{deadline.pk}:{days}",
            sms=True,
        )


def _packs() -> list[Any]:
    from netcourt.courts.models import Court

    packs = {court.pack_name: court.pack for court in Court.objects.filter(active=True)}
    return [p for p in packs.values() if p.service is not None]


def digest() -> None:
    """Each morning, once, every member of court staff with something due gets a digest."""
    from netcourt.cases.models import CaseDeadline
    from netcourt.cases.present import text
    from netcourt.courts.models import CourtMembership, CourtRole

    local = timezone.localtime(clock.now())
    if local.hour < settings.NETCOURT_DIGEST_HOUR:
        return
    today = local.date()
    done = {
        key.split(":")[1]
        for key in Job.objects.filter(
            key__startswith="digest:", key__contains=today.isoformat()
        ).values_list("key", flat=True)
    }
    for member in CourtMembership.objects.filter(active=True).select_related("user", "court"):
        if str(member.pk) in done:
            continue
        due = CaseDeadline.objects.filter(
            case__court=member.court,
            stopped_by__isnull=True,
            suspended_on__isnull=True,
            due__gte=today,
            due__lte=today + timedelta(days=DIGEST_DAYS),
        ).select_related("case")
        if member.role == CourtRole.JUDGE:
            due = due.filter(case__judge=member.user)
        rows = list(due.order_by("due", "case_id"))
        if not rows:
            continue

        def compose(lang: str, rows: list[Any] = rows, member: Any = member) -> tuple[str, str]:
            subject = translation.gettext("%(court)s: %(count)s time limits due this week") % {
                "court": member.court.name_in(lang),
                "count": len(rows),
            }
            lines = [
                f"{formats.date_format(d.due, 'DATE_FORMAT')}  {d.case.number or d.case.pk}  "
                f"{text(d.label)}"
                for d in rows
            ]
            return subject, "\n".join(lines)

        tell([member.user], compose, key=f"digest:{member.pk}:{today.isoformat()}")
