"""Forms for filing and for procedural steps; step forms are built from the pack's inputs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from netcourt.accounts.models import User
from netcourt.cases import policy
from netcourt.cases.actions import TEXT_LIMITS, eligible_judges
from netcourt.cases.models import Case, PartyKind, PartyRole, RepresentativeKind
from netcourt.cases.present import choice_label
from netcourt.core.forms import Form, WholeNumberField
from netcourt.core.i18n import current_language
from netcourt.core.numbers import amount_text
from netcourt.core.text import validate_one_line, validate_plain_text
from netcourt.courts.models import Court
from netcourt.procedure import Event, Pack


class TextForm(Form):
    """Every text field refuses control and bidirectional control characters, as the actions
    do (:mod:`netcourt.core.text`), so the message shows next to the field it is about; a
    one-line field (not a text area) what a one-line answer may not hold either."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                multiline = isinstance(field.widget, forms.Textarea)
                field.validators.append(validate_plain_text if multiline else validate_one_line)


_YUAN = re.compile(r"^(?:[¥￥]|CNY|RMB)\s*|\s*(?:元整?|CNY|RMB)$", re.IGNORECASE)


class AmountField(forms.DecimalField):
    """An amount of money as typed: ASCII or full-width digits, an optional decimal point and
    thousands separators where they belong ("1,000.50"); never underscores, exponents or
    another script's digits (:func:`netcourt.core.numbers.amount_text`). A text box, so that
    the browser sends what was typed."""

    widget = forms.TextInput(attrs={"inputmode": "decimal"})
    default_error_messages = {
        "invalid": _("Enter the amount in figures, for example 3299 or 3,299.50."),
    }

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
            return super().to_python(value)
        # The currency people write around an amount in yuan ("¥3,299", "3,299元") is theirs
        # to write; the figures are read as they are.
        text = amount_text(_YUAN.sub("", str(value).strip()))
        if text is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(text)


ACTING_AS = [
    ("self", _("for myself")),
    ("lawyer", _("as a lawyer for a client")),
    ("agent", _("as another agent for someone")),
]


class NewCaseForm(TextForm):
    court = forms.ModelChoiceField(
        label=_("Court"),
        queryset=Court.objects.filter(active=True),
        empty_label=None,
        widget=forms.RadioSelect,
    )
    category = forms.ChoiceField(label=_("Kind of dispute"))
    acting_as = forms.ChoiceField(
        label=_("You are filing"),
        choices=ACTING_AS,
        initial="self",
        widget=forms.RadioSelect,
    )
    organisation = forms.ChoiceField(
        label=_("Organisation"),
        required=False,
        help_text=_("Only if you file for an organisation you act for."),
    )
    licence_number = forms.CharField(
        label=_("Lawyer's licence number"),
        max_length=40,
        required=False,
        help_text=_("Only if you file as a lawyer."),
    )
    firm = forms.CharField(label=_("Law firm"), max_length=200, required=False)

    def __init__(
        self,
        *args: Any,
        pack: Pack,
        organisations: Sequence[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        lang = current_language()
        acting_as = self.fields["acting_as"]
        organisation = self.fields["organisation"]
        assert isinstance(acting_as, forms.ChoiceField)
        assert isinstance(organisation, forms.ChoiceField)
        if organisations:
            acting_as.choices = [
                *ACTING_AS,
                ("organisation", _("for an organisation I act for")),
            ]
            organisation.choices = [("", "—"), *organisations]
        else:
            del self.fields["organisation"]
        self.fields["court"].label_from_instance = lambda c: c.name_in(lang)  # type: ignore[attr-defined]
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            (c.id, c.label.get(lang)) for c in pack.categories.values()
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        court = data.get("court")
        if court is not None and data.get("category") not in court.pack_court.categories:
            self.add_error("category", _("This court does not hear that kind of dispute."))
        if data.get("acting_as") == "organisation" and not data.get("organisation"):
            self.add_error("organisation", _("Choose the organisation you file for."))
        if data.get("acting_as") == "lawyer" and not data.get("licence_number", "").strip():
            self.add_error(
                "licence_number", _("A lawyer filing for a client gives the licence number.")
            )
        return data


class PartyForm(TextForm):
    role = forms.ChoiceField(label=_("Role"), choices=PartyRole.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=PartyKind.choices)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    representative_name = forms.CharField(
        label=_("Legal representative (organisations)"), max_length=200, required=False
    )
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    contact_email = forms.EmailField(label=_("E-mail"), required=False)


class BasePartyFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    """The parties step names at least one plaintiff and one defendant: a filing needs both
    (a row whose name is left empty is skipped)."""

    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms):
            return
        named = {f.cleaned_data.get("role") for f in self.forms if f.cleaned_data.get("name")}
        missing = []
        if "plaintiff" not in named:
            missing.append(ValidationError(_("Name at least one plaintiff."), code="plaintiff"))
        if "defendant" not in named:
            missing.append(ValidationError(_("Name at least one defendant."), code="defendant"))
        if missing:
            raise ValidationError(missing)


PartyFormSet = forms.formset_factory(
    PartyForm, formset=BasePartyFormSet, extra=2, max_num=50, absolute_max=50
)


class ClaimForm(TextForm):
    title = forms.CharField(
        label=_("A short title for your case"),
        max_length=300,
        help_text=_("For example: Refund for a phone bought online"),
    )
    amount = AmountField(
        label=_("Amount claimed (CNY)"),
        max_digits=18,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text=_("Required for a claim for money; leave empty only if you claim no money."),
    )
    claims = forms.CharField(
        label=_("What do you ask the court to order?"),
        widget=forms.Textarea,
        max_length=20000,
        help_text=_("One request per line, e.g. refund of the price; compensation of costs."),
    )
    facts = forms.CharField(
        label=_("Facts and reasons"),
        widget=forms.Textarea,
        max_length=100000,
        help_text=_("What happened, when, and why the other side is responsible."),
    )
    platform = forms.CharField(
        label=_("Platform, order or contract involved"),
        max_length=2000,
        required=False,
        help_text=_("For example: the shop and order number, or the loan contract number."),
    )


class TerritoryForm(TextForm):
    simple = forms.TypedChoiceField(
        label=_("Are the facts clear and the dispute small?"),
        choices=[
            ("yes", _("Yes, the facts are clear and not much is disputed")),
            ("no", _("No, the facts are complicated or strongly disputed")),
        ],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    connection = forms.CharField(
        label=_("Anything else that connects the dispute to this court's area"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        pack = case.court.pack
        lang = current_language()
        places = (
            [("", _("I don't know"))]
            + [(p.id, p.label.get(lang)) for p in pack.places.values()]
            + [("other", _("Somewhere else"))]
        )
        self.factor_names: list[str] = []
        for factor_id in pack.categories[case.category].connecting_factors:
            factor = pack.connecting_factors[factor_id]
            name = f"factor_{factor_id}"
            self.fields[name] = forms.ChoiceField(
                label=factor.question.get(lang),
                choices=places,
                required=False,
                help_text=factor.basis.article.get(lang),
            )
            self.factor_names.append(name)
        self.fields["exclusions"] = forms.MultipleChoiceField(
            label=_("Does any of these apply?"),
            choices=[(e.id, e.label.get(lang)) for e in pack.small_claims_exclusions],
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        order = [*self.factor_names, "exclusions", "simple", "connection"]
        self.order_fields(order)

    def factors(self) -> dict[str, str]:
        return {
            name.removeprefix("factor_"): self.cleaned_data.get(name) or ""
            for name in self.factor_names
        }


class ListField(forms.CharField):
    widget = forms.Textarea

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


def offered(form: forms.Form) -> bool:
    """Whether a step's form can be sent: not when a choice it requires has nothing to choose
    (ending a representation when there is none the person may end)."""
    return not any(
        isinstance(field, forms.ChoiceField) and field.required and not field.choices
        for field in form.fields.values()
    )


def event_form(
    pack: Pack,
    event: Event,
    case: Case,
    data: Any = None,
    prefix: str | None = None,
    files: Any = None,
    *,
    user: Any = None,
    initial: dict[str, str] | None = None,
) -> forms.Form:
    """A form for one step, with a field for each input the pack declares. With ``user``, a
    choice of representative offers only the representations that person may end: their own,
    or those of a party they are. ``initial`` fills it with what the person typed before."""
    lang = current_language()
    fields: dict[str, forms.Field] = {}
    for item in event.inputs:
        label = item.label.get(lang)
        field: forms.Field
        if item.name == "judge":
            judges = User.objects.filter(pk__in=eligible_judges(case)).order_by("pk")
            field = forms.ChoiceField(label=label, choices=[(str(j.pk), str(j)) for j in judges])
        elif item.name == "representative":
            reps = [
                r
                for p in case.people()
                for r in p.representatives.all()
                if r.active
                and (user is None or r.user_id == user.pk or policy.acts_for_party(user, p))
            ]
            field = forms.ChoiceField(
                label=label,
                choices=[(str(r.pk), f"{r.user} — {r.party.name}") for r in reps],
            )
        elif item.name == "representative_kind":
            field = forms.ChoiceField(label=label, choices=RepresentativeKind.choices)
        elif item.type == "document":
            field = forms.FileField(
                label=label, help_text=_("The court checks what the file contains.")
            )
        elif item.type == "longtext":
            field = forms.CharField(
                label=label,
                widget=forms.Textarea(attrs={"rows": 4}),
                max_length=TEXT_LIMITS["longtext"],
            )
        elif item.type == "list":
            field = ListField(
                label=label, max_length=TEXT_LIMITS["list"], help_text=_("One item per line.")
            )
        elif item.name == event.sets_track:
            field = forms.ChoiceField(
                label=label,
                choices=[
                    (t.id, t.label.get(lang))
                    for t in pack.tracks.values()
                    if t.id in item.choices and t.case_type == case.case_type
                ],
                initial=case.track or None,
            )
        elif item.type == "choice":
            # An optional choice starts empty: nothing is chosen unless the person chooses it.
            field = forms.ChoiceField(
                label=label,
                choices=[("", "—")] * (not item.required)
                + [(c, choice_label(pack, item, c)) for c in item.choices],
            )
        elif item.type == "bool":
            field = forms.BooleanField(label=label)
        elif item.type == "date":
            field = forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}))
        elif item.type == "int":
            field = WholeNumberField(label=label)
        elif item.type == "money":
            field = AmountField(label=label, max_digits=18, decimal_places=2)
        else:
            field = forms.CharField(label=label, max_length=TEXT_LIMITS["text"])
        field.required = item.required and item.type != "bool"
        fields[item.name] = field
    form_class = type("EventForm", (TextForm,), dict(fields))
    form: forms.Form = form_class(data, files, prefix=prefix or event.id, initial=initial)
    return form
