from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    display_name = models.CharField(_("name"), max_length=150, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.email or self.username


TOKEN_PREFIX = "nct_"  # noqa: S105 - a public marker, not a secret


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the HTTP API. Only its SHA-256 is stored; the raw value is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def new_raw() -> str:
        return TOKEN_PREFIX + secrets.token_urlsafe(32)


class SecurityEvent(models.Model):
    """Something that happened to an account's security, shown to its owner.

    ``tag`` is stable (``account:mfa:added`` style, see ``netcourt.accounts.security``);
    ``detail`` holds no secrets: never a password, code, token or identity number.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="security_events"
    )
    tag = models.CharField(max_length=60)
    at = models.DateTimeField(db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    device = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "-at"], name="security_event_user_at")]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")

    def __str__(self) -> str:
        return self.tag


class IdentityVerification(models.Model):
    """One check of who a person is, by a provider, at an assurance level of the pack.

    The document number is kept sealed (``netcourt.vault``) and as a keyed hash for finding
    it; pages show only ``number_masked``. ``assertion`` is the provider's signed statement.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verifications"
    )
    level = models.CharField(_("assurance level"), max_length=40)
    provider = models.CharField(max_length=40)
    document_kind = models.CharField(_("document"), max_length=30)
    legal_name = models.CharField(_("legal name"), max_length=200)
    number_sealed = models.TextField()
    number_lookup = models.CharField(max_length=64)
    number_masked = models.CharField(_("document number"), max_length=40)
    assertion = models.TextField()
    verified_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-verified_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document_kind", "number_lookup"],
                condition=models.Q(revoked_at__isnull=True),
                name="identity_document_held_once",
            )
        ]
        verbose_name = _("identity verification")
        verbose_name_plural = _("identity verifications")

    def __str__(self) -> str:
        return f"{self.level} ({self.provider})"
