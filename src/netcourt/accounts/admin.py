from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from netcourt.accounts.models import User
from netcourt.courts.admin import is_court_admin


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    """Superusers manage accounts; court administrators may look people up to add them as
    staff of their court, and change nothing."""

    list_display = ["username", "email", "display_name", "is_staff", "is_active"]
    search_fields = ["username", "email", "display_name"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (None, {"fields": ("display_name", "preferred_language")}),
    )

    def has_module_permission(self, request: HttpRequest) -> bool:
        user: Any = request.user
        return bool(user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        user: Any = request.user
        return bool(user.is_superuser) or is_court_admin(user)
