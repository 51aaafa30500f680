"""The site's URLs plus two that fail, for the tests of the 500 answers (test_error_pages)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from netcourt.core import urls as site

# Whatever answers unknown addresses and failures on the site answers them here.
handler404 = getattr(site, "handler404", None)
handler500 = getattr(site, "handler500", None)


class Boom(Exception):
    """A failure no view expects."""


def boom(request: HttpRequest) -> HttpResponse:
    raise Boom("a bug")


def broken_context(request: HttpRequest) -> dict[str, object]:
    """A context processor that fails, as the site's own does when the database is down."""
    raise Boom("a context processor failed")


urlpatterns = [path("boom/", boom), path("api/v1/boom", boom), *site.urlpatterns]
