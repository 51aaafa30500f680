from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from netcourt.cases.models import Party
from netcourt.core.forms import Form, WholeNumberField
from netcourt.core.numbers import whole_number
from netcourt.service.models import Channel, Consent, ConsentKind, Decision

ROUTES = [(c.value, c.label) for c in Channel if c != Channel.NOTICE]


class ConsentForm(Form):
    party = WholeNumberField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(choices=ConsentKind.choices, widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=_("Your choice"),
        choices=[(Decision.GIVEN, _("I agree")), (Decision.WITHDRAWN, _("I do not agree"))],
        widget=forms.RadioSelect,
    )
    channels = forms.MultipleChoiceField(
        label=_("Send me documents by"),
        choices=ROUTES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    email = forms.EmailField(label=_("E-mail address for documents"), required=False)
    phone = forms.CharField(
        label=_("Mobile number for text messages"),
        required=False,
        max_length=20,
        help_text=_("In international form, e.g. +8613800000000."),
    )

    @classmethod
    def for_party(cls, party: Party, kind: str, current: Consent | None) -> ConsentForm:
        initial: dict[str, Any] = {"party": party.pk, "kind": kind}
        if current is not None:
            initial.update(
                decision=Decision.GIVEN if current.decision == Decision.GIVEN else "withdrawn",
                channels=current.channels,
                email=current.email,
                phone=current.phone,
            )
        form = cls(initial=initial, auto_id=f"id_{party.pk}_{kind}_%s")
        form.consent_party, form.consent_kind = party.pk, kind
        if kind != ConsentKind.ELECTRONIC_SERVICE:
            for name in ("channels", "email", "phone"):
                del form.fields[name]
        return form

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.consent_party: int | None = None
        self.consent_kind = ""
        if self.is_bound:
            self.consent_party = whole_number(str(self.data.get("party", "")))
            self.consent_kind = str(self.data.get("kind", ""))


class PaperServiceForm(Form):
    served_on = forms.DateField(
        label=_("Day"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The day the document was handed over or the post delivered it."),
    )
