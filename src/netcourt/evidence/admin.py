"""The back office: the platforms that may push signed records as evidence."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from netcourt.core.i18n import current_language
from netcourt.evidence.models import Platform
from netcourt.evidence.platforms import key_sha256, load_public_key
from netcourt.identity import numbers


class PlatformForm(forms.ModelForm[Platform]):
    class Meta:
        model = Platform
        fields = ["slug", "name", "kind", "organisation", "credit_code", "public_key", "active"]
        widgets = {
            "public_key": forms.Textarea(
                attrs={"rows": 5, "cols": 70, "spellcheck": "false", "class": "vLargeTextField"}
            )
        }

    def clean_public_key(self) -> str:
        pem = str(self.cleaned_data["public_key"]).strip()
        try:
            load_public_key(pem)
        except ValueError:
            raise forms.ValidationError(
                _("Paste the platform's Ed25519 public key in PEM form (BEGIN PUBLIC KEY).")
            ) from None
        return pem + "\n"

    def clean_credit_code(self) -> str:
        code = str(self.cleaned_data.get("credit_code") or "").strip()
        if not code:
            return ""
        checked = numbers.validate("uscc", code)
        if not checked.valid:
            raise forms.ValidationError(
                [str(finding.message.get(current_language())) for finding in checked.findings]
            )
        return checked.number


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin[Platform]):
    form = PlatformForm
    list_display = ["slug", "name", "kind", "organisation", "credit_code", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["slug", "name", "organisation", "credit_code"]
    readonly_fields = ["key_fingerprint"]

    @admin.display(description=_("key fingerprint (SHA-256)"))
    def key_fingerprint(self, obj: Any) -> str:
        try:
            return key_sha256(load_public_key(obj.public_key))
        except (ValueError, AttributeError):
            return "—"
