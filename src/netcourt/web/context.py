from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from netcourt.cases import policy


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    clerk_of = list(policy.clerk_courts(user)) if user is not None else []
    return {
        "site_languages": settings.LANGUAGES,
        "clerk_courts": clerk_of,
    }
