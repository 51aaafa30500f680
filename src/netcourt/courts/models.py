from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from netcourt.core.i18n import current_language
from netcourt.procedure import Court as PackCourt
from netcourt.procedure import Pack, load_pack


class Court(models.Model):
    """A court installed on this system, bound to one court entry of a procedure pack."""

    slug = models.SlugField(_("identifier"), unique=True)
    pack_name = models.CharField(_("procedure pack"), max_length=100)
    pack_court_id = models.CharField(_("court in the pack"), max_length=100)
    active = models.BooleanField(_("accepting filings"), default=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("court")
        verbose_name_plural = _("courts")

    def __str__(self) -> str:
        return self.name_in(current_language())

    @property
    def pack(self) -> Pack:
        return load_pack(self.pack_name)

    @property
    def pack_court(self) -> PackCourt:
        return self.pack.court(self.pack_court_id)

    def name_in(self, lang: str) -> str:
        return self.pack_court.name.get(lang)

    def describe(self, lang: str) -> dict[str, Any]:
        """What the court is and which kinds of dispute it hears, in ``lang``."""
        pack = self.pack
        return {
            "slug": self.slug,
            "name": self.name_in(lang),
            "pack": self.pack_name,
            "categories": [
                {
                    "id": c,
                    "label": pack.categories[c].label.get(lang),
                    "property": pack.categories[c].property,
                    "connecting_factors": list(pack.categories[c].connecting_factors),
                }
                for c in self.pack_court.categories
            ],
        }


class CourtRole(models.TextChoices):
    CLERK = "clerk", _("Clerk")
    JUDGE = "judge", _("Judge")
    PRESIDENT = "president", _("Court president")
    ADMIN = "admin", _("Court administrator")


class CourtMembership(models.Model):
    court = models.ForeignKey(
        Court, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("court")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="court_memberships",
        verbose_name=_("person"),
    )
    role = models.CharField(
        pgettext_lazy("of court staff", "role"), max_length=20, choices=CourtRole.choices
    )
    active = models.BooleanField(_("active"), default=True)
    eligible_for_assignment = models.BooleanField(
        _("eligible for case assignment"),
        default=True,
        help_text=_("Judges on leave or recused from new cases are not drawn."),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["court", "user", "role"], name="membership_unique_court_user_role"
            )
        ]
        verbose_name = _("court staff member")
        verbose_name_plural = _("court staff")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.court})"
