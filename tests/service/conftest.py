"""Fixtures for electronic service: the SMS gateway stand-in and a real SMTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.net import free_port
from tests.service.sms_gateway import SmsGatewayStandIn

SMTP_HOST = "127.0.0.1"


@dataclass(frozen=True)
class ReceivedMail:
    message: EmailMessage
    mail_from: str
    recipients: tuple[str, ...]  # the envelope's (RCPT TO), Bcc included


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1 keeping every message it takes in ``messages``.
    ``refuse(address)`` makes it answer RCPT TO for that address with a permanent 550."""

    def __init__(self) -> None:
        self.host = SMTP_HOST
        self.port = free_port(SMTP_HOST)
        self._refused: set[str] = set()
        self._messages: list[ReceivedMail] = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname=self.host, port=self.port)

    @property
    def messages(self) -> list[ReceivedMail]:
        """The messages taken so far, oldest first (a copy)."""
        with self._lock:
            return list(self._messages)

    def refuse(self, address: str) -> None:
        with self._lock:
            self._refused.add(address.lower())

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        with self._lock:
            refused = address.lower() in self._refused
        if refused:
            return "550 5.1.1 Recipient address rejected: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = (envelope.original_content or b"").replace(b"\r\n", b"\n")
        message = BytesParser(policy=policy.default).parsebytes(content)
        assert isinstance(message, EmailMessage)
        mail = ReceivedMail(message, envelope.mail_from or "", tuple(envelope.rcpt_tos))
        with self._lock:
            self._messages.append(mail)
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


@pytest.fixture
def sms_gateway() -> Iterator[SmsGatewayStandIn]:
    """A running SMS gateway stand-in: ``.url`` for ``SmsGateway.from_url``, ``.messages``,
    ``.report(sid, status)``, ``.status_report(...)``, ``.undeliverable``, ``.unavailable``."""
    with SmsGatewayStandIn() as gateway:
        yield gateway


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running aiosmtpd server: ``.host``, ``.port``, ``.messages``, ``.refuse(address)``."""
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def django_smtp(smtp_server: SmtpServer, settings: Any) -> SmtpServer:
    """``smtp_server``, with Django's e-mail sent to it over SMTP for this test."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    return smtp_server
