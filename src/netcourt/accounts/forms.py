from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.mfa.webauthn.forms import AddWebAuthnForm, EditWebAuthnForm
from django import forms
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from netcourt.core.forms import Form
from netcourt.core.text import validate_one_line
from netcourt.hearings.times import court_zone

# Zones offered in the list: the places (Area/City), not aliases kept for old systems.
ZONE_AREAS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)


class SignupForm(AllauthSignupForm):  # type: ignore[misc]
    display_name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        help_text=_("As it appears on your identity document."),
        validators=[validate_one_line],
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


def zone_choices() -> list[tuple[str, str]]:
    """The zones to choose from, by name, the court's first (as blank)."""
    names = sorted(n for n in available_timezones() if n.startswith(ZONE_AREAS))
    blank = _("The court's time zone (%(zone)s)") % {"zone": court_zone().key}
    return [("", blank), *((name, name.replace("_", " ")) for name in names)]


class TimeZoneForm(Form):
    """The zone a person reads hearing times in. A list to choose from, checked by the
    action (``time_zone_invalid``) rather than as a choice, so a stale name gets its code."""

    time_zone = forms.CharField(
        label=_("Your time zone"),
        required=False,
        max_length=64,
        help_text=_("Hearing times are shown in the court's time and, when it differs, in yours."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].widget = forms.Select(choices=zone_choices())


class AddSecurityKeyForm(AddWebAuthnForm):  # type: ignore[misc]
    """allauth's form for adding a security key or passkey, its name field labelled in the
    person's language (allauth leaves it to Django, which says "Name" in every language)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("Name")


class EditSecurityKeyForm(EditWebAuthnForm):  # type: ignore[misc]
    """Renaming a security key, labelled as when it was added."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("Name")
