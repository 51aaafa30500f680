"""The back office: court administrators manage their own court's staff and settings.

A superuser sees everything. A court administrator (an active ``admin`` membership, with
``is_staff``) sees and changes only the courts they administer and those courts' staff.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.db.models import Field, QuerySet
from django.forms.formsets import DELETION_FIELD_NAME
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from netcourt.courts.models import Court, CourtMembership, CourtRole

admin.site.site_header = _("netcourt back office")
admin.site.site_title = _("netcourt back office")
admin.site.index_title = _("Courts, staff and settings")


def administered_courts(user: Any) -> QuerySet[Court]:
    if not user.is_active or not user.is_staff:
        return Court.objects.none()
    if user.is_superuser:
        return Court.objects.all()
    return Court.objects.filter(
        memberships__user=user, memberships__role=CourtRole.ADMIN, memberships__active=True
    ).distinct()


def is_court_admin(user: Any) -> bool:
    return bool(administered_courts(user).exists())


class LabelledAutocompleteSelect(AutocompleteSelect):
    """select2 names its box by the text the box shows: an empty one shows the field's label
    (Django leaves the placeholder empty, and the box of a new row unnamed); a small script
    names the element showing the choice likewise while it is empty."""

    def build_attrs(self, base_attrs: dict[str, Any], extra_attrs: Any = None) -> dict[str, Any]:
        attrs = super().build_attrs(base_attrs, extra_attrs=extra_attrs)
        attrs["data-placeholder"] = attrs.get("aria-label", "")
        return attrs

    @property
    def media(self) -> forms.Media:
        # Listed with autocomplete.js so that the merged media keep it after that script.
        return super().media + forms.Media(
            js=["admin/js/autocomplete.js", "netcourt/admin-autocomplete-names.js"]
        )


class LabelledInlineFormSet(
    forms.BaseInlineFormSet[CourtMembership, Court, forms.ModelForm[CourtMembership]]
):
    """A row's "delete" box named as its column is (a tabular row's fields have no <label>)."""

    def add_fields(self, form: forms.ModelForm[CourtMembership], index: int | None) -> None:
        super().add_fields(form, index)
        delete = form.fields.get(DELETION_FIELD_NAME)
        if delete is not None:
            delete.widget.attrs["aria-label"] = str(delete.label)


class MembershipInline(admin.TabularInline[CourtMembership, Court]):
    model = CourtMembership
    extra = 1
    autocomplete_fields = ["user"]
    formset = LabelledInlineFormSet

    def formfield_for_dbfield(
        self, db_field: Field[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        """Each field of a row named by its column's label: a tabular inline renders no
        <label>, so the role select and the check boxes would have no accessible name."""
        if db_field.name in self.autocomplete_fields:
            kwargs["widget"] = LabelledAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None:
            # Inside the "add another" wrapper, the widget that renders the <select>.
            widget = getattr(formfield.widget, "widget", formfield.widget)
            if widget is not None and not widget.is_hidden:
                widget.attrs["aria-label"] = str(formfield.label)
        return formfield

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_court_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_court_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_court_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_court_admin(request.user)


@admin.register(Court)
class CourtAdmin(admin.ModelAdmin[Court]):
    list_display = ["slug", "pack_name", "pack_court_id", "active"]
    inlines = [MembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Court]:
        return administered_courts(request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        user: Any = request.user
        return [] if user.is_superuser else ["slug", "pack_name", "pack_court_id"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_court_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_court_admin(request.user) and (
            obj is None or administered_courts(request.user).filter(pk=obj.pk).exists()
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        user: Any = request.user
        return bool(user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CourtMembership)
class CourtMembershipAdmin(admin.ModelAdmin[CourtMembership]):
    list_display = ["user", "court", "role", "active", "eligible_for_assignment"]
    list_filter = ["court", "role", "active"]
    autocomplete_fields = ["user"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CourtMembership]:
        return CourtMembership.objects.filter(court__in=administered_courts(request.user))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "court":
            kwargs["queryset"] = administered_courts(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _own(self, request: HttpRequest, obj: Any) -> bool:
        return is_court_admin(request.user) and (
            obj is None or administered_courts(request.user).filter(pk=obj.court_id).exists()
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_court_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._own(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._own(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_court_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._own(request, obj)
