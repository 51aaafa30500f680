"""Who a person is, and how sure the court is of it.

A *provider* checks an identity and produces a signed assertion at one of the pack's
assurance levels (lowest first: ``self_asserted`` < ``document_checked`` < ``eid_verified``
in ``cn_internet_court``). Each pack event may name the level a person needs to take it
(``assurance``); a deployment can raise any of them with ``NETCOURT_ASSURANCE``, never lower.

The built-in provider, the embedded default, checks an identity document's number with
``netcourt.identity.numbers`` (format, date of birth, check character) and that no other
account holds it. It never sees the document, so it gives ``document_checked`` only.

The OpenID Connect eID provider (``netcourt.accounts.oidc``) gives the level its deployment
configures (``eid_verified`` by default); ``verify_eid`` stores what it confirmed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation

from netcourt.accounts import security
from netcourt.accounts.models import IdentityVerification
from netcourt.core import clock, ratelimit, vault
from netcourt.core.i18n import current_language
from netcourt.core.problems import Problem
from netcourt.core.text import has_forbidden_characters
from netcourt.identity import numbers
from netcourt.procedure import Event, Pack, load_pack

DOCUMENT_CHECK = "document_check"
DOCUMENT_CHECK_LEVEL = "document_checked"
PERSONAL_DOCUMENTS = ("prc-id", "passport-cn", "passport", "hk-macao-permit", "taiwan-permit")
# An eID subject held as the identifier when the provider gives no document number.
EID_SUBJECT = "oidc-sub"
ASSERTION_SALT = "netcourt.identity.assertion"
# Checks per person and per IP address an hour: enough for typos, too few to probe which
# numbers are held by an account (identity_in_use says so).
CHECKS_PER_PERSON = 5
CHECKS_PER_ADDRESS = 20


def active(user: Any) -> IdentityVerification | None:
    """The person's strongest verification that is not revoked and whose signed assertion
    still matches it (a row edited in the database does not count)."""
    pack = load_pack(settings.NETCOURT_DEFAULT_PACK)
    held = [
        v
        for v in IdentityVerification.objects.filter(user=user, revoked_at__isnull=True)
        if assertion_valid(v)
    ]
    return max(held, key=lambda v: pack.assurance_rank(v.level), default=None)


def levels_of(user_ids: list[int]) -> dict[int, str]:
    """Each person's strongest level, for showing on a case page (one query)."""
    pack = load_pack(settings.NETCOURT_DEFAULT_PACK)
    best: dict[int, str] = {}
    rows = IdentityVerification.objects.filter(user_id__in=user_ids, revoked_at__isnull=True)
    for verification in rows:
        user_id, level = verification.user_id, verification.level
        if assertion_valid(verification) and pack.assurance_rank(level) > pack.assurance_rank(
            best.get(user_id)
        ):
            best[user_id] = level
    return best


def required_level(pack: Pack, event: Event) -> str | None:
    """The level ``event`` needs: the pack's, or the deployment's when that is higher."""
    needed = event.assurance
    raised = settings.NETCOURT_ASSURANCE.get(event.id)
    if raised in pack.assurance_levels and pack.assurance_rank(raised) > pack.assurance_rank(
        needed
    ):
        needed = raised
    return needed


def require_assurance(user: Any, pack: Pack, event: Event) -> None:
    needed = required_level(pack, event)
    if needed is None:
        return
    held = active(user)
    have = held.level if held is not None else None
    if pack.assurance_rank(have) >= pack.assurance_rank(needed):
        return
    lang = current_language()
    raise Problem(
        "assurance_required",
        translation.gettext(
            "Before you can take this step the court must know who you are: it needs "
            "“%(needed)s” (you have: %(have)s). Verify your identity under Account security → "
            "Identity, then try again."
        )
        % {
            "needed": pack.assurance_levels[needed].label.get(lang),
            "have": pack.assurance_levels[have].label.get(lang)
            if have is not None and have in pack.assurance_levels
            else translation.gettext("no verified identity"),
        },
        status=403,
        extra={"required": needed, "current": have, "verify_url": reverse("account_identity")},
    )


def verify_document(
    user: Any, legal_name: str, kind: str, number: str, request: HttpRequest | None = None
) -> IdentityVerification:
    """The built-in document check: all or nothing, and the number is never stored in clear.
    Typing mistakes (a name or number that cannot be one) do not count towards the limit of
    checks: it is there against trying numbers to learn which an account holds, and a
    malformed number learns nothing."""
    name = clean_name(legal_name)
    if name is None:
        raise Problem(
            "input_invalid",
            translation.gettext("Give your full legal name as it appears on the document."),
            field="legal_name",
            status=422,
        )
    if kind not in PERSONAL_DOCUMENTS:
        raise Problem(
            "input_invalid",
            translation.gettext("Choose one of the identity documents listed."),
            field="document_kind",
            status=422,
        )
    result = numbers.validate(kind, number, today=clock.today())
    if not result.valid:
        lang = current_language()
        raise Problem(
            "identity_number_invalid",
            " ".join(f.message.get(lang) for f in result.findings),
            field="number",
            status=422,
            extra={
                "findings": [
                    {"code": f.code, "message": f.message.get(lang)} for f in result.findings
                ]
            },
        )
    _limit(user, request)
    _keys_present()
    lookup = vault.lookup(kind, result.number)
    return _store(
        user,
        request,
        level=DOCUMENT_CHECK_LEVEL,
        provider=DOCUMENT_CHECK,
        name=name,
        kind=kind,
        identifier=result.number,
        lookup=lookup,
        masked=numbers.mask(kind, result.number),
        in_use=_in_use,
    )


def verify_eid(
    user: Any,
    *,
    provider: str,
    level: str,
    issuer: str,
    subject: str,
    legal_name: str,
    kind: str | None = None,
    number: str | None = None,
    request: HttpRequest | None = None,
) -> IdentityVerification:
    """Store what an eID provider confirmed, all or nothing. With a document number the
    verification holds that document (one document, one account, as for the document check);
    without one it holds the eID subject itself (``oidc-sub``: one subject, one account)."""
    name = clean_name(legal_name)
    if name is None:
        raise Problem(
            "eid_invalid",
            translation.gettext(
                "The identity provider did not give your full legal name, so your identity "
                "could not be verified. Nothing was changed; ask the court for help."
            ),
            status=502,
            extra={"reason": "legal_name"},
        )
    _keys_present()
    subject_lookup = vault.lookup(EID_SUBJECT, f"{issuer} {subject}")
    if number is None or kind is None:
        kind, identifier, lookup = EID_SUBJECT, subject, subject_lookup
        masked = _mask_identifier(subject)
        in_use = _eid_in_use
    else:
        result = numbers.validate(kind, number, today=clock.today())
        if not result.valid:
            raise Problem(
                "eid_invalid",
                translation.gettext(
                    "The identity provider gave a document number that is not valid, so your "
                    "identity could not be verified. Nothing was changed; ask the court for help."
                ),
                status=502,
                extra={"reason": "document_number"},
            )
        identifier, lookup = result.number, vault.lookup(kind, result.number)
        masked = numbers.mask(kind, result.number)
        in_use = _in_use
    return _store(
        user,
        request,
        level=level,
        provider=provider,
        name=name,
        kind=kind,
        identifier=identifier,
        lookup=lookup,
        masked=masked,
        in_use=in_use,
        claims={"issuer": issuer, "subject_lookup": subject_lookup},
    )


def clean_name(legal_name: str) -> str | None:
    """The name with its spaces normalised, or None when it cannot be a person's legal name
    (empty, too long, or holding what a name may not: `has_forbidden_characters`)."""
    name = " ".join(legal_name.split())
    if (
        not name
        or len(name) > 200
        or not name.isprintable()
        or has_forbidden_characters(name, one_line=True)
    ):
        return None
    return name


def _store(
    user: Any,
    request: HttpRequest | None,
    *,
    level: str,
    provider: str,
    name: str,
    kind: str,
    identifier: str,
    lookup: str,
    masked: str,
    in_use: Callable[[], Problem],
    claims: dict[str, str] | None = None,
) -> IdentityVerification:
    """One verification: refused when another account holds the same identifier at the same
    or a higher level (a weaker hold by another account is revoked); replaces the
    person's earlier one from the same provider and any of theirs that holds the same
    identifier at the same or a lower level (one at a higher level stays, and is returned).
    The identifier is kept only sealed, hashed and masked."""
    now = clock.now()
    try:
        with transaction.atomic():
            holder = (
                IdentityVerification.objects.select_for_update()
                .filter(document_kind=kind, number_lookup=lookup, revoked_at__isnull=True)
                .first()
            )
            if holder is not None and holder.user_id != user.pk:
                if _rank(holder.level) >= _rank(level):
                    raise in_use()
                # A stronger check of the same identifier wins: a weaker claim to it by another
                # account (anyone who knows a number can pass the document check) is revoked,
                # and that account's owner sees it in their security history.
                holder.revoked_at = now
                holder.save(update_fields=["revoked_at"])
                security.record(
                    holder.user, "account:identity:superseded", None, level=holder.level
                )
                holder = None
            if holder is not None and _rank(holder.level) > _rank(level):
                return holder  # already verified with this identifier, at a higher level
            IdentityVerification.objects.filter(user=user, revoked_at__isnull=True).filter(
                Q(provider=provider) | Q(document_kind=kind, number_lookup=lookup)
            ).update(revoked_at=now)
            verification = IdentityVerification.objects.create(
                user=user,
                level=level,
                provider=provider,
                document_kind=kind,
                legal_name=name,
                number_sealed=vault.seal_text(identifier, _context(user.pk, kind, lookup)),
                number_lookup=lookup,
                number_masked=masked,
                assertion=signing.dumps(
                    {
                        "sub": user.pk,
                        "level": level,
                        "provider": provider,
                        "document": kind,
                        "number_lookup": lookup,
                        **(claims or {}),
                        "at": now.isoformat(),
                    },
                    salt=ASSERTION_SALT,
                ),
                verified_at=now,
            )
            security.record(user, "account:identity:verified", request, level=level)
    except IntegrityError:
        raise in_use() from None
    return verification


def document_number(verification: IdentityVerification) -> str:
    """The number in clear, for the rare screen that must show it (never logged)."""
    context = _context(verification.user_id, verification.document_kind, verification.number_lookup)
    return vault.open_text(verification.number_sealed, context)


def assertion_valid(verification: IdentityVerification) -> bool:
    try:
        claims = signing.loads(verification.assertion, salt=ASSERTION_SALT)
    except signing.BadSignature:
        return False
    return bool(
        claims.get("sub") == verification.user_id
        and claims.get("level") == verification.level
        and claims.get("number_lookup") == verification.number_lookup
    )


def _limit(user: Any, request: HttpRequest | None) -> None:
    allowed = ratelimit.allow("identity-check", str(user.pk), CHECKS_PER_PERSON, 3600)
    address = request.META.get("REMOTE_ADDR") if request is not None else None
    if address:
        allowed = (
            ratelimit.allow("identity-check-ip", address, CHECKS_PER_ADDRESS, 3600) and allowed
        )
    if not allowed:
        raise Problem(
            "rate_limited",
            translation.gettext("Too many identity checks. Try again in an hour."),
            status=429,
        )


def _keys_present() -> None:
    """Refuse to go on when sealed numbers exist but the vault's keys file is gone (a wrong
    data directory, a database restored without its keys): new keys would open none of them
    and would hash every number differently, so one document could verify two accounts."""
    if (
        not vault.keys_from_environment()
        and not vault.keys_file().exists()
        and IdentityVerification.objects.exists()
    ):
        raise ImproperlyConfigured(
            f"identity numbers are sealed but there are no vault keys at {vault.keys_file()}: "
            "restore the keys file from its backup (or set NETCOURT_VAULT_KEYS)"
        )


def _context(user_id: int, kind: str, lookup: str) -> str:
    """Binds a sealed number to its person and its own lookup hash: copied to another row or
    another person, it does not open."""
    return f"identity-number:{user_id}:{kind}:{lookup}"


def _in_use() -> Problem:
    return Problem(
        "identity_in_use",
        translation.gettext(
            "This document is already verified for another account. Each person has one "
            "account; if it is yours, sign in to it, or ask the court for help."
        ),
        field="number",
        status=409,
    )


def _rank(level: str) -> int:
    return load_pack(settings.NETCOURT_DEFAULT_PACK).assurance_rank(level)


def _eid_in_use() -> Problem:
    return Problem(
        "identity_in_use",
        translation.gettext(
            "This electronic identity is already verified for another account. Each person "
            "has one account; if it is yours, sign in to it, or ask the court for help."
        ),
        status=409,
    )


def _mask_identifier(value: str) -> str:
    """An identifier with its middle hidden, as ``numbers.mask`` does, in at most 40
    characters: at most 4 characters kept at each end and never more than half of it."""
    shown = min(8, len(value) // 2)
    head = shown // 2
    tail = shown - head
    return value[:head] + "*" * min(len(value) - shown, 32) + value[len(value) - tail :]
