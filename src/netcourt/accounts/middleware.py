from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import translation


class PreferredLanguageMiddleware:
    """A signed-in person's saved language wins over the browser's Accept-Language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "preferred_language", "") if user is not None else ""
        if language and not request.path.startswith("/i18n/"):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if language:
            response.headers.setdefault("Content-Language", language)
        return response


def speak_their_language(request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """On sign-in (allauth's ``user_logged_in``), the rest of the request speaks the person's
    saved language, as the next pages will: "signed in as …" is said in it, not in the
    browser's."""
    language = getattr(user, "preferred_language", "")
    if language:
        translation.activate(language)
        request.LANGUAGE_CODE = language


def connect() -> None:
    from allauth.account.signals import user_logged_in

    user_logged_in.connect(speak_their_language, dispatch_uid="netcourt.language.signin")
