"""The HTTP API: /api/v1/, OpenAPI 3.1 at /api/openapi.json, problem+json errors."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.docs import DocsBase
from ninja.security import HttpBearer, SessionAuth

from netcourt.accounts.tokens import user_for_token
from netcourt.core.problems import Problem, problem_response


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            if user.preferred_language:  # answers in the person's language, as on the site
                translation.activate(user.preferred_language)
                request.LANGUAGE_CODE = user.preferred_language
            request.user = user
        return user


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
    auth=[BearerToken(), SessionAuth()],
    urls_namespace="api",
    docs=ApiReference(),
)


@api.exception_handler(Problem)
def _problem(request: HttpRequest, exc: Problem) -> HttpResponse:
    return problem_response(request, exc)


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    def field(loc: tuple[Any, ...]) -> str | None:
        parts = list(loc[2:] if loc and loc[0] == "body" else loc[1:])
        return ".".join(str(part) for part in parts) or None

    errors = [
        {
            "field": field(tuple(e.get("loc", ()))),
            "message": e.get("msg", ""),
            "type": e.get("type", ""),
        }
        for e in exc.errors
    ]
    first = next((e["field"] for e in errors if e["field"]), None)
    return problem_response(
        request, Problem("validation_error", status=422, field=first, extra={"errors": errors})
    )


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
