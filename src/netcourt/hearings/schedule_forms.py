"""The forms of scheduling: the hearing's time, busy time, sittings and unavailable days.
They parse; the rules are `netcourt.hearings.scheduling`'s."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils import dates
from django.utils.translation import gettext_lazy as _

from netcourt.cases.models import Party
from netcourt.core.forms import Form, WholeNumberField
from netcourt.hearings.scheduling import MAX_MINUTES, MIN_MINUTES, PrivateGround
from netcourt.hearings.times import court_zone

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class HearingTimeForm(Form):
    """The day and time (the court's zone) and the planned length; ``version`` is the case's
    version the person saw, so a form made stale by another step is refused."""

    version = WholeNumberField(widget=forms.HiddenInput)
    hearing_at = forms.DateField(label=_("Day"), widget=DATE)
    time = forms.TimeField(label=_("Time (the court's time)"), widget=TIME)
    minutes = WholeNumberField(
        label=_("Planned length (minutes)"),
        min_value=MIN_MINUTES,
        max_value=MAX_MINUTES,
        initial=30,
        help_text=_("Online hearings at internet courts usually take 20 to 40 minutes."),
    )

    def starts_at(self) -> datetime:
        """The chosen moment, in the court's zone (after ``is_valid``)."""
        data = self.cleaned_data
        return datetime.combine(data["hearing_at"], data["time"], tzinfo=court_zone())


class ScheduleForm(HearingTimeForm):
    public = forms.BooleanField(
        label=_("Public hearing"),
        required=False,
        initial=True,
        help_text=_("A hearing is public unless the law allows otherwise."),
    )
    private_ground = forms.ChoiceField(
        label=_("If not public, why"),
        choices=[("", "—"), *PrivateGround.choices],
        required=False,
    )


class PostponeForm(HearingTimeForm):
    reasons = forms.CharField(
        label=_("Reasons for postponing"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text=_("They are recorded in the docket and sent to the parties."),
    )


class BusyForm(Form):
    """Time a judge or clerk cannot sit, in their own time zone (made current to parse it)."""

    starts_at = forms.DateTimeField(label=_("From"), widget=MOMENT)
    ends_at = forms.DateTimeField(label=_("Until"), widget=MOMENT)
    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=200,
        help_text=_("Only you see it."),
    )


class SittingForm(Form):
    weekday = forms.TypedChoiceField(
        label=_("Day of the week"), choices=list(dates.WEEKDAYS.items()), coerce=int
    )
    starts = forms.TimeField(label=_("From"), widget=TIME)
    ends = forms.TimeField(label=_("Until"), widget=TIME)


class UnavailableForm(Form):
    party = forms.TypedChoiceField(label=_("For"), coerce=int)
    starts_on = forms.DateField(label=_("First day"), widget=DATE)
    ends_on = forms.DateField(label=_("Last day"), widget=DATE)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=300,
        help_text=_("Seen by the court, not by the other side."),
    )

    def __init__(self, *args: Any, parties: list[Party], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["party"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(p.pk, f"{p.get_role_display()}: {p.name}") for p in parties]
