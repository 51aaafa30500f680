from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from netcourt.accounts import views as account_views
from netcourt.core.api import api
from netcourt.evidence import views as evidence_views
from netcourt.transparency import views as transparency_views
from netcourt.web import views as web_views

# The back office signs in through allauth (password, then the second factor, rate limits,
# security history), never through Django's own admin login form.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

# Unknown addresses and failures: the site's own pages, problem+json under /api/.
handler404 = "netcourt.web.errors.not_found"
handler500 = "netcourt.web.errors.server_error"

urlpatterns = [
    path("", include("netcourt.web.urls")),
    # Browsers ask for /favicon.ico whatever the page links; the icon is the linked SVG.
    path(
        "favicon.ico",
        RedirectView.as_view(url=static("netcourt/favicon.svg"), permanent=True),
        name="favicon",
    ),
    path("i18n/setlang/", web_views.set_language, name="set_language"),
    path("accounts/security/", account_views.security_history, name="account_security"),
    path("accounts/identity/", account_views.identity_page, name="account_identity"),
    path(
        "accounts/identity/eid/start/", account_views.eid_start, name="account_identity_eid_start"
    ),
    path(
        "accounts/identity/eid/callback/",
        account_views.eid_callback,
        name="account_identity_eid_callback",
    ),
    path(
        "accounts/organisations/",
        account_views.organisations_page,
        name="account_organisations",
    ),
    path(
        "accounts/organisations/<int:member_id>/withdraw/",
        account_views.organisation_withdraw,
        name="account_organisation_withdraw",
    ),
    path(
        "accounts/organisations/<int:member_id>/document",
        account_views.organisation_document,
        name="account_organisation_document",
    ),
    path("accounts/", include("allauth.urls")),
    path("cases/<uuid:case_id>/evidence/", include("netcourt.evidence.urls")),
    path("", include("netcourt.service.urls")),
    path("", include("netcourt.hearings.urls")),
    path(
        "cases/<uuid:case_id>/events/<int:seq>/receipt.json",
        transparency_views.event_receipt,
        name="event_receipt",
    ),
    path(
        "cases/<uuid:case_id>/documents/<uuid:document_id>",
        evidence_views.document,
        name="case_document",
    ),
    path("cases/", include("netcourt.cases.urls")),
    path("courts/", include("netcourt.courts.urls")),
    path("payments/", include("netcourt.payments.urls")),
    path("sandbox-pay/", include("netcourt.paysandbox.urls")),
    path("log/", include("netcourt.transparency.urls")),
    path("tsa", transparency_views.timestamp_authority, name="tsa"),
    path("api/", api.urls),
    path("backoffice/", admin.site.urls),
]
