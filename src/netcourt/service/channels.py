"""The routes a document travels: the netcourt inbox, e-mail (SMTP) and SMS (a gateway)."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse

from netcourt.core import clock
from netcourt.service.models import Channel, Delivery, Notification
from netcourt.service.sms import SmsGateway, SmsRefused


@dataclass(frozen=True)
class Outcome:
    delivered: bool = False
    failed: bool = False
    error: str = ""
    gateway_id: str = ""


@cache
def gateway(url: str) -> SmsGateway:
    return SmsGateway.from_url(url)


def send(delivery: Delivery) -> Outcome:
    """Send ``delivery`` by its channel. Raises on a passing fault (the job runs again); a
    permanent refusal is an outcome, so the next route is tried."""
    from netcourt.service.actions import link

    service = delivery.service
    lang = delivery.language
    subject = service.subject.get(lang) or next(iter(service.subject.values()))
    body = service.body.get(lang) or next(iter(service.body.values()))
    if delivery.channel == Channel.INBOX:
        Notification.objects.get_or_create(
            delivery=delivery,
            defaults={
                "user_id": int(delivery.address),
                "case": service.case,
                "subject": subject,
                "body": body,
                "link": reverse("service:open", args=[delivery.token]),
                "created_at": clock.now(),
            },
        )
        return Outcome(delivered=True)
    if delivery.channel == Channel.EMAIL:
        message = EmailMessage(
            subject, f"{body}\n\n{link(delivery)}", settings.DEFAULT_FROM_EMAIL, [delivery.address]
        )
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
                delivery.address, f"{subject} {link(delivery)}", callback
            )
        except SmsRefused as refused:
            return Outcome(failed=True, error=f"sms_{refused.code}")
        return Outcome(gateway_id=sent.sid)
    return Outcome(failed=True, error="no_route")
