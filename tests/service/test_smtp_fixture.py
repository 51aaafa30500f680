from __future__ import annotations

import smtplib

import pytest
from django.core.mail import EmailMessage, send_mail

from tests.service.conftest import SmtpServer


def test_django_mail_reaches_the_smtp_server(django_smtp: SmtpServer) -> None:
    sent = send_mail(
        "送达通知 / Notice of service",
        "您有一份法院文书待查收。\nA court document awaits you.",
        "court@netcourt.localhost",
        ["party@example.test"],
    )

    assert sent == 1
    [mail] = django_smtp.messages
    assert mail.mail_from == "court@netcourt.localhost"
    assert mail.recipients == ("party@example.test",)
    assert mail.message["Subject"] == "送达通知 / Notice of service"
    assert mail.message["To"] == "party@example.test"
    assert mail.message.get_content() == "您有一份法院文书待查收。\nA court document awaits you.\n"


def test_the_envelope_keeps_bcc_recipients(django_smtp: SmtpServer) -> None:
    EmailMessage(
        "Notice", "Body", "court@netcourt.localhost", ["a@example.test"], bcc=["b@example.test"]
    ).send()

    [mail] = django_smtp.messages
    assert mail.recipients == ("a@example.test", "b@example.test")
    assert "Bcc" not in mail.message


def test_a_refused_recipient_raises(django_smtp: SmtpServer) -> None:
    django_smtp.refuse("Gone@Example.test")

    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send_mail("Notice", "Body", "court@netcourt.localhost", ["gone@example.test"])

    [(code, reply)] = refused.value.recipients.values()
    assert code == 550
    assert reply.startswith(b"5.1.1")
    assert django_smtp.messages == []


def test_a_recipient_refused_beside_an_accepted_one_goes_unnoticed(
    django_smtp: SmtpServer,
) -> None:
    """Why service sends one message per address: smtplib raises only when every recipient
    is refused, and Django's backend drops the partial refusals."""
    django_smtp.refuse("gone@example.test")

    sent = send_mail(
        "Notice", "Body", "court@netcourt.localhost", ["gone@example.test", "here@example.test"]
    )

    assert sent == 1
    [mail] = django_smtp.messages
    assert mail.recipients == ("here@example.test",)
