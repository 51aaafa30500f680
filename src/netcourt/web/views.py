from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from netcourt.cases import policy, present
from netcourt.core.i18n import current_language
from netcourt.courts.models import Court


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers; also the benchmark's "trivial view" ceiling."""
    return HttpResponse("ok", content_type="text/plain")


def home(request: HttpRequest) -> HttpResponse:
    lang = current_language()
    courts = [court.describe(lang) for court in Court.objects.filter(active=True)]
    return render(request, "web/home.html", {"courts": courts})


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    cases = (
        policy.visible_cases(request.user).select_related("court", "judge").order_by("-updated_at")
    )
    own = [present.summary(c) for c in cases.filter(policy.judging(request.user))]
    rows = [present.summary(c) for c in cases[:200]]
    return render(request, "web/dashboard.html", {"cases": rows, "judging": own})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the page language; a signed-in person keeps it as their preference."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    codes = {code for code, _ in settings.LANGUAGES}
    if language in codes:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=request.is_secure(),
        )
        user: Any = request.user
        if user.is_authenticated:
            user.preferred_language = language
            user.save(update_fields=["preferred_language"])
    return response
