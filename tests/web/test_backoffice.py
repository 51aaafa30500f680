"""The back office in Chinese: every control of a court's staff rows has a name, and the
labels netcourt itself gives go through translation."""

from __future__ import annotations

import re

from django.contrib import admin
from django.utils.functional import Promise

from netcourt.core.models import IdempotencyRecord
from tests.conftest import make_user, signed_in, with_second_factor


def test_each_control_of_a_staff_row_has_an_accessible_name(hangzhou, staff) -> None:
    admin = with_second_factor(make_user("root", "en", is_staff=True, is_superuser=True))
    html = signed_in(admin).get(f"/backoffice/courts/court/{hangzhou.pk}/change/").content.decode()
    rows = [f"memberships-{n}" for n in range(4)]  # the clerk, two judges and a new row
    for name in ("role", "active", "eligible_for_assignment"):
        header = re.search(rf'<th class="column-{name}[^"]*">([^<]+?)\s*(<img|</th>)', html)
        assert header, name
        for row in rows:  # each named as its column is
            control = re.search(rf'<(select|input)[^>]*name="{row}-{name}"[^>]*>', html)
            assert control, (row, name)
            assert f'aria-label="{header.group(1)}"' in control.group(0), control.group(0)
    for row in rows[:3]:
        delete = re.search(rf'<input[^>]*name="{row}-DELETE"[^>]*>', html)
        assert delete and 'aria-label="Delete"' in delete.group(0)
    # The person of a new row is chosen in a select2 box, named by what it shows when empty.
    header = re.search(r'<th class="column-user[^"]*">([^<]+?)\s*(<img|</th>)', html)
    new_user = re.search(r'<select[^>]*name="memberships-3-user"[^>]*>', html)
    assert header and new_user
    assert f'data-placeholder="{header.group(1)}"' in new_user.group(0)


def _labels(model: type) -> list[object]:
    labels: list[object] = [model._meta.verbose_name, model._meta.verbose_name_plural]
    if model._meta.proxy and not model._meta.concrete_model.__module__.startswith("netcourt."):
        # Another app's model shown through a proxy: its admin labels every column itself
        # (tests/accounts/test_security.py reads them in Chinese), not from the fields.
        return labels
    for field in model._meta.get_fields():
        if field.auto_created:
            continue
        labels.append(field.verbose_name)
        if field.help_text:
            labels.append(field.help_text)
    return labels


def test_every_label_of_the_back_office_is_translatable() -> None:
    """The models a court administrator manages and their inlines': each name and each
    field's label and help go through translation (and the name of the idempotency
    records, which deleting a person lists)."""
    models = set()
    for model, model_admin in admin.site._registry.items():
        if model.__module__.startswith("netcourt."):
            models.add(model)
            models.update(inline.model for inline in model_admin.inlines)
    untranslated = [
        f"{model._meta.label}: {label}"
        for model in sorted(models, key=lambda m: m._meta.label)
        for label in _labels(model)
        if not isinstance(label, Promise)
    ]
    untranslated += [
        str(name)
        for name in (
            IdempotencyRecord._meta.verbose_name,
            IdempotencyRecord._meta.verbose_name_plural,
        )
        if not isinstance(name, Promise)
    ]
    assert untranslated == [], "\n".join(untranslated)
