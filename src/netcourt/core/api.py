"""The HTTP API: /api/v1/, OpenAPI 3.1 at /api/openapi.json, problem+json errors."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.docs import DocsBase
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from netcourt.accounts.tokens import user_for_token
from netcourt.core.problems import LONE_SURROGATE, Problem, problem_response, request_too_large


class MalformedBody(ValueError):
    """A body the API does not read. ``kind`` is the pydantic error type it is reported as:
    ``json_invalid`` (not JSON at all) or ``string_unicode`` (text holding a lone UTF-16
    surrogate, at ``path``: no character, so nothing could store or answer it)."""

    def __init__(self, kind: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(kind)
        self.kind = kind
        self.path = path


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _lone_surrogate_at(document: Any) -> tuple[str | int, ...] | None:
    """Where ``document`` (parsed JSON) holds text with a lone surrogate, in a key (the path
    of its object) or a value; None when nowhere. Iterative: JSON nested as deep as the
    parser allows is walked without recursion."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), document)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if LONE_SURROGATE.search(item):
                return path
        elif isinstance(item, dict):
            for key, value in item.items():
                if LONE_SURROGATE.search(key):
                    return path
                stack.append(((*path, key), value))
        elif isinstance(item, list):
            stack.extend(((*path, index), value) for index, value in enumerate(item))
    return None


class StrictJsonParser(Parser):
    """JSON bodies, refused (422 ``validation_error``) when they are not JSON or hold a lone
    surrogate anywhere: ``json.loads`` makes one of ``"\\ud800"``, and it would fail later,
    when written to the database or into an answer. ``NaN`` and ``Infinity``, which Python's
    parser takes but JSON (RFC 8259) does not have, are not JSON either."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            document = json.loads(request.body, parse_constant=_not_json)
        except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
            raise MalformedBody("json_invalid") from error
        path = _lone_surrogate_at(document)
        if path is not None:
            raise MalformedBody("string_unicode", path)
        return document  # type: ignore[no-any-return]


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            if user.preferred_language:  # answers in the person's language, as on the site
                translation.activate(user.preferred_language)
                request.LANGUAGE_CODE = user.preferred_language
            request.user = user
        return user


class SessionCookie(SessionAuth):
    """A signed-in browser. Its unsafe requests must carry the CSRF token; a request that
    signs no one in is left to answer 401 (``not_authenticated``), not refused as a forged
    one (ninja's own check would answer 403 to a request with no credentials at all)."""

    def _get_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False):
            if check_csrf(request) is not None:
                raise Problem("csrf_failed", status=403)
        return request.COOKIES.get(self.param_name)


class ApiReference(DocsBase):
    """/api/docs: the operations of /api/openapi.json listed on a page of the site (its layout,
    landmarks and language; no third-party script). The operations' own texts are English."""

    METHODS = ("get", "post", "put", "patch", "delete", "head", "options")

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        schema = api.get_openapi_schema(path_params=kwargs)
        groups: dict[str, list[dict[str, str]]] = {}
        for path, operations in schema["paths"].items():
            for method in self.METHODS:
                operation = operations.get(method)
                if operation is None:
                    continue
                tag = (operation.get("tags") or ["api"])[0]
                groups.setdefault(tag, []).append(
                    {
                        "method": method.upper(),
                        "path": path,
                        "summary": operation.get("summary", ""),
                        "description": operation.get("description", ""),
                    }
                )
        return render(
            request,
            "web/api_docs.html",
            {
                "groups": list(groups.items()),
                "openapi_url": reverse(f"{api.urls_namespace}:openapi-json", kwargs=kwargs),
                "version": api.version,
            },
        )


api = NinjaAPI(
    title="netcourt API",
    version="1",
    description=(
        "Filing, the docket and the court's queue. Authenticate with a bearer token "
        "(`netcourt token create --user NAME`) or a browser session. Every POST that creates "
        "something honours `Idempotency-Key`. Errors are RFC 9457 problem+json with a stable "
        "`code`."
    ),
    auth=[BearerToken(), SessionCookie()],
    urls_namespace="api",
    docs=ApiReference(),
    parser=StrictJsonParser(),
)


@api.exception_handler(Problem)
def _problem(request: HttpRequest, exc: Problem) -> HttpResponse:
    return problem_response(request, exc)


# What is wrong with a field, for the common pydantic error types (a phrase that follows the
# field's name); the rest say FALLBACK_REASON. ``%(name)s`` takes the error's context.
REASONS: dict[str, Promise] = {
    "missing": _("an answer is required"),
    "string_too_long": _("at most %(max_length)s characters"),
    "string_too_short": _("at least %(min_length)s characters"),
    "int_parsing": _("a whole number is required"),
    "decimal_parsing": _("a number is required"),
    "literal_error": _("not one of the values it takes"),
    "uuid_parsing": _("an identifier (UUID) is required"),
    "datetime_parsing": _("a date and time with its offset is required"),
    "bool_parsing": _("true or false is required"),
    "extra_forbidden": _("not a field this request takes"),
    "json_invalid": _("the body is not JSON"),
    "string_unicode": _("the text holds a lone surrogate, which is not a character"),
}
FALLBACK_REASON = _("the value is not valid")
# The part of a location pydantic adds for a member of a union ("literal['a','b']",
# "function-after[...]"): no field of ours.
_UNION_MEMBER = re.compile(r"[a-z][a-z-]*\[.*\]", re.DOTALL)


def _reason(kind: str, context: Mapping[str, Any] | None) -> str:
    text = str(REASONS.get(kind, FALLBACK_REASON))
    try:
        return text % dict(context or {})
    except (KeyError, TypeError, ValueError):
        return str(FALLBACK_REASON)


def _field(loc: tuple[Any, ...]) -> str | None:
    parts = list(loc[2:] if loc and loc[0] == "body" else loc[1:])
    kept = [str(p) for p in parts if not (isinstance(p, str) and _UNION_MEMBER.fullmatch(p))]
    return ".".join(kept) or None


def _validation_problem(errors: list[dict[str, Any]]) -> Problem:
    """422 ``validation_error``: each field with what is wrong with it, in the person's
    language; the detail names the first."""
    first = next((e for e in errors if e["field"]), errors[0] if errors else None)
    if first is None:
        detail = None
    elif first["field"]:
        detail = gettext("“%(field)s”: %(reason)s") % {
            "field": first["field"],
            "reason": first["message"],
        }
    else:
        detail = gettext("The request is not valid: %(reason)s.") % {"reason": first["message"]}
    return Problem(
        "validation_error",
        detail,
        status=422,
        field=first["field"] if first else None,
        extra={"errors": errors},
    )


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: list[dict[str, Any]] = []
    for e in exc.errors:
        kind = str(e.get("type", ""))
        entry = {
            "field": _field(tuple(e.get("loc", ()))),
            "message": _reason(kind, e.get("ctx")),
            "type": kind,
        }
        if entry not in errors:  # a union's members fail alike
            errors.append(entry)
    return problem_response(request, _validation_problem(errors))


def _malformed(request: HttpRequest, exc: MalformedBody) -> HttpResponse:
    field = ".".join(str(p) for p in exc.path) or None
    errors = [{"field": field, "message": _reason(exc.kind, None), "type": exc.kind}]
    return problem_response(request, _validation_problem(errors))


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return problem_response(request, request_too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problem_response(request, Problem("not_authenticated", status=401))
    response["WWW-Authenticate"] = 'Bearer realm="netcourt"'
    return response


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(request, Problem("not_found", status=404))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, MalformedBody):  # ninja's wrapping of the parser's refusal
        return _malformed(request, exc.__cause__)
    code = "permission_denied" if exc.status_code == 403 else "validation_error"
    if exc.status_code == 429:
        code = "rate_limited"
    return problem_response(request, Problem(code, status=exc.status_code))


def _register_routers() -> None:
    from netcourt.cases.api import router as cases_router
    from netcourt.cases.fees_api import router as fees_router
    from netcourt.courts.api import router as courts_router
    from netcourt.evidence.api import router as evidence_router
    from netcourt.evidence.api import uploads_router

    api.add_router("/v1/cases", cases_router)
    api.add_router("/v1/courts", courts_router)
    api.add_router("/v1/fees", fees_router)
    api.add_router("/v1/cases", evidence_router)
    api.add_router("/v1/uploads", uploads_router)
    api.add_router("/v1/platforms", "netcourt.evidence.platform_api.router")
    api.add_router("/v1/cases", "netcourt.service.api.router")
    api.add_router("/v1/cases", "netcourt.hearings.api.router")


_register_routers()
