"""The back office: jobs, to see what waits and what failed (read only; the worker runs them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from netcourt.core.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin[Job]):
    list_display = ["name", "due_at", "attempts", "error", "done_at", "failed_at"]
    list_filter = [
        "name",
        ("done_at", admin.EmptyFieldListFilter),
        ("failed_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["key"]
    # The arguments may hold what a message says to a person: not shown here.
    fields = readonly_fields = (
        "name",
        "key",
        "due_at",
        "lease_until",
        "attempts",
        "error",
        "done_at",
        "failed_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
