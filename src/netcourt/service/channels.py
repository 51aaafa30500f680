"""The routes a document travels: the netcourt inbox, e-mail (SMTP) and SMS (a gateway)."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse

from netcourt.core import clock
from netcourt.service.models import Channel, Delivery, Notification, Service
from netcourt.service.notifications import in_languages
from netcourt.service.sms import SmsGateway, SmsRefused


@dataclass(frozen=True)
class Outcome:
    delivered: bool = False
    failed: bool = False
    error: str = ""
    gateway_id: str = ""


Attachment = tuple[str, str, str]  # file name, content, MIME type
# What a served document carries by e-mail beside its text and link, asked of the apps that
# know (the hearings app: the summons' calendar invitation) in the delivery's language.
ATTACHERS: list[Callable[[Service, str], Attachment | None]] = []


def attachments(service: Service, language: str) -> list[Attachment]:
    found = (attach(service, language) for attach in ATTACHERS)
    return [attachment for attachment in found if attachment is not None]


@cache
def gateway(url: str) -> SmsGateway:
    return SmsGateway.from_url(url)


def send(delivery: Delivery) -> Outcome:
    """Send ``delivery`` by its channel. Raises on a passing fault (the job runs again); a
    permanent refusal is an outcome, so the next route is tried."""
    from netcourt.service.actions import new_link

    service = delivery.service
    languages = delivery.languages
    subject, body = in_languages(
        [(service.subject[lang], service.body[lang]) for lang in languages]
    )
    if delivery.channel == Channel.INBOX:
        Notification.objects.get_or_create(
            delivery=delivery,
            defaults={
                "user_id": int(delivery.address),
                "case": service.case,
                "subject": subject,
                "body": body,
                "created_at": clock.now(),
            },
        )
        return Outcome(delivered=True)
    if delivery.channel == Channel.EMAIL:
        message = EmailMessage(
            subject,
            f"{body}\n\n{new_link(delivery)}",
            settings.DEFAULT_FROM_EMAIL,
            [delivery.address],
        )
        for name, content, mime in attachments(service, languages[0]):
            message.attach(name, content, mime)
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused:
            return Outcome(failed=True, error="recipient_refused")
        except smtplib.SMTPResponseException as error:
            if error.smtp_code >= 500:
                return Outcome(failed=True, error=f"smtp_{error.smtp_code}")
            raise
        # Accepted by the mail server for this recipient: it reached their system.
        return Outcome(delivered=True)
    if delivery.channel == Channel.SMS:
        if not settings.NETCOURT_SMS_GATEWAY:
            return Outcome(failed=True, error="no_sms_gateway")
        callback = settings.NETCOURT_BASE_URL + reverse("service:sms-status")
        try:
            sent = gateway(settings.NETCOURT_SMS_GATEWAY).send(
                delivery.address, f"{subject} {new_link(delivery)}", callback
            )
        except SmsRefused as refused:
            return Outcome(failed=True, error=f"sms_{refused.code}")
        return Outcome(gateway_id=sent.sid)
    return Outcome(failed=True, error="no_route")
