"""The base of netcourt's own forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from netcourt.core.numbers import whole_number


class Form(forms.Form):
    """Labels carry their own punctuation (questions end in "?" or "？"); no added colon."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class WholeNumberField(forms.IntegerField):
    """A whole number in ASCII digits (:func:`netcourt.core.numbers.whole_number`): not
    another script's digits or ``1_0``, which Django's IntegerField takes."""

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        number = whole_number(str(value), signed=True)
        if number is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number
