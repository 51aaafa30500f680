"""The forms of the hearing record's page: the clerk's text, a party's signature."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from netcourt.cases.models import Party
from netcourt.core.forms import Form, WholeNumberField
from netcourt.hearings.models import Decision
from netcourt.hearings.record import MAX_OBJECTION, MAX_TEXT


class RecordTextForm(Form):
    """The whole text of the record, and the revision it was written from."""

    text = forms.CharField(
        label=_("Text of the record"),
        widget=forms.Textarea(attrs={"rows": 16}),
        max_length=MAX_TEXT,
        required=False,
        strip=False,
    )
    revision = WholeNumberField(min_value=0, widget=forms.HiddenInput)


class SignForm(Form):
    """A party's decision on the record: confirm it, or object and say why."""

    party = forms.TypedChoiceField(label=_("Sign for"), coerce=int)
    decision = forms.ChoiceField(
        label=_("Your decision"),
        choices=[
            (Decision.CONFIRM, _("The record is complete and correct: I confirm it.")),
            (Decision.OBJECT, _("Something is missing or wrong: I object.")),
        ],
        widget=forms.RadioSelect,
    )
    objection = forms.CharField(
        label=_("Your objection"),
        help_text=_("Say what is missing or wrong, and what the record should say instead."),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=MAX_OBJECTION,
        required=False,
    )
    revision = WholeNumberField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, parties: list[Party], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["party"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [
            (p.pk, gettext("%(role)s: %(name)s") % {"role": p.get_role_display(), "name": p.name})
            for p in parties
        ]
        if len(parties) == 1:
            field.widget = forms.HiddenInput()
            field.initial = parties[0].pk

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == Decision.OBJECT and not (data.get("objection") or "").strip():
            self.add_error("objection", _("Say what you object to."))
        return data
