"""OpenID Connect eID: a relying party that verifies who a person is (not a way to sign in).

A deployment names one provider in ``NETCOURT_EID`` (a JSON object; see ``EidConfig`` and
docs/security.md). The flow, for a person already signed in to netcourt:

1. ``start``: the provider's metadata comes from ``/.well-known/openid-configuration``
   (cached, like its keys, for an hour); a fresh ``state``, ``nonce`` and PKCE verifier are
   kept in the person's session, and they are sent to the authorization endpoint
   (authorization code flow, PKCE S256, ``prompt=login``).
2. ``complete``, at the callback: the flow is taken out of the session (a second use of the
   same answer finds nothing), the ``state`` must match and be at most ten minutes old, the
   provider must name itself (``iss``, RFC 9207) when it says it does, an ``error`` is
   refused with a clear message; the code is exchanged at the token endpoint
   (``client_secret_basic`` or ``client_secret_post``, with the PKCE verifier).
3. The ID token is checked: signed with an allowed algorithm (RS256 and ES256 by default;
   never ``none``; HS256 and the like only when the deployment lists them, keyed by the client
   secret) by a key of the provider's JWKS (fetched again once for an unknown ``kid``); ``iss``
   is the issuer, ``aud`` names the client (with ``azp`` when there are several audiences),
   ``exp`` and ``iat`` hold with a small leeway on the court's clock, ``nonce`` is the
   session's. Claims missing from the token are asked of the userinfo endpoint, whose ``sub``
   must be the token's.
4. The mapped claims go to ``identity.verify_eid``. Every refusal is a ``Problem``
   (``eid_unavailable``, ``eid_refused``, ``eid_invalid``) and writes nothing.

Refusals are logged with the provider, the problem code and a reason code: never a token, an
authorization code or a claim.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
import re
import secrets
from dataclasses import asdict, dataclass
from typing import Any, Literal
from urllib.parse import quote_plus, urlencode, urlsplit

import httpx
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from joserfc import jwk, jwt
from joserfc.errors import JoseError
from joserfc.jws import extract_compact
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from netcourt.accounts import identity
from netcourt.accounts.models import IdentityVerification
from netcourt.core import clock
from netcourt.core.i18n import current_language
from netcourt.core.problems import Problem
from netcourt.procedure import load_pack
from netcourt.procedure.schema import Text

log = logging.getLogger(__name__)

SESSION_KEY = "netcourt.eid"
FLOW_SECONDS = 600  # from start to callback
METADATA_SECONDS = 3600  # how long discovery and keys are cached
PROVIDER_MAX_LENGTH = 40  # IdentityVerification.provider
# The key type each signing algorithm needs; "none" is not among them, ever.
KEY_TYPES = {
    "RS256": "RSA",
    "RS384": "RSA",
    "RS512": "RSA",
    "PS256": "RSA",
    "PS384": "RSA",
    "PS512": "RSA",
    "ES256": "EC",
    "ES384": "EC",
    "ES512": "EC",
    "HS256": "oct",
    "HS384": "oct",
    "HS512": "oct",
}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class ClaimMapping(BaseModel):
    """Which claim of the provider holds what netcourt keeps."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    legal_name: str = "name"
    document_number: str | None = None
    document_kind: str | None = None


class EidConfig(BaseModel):
    """``NETCOURT_EID``: the provider, netcourt's client there, and what it is trusted for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    issuer: str
    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1, repr=False)
    scopes: tuple[str, ...] = ("openid", "profile")
    claims: ClaimMapping = ClaimMapping()
    # The kind of document whose number the provider gives, when no claim says.
    document_kind: str | None = None
    level: str = "eid_verified"
    name: Text | None = None
    # How netcourt authenticates at the token endpoint (method names, not secrets).
    token_auth: Literal["client_secret_basic", "client_secret_post"] = "client_secret_basic"  # noqa: S105
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    leeway: int = Field(60, ge=0, le=300)
    timeout: float = Field(10.0, gt=0, le=60)

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        _check_url(value)
        host = urlsplit(value).hostname or ""
        if len(f"oidc:{host}") > PROVIDER_MAX_LENGTH:
            raise ValueError(f"the issuer's host name is longer than {PROVIDER_MAX_LENGTH - 5}")
        return value

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return value if "openid" in value else ("openid", *value)

    @field_validator("algorithms")
    @classmethod
    def _algorithms(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [alg for alg in value if alg not in KEY_TYPES]
        if unknown or not value:
            raise ValueError(f"choose among {', '.join(KEY_TYPES)} (not {unknown})")
        return value

    @field_validator("document_kind")
    @classmethod
    def _document_kind(cls, value: str | None) -> str | None:
        if value is not None and value not in identity.PERSONAL_DOCUMENTS:
            raise ValueError(f"choose among {', '.join(identity.PERSONAL_DOCUMENTS)}")
        return value

    @model_validator(mode="after")
    def _kind_of_number(self) -> EidConfig:
        if self.claims.document_number and not (self.claims.document_kind or self.document_kind):
            raise ValueError("a document number needs document_kind, or a claim that gives it")
        return self

    @property
    def provider(self) -> str:
        """How verifications name this provider: ``oidc:<issuer host>``."""
        return f"oidc:{urlsplit(self.issuer).hostname}"

    def display_name(self) -> str:
        if self.name is not None:
            return self.name.get(current_language())
        return urlsplit(self.issuer).hostname or self.issuer


@dataclass(frozen=True)
class Metadata:
    """What netcourt uses of the provider's discovery document."""

    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    # The provider names itself in authorization responses (RFC 9207).
    iss_parameter: bool


@dataclass(frozen=True)
class Flow:
    """One verification under way, kept in the person's session until the callback."""

    state: str
    nonce: str
    verifier: str
    next: str
    started: float


def configuration() -> EidConfig | None:
    """The configured provider, or None when the deployment has none."""
    raw = settings.NETCOURT_EID
    if not raw:
        return None
    try:
        conf = EidConfig.model_validate(raw)
    except ValidationError as error:
        # Only where and what: the values (the client secret among them) stay out of it.
        faults = "; ".join(
            f"{'.'.join(map(str, fault['loc'])) or '(top)'}: {fault['msg']}"
            for fault in error.errors()
        )
        raise ImproperlyConfigured(f"NETCOURT_EID: {faults}") from None
    if conf.level not in load_pack(settings.NETCOURT_DEFAULT_PACK).assurance_levels:
        raise ImproperlyConfigured(f"NETCOURT_EID: level {conf.level!r} is not in the pack")
    return conf


def redirect_uri() -> str:
    """The callback registered with the provider, on the court's public address."""
    return settings.NETCOURT_BASE_URL.rstrip("/") + reverse("account_identity_eid_callback")


def start(request: HttpRequest, conf: EidConfig, next_url: str) -> str:
    """Keep a new flow in the session; the provider's authorization URL to send the person to."""
    try:
        meta = metadata(conf)
    except Problem as problem:
        log.warning(
            "eID provider %s: %s (%s)", conf.provider, problem.code, problem.extra["reason"]
        )
        raise
    flow = Flow(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        verifier=secrets.token_urlsafe(64),
        next=next_url,
        started=clock.now().timestamp(),
    )
    request.session[SESSION_KEY] = asdict(flow)
    challenge = hashlib.sha256(flow.verifier.encode("ascii")).digest()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": conf.client_id,
            "redirect_uri": redirect_uri(),
            "scope": " ".join(conf.scopes),
            "state": flow.state,
            "nonce": flow.nonce,
            "code_challenge": base64.urlsafe_b64encode(challenge).rstrip(b"=").decode("ascii"),
            "code_challenge_method": "S256",
            "prompt": "login",
            "ui_locales": "zh-CN en" if current_language().startswith("zh") else "en zh-CN",
        }
    )
    separator = "&" if urlsplit(meta.authorization_endpoint).query else "?"
    return f"{meta.authorization_endpoint}{separator}{query}"


def pop_flow(request: HttpRequest) -> Flow | None:
    """Take the flow under way out of the session when the answer's ``state`` is its own: an
    answer is accepted once at most, and a stray or forged callback (which anyone can make a
    browser open) leaves the verification under way alone."""
    stored = request.session.get(SESSION_KEY)
    try:
        flow = Flow(**stored) if isinstance(stored, dict) else None
    except TypeError:
        flow = None
    state = request.GET.get("state", "")
    if flow is None or not secrets.compare_digest(state.encode(), flow.state.encode()):
        return None
    request.session.pop(SESSION_KEY, None)
    return flow


def complete(request: HttpRequest, conf: EidConfig, flow: Flow | None) -> IdentityVerification:
    """Check the provider's answer to ``flow`` and store the verification it gives."""
    try:
        return _complete(request, conf, flow)
    except Problem as problem:
        log.warning(
            "eID verification with %s refused: %s (%s)",
            conf.provider,
            problem.code,
            problem.extra.get("reason", "-"),
        )
        raise


def _complete(request: HttpRequest, conf: EidConfig, flow: Flow | None) -> IdentityVerification:
    state = request.GET.get("state", "")
    if (
        flow is None
        or not secrets.compare_digest(state.encode(), flow.state.encode())
        or clock.now().timestamp() - flow.started > FLOW_SECONDS
    ):
        raise _invalid(conf, "state", status=400)
    meta = metadata(conf)
    issuer = request.GET.get("iss")
    if (issuer is None and meta.iss_parameter) or (issuer is not None and issuer != conf.issuer):
        raise _invalid(conf, "iss_parameter", status=400)
    error = request.GET.get("error")
    if error is not None:
        raise _provider_error(conf, error)
    code = request.GET.get("code")
    if not code:
        raise _invalid(conf, "code", status=400)
    tokens = _exchange(conf, meta, code, flow.verifier)
    claims = _id_token_claims(conf, meta, tokens["id_token"], flow.nonce)
    claims = _with_userinfo(conf, meta, tokens, claims)
    return _verify(request, conf, claims)


def metadata(conf: EidConfig) -> Metadata:
    """The provider's discovery document (OpenID Connect Discovery 1.0), cached."""
    key = _cache_key("discovery", conf.issuer)
    cached = cache.get(key)
    if isinstance(cached, dict):
        return Metadata(**cached)
    doc = _json_of(
        conf, _request(conf, "GET", f"{conf.issuer.rstrip('/')}/.well-known/openid-configuration")
    )
    if doc.get("issuer") != conf.issuer:
        raise _unavailable(conf, "discovery_issuer")
    try:
        meta = Metadata(
            authorization_endpoint=_endpoint(doc, "authorization_endpoint"),
            token_endpoint=_endpoint(doc, "token_endpoint"),
            jwks_uri=_endpoint(doc, "jwks_uri"),
            userinfo_endpoint=_endpoint(doc, "userinfo_endpoint")
            if doc.get("userinfo_endpoint") is not None
            else None,
            iss_parameter=doc.get("authorization_response_iss_parameter_supported") is True,
        )
    except ValueError:
        raise _unavailable(conf, "discovery_endpoints") from None
    cache.set(key, asdict(meta), METADATA_SECONDS)
    return meta


def validate_id_token(
    conf: EidConfig, token: str, nonce: str, jwks: dict[str, Any]
) -> dict[str, Any]:
    """The claims of an ID token that passes every check against the key set ``jwks``;
    otherwise ``eid_invalid`` with the check that failed as ``reason`` (``unknown_key`` when
    no key of the set fits, so that the caller may fetch the set again)."""
    try:
        header = extract_compact(token.encode("ascii")).headers()
    except (JoseError, ValueError, UnicodeError):
        raise _invalid(conf, "id_token_format") from None
    alg = header.get("alg")
    if alg not in conf.algorithms:
        raise _invalid(conf, "alg")
    key = _signing_key(conf, header, jwks)
    try:
        claims = jwt.decode(token, key, algorithms=[alg]).claims
    except (JoseError, ValueError):
        raise _invalid(conf, "signature") from None
    now = clock.now().timestamp()
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    subject = claims.get("sub")
    if claims.get("iss") != conf.issuer:
        raise _invalid(conf, "iss")
    if not isinstance(audiences, list) or conf.client_id not in audiences:
        raise _invalid(conf, "aud")
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != conf.client_id:
        raise _invalid(conf, "azp")
    if not _numeric(claims.get("exp")) or claims["exp"] <= now - conf.leeway:
        raise _invalid(conf, "exp")
    if not _numeric(claims.get("iat")) or claims["iat"] > now + conf.leeway:
        raise _invalid(conf, "iat")
    claimed_nonce = claims.get("nonce")
    if not isinstance(claimed_nonce, str) or not secrets.compare_digest(
        claimed_nonce.encode(), nonce.encode()
    ):
        raise _invalid(conf, "nonce")
    if not isinstance(subject, str) or not 0 < len(subject) <= 255:
        raise _invalid(conf, "sub")
    return claims


def _id_token_claims(conf: EidConfig, meta: Metadata, token: str, nonce: str) -> dict[str, Any]:
    try:
        return validate_id_token(conf, token, nonce, _jwks(conf, meta))
    except Problem as problem:
        if problem.extra.get("reason") != "unknown_key":
            raise
    # The provider may have rotated its keys since they were cached.
    return validate_id_token(conf, token, nonce, _jwks(conf, meta, refresh=True))


def _signing_key(conf: EidConfig, header: dict[str, Any], jwks: dict[str, Any]) -> jwk.Key:
    alg = header["alg"]
    if KEY_TYPES[alg] == "oct":
        # Only when the deployment listed an HS algorithm: keyed by the client secret.
        return jwk.OctKey.import_key(conf.client_secret)
    kid = header.get("kid")
    keys = jwks.get("keys")
    found = [
        key
        for key in (keys if isinstance(keys, list) else [])
        if isinstance(key, dict)
        and key.get("kty") == KEY_TYPES[alg]
        and key.get("use", "sig") == "sig"
        and key.get("alg", alg) == alg
        and (kid is None or key.get("kid") == kid)
    ]
    if not found:
        raise _invalid(conf, "unknown_key")
    if len(found) > 1:
        raise _invalid(conf, "ambiguous_key")
    try:
        return jwk.import_key(found[0])
    except (JoseError, ValueError):
        raise _invalid(conf, "jwks") from None


def _jwks(conf: EidConfig, meta: Metadata, *, refresh: bool = False) -> dict[str, Any]:
    key = _cache_key("jwks", conf.issuer)
    cached = None if refresh else cache.get(key)
    if isinstance(cached, dict):
        return cached
    jwks = _json_of(conf, _request(conf, "GET", meta.jwks_uri))
    cache.set(key, jwks, METADATA_SECONDS)
    return jwks


def _exchange(conf: EidConfig, meta: Metadata, code: str, verifier: str) -> dict[str, Any]:
    """The token response for ``code`` (RFC 6749 §4.1.3, with the PKCE verifier)."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri(),
        "code_verifier": verifier,
    }
    auth = None
    if conf.token_auth == "client_secret_post":  # noqa: S105 - a method name
        form |= {"client_id": conf.client_id, "client_secret": conf.client_secret}
    else:  # RFC 6749 §2.3.1: each part form-encoded, then HTTP Basic
        auth = (quote_plus(conf.client_id), quote_plus(conf.client_secret))
    response = _request(
        conf,
        "POST",
        meta.token_endpoint,
        data=form,
        auth=auth,
        headers={"Accept": "application/json"},
    )
    if response.status_code != 200 and response.status_code < 500:
        body = _json_or_empty(response)
        raise _invalid(conf, f"token_endpoint:{_error_code(body.get('error'))}")
    tokens = _json_of(conf, response)
    if not isinstance(tokens.get("id_token"), str):
        raise _invalid(conf, "id_token_missing")
    return tokens


def _with_userinfo(
    conf: EidConfig, meta: Metadata, tokens: dict[str, Any], claims: dict[str, Any]
) -> dict[str, Any]:
    """The ID token's claims, completed from the userinfo endpoint when a mapped claim is
    missing; the token's own claims win."""
    mapped = [name for name in conf.claims.model_dump().values() if name is not None]
    access_token = tokens.get("access_token")
    if (
        all(name in claims for name in mapped)
        or meta.userinfo_endpoint is None
        or not isinstance(access_token, str)
        or str(tokens.get("token_type", "")).lower() != "bearer"
    ):
        return claims
    response = _request(
        conf,
        "GET",
        meta.userinfo_endpoint,
        headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
    )
    if response.status_code != 200 and response.status_code < 500:
        raise _invalid(conf, "userinfo")
    info = _json_of(conf, response)
    if info.get("sub") != claims["sub"]:
        raise _invalid(conf, "userinfo_sub")
    return {**info, **claims}


def _verify(request: HttpRequest, conf: EidConfig, claims: dict[str, Any]) -> IdentityVerification:
    mapping = conf.claims
    name = claims.get(mapping.legal_name)
    number = claims.get(mapping.document_number) if mapping.document_number else None
    kind = claims.get(mapping.document_kind) if mapping.document_kind else None
    kind = kind if kind is not None else conf.document_kind
    if number is not None and (
        not isinstance(number, str) or kind not in identity.PERSONAL_DOCUMENTS
    ):
        raise _invalid(conf, "document")
    return identity.verify_eid(
        request.user,
        provider=conf.provider,
        level=conf.level,
        issuer=conf.issuer,
        subject=claims["sub"],
        legal_name=name if isinstance(name, str) else "",
        kind=kind,
        number=number,
        request=request,
    )


def _request(conf: EidConfig, method: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        with httpx.Client(timeout=conf.timeout, follow_redirects=False) as client:
            response = client.request(method, url, **kwargs)
    except httpx.HTTPError as error:
        raise _unavailable(conf, f"{urlsplit(url).path}:{type(error).__name__}") from None
    if response.status_code >= 500:
        raise _unavailable(conf, f"{urlsplit(url).path}:{response.status_code}")
    return response


def _json_of(conf: EidConfig, response: httpx.Response) -> dict[str, Any]:
    body = _json_or_empty(response) if response.status_code == 200 else {}
    if not body:
        raise _unavailable(conf, f"{response.url.path}:{response.status_code}")
    return body


def _json_or_empty(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def _endpoint(doc: dict[str, Any], name: str) -> str:
    value = doc.get(name)
    if not isinstance(value, str):
        raise ValueError(name)
    _check_url(value)
    return value


def _check_url(value: str) -> None:
    """HTTPS, or HTTP on this machine's loopback only (for tests and local trials)."""
    parts = urlsplit(value)
    if not parts.hostname or parts.fragment:
        raise ValueError("not an absolute URL")
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK):
        raise ValueError("must use https (plain http only on 127.0.0.1 or localhost)")


def _numeric(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _error_code(value: object) -> str:
    """An OAuth error code fit for a log line; anything else is "other"."""
    return value if isinstance(value, str) and re.fullmatch(r"[a-z_]{1,40}", value) else "other"


def _cache_key(kind: str, issuer: str) -> str:
    return f"netcourt.eid:{kind}:{hashlib.sha256(issuer.encode()).hexdigest()[:32]}"


def _provider_error(conf: EidConfig, error: str) -> Problem:
    code = _error_code(error)
    if code in ("server_error", "temporarily_unavailable"):
        return _unavailable(conf, f"authorization:{code}")
    if code == "access_denied":
        message = translation.gettext(
            "%(provider)s did not confirm your identity: the sign-in there was cancelled or "
            "refused. Nothing was changed."
        )
    else:
        message = translation.gettext(
            "%(provider)s did not confirm your identity. Nothing was changed; start again, "
            "and if it happens again, ask the court for help."
        )
    return Problem(
        "eid_refused",
        message % {"provider": conf.display_name()},
        status=403,
        extra={"reason": code},
    )


def _unavailable(conf: EidConfig, reason: str) -> Problem:
    return Problem(
        "eid_unavailable",
        translation.gettext(
            "%(provider)s cannot be reached just now, so your identity could not be verified. "
            "Nothing was changed; try again later."
        )
        % {"provider": conf.display_name()},
        status=503,
        extra={"reason": reason},
    )


def _invalid(conf: EidConfig, reason: str, *, status: int = 502) -> Problem:
    if reason == "state":
        message = translation.gettext(
            "This answer from %(provider)s does not belong to a verification started here, or "
            "it came too late. Nothing was changed; start again."
        )
    else:
        message = translation.gettext(
            "The answer from %(provider)s did not pass the court's checks, so it was not "
            "accepted. Nothing was changed; start again, and if it happens again, ask the "
            "court for help."
        )
    return Problem(
        "eid_invalid",
        message % {"provider": conf.display_name()},
        status=status,
        extra={"reason": reason},
    )
