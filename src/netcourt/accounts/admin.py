from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from netcourt.accounts.models import (
    Organisation,
    OrganisationMember,
    SecondFactor,
    SignedInSession,
    User,
)
from netcourt.courts.admin import administered_courts, is_court_admin


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    """Superusers manage accounts. A court administrator sees only the staff of the courts
    they administer, and finds a new colleague to add only by their exact e-mail address, so
    the back office never lists the court's litigants or other courts' people."""

    list_display = ["username", "email", "display_name", "is_staff", "is_active"]
    search_fields = ["username", "email", "display_name"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (None, {"fields": ("display_name", "preferred_language")}),
    )

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        """An account made or edited in the back office has its e-mail address vouched for by
        the administrator, so its owner can set up a second factor (allauth allows that only
        on a verified address)."""
        super().save_model(request, obj, form, change)
        if obj.email:
            address, _ = EmailAddress.objects.get_or_create(
                user=obj, email=obj.email, defaults={"verified": True, "primary": True}
            )
            if not address.verified:
                address.verified = True
                address.save(update_fields=["verified"])

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        queryset = super().get_queryset(request)
        user: Any = request.user
        if user.is_superuser:
            return queryset
        courts = administered_courts(user)
        return queryset.filter(court_memberships__court__in=courts).distinct()

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[User], search_term: str
    ) -> tuple[QuerySet[User], bool]:
        user: Any = request.user
        if user.is_superuser:
            return super().get_search_results(request, queryset, search_term)
        if request.path == reverse("admin:autocomplete"):
            term = search_term.strip()
            found = (
                User.objects.filter(email__iexact=term, is_active=True)
                if "@" in term
                else User.objects.none()
            )
            return found.order_by("pk"), False
        return super().get_search_results(request, queryset, search_term)

    def has_module_permission(self, request: HttpRequest) -> bool:
        user: Any = request.user
        return bool(user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        user: Any = request.user
        return bool(user.is_superuser) or is_court_admin(user)


class SuperuserOnly:
    """Organisations and who acts for them are decided by clerks on their pages; the back
    office shows them to superusers, read-only (decisions go through the actions, which keep
    the security history and tell the person)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        user: Any = request.user
        return bool(user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        user: Any = request.user
        return bool(user.is_superuser)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(SuperuserOnly, admin.ModelAdmin[Organisation]):
    list_display = ["name", "credit_code", "created_at"]
    search_fields = ["name", "credit_code"]


@admin.register(OrganisationMember)
class OrganisationMemberAdmin(SuperuserOnly, admin.ModelAdmin[OrganisationMember]):
    list_display = ["organisation", "user", "role", "status", "requested_at", "decided_by"]
    list_filter = ["status", "role"]
    search_fields = ["organisation__name", "organisation__credit_code", "user__email"]
    raw_id_fields = ["organisation", "user", "document", "decided_by", "ended_by"]


# allauth's own admin pages name these models and their columns in English only; the back
# office shows them through proxies with names and columns in both languages.
admin.site.unregister(Authenticator)
admin.site.unregister(UserSession)


def _when(moment: Any) -> str:
    """A moment in the court's time and the reader's format, on lists and detail pages alike;
    a dash for none."""
    if moment is None:
        return "—"
    return str(formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT"))


class SuperuserRemoves(SuperuserOnly):
    """Read-only for superusers, who may remove an entry (a lost factor, a session to end)."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        user: Any = request.user
        return bool(user.is_superuser)


class FactorKindFilter(admin.SimpleListFilter):
    """Second factors by kind, the filter's title in the reader's language."""

    title = _("kind")
    parameter_name = "type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(value, str(label)) for value, label in Authenticator.Type.choices]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(type=value) if value else queryset


@admin.register(SecondFactor)
class SecondFactorAdmin(SuperuserRemoves, admin.ModelAdmin[SecondFactor]):
    list_display = ["owner", "kind", "added", "last_used"]
    list_filter = [FactorKindFilter]
    search_fields = ["user__username", "user__email"]
    fields = readonly_fields = ("owner", "kind", "added", "last_used")

    @admin.display(description=_("person"), ordering="user__username")
    def owner(self, factor: SecondFactor) -> str:
        return str(factor.user)

    @admin.display(description=_("kind"), ordering="type")
    def kind(self, factor: SecondFactor) -> str:
        return str(factor.get_type_display())

    @admin.display(description=_("added"), ordering="created_at")
    def added(self, factor: SecondFactor) -> str:
        return _when(factor.created_at)

    @admin.display(description=_("last used"), ordering="last_used_at")
    def last_used(self, factor: SecondFactor) -> str:
        return _when(factor.last_used_at)


@admin.register(SignedInSession)
class SignedInSessionAdmin(SuperuserRemoves, admin.ModelAdmin[SignedInSession]):
    # No "last seen": allauth records activity only with USERSESSIONS_TRACK_ACTIVITY, a
    # write on every page a signed-in person opens, which the court does without.
    list_display = ["owner", "signed_in", "address", "browser"]
    search_fields = ["user__username", "user__email", "ip"]
    fields = readonly_fields = ("owner", "signed_in", "address", "browser")

    def delete_model(self, request: HttpRequest, obj: SignedInSession) -> None:
        """Removing a session signs it out (its row alone would leave the browser signed in)."""
        obj.end()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[SignedInSession]) -> None:
        for session in queryset:
            session.end()

    @admin.display(description=_("person"), ordering="user__username")
    def owner(self, session: SignedInSession) -> str:
        return str(session.user)

    @admin.display(description=_("signed in"), ordering="created_at")
    def signed_in(self, session: SignedInSession) -> str:
        return _when(session.created_at)

    @admin.display(description=_("IP address"), ordering="ip")
    def address(self, session: SignedInSession) -> str:
        return str(session.ip)

    @admin.display(description=_("browser"))
    def browser(self, session: SignedInSession) -> str:
        return str(session.user_agent)
