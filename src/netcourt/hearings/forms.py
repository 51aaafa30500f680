"""The form of the hearing page: calling a witness or an interpreter. It parses; who may be
called is `netcourt.hearings.actions.invite`'s to decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from netcourt.core.forms import Form
from netcourt.hearings.models import Role


class InviteForm(Form):
    """The e-mail address of the person's account, and whether they are called as a witness
    or an interpreter. Each hearing on a page has its own form: ``hearing_id`` keeps their
    fields' ids apart."""

    email = forms.EmailField(
        label=_("Their e-mail address (of their account)"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        label=_("Called as"),
        choices=[(Role.WITNESS, Role.WITNESS.label), (Role.INTERPRETER, Role.INTERPRETER.label)],
        initial=Role.WITNESS,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, hearing_id: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"invite-{hearing_id}-%s")
        super().__init__(*args, **kwargs)
        self.hearing_id = hearing_id
