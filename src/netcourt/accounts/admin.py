from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from netcourt.accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    list_display = ["username", "email", "display_name", "is_staff", "is_active"]
    search_fields = ["username", "email", "display_name"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (None, {"fields": ("display_name", "preferred_language")}),
    )
