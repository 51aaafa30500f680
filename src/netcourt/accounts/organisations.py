"""Organisations and the people who act for them; documents the court holds outside a case.

An organisation is known by its unified social credit code (GB 32100-2015, checked by
``netcourt.identity.numbers``). A signed-in person with a checked identity asks to act for
one — as its legal representative (with the document that shows it, e.g. the business
licence) or as a staff member with the organisation's written authorisation — and a clerk of
the court approves or refuses, with reasons. An approved member holds the organisation's
place in every case where a party is linked to it (``netcourt.cases.policy``); ending the
membership (by the member, or by a clerk) ends that at the next request.

Files sent here (an authorisation, or a power of attorney with a request to represent a party,
``netcourt.cases.representation``) are checked as evidence is and kept encrypted under a key
of their own (`HeldDocument`); the blob is written before the row that points to it commits.
"""

from __future__ import annotations

import functools
import logging
import secrets
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from smtplib import SMTPException
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import translation

from netcourt.accounts import identity, security
from netcourt.accounts.models import (
    HeldDocument,
    MemberRole,
    MemberStatus,
    Organisation,
    OrganisationMember,
)
from netcourt.core import clock, ratelimit
from netcourt.core import vault as core_vault
from netcourt.core.downloads import file_download
from netcourt.core.i18n import current_language
from netcourt.core.problems import NotFound, Problem
from netcourt.core.text import clean_text
from netcourt.courts.models import CourtMembership, CourtRole
from netcourt.identity.numbers import validate
from netcourt.procedure import load_pack
from netcourt.vault import (
    Kek,
    KeySet,
    from_text,
    open_sealed,
    read_plaintext,
    seal,
    store_encrypted,
    to_text,
)
from netcourt.vault.keys import KEY_BYTES

log = logging.getLogger(__name__)

MAX_NAME = 200
MAX_REASONS = 5000
# The level a person needs before acting for an organisation: the one filing needs.
REQUIRED_LEVEL = "document_checked"


# --- documents held outside a case ---------------------------------------------------------


@dataclass(frozen=True)
class Incoming:
    """A file that has arrived (encrypted in the staging area) and is waiting to be checked:
    ``opener`` gives its bytes from the start; ``discard`` removes the staging copy."""

    opener: Callable[[], AbstractContextManager[Any]]
    size: int
    filename: str
    discard: Callable[[], None]


def _evidence_rules() -> Any:
    rules = load_pack(settings.NETCOURT_DEFAULT_PACK).evidence
    if rules is None:
        raise Problem(
            "evidence_not_taken",
            translation.gettext("This court's procedure takes no evidence files."),
            status=409,
        )
    return rules


def max_document_bytes() -> int:
    """The largest document taken: the court's limit for evidence files."""
    return int(_evidence_rules().max_bytes)


def accepted_types() -> str:
    from netcourt.evidence.actions import accepted_types_for

    return accepted_types_for(_evidence_rules())


def staged_form_file(staged: Any) -> Incoming:
    """A browser form's file, staged as it arrived (``netcourt.evidence.uploads``); its
    refusal, if it was refused before it was staged."""
    from netcourt.evidence.actions import staging

    staged.taken()
    area, name = staging(), str(staged.upload_id)
    size = int(staged.size or 0)
    return Incoming(
        opener=lambda: area.open(name, staged.key, size),
        size=size,
        filename=staged.name or "",
        discard=lambda: area.remove(name),
    )


def staged_body(body: Any, length: int, filename: str) -> Incoming:
    """A request body of ``length`` bytes (an API upload in one piece), staged encrypted."""
    from netcourt.evidence.actions import staging, too_large
    from netcourt.vault.scratch import new_scratch_key

    limit = max_document_bytes()
    if length <= 0:
        raise Problem(
            "file_empty", translation.gettext("The file is empty."), field="file", status=422
        )
    if length > limit:
        raise too_large(limit)
    area, name, key = staging(), str(uuid.uuid4()), new_scratch_key()
    area.create(name)
    try:
        written = area.append(name, key, 0, body, length)
    except ValueError:
        area.remove(name)
        raise Problem(
            "upload_too_long",
            translation.gettext("More bytes arrived than the upload's announced length."),
            status=413,
        ) from None
    except BaseException:
        area.remove(name)
        raise
    if written != length:
        area.remove(name)
        raise Problem(
            "upload_incomplete",
            translation.gettext(
                "The file has not arrived in full (%(offset)s of %(length)s bytes)."
            )
            % {"offset": written, "length": length},
            status=400,
            extra={"offset": written, "length": length},
        )
    return Incoming(
        opener=lambda: area.open(name, key, length),
        size=length,
        filename=filename,
        discard=lambda: area.remove(name),
    )


def _key_context(document_id: Any) -> bytes:
    return f"accounts.held_document.key:{document_id}".encode()


def _blob_context(document_id: Any) -> bytes:
    return f"accounts.held_document:{document_id}".encode()


def _keys(document: HeldDocument) -> KeySet:
    key = open_sealed(
        core_vault.keyring(), from_text(document.sealed_key), _key_context(document.pk)
    )
    return KeySet.single(Kek(document.key_id, document.stored_at, key))


def store_document(owner: Any, purpose: str, incoming: Incoming) -> HeldDocument:
    """Check the file and keep it encrypted; slow for a big file, so outside any transaction.
    The staging copy is removed whatever happens; a refused file leaves nothing."""
    from netcourt.evidence.actions import clean_filename, refused_file, scan_policy_for
    from netcourt.evidence.scan import check
    from netcourt.evidence.store import blob_store

    try:
        filename = clean_filename(incoming.filename)
        rules = _evidence_rules()
        verdict = check(
            incoming.opener, size=incoming.size, filename=filename, policy=scan_policy_for(rules)
        )
        if not verdict.ok:
            raise refused_file(verdict, rules)
        document_id = uuid.uuid4()
        now = clock.now()
        key_id = secrets.token_hex(4)
        raw_key = secrets.token_bytes(KEY_BYTES)
        store_key = f"documents/{document_id}"
        with incoming.opener() as reader:
            stored = store_encrypted(
                blob_store(),
                store_key,
                reader,
                KeySet.single(Kek(key_id, now, raw_key)),
                _blob_context(document_id),
                max_bytes=incoming.size,
            )
        return HeldDocument.objects.create(
            id=document_id,
            owner=owner,
            purpose=purpose,
            store_key=store_key,
            sha256=stored.sha256,
            size=stored.size,
            mime=verdict.mime,
            filename=filename,
            key_id=key_id,
            sealed_key=to_text(seal(core_vault.keyring(), raw_key, _key_context(document_id))),
            stored_at=now,
        )
    finally:
        incoming.discard()


def plaintext(document: HeldDocument, span: tuple[int, int] | None = None) -> Iterator[bytes]:
    """The document's bytes, or only bytes ``first`` to ``last`` of them (`span`, both
    included), decrypted a chunk at a time (each checked before it is given)."""
    from netcourt.evidence.store import blob_store

    return read_plaintext(
        blob_store(),
        document.store_key,
        _keys(document),
        _blob_context(document.pk),
        size=document.size,
        span=span,
    )


def document_response(
    request: HttpRequest, document: HeldDocument
) -> HttpResponse | StreamingHttpResponse:
    """The document as a download, whole or the byte range asked for."""
    return file_download(
        request,
        functools.partial(plaintext, document),
        mime=document.mime,
        size=document.size,
        filename=document.filename,
        sha256=document.sha256,
    )


# --- e-mail to one person ------------------------------------------------------------------


def tell(person: Any, compose: Callable[[], tuple[str, str]]) -> None:
    """E-mail ``person`` in their own language once the transaction commits; a failed send
    is logged, never fatal."""

    def send() -> None:
        if not person.email or not person.is_active:
            return
        with translation.override(person.preferred_language or settings.LANGUAGE_CODE):
            subject, body = compose()
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [person.email])
        except (OSError, SMTPException) as error:
            log.warning(
                "notification not sent: recipient=%s error=%s", person.pk, type(error).__name__
            )

    transaction.on_commit(send)


# --- checks shared with the cases app --------------------------------------------------------


def normalise_credit_code(value: str, field: str = "credit_code") -> str:
    """The code, normalised, when it is a valid USCC; otherwise a refusal that says exactly
    why (every finding of the validator, in the reader's language)."""
    result = validate("uscc", value or "")
    if not result.valid:
        lang = current_language()
        raise Problem(
            "credit_code_invalid",
            " ".join(finding.message.get(lang) for finding in result.findings),
            field=field,
            status=422,
            extra={"findings": [finding.code for finding in result.findings]},
        )
    return result.number


def find(credit_code: str) -> Organisation:
    """The registered organisation with this (valid) code; refused when the code is invalid
    or no organisation with it is registered."""
    code = normalise_credit_code(credit_code)
    organisation = Organisation.objects.filter(credit_code=code).first()
    if organisation is None:
        raise Problem(
            "organisation_unknown",
            translation.gettext(
                "No organisation with this unified social credit code is registered with the "
                "court. Someone who acts for it registers it first (Account security → "
                "Organisations)."
            ),
            field="credit_code",
            status=422,
        )
    return organisation


def approved_memberships(user: Any) -> QuerySet[OrganisationMember]:
    if user is None or not user.is_authenticated or not user.is_active:
        return OrganisationMember.objects.none()
    return OrganisationMember.objects.filter(
        user=user, status=MemberStatus.APPROVED
    ).select_related("organisation")


def acts_for(user: Any, organisation: Organisation | int | None) -> bool:
    """Whether ``user`` is an approved member of ``organisation`` now."""
    if organisation is None:
        return False
    pk = organisation.pk if isinstance(organisation, Organisation) else organisation
    return approved_memberships(user).filter(organisation_id=pk).exists()


def is_clerk(user: Any) -> bool:
    """Clerks of any court decide who acts for an organisation."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and CourtMembership.objects.filter(user=user, role=CourtRole.CLERK, active=True).exists()
    )


def _require_clerk(user: Any) -> None:
    if not is_clerk(user):
        raise NotFound()


def require_checked_identity(user: Any) -> None:
    """Acting for someone else needs the court to know who the person is."""
    pack = load_pack(settings.NETCOURT_DEFAULT_PACK)
    held = identity.active(user)
    have = held.level if held is not None else None
    if pack.assurance_rank(have) >= pack.assurance_rank(REQUIRED_LEVEL):
        return
    raise Problem(
        "assurance_required",
        translation.gettext(
            "Before you can act for someone else the court must know who you are: verify "
            "your identity under Account security → Identity, then try again."
        ),
        status=403,
        extra={"required": REQUIRED_LEVEL, "current": have},
    )


# --- the use cases ------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    name: str
    credit_code: str
    role: str


def check_registration(user: Any, name: str, credit_code: str, role: str) -> Registration:
    """Everything about a registration that can be checked before its file is."""
    require_checked_identity(user)
    cleaned = Registration(
        name=clean_text(name, "name", MAX_NAME, one_line=True),
        credit_code=normalise_credit_code(credit_code),
        role=role,
    )
    if role not in MemberRole.values:
        raise Problem(
            "input_invalid",
            translation.gettext("Choose one of the answers offered."),
            field="role",
            status=422,
        )
    if OrganisationMember.objects.filter(
        user=user,
        organisation__credit_code=cleaned.credit_code,
        status__in=[MemberStatus.PENDING, MemberStatus.APPROVED],
    ).exists():
        raise Problem(
            "duplicate_request",
            translation.gettext(
                "You already asked to act for this organisation, or may do so already."
            ),
            field="credit_code",
            status=409,
        )
    return cleaned


def register(
    user: Any, name: str, credit_code: str, role: str, incoming: Incoming
) -> OrganisationMember:
    """Ask to act for an organisation, with the document that shows the authority. The
    organisation is registered with the first request for its code; a clerk decides."""
    try:
        cleaned = check_registration(user, name, credit_code, role)
        if not ratelimit.allow("organisation-request", str(user.pk), 10, 3600):
            raise Problem("rate_limited", status=429)
    except Problem:
        incoming.discard()
        raise
    document = store_document(user, HeldDocument.Purpose.AUTHORISATION, incoming)
    try:
        with transaction.atomic():
            organisation, _ = Organisation.objects.get_or_create(
                credit_code=cleaned.credit_code,
                defaults={"name": cleaned.name, "created_at": clock.now()},
            )
            member = OrganisationMember.objects.create(
                organisation=organisation,
                user=user,
                role=cleaned.role,
                name_given=cleaned.name,
                document=document,
                requested_at=clock.now(),
            )
            security.record(user, "account:organisation:requested", None, code=_code(member))
    except IntegrityError:  # the same request, sent twice at once
        raise Problem(
            "duplicate_request",
            translation.gettext(
                "You already asked to act for this organisation, or may do so already."
            ),
            field="credit_code",
            status=409,
        ) from None
    return member


def _code(member: OrganisationMember) -> str:
    # A credit code is public (it is printed on the business licence): the history names it.
    return member.organisation.credit_code


def pending() -> QuerySet[OrganisationMember]:
    return OrganisationMember.objects.filter(status=MemberStatus.PENDING).select_related(
        "organisation", "user", "document"
    )


def get_for_clerk(clerk: Any, member_id: int | str) -> OrganisationMember:
    _require_clerk(clerk)
    try:
        return OrganisationMember.objects.select_related(
            "organisation", "user", "document", "decided_by"
        ).get(pk=int(member_id))
    except (OrganisationMember.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def get_own(user: Any, member_id: int | str) -> OrganisationMember:
    try:
        return OrganisationMember.objects.select_related("organisation", "document").get(
            pk=int(member_id), user=user
        )
    except (OrganisationMember.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def _locked(member_id: int) -> OrganisationMember:
    return (
        OrganisationMember.objects.select_for_update()
        .select_related("organisation", "user")
        .get(pk=member_id)
    )


def _not_pending() -> Problem:
    return Problem(
        "wrong_state",
        translation.gettext("This request was decided already."),
        status=409,
    )


def approve(
    clerk: Any, member_id: int | str, *, name: str | None = None, reasons: str = ""
) -> OrganisationMember:
    """The clerk has read the document and approves; ``name`` corrects the organisation's
    registered name (to the one on its business licence)."""
    new_name = clean_text(name, "name", MAX_NAME, one_line=True) if name is not None else None
    return _decide(clerk, member_id, MemberStatus.APPROVED, reasons, new_name=new_name)


def refuse(clerk: Any, member_id: int | str, reasons: str) -> OrganisationMember:
    return _decide(clerk, member_id, MemberStatus.REFUSED, reasons)


def _decide(
    clerk: Any,
    member_id: int | str,
    status: MemberStatus,
    reasons: str,
    *,
    new_name: str | None = None,
) -> OrganisationMember:
    """A clerk's decision on a pending request (reasons required to refuse), told to the
    person and written in their security history."""
    member = get_for_clerk(clerk, member_id)
    if member.user_id == clerk.pk:
        raise Problem(
            "permission_denied",
            translation.gettext("Another clerk decides your own request."),
            status=403,
        )
    refusing = status == MemberStatus.REFUSED
    reasons = clean_text(reasons, "reasons", MAX_REASONS, required=refusing)
    with transaction.atomic():
        member = _locked(member.pk)
        if member.status != MemberStatus.PENDING:
            raise _not_pending()
        member.status = status
        member.decided_by = clerk
        member.decided_at = clock.now()
        member.reasons = reasons
        member.save(update_fields=["status", "decided_by", "decided_at", "reasons"])
        if new_name and new_name != member.organisation.name:
            member.organisation.name = new_name
            member.organisation.save(update_fields=["name"])
        tag = "account:organisation:refused" if refusing else "account:organisation:approved"
        security.record(member.user, tag, None, code=_code(member))
        _tell_member(member)
    return member


def revoke(actor: Any, member_id: int | str, reasons: str = "") -> OrganisationMember:
    """The member withdraws their request or ends their authority, or a clerk ends it (with
    reasons: the organisation said the person no longer acts for it). At once."""
    own = OrganisationMember.objects.filter(pk=_int(member_id), user=actor).exists()
    if not own:
        get_for_clerk(actor, member_id)  # 404 for anyone else
    reasons = clean_text(reasons, "reasons", MAX_REASONS, required=not own)
    # The member may withdraw a request or end an approval; a clerk ends an approval (a
    # request still waiting is refused instead, with reasons).
    open_states = (MemberStatus.PENDING, MemberStatus.APPROVED) if own else (MemberStatus.APPROVED,)
    with transaction.atomic():
        member = _locked(_int(member_id))
        if member.status not in open_states:
            raise Problem(
                "wrong_state",
                translation.gettext("This authority has ended already, or was never granted."),
                status=409,
            )
        member.status = MemberStatus.REVOKED
        member.ended_at = clock.now()
        member.ended_by = actor
        if reasons:
            member.reasons = reasons
        member.save(update_fields=["status", "ended_at", "ended_by", "reasons"])
        security.record(member.user, "account:organisation:revoked", None, code=_code(member))
        if not own:
            _tell_member(member)
    return member


def _int(value: int | str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound() from None


def _tell_member(member: OrganisationMember) -> None:
    organisation = member.organisation.name
    status = member.status
    reasons = member.reasons

    def compose() -> tuple[str, str]:
        gettext = translation.gettext
        if status == MemberStatus.APPROVED:
            subject = gettext("You may act for %(organisation)s") % {"organisation": organisation}
            body = gettext(
                "The court approved your authority to act for %(organisation)s. You now hold "
                "its place in the cases where it is a party."
            ) % {"organisation": organisation}
        elif status == MemberStatus.REFUSED:
            subject = gettext("Your request to act for %(organisation)s was refused") % {
                "organisation": organisation
            }
            body = gettext(
                "The court refused your request to act for %(organisation)s. Reasons: %(reasons)s"
            ) % {"organisation": organisation, "reasons": reasons}
        else:
            subject = gettext("Your authority to act for %(organisation)s ended") % {
                "organisation": organisation
            }
            body = gettext(
                "The court ended your authority to act for %(organisation)s. Reasons: %(reasons)s"
            ) % {"organisation": organisation, "reasons": reasons}
        link = settings.NETCOURT_BASE_URL + reverse("account_organisations")
        return subject, body + "\n\n" + link

    tell(member.user, compose)
