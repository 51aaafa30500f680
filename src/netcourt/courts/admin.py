from django.contrib import admin

from netcourt.courts.models import Court, CourtMembership


class MembershipInline(admin.TabularInline[CourtMembership, Court]):
    model = CourtMembership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Court)
class CourtAdmin(admin.ModelAdmin[Court]):
    list_display = ["slug", "pack_name", "pack_court_id", "active"]
    inlines = [MembershipInline]


@admin.register(CourtMembership)
class CourtMembershipAdmin(admin.ModelAdmin[CourtMembership]):
    list_display = ["user", "court", "role", "active", "eligible_for_assignment"]
    list_filter = ["court", "role", "active"]
    autocomplete_fields = ["user"]
