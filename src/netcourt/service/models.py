"""Consent to online steps, electronic service of documents, and in-app notifications."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ConsentKind(models.TextChoices):
    ONLINE_LITIGATION = "online_litigation", _("Taking part online (filing, hearings by video)")
    ELECTRONIC_SERVICE = "electronic_service", _("Receiving court documents electronically")
    ASYNCHRONOUS = "asynchronous", _("Taking steps at different times (asynchronous hearing)")


class Decision(models.TextChoices):
    GIVEN = "given", _("agreed")
    REFUSED = "refused", _("refused")
    WITHDRAWN = "withdrawn", _("withdrawn")


class Channel(models.TextChoices):
    INBOX = "inbox", _("netcourt inbox")
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("text message (SMS)")
    PAPER = "paper", _("on paper (by post or in person)")
    NOTICE = "notice", _("public notice")


class Consent(models.Model):
    """One party's decision on one kind of online step, as recorded: the latest counts.
    Rows are never changed; a new decision is a new row (SPC Online Litigation Rules (2021)
    Arts. 4, 5 and 29)."""

    party = models.ForeignKey("cases.Party", on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=30, choices=ConsentKind.choices)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    channels = models.JSONField(
        default=list, help_text="for electronic service: the channels agreed, in any order"
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +8613800000000")
    via = models.CharField(max_length=10, help_text="where it was given: web, api or clerk")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey("cases.CaseEvent", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["party_id", "kind", "at", "id"]


class Service(models.Model):
    """Serving one document on one party: effective once, however it got there."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="services")
    party = models.ForeignKey("cases.Party", on_delete=models.CASCADE, related_name="services")
    document = models.CharField(max_length=50, help_text="the pack's served-document id")
    served_by = models.ForeignKey("cases.CaseEvent", on_delete=models.PROTECT, related_name="+")
    sha256 = models.CharField(
        max_length=64,
        help_text="of the document as served: its text, when netcourt writes one; otherwise "
        "the message that serves it, in every language",
    )
    subject = models.JSONField(help_text="per language")
    body = models.JSONField(help_text="per language")
    text = models.TextField(
        blank=True, help_text="the document's text as served, where netcourt writes it"
    )
    text_language = models.CharField(max_length=10, blank=True, help_text="of the text")
    effective_at = models.DateTimeField(null=True, blank=True)
    effective_by = models.CharField(
        max_length=20, blank=True, help_text="delivered, read, paper or public_notice"
    )
    notice_at = models.DateTimeField(null=True, blank=True, help_text="public notice published")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["served_by", "party", "document"], name="service_once_per_step"
            )
        ]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("waiting to be sent")
    SENT = "sent", _("sent")
    DELIVERED = "delivered", _("delivered")
    READ = "read", _("read")
    FAILED = "failed", _("failed")


class Delivery(models.Model):
    """One try at serving a document through one channel to one address: the service
    record the docket shows (sent, delivered, read), each change also a case event. An e-mail
    or a text carries a link to the document with a secret made as it is sent, of which only
    the SHA-256 is kept (``digest``); the inbox needs none (its owner opens it there)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    address = models.CharField(max_length=254, blank=True)
    consented = models.BooleanField(help_text="an address the party agreed to")
    position = models.PositiveSmallIntegerField(help_text="its place in the order of routes")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    language = models.CharField(
        max_length=20,
        help_text="of the message: its language, or, when the recipient's own is unknown, "
        "both, space-separated, in the order they come",
    )
    digest = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        help_text="SHA-256 of the secret in the link e-mailed or texted (the secret is not kept)",
    )
    gateway_id = models.CharField(max_length=64, blank=True, db_index=True)
    error = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["service_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["service", "position"], name="delivery_position")
        ]

    @property
    def languages(self) -> list[str]:
        """The languages the message is in, in order."""
        return self.language.split()


class Notification(models.Model):
    """A message in a person's netcourt inbox, in their language."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    delivery = models.OneToOneField(
        Delivery, on_delete=models.CASCADE, null=True, blank=True, related_name="notification"
    )
    subject = models.CharField(max_length=300)
    body = models.TextField()
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
