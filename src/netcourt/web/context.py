from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from netcourt.cases import policy
from netcourt.core.i18n import current_language


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    lang = current_language()
    clerk_of = (
        [{"slug": c.slug, "name": c.name_in(lang)} for c in policy.clerk_courts(user)]
        if user is not None
        else []
    )
    return {"site_languages": settings.LANGUAGES, "clerk_courts": clerk_of}
