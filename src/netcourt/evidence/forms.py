"""The forms of the evidence page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from netcourt.core.forms import Form
from netcourt.evidence.actions import MAX_SOURCE, MAX_TEXT, MAX_TITLE
from netcourt.evidence.models import Verdict


class EvidenceForm(Form):
    file = forms.FileField(
        label=_("The file"),
        help_text=_("The court checks what the file contains, not its name."),
    )
    title = forms.CharField(label=_("Title of the item"), max_length=MAX_TITLE)
    purpose = forms.CharField(
        label=_("What it is meant to prove"), max_length=MAX_TEXT, widget=forms.Textarea
    )
    source = forms.CharField(
        label=_("Where it comes from"),
        max_length=MAX_SOURCE,
        help_text=_("For example: the order page on the shop's website, saved on 3 May 2026."),
    )

    def __init__(self, *args: Any, accept: str = "", **kwargs: Any) -> None:
        """``accept``: the file types the court takes, offered first by the file chooser (a
        hint to the browser; the court still checks what each file contains)."""
        super().__init__(*args, **kwargs)
        if accept:
            self.fields["file"].widget.attrs["accept"] = accept


VERDICTS = [
    (Verdict.ACCEPTED, _("accepted")),
    (Verdict.DISPUTED, _("disputed")),
    (Verdict.NO_OPINION, _("no opinion")),
]


class OpinionForm(Form):
    authenticity = forms.ChoiceField(
        label=_("Is it authentic?"), choices=VERDICTS, widget=forms.RadioSelect
    )
    legality = forms.ChoiceField(
        label=_("Was it obtained lawfully?"), choices=VERDICTS, widget=forms.RadioSelect
    )
    relevance = forms.ChoiceField(
        label=_("Is it relevant to the facts to be proved?"),
        choices=VERDICTS,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Your reasons"), max_length=MAX_TEXT, widget=forms.Textarea, required=False
    )


class ReplyForm(Form):
    comment = forms.CharField(label=_("Your reply"), max_length=MAX_TEXT, widget=forms.Textarea)


class ExportRequestForm(Form):
    platform = forms.ChoiceField(label=_("Platform"))

    def __init__(self, *args: Any, platforms: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["platform"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = platforms
