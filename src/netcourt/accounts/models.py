from __future__ import annotations

import hashlib
import secrets
import uuid

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class User(AbstractUser):
    display_name = models.CharField(_("name"), max_length=150, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    # An IANA zone name ("Europe/London"); blank: the court's time zone.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)

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


class HeldDocument(models.Model):
    """A file the court keeps outside any case: the written authorisation of an organisation's
    representative, or a power of attorney sent with a request to represent a party.

    Checked like evidence (size, type by content, active content, ClamAV) and stored encrypted
    in the blob store under a key of its own, sealed under the master keyring in
    ``sealed_key`` (as ``netcourt.evidence.models.CaseKey`` does for a case). The blob is
    written before this row commits.
    """

    class Purpose(models.TextChoices):
        AUTHORISATION = "authorisation", _("authorisation to act for an organisation")
        POWER_OF_ATTORNEY = "power_of_attorney", _("power of attorney")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="held_documents"
    )
    purpose = models.CharField(max_length=30, choices=Purpose.choices)
    store_key = models.CharField(max_length=200, unique=True)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    mime = models.CharField(max_length=100)
    filename = models.CharField(max_length=255)
    key_id = models.CharField(max_length=8)
    sealed_key = models.TextField()
    stored_at = models.DateTimeField()

    class Meta:
        verbose_name = _("document held")
        verbose_name_plural = _("documents held")

    def __str__(self) -> str:
        return self.filename


class Organisation(models.Model):
    """A legal person or other organisation, known by its unified social credit code
    (GB 32100-2015, checked by ``netcourt.identity.numbers``). People act for it as approved
    members (``OrganisationMember``)."""

    name = models.CharField(pgettext_lazy("of an organisation", "name"), max_length=200)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    created_at = models.DateTimeField(_("registered on"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class MemberRole(models.TextChoices):
    LEGAL_REPRESENTATIVE = "legal_representative", _("Legal representative")
    AUTHORISED_STAFF = "authorised_staff", _("Staff member with a written authorisation")


class MemberStatus(models.TextChoices):
    PENDING = "pending", _("waiting for the court")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")
    REVOKED = "revoked", _("ended")


class OrganisationMember(models.Model):
    """A person's authority to act for an organisation: asked for with the document that
    shows it (the business licence naming the legal representative, or the organisation's
    written authorisation of a staff member), decided by a clerk of the court. Only an
    approved, not revoked, membership gives the person the organisation's place in its cases."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("organisation"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="organisation_memberships",
        verbose_name=_("person"),
    )
    role = models.CharField(
        pgettext_lazy("in an organisation", "role"), max_length=30, choices=MemberRole.choices
    )
    name_given = models.CharField(_("name given"), max_length=200)
    document = models.ForeignKey(
        HeldDocument, on_delete=models.PROTECT, related_name="+", verbose_name=_("document")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=MemberStatus.choices, default=MemberStatus.PENDING
    )
    requested_at = models.DateTimeField(_("asked on"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided on"), null=True, blank=True)
    reasons = models.TextField(_("reasons"), blank=True)
    ended_at = models.DateTimeField(_("ended on"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"],
                condition=models.Q(status__in=["pending", "approved"]),
                name="organisation_member_once",
            )
        ]
        indexes = [models.Index(fields=["user", "status"], name="org_member_user_status")]
        verbose_name = _("person acting for an organisation")
        verbose_name_plural = _("people acting for organisations")

    def __str__(self) -> str:
        return f"{self.user} — {self.organisation}"


class SecondFactor(Authenticator):  # type: ignore[misc]
    """A person's second factor (allauth's authenticator) as the back office shows it, named
    in both languages: an administrator removes a lost one there (docs/security.md)."""

    class Meta:
        proxy = True
        verbose_name = _("second factor")
        verbose_name_plural = _("second factors")


class SignedInSession(UserSession):  # type: ignore[misc]
    """A place someone is signed in (allauth's user session) as the back office shows it."""

    class Meta:
        proxy = True
        verbose_name = _("signed-in session")
        verbose_name_plural = _("signed-in sessions")
