from __future__ import annotations

from typing import Any

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from netcourt.core.forms import Form


class SignupForm(AllauthSignupForm):  # type: ignore[misc]
    display_name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        help_text=_("As it appears on your identity document."),
    )

    field_order = ["display_name", "email", "password1", "password2"]

    def save(self, request: HttpRequest) -> Any:
        user = super().save(request)
        user.display_name = self.cleaned_data["display_name"].strip()
        user.preferred_language = translation.get_language() or ""
        user.save(update_fields=["display_name", "preferred_language"])
        return user


class DocumentCheckForm(Form):
    legal_name = forms.CharField(
        label=_("Full legal name"),
        max_length=200,
        help_text=_("Exactly as it is printed on the document."),
    )
    document_kind = forms.ChoiceField(
        label=_("Identity document"),
        choices=[
            ("prc-id", _("Resident identity card of the PRC")),
            ("passport-cn", _("Passport of the PRC")),
            ("hk-macao-permit", _("Mainland travel permit for Hong Kong and Macao residents")),
            ("taiwan-permit", _("Mainland travel permit for Taiwan residents")),
            ("passport", _("Other passport")),
        ],
    )
    number = forms.CharField(
        label=_("Document number"),
        max_length=40,
        help_text=_("It is kept encrypted; pages show only its first and last characters."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
