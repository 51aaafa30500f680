"""The base of netcourt's own forms."""

from __future__ import annotations

from typing import Any

from django import forms


class Form(forms.Form):
    """Labels carry their own punctuation (questions end in "?" or "？"); no added colon."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
