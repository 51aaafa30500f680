from __future__ import annotations

from typing import Any

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _


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
