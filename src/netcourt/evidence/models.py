"""Evidence: encrypted files, the items parties submit, their opinions on each other's items,
and files on their way in (resumable uploads)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from netcourt.cases.models import Case, CaseEvent, Party


class CaseKey(models.Model):
    """The case's own key-encryption key, sealed under the court's master keyring. Every file
    of the case is encrypted under a data key wrapped by it, so rotating the master key
    rewraps these rows and never the files."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="vault_key")
    key_id = models.CharField(max_length=8)
    sealed = models.TextField()
    created_at = models.DateTimeField()


class Blob(models.Model):
    """A stored, encrypted file. Written to the blob store before this row commits."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="blobs")
    store_key = models.CharField(max_length=200, unique=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.BigIntegerField()
    mime = models.CharField(max_length=100)
    filename = models.CharField(max_length=255)
    stored_at = models.DateTimeField()


class EvidenceItem(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="evidence")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="evidence")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    event = models.OneToOneField(CaseEvent, on_delete=models.PROTECT, related_name="+")
    blob = models.OneToOneField(Blob, on_delete=models.PROTECT, related_name="item")
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    purpose = models.TextField(_("what it is meant to prove"))
    source = models.CharField(_("where it comes from"), max_length=300)
    late = models.BooleanField(_("submitted late"), default=False)
    submitted_at = models.DateTimeField()
    platform = models.ForeignKey(
        "Platform", on_delete=models.PROTECT, null=True, blank=True, related_name="items"
    )
    provenance = models.JSONField(default=dict, blank=True)
    # Secret: in the salted record whose hash the item's log leaf publishes instead of the
    # file's own SHA-256, and in the item's receipt. Empty on items logged before salts.
    salt = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["party__position", "round", "number"]
        constraints = [
            models.UniqueConstraint(fields=["party", "number"], name="evidence_number_per_party")
        ]

    def __str__(self) -> str:
        return self.title


class Verdict(models.TextChoices):
    ACCEPTED = "accepted", _("accepted")
    DISPUTED = "disputed", _("disputed")
    NO_OPINION = "no_opinion", _("no opinion")


class Opinion(models.Model):
    """A party's cross-examination opinion on an item (真实性、合法性、关联性), or a reply."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="opinions")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    event = models.OneToOneField(CaseEvent, on_delete=models.PROTECT, related_name="+")
    reply_to = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replies"
    )
    authenticity = models.CharField(
        _("authenticity"), max_length=20, choices=Verdict.choices, blank=True
    )
    legality = models.CharField(_("legality"), max_length=20, choices=Verdict.choices, blank=True)
    relevance = models.CharField(_("relevance"), max_length=20, choices=Verdict.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]


class Upload(models.Model):
    """A file on its way in (tus 1.0): its bytes so far sit encrypted in the staging area."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    length = models.BigIntegerField()
    offset = models.BigIntegerField(default=0)
    filename = models.CharField(max_length=255)
    sealed_key = models.TextField()
    blob = models.OneToOneField(
        Blob, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()


class Platform(models.Model):
    """A registered platform (e-commerce, lending, content) that pushes signed records."""

    slug = models.SlugField(
        _("short name"),
        unique=True,
        help_text=_(
            "Letters, digits and hyphens; the platform sends its records to an address with it."
        ),
    )
    name = models.CharField(pgettext_lazy("of a platform", "name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30)
    public_key = models.TextField(_("public key"), help_text=_("Ed25519 public key, PEM"))
    organisation = models.CharField(_("operated by"), max_length=200)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("platform")
        verbose_name_plural = _("platforms")

    def __str__(self) -> str:
        return self.name


class PlatformExportRequest(models.Model):
    """A party's request that a platform send its records into the case. The platform pushes
    each record with the one-time code the party was shown once; only the code's SHA-256 is
    kept. A code is used once, for one record, and lapses after a week."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="export_requests")
    code_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    item = models.OneToOneField(
        EvidenceItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="export_request",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.platform_id}:{self.pk}"


class CaseDocument(models.Model):
    """A file attached to a procedural step (proof for a judicial-aid application, a power of
    attorney): not evidence, so not exchanged — the court and the side that filed it see it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents")
    event = models.ForeignKey(CaseEvent, on_delete=models.PROTECT, related_name="documents")
    input = models.CharField(max_length=100)
    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    blob = models.OneToOneField(Blob, on_delete=models.PROTECT, related_name="document")

    class Meta:
        ordering = ["event__seq", "input"]
