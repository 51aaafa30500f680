"""Consent and electronic service: who agreed to what, and serving documents with proof.

A document the pack serves (``service.documents``: the complaint copy, the fee notice, the
hearing notice, the judgment) is served on each party the pack names, by the routes that party
allows, in the pack's order (``service.channels``): the netcourt inbox, e-mail, SMS. Its legal
effect follows the pack's rule (CPL 2023 Art. 90; SPC Online Litigation Rules (2021) Art. 29):
served when it reaches an address the party agreed to; at an address they did not agree to,
only when they read it. When a route fails, or brings no effect within the pack's
``fallback_hours``, the next is tried; when every route failed the court publishes a public
notice and the document is deemed served ``public_notice_days`` later (CPL Art. 95).

Each change (sent, delivered, read, failed, served) is a ``record_service`` case event, so a
transparency-log leaf and a receipt. When every party a document goes to is served, the pack's
``when_served`` step is taken by the system (e.g. ``confirm_service`` starts the answer period).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import translation

from netcourt.accounts.models import hash_token
from netcourt.cases import documents
from netcourt.cases import policy as case_policy
from netcourt.cases.models import Case, CaseEvent, Party, PartyKind
from netcourt.core import clock, jobs
from netcourt.core.problems import NotFound, Problem
from netcourt.core.text import comparable_name
from netcourt.hearings.times import starts_line
from netcourt.ledger import sha256_hex
from netcourt.procedure import Event, Pack, TimeLimit
from netcourt.service.models import (
    Channel,
    Consent,
    ConsentKind,
    Decision,
    Delivery,
    DeliveryStatus,
    Notification,
    Service,
)

CONSENT_EVENT = "record_consent"
SERVICE_EVENT = "record_service"
E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
LANGUAGES = ("en", "zh-hans")


# --- consent -------------------------------------------------------------------------------


def current_consents(party: Party) -> dict[str, Consent]:
    """The party's standing decision on each kind of step (the latest recorded)."""
    latest: dict[str, Consent] = {}
    for consent in Consent.objects.filter(party=party).order_by("at", "id"):
        latest[consent.kind] = consent
    return latest


def agrees(party: Party, kind: str) -> bool:
    consent = current_consents(party).get(kind)
    return consent is not None and consent.decision == Decision.GIVEN


def record_consent(
    user: Any,
    case_id: UUID | str,
    party_id: int,
    kind: str,
    decision: str,
    *,
    channels: Iterable[str] = (),
    email: str = "",
    phone: str = "",
    via: str = "web",
) -> Consent:
    """Record ``user``'s party's decision on ``kind``; the next step reads it."""
    case = case_policy.get_case(user, case_id)
    if party_id not in case_policy.own_parties(user, case):
        raise Problem(
            "role_not_allowed",
            translation.gettext("You can record consent only for your own side."),
            status=403,
        )
    if kind not in ConsentKind.values:
        raise Problem("input_invalid", field="kind", status=422)
    if decision not in Decision.values:
        raise Problem("input_invalid", field="decision", status=422)
    rules = case.court.pack.service
    chosen = list(dict.fromkeys(channels))
    email, phone = email.strip(), phone.strip().replace(" ", "")
    if kind == ConsentKind.ELECTRONIC_SERVICE and decision == Decision.GIVEN:
        allowed = rules.channels if rules else ()
        if not chosen or any(c not in allowed for c in chosen):
            raise Problem(
                "input_invalid",
                translation.gettext("Choose at least one way to receive documents."),
                field="channels",
                status=422,
            )
        if Channel.EMAIL in chosen:
            try:
                validate_email(email)
            except ValidationError:
                raise Problem(
                    "input_invalid",
                    translation.gettext("Enter a valid e-mail address."),
                    field="email",
                    status=422,
                ) from None
        if Channel.SMS in chosen and not E164.match(phone):
            raise Problem(
                "input_invalid",
                translation.gettext(
                    "Enter the mobile number in international form, e.g. +8613800000000."
                ),
                field="phone",
                status=422,
            )
        if Channel.INBOX in chosen and inbox_of(Party.objects.get(pk=party_id)) is None:
            raise Problem(
                "input_invalid",
                translation.gettext("The netcourt inbox needs the party's own account."),
                field="channels",
                status=422,
            )
    else:
        chosen, email, phone = [], "", ""
    if Channel.EMAIL not in chosen:
        email = ""
    if Channel.SMS not in chosen:
        phone = ""
    from netcourt.cases import actions as case_actions

    with transaction.atomic():
        event = case_actions.fire(
            user,
            case.id,
            CONSENT_EVENT,
            None,
            {},
            extra={"party": party_id, "kind": kind, "decision": decision, "channels": chosen},
            any_version=True,
        )
        return Consent.objects.create(
            party_id=party_id,
            kind=kind,
            decision=decision,
            channels=chosen,
            email=email,
            phone=phone,
            via=via,
            by=user,
            event=event,
            at=event.at,
        )


def attendance(case: Case) -> dict[str, str]:
    """How each party takes part in a hearing, by party id: ``online`` when it agreed to
    online litigation, otherwise ``in_court`` (SPC Online Litigation Rules (2021) Art. 4: the
    court holds steps online only with the party's consent; a withdrawal takes effect for the
    steps that follow)."""
    return {
        str(party.pk): "online" if agrees(party, ConsentKind.ONLINE_LITIGATION) else "in_court"
        for party in case.people()
    }


def _attendance_line(mode: str, lang: str) -> str:
    with translation.override(lang):
        if mode == "online":
            return translation.gettext("You take part online, by video, as you agreed.")
        return translation.gettext(
            "You take part in the courtroom: you have not agreed to an online hearing. You can "
            "agree on the case's service and consent page before the hearing."
        )


# --- serving documents ---------------------------------------------------------------------


def mask_address(channel: str, address: str) -> str:
    """An address as the docket shows it: enough to recognise, not to use."""
    if channel == Channel.EMAIL and "@" in address:
        name, domain = address.split("@", 1)
        return f"{name[:1]}***@{domain}"
    if channel == Channel.SMS and len(address) > 7:
        return address[:4] + "*" * (len(address) - 8) + address[-4:]
    return ""


def inbox_of(party: Party) -> Any:
    """Whose netcourt inbox receives the party's documents: the party's own account, else its
    active representative's (service on the agent ad litem, CPL Art. 88), else an approved
    member of the party's organisation; None when the party has none of these."""
    if party.user is not None:
        return party.user
    representative = party.representatives.filter(active=True).select_related("user").first()
    if representative is not None:
        return representative.user
    if party.organisation_id is not None:
        from netcourt.accounts.models import MemberStatus, OrganisationMember

        member = (
            OrganisationMember.objects.filter(
                organisation_id=party.organisation_id, status=MemberStatus.APPROVED
            )
            .select_related("user")
            .first()
        )
        if member is not None:
            return member.user
    return None


def routes(party: Party, pack: Pack) -> list[tuple[str, str, bool]]:
    """(channel, address, consented) in the order to try them."""
    rules = pack.service
    assert rules is not None
    consent = current_consents(party).get(ConsentKind.ELECTRONIC_SERVICE)
    inbox = inbox_of(party)
    out: list[tuple[str, str, bool]] = []
    if consent is not None and consent.decision == Decision.GIVEN:
        for channel in rules.channels:
            if channel not in consent.channels:
                continue
            if channel == Channel.INBOX.value and inbox is not None:
                out.append((channel, str(inbox.pk), True))
            elif channel == Channel.EMAIL.value and consent.email:
                out.append((channel, consent.email, True))
            elif channel == Channel.SMS.value and consent.phone:
                out.append((channel, consent.phone, True))
        return out
    if consent is not None:  # refused or withdrawn: served another way (public notice)
        return out
    # Never asked: what the court knows, effective only when read (SPC Rules Art. 29).
    if inbox is not None:
        out.append((Channel.INBOX, str(inbox.pk), False))
    email = party.contact_email or (inbox.email if inbox is not None else "")
    if email:
        out.append((Channel.EMAIL, email, False))
    return out


def _compose(
    case: Case, pack: Pack, document: str, *, in_case: bool
) -> tuple[dict[str, str], dict[str, str]]:
    """The subject and body of a served document in each language, before its particulars
    for each party. A party with no way into the case (no account of its own, its
    representative's or its members') is not sent to the case page."""
    assert pack.service is not None
    served = pack.service.document(document)
    subjects: dict[str, str] = {}
    bodies: dict[str, str] = {}
    for lang in LANGUAGES:
        with translation.override(lang):
            label = served.label.get(lang)
            reference = case.number or str(case.pk)
            subjects[lang] = translation.gettext("Case %(number)s: %(document)s") % {
                "number": reference,
                "document": label,
            }
            text = (
                translation.gettext(
                    "The %(court)s serves on you: %(document)s, in case %(number)s. Open the "
                    "link to read it; the case page holds the documents and what happens next."
                )
                if in_case
                else translation.gettext(
                    "The %(court)s serves on you: %(document)s, in case %(number)s. Open the "
                    "link to read it and to confirm that you received it."
                )
            )
            values = {"court": case.court.name_in(lang), "document": label, "number": reference}
            bodies[lang] = text % values
    return subjects, bodies


def particulars(record: CaseEvent, party_id: int, lang: str) -> list[str]:
    """What serving a document on a party says besides what it serves, in ``lang``: when the
    hearing begins (a summons: served by a step that scheduled or moved a hearing), and how
    the party takes part in it."""
    lines = []
    hearing = record.payload.get("hearing")
    if hearing and "starts_at" in hearing:
        with translation.override(lang):
            starts = datetime.fromisoformat(hearing["starts_at"])
            lines.append(starts_line(starts, hearing["minutes"]))
    mode = record.payload.get("attendance", {}).get(str(party_id))
    if mode:
        lines.append(_attendance_line(mode, lang))
    return lines


def serve(case: Case, pack: Pack, record: CaseEvent) -> None:
    """The pack's documents served by the step just taken (an effect after ``record``)."""
    rules = pack.service
    if rules is None:
        return
    for document in rules.documents:
        if document.served_by != record.event:
            continue
        composed = {
            in_case: _compose(case, pack, document.id, in_case=in_case) for in_case in (True, False)
        }
        # The document's own text where netcourt writes it, once for every party it goes to:
        # what the served link shows, and what its fingerprint is of.
        text = documents.as_served(case, document.template) if document.template else None
        services = []
        for party in case.people():
            if party.role not in document.to:
                continue
            subject, body = composed[inbox_of(party) is not None]
            served = {
                lang: " ".join([said, *particulars(record, party.pk, lang)])
                for lang, said in body.items()
            }
            message = [record.hash, document.id, *subject.values(), *served.values()]
            services.append(
                Service(
                    case=case,
                    party=party,
                    document=document.id,
                    served_by=record,
                    sha256=sha256_hex((text or "\n".join(message)).encode()),
                    subject=subject,
                    body=served,
                    text=text or "",
                    text_language=case.language if text else "",
                    created_at=record.at,
                )
            )
        Service.objects.bulk_create(services)
        # Started once the step commits: a route's record is a step of its own.
        if services:
            jobs.enqueue_many(
                [
                    ("service.start", f"start:{s.pk}", {"service": str(s.pk)}, None)
                    for s in services
                ],
                new_keys=True,
            )


def start(service_id: str) -> None:
    """Take the first route of a service (the ``service.start`` job)."""
    service = Service.objects.select_related("case__court", "party__user").get(pk=service_id)
    if not service.deliveries.exists():
        _next_route(service, service.case.court.pack)


def languages_of(party: Party) -> tuple[str, ...]:
    """The languages of what the court sends ``party``, in order: its own (the saved choice of
    the person whose inbox receives its documents); when that is unknown (a party reached only
    at an address), both, the case's first."""
    user = inbox_of(party)
    if user is not None and user.preferred_language:
        return (str(user.preferred_language),)
    first = party.case.language
    return (first, *(lang for lang in LANGUAGES if lang != first))


def limits_of(pack: Pack, role: str) -> set[str]:
    """The time limits within which a party of ``role`` must act: those the pack reminds its
    side of (``service.reminders.limits``: the answer for the defendant, the appeal for every
    party, ...)."""
    rules = pack.service
    if rules is None or rules.reminders is None:
        return set()
    return {limit for limit, roles in rules.reminders.limits.items() if role in roles}


def limits_to_come(service: Service) -> list[TimeLimit]:
    """The time limits within which ``service``'s party must act that serving its document
    starts once it is served on every party it goes to (the first ``when_served`` step the
    case's track allows: the answer for the defendant, the appeal for every party); none once
    it is, when they run as the case's deadlines."""
    pack = service.case.court.pack
    rules = pack.service
    waiting = Service.objects.filter(
        served_by_id=service.served_by_id, document=service.document, effective_at__isnull=True
    )
    if rules is None or not waiting.exists():
        return []
    concerned = limits_of(pack, service.party.role)
    for step_id in rules.document(service.document).when_served:
        step = pack.events[step_id]
        if not step.tracks or service.case.track in step.tracks:
            return [pack.time_limits[limit] for limit in step.starts if limit in concerned]
    return []


def _next_route(service: Service, pack: Pack) -> Delivery | None:
    """Start the next route of ``service``: the electronic ones the party allows, then paper
    (a clerk's task, when the court has a postal address), then the public notice."""
    tried = service.deliveries.count()
    options = routes(service.party, pack)
    position = tried
    on_paper = service.deliveries.filter(channel=Channel.PAPER).exists()
    if tried < len(options):
        channel, address, consented = options[tried]
    elif not on_paper and service.party.address:
        channel, address, consented = Channel.PAPER, service.party.address, True
    else:
        if service.notice_at is not None:
            return None
        channel, address, consented = Channel.NOTICE, "", False
        service.notice_at = clock.now()
        service.save(update_fields=["notice_at"])
    delivery = Delivery.objects.create(
        service=service,
        channel=channel,
        address=address,
        consented=consented,
        position=position,
        language=" ".join(languages_of(service.party)),
    )
    if channel == Channel.NOTICE:
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = service.notice_at
        delivery.save(update_fields=["status", "sent_at"])
        _record(delivery)
    elif channel != Channel.PAPER:  # paper waits for the clerk (record_paper_service)
        jobs.enqueue("service.deliver", f"deliver:{delivery.pk}", {"delivery": str(delivery.pk)})
    return delivery


def _record(delivery: Delivery, status: str | None = None) -> CaseEvent | None:
    """The docket's record of a change in a delivery (or of the service taking effect)."""
    service = delivery.service
    from netcourt.cases import actions as case_actions

    return case_actions.system_step(
        service.case_id,
        SERVICE_EVENT,
        {
            "service": str(service.pk),
            "delivery": str(delivery.pk),
            "document": service.document,
            "party": service.party_id,
            "channel": delivery.channel,
            "address": mask_address(delivery.channel, delivery.address),
            "consented": delivery.consented,
            "status": status or delivery.status,
            "sha256": service.sha256,
        },
        quiet=True,  # a closed case takes no more records; its deliveries keep their times
    )


def new_link(delivery: Delivery) -> str:
    """The link that opens ``delivery``'s document, with a new secret, of which ``delivery``
    keeps only the hash (saved with the delivery as it is sent): the secret is in the message
    and nowhere else. A delivery sent again (its job run again after a passing fault) carries
    a new link, and the earlier one no longer opens it."""
    secret = secrets.token_urlsafe(32)
    delivery.digest = hash_token(secret)
    return settings.NETCOURT_BASE_URL + reverse("service:open", args=[secret])


def by_link(secret: str) -> QuerySet[Delivery]:
    """The delivery whose link holds ``secret`` (none for an unknown one)."""
    return Delivery.objects.filter(digest=hash_token(secret)).exclude(channel=Channel.NOTICE)


def deliver(delivery_id: str) -> None:
    """Send one delivery (the ``service.deliver`` job). A delivery already sent is left."""
    delivery = (
        Delivery.objects.select_for_update(of=("self",))
        .select_related("service__party__user", "service__case__court")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return
    from netcourt.service import channels

    now = clock.now()
    outcome = channels.send(delivery)
    delivery.sent_at = now
    if outcome.gateway_id:
        delivery.gateway_id = outcome.gateway_id
    if outcome.failed:
        delivery.status, delivery.failed_at, delivery.error = (
            DeliveryStatus.FAILED,
            now,
            outcome.error,
        )
    elif outcome.delivered:
        delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, now
    else:
        delivery.status = DeliveryStatus.SENT
    delivery.save()
    _record(delivery)
    settle(delivery.service)


def delivery_report(gateway_id: str, status: str, error: str = "") -> Delivery | None:
    """A gateway's report on an SMS: delivered or failed."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(gateway_id=gateway_id).first()
        if delivery is None or delivery.status in (
            DeliveryStatus.DELIVERED,
            DeliveryStatus.READ,
            DeliveryStatus.FAILED,
        ):
            return delivery
        now = clock.now()
        if status == "delivered":
            delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, now
        elif status == "failed":
            delivery.status, delivery.failed_at, delivery.error = (
                DeliveryStatus.FAILED,
                now,
                error[:100],
            )
        else:
            return delivery
        delivery.save()
        _record(delivery)
        settle(delivery.service)
        return delivery


def mark_read(delivery: Delivery) -> None:
    """The recipient opened the document (its link, or the inbox message)."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.read_at is not None or delivery.channel == Channel.NOTICE:
            return
        delivery.read_at = clock.now()
        delivery.status = DeliveryStatus.READ
        delivery.delivered_at = delivery.delivered_at or delivery.read_at
        delivery.save()
        Notification.objects.filter(delivery=delivery, read_at__isnull=True).update(
            read_at=delivery.read_at
        )
        _record(delivery)
        settle(delivery.service)


def joining_step(pack: Pack) -> Event | None:
    """The pack's step by which a party served without an account joins the case online (the
    one carrying ``link_party_account``), if it has one."""
    return next((e for e in pack.events.values() if "link_party_account" in e.effects), None)


def eid_reaches(pack: Pack, step: Event) -> bool:
    """Whether someone can be verified here to the level ``step`` needs: by the built-in
    document check, or by the court's eID provider when it has one that reaches it."""
    from netcourt.accounts import identity, oidc

    needed = identity.required_level(pack, step)
    if needed is None:
        return True
    if pack.assurance_rank(needed) <= pack.assurance_rank(identity.DOCUMENT_CHECK_LEVEL):
        return True
    conf = oidc.configuration()
    return conf is not None and pack.assurance_rank(conf.level) >= pack.assurance_rank(needed)


def join_online(user: Any, token: str) -> Case:
    """The person a document was served on, with no account in the case, takes part online
    with their own: the served link shows they received it at the party's address, and
    their identity verified by an eID provider (the pack's assurance for the step,
    ``eid_verified`` in cn_internet_court: the built-in document check takes the name as
    typed, so it cannot tell that the name is the holder's) that they are the party (the
    same name, `comparable_name`). A natural person only:
    an organisation acts through the members the court links it to. The pack's step that
    carries ``link_party_account`` records it, as the system, in the case's docket."""
    from netcourt.accounts import identity
    from netcourt.cases import actions as case_actions

    delivery = by_link(token).select_related("service__party").first()
    if delivery is None or delivery.read_at is None:
        raise NotFound()
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("court")
            .get(pk=delivery.service.case_id)
        )
        party = Party.objects.get(pk=delivery.service.party_id)
        pack = case.court.pack
        step = joining_step(pack)
        if step is None or case.state not in step.from_states:
            raise Problem(
                "wrong_state",
                translation.gettext("At this stage of the case no one joins it online."),
                status=409,
            )
        if party.kind != PartyKind.NATURAL:
            raise Problem(
                "wrong_state",
                translation.gettext(
                    "An organisation takes part through its members: register it under "
                    "Account security → Organisations, and the court links it to the case."
                ),
                status=409,
            )
        if party.user_id is not None:
            raise Problem(
                "wrong_state",
                translation.gettext("This party already takes part with an account."),
                status=409,
            )
        if case_policy.case_roles(user, case):
            raise Problem(
                "wrong_state",
                translation.gettext("You already take part in this case."),
                status=409,
            )
        if not eid_reaches(pack, step):
            raise Problem(
                "assurance_required",
                translation.gettext(
                    "This court confirms online who joins a case through an eID provider, and "
                    "none is set up here: contact the court to take part in the case."
                ),
                status=403,
            )
        identity.require_assurance(user, pack, step)
        verified = identity.active(user)
        assert verified is not None  # (require_assurance passed)
        if not comparable_name(verified.legal_name) or comparable_name(
            verified.legal_name
        ) != comparable_name(party.name):
            raise Problem(
                "input_invalid",
                translation.gettext(
                    "The name on your verified identity document, %(verified)s, is not the "
                    "name this case gives the party, %(party)s. Only the party can take part "
                    "as it; if the case has the name wrong, tell the court."
                )
                % {"verified": verified.legal_name, "party": party.name},
                status=422,
            )
        case_actions.fire_as_system(
            case, step.id, {"party": party.name}, {"party_id": party.pk, "account": user.pk}
        )
        case.save()
    return case


def settle(service: Service) -> None:
    """Decide whether ``service`` has taken effect, or move on to the next route."""
    service.refresh_from_db()
    if service.effective_at is not None:
        return
    pack = service.case.court.pack
    deliveries = list(service.deliveries.all())
    effect = None
    for d in deliveries:
        if d.consented and d.delivered_at is not None:
            effect = (d, d.delivered_at, "paper" if d.channel == Channel.PAPER else "delivered")
            break
        if d.read_at is not None:
            effect = (d, d.read_at, "read")
            break
    if effect is not None:
        _take_effect(service, effect[0], effect[1], effect[2])
        return
    last = deliveries[-1] if deliveries else None
    if last is None or last.status == DeliveryStatus.FAILED:
        _next_route(service, pack)


def _take_effect(service: Service, delivery: Delivery, at: Any, how: str) -> None:
    service.effective_at, service.effective_by = at, how
    service.save(update_fields=["effective_at", "effective_by"])
    _record(delivery, status="served")
    rules = service.case.court.pack.service
    assert rules is not None
    steps = rules.document(service.document).when_served
    pending = Service.objects.filter(
        served_by=service.served_by, document=service.document, effective_at__isnull=True
    ).exists()
    if pending:
        return
    from netcourt.cases import actions as case_actions

    # The periods the step starts (the answer period, the appeal period) run from the day the
    # last party was served, not from the day the court learned of it (a paper service
    # recorded later, a public notice deemed served).
    last = Service.objects.filter(served_by=service.served_by, document=service.document)
    served_on = max(s.effective_at for s in last if s.effective_at is not None)
    since = served_on.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    for step in steps:  # the first the case allows now
        extra = {"served": service.document, "served_on": since.isoformat()}
        taken = case_actions.system_step(service.case_id, step, extra, quiet=True, since=since)
        if taken is not None:
            break


def record_paper_service(
    user: Any, service_id: UUID | str, served_on: date, *, returned: bool = False
) -> Service:
    """A clerk records how serving a document on paper (by post, or by hand) went: served on
    ``served_on``, or ``returned`` undelivered that day (then the next route: public notice).
    Paper is how a party who did not agree to electronic service is served."""
    with transaction.atomic():
        service = (
            Service.objects.select_for_update(of=("self",))
            .select_related("case__court", "party")
            .filter(pk=service_id)
            .first()
        )
        if service is None or "clerk" not in case_policy.case_roles(user, service.case):
            raise Problem("not_found", status=404)
        if service.effective_at is not None:
            raise Problem(
                "wrong_state",
                translation.gettext("This document was served already."),
                status=409,
            )
        issued = service.created_at.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
        if served_on > clock.today() or served_on < issued:
            raise Problem(
                "input_invalid",
                translation.gettext(
                    "The day must be between the day the document was issued and today."
                ),
                field="served_on",
                status=422,
            )
        at = min(
            datetime.combine(served_on, time(12), tzinfo=ZoneInfo(settings.TIME_ZONE)),
            clock.now(),
        )
        delivery = service.deliveries.filter(
            channel=Channel.PAPER, status=DeliveryStatus.PENDING
        ).first() or Delivery(
            service=service,
            channel=Channel.PAPER,
            address=service.party.address,
            consented=True,
            position=service.deliveries.count(),
            language=" ".join(languages_of(service.party)),
        )
        delivery.sent_at = at
        if returned:
            delivery.status, delivery.failed_at, delivery.error = (
                DeliveryStatus.FAILED,
                at,
                "returned",
            )
        else:
            delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, at
        delivery.save()
        _record(delivery)
        settle(service)
        service.refresh_from_db()
        return service


def waiting_for(user: Any, case: Case) -> list[tuple[Service, Delivery]]:
    """The documents served on the parties ``user`` acts for in ``case`` that wait for them to
    open, oldest first, each with the delivery in their netcourt inbox that opens it (a link
    e-mailed or texted is theirs alone: the court keeps no way to make it again)."""
    found = []
    services = Service.objects.filter(
        case=case, party_id__in=case_policy.own_parties(user, case)
    ).prefetch_related("deliveries")
    for service in services.order_by("created_at"):
        deliveries = list(service.deliveries.all())
        if any(d.read_at is not None for d in deliveries):
            continue
        # In the inbox once its message is there (the delivery job has run).
        opens = next(
            (
                d
                for d in deliveries
                if d.channel == Channel.INBOX
                and d.address == str(user.pk)
                and d.status != DeliveryStatus.PENDING
            ),
            None,
        )
        if opens is not None:
            found.append((service, opens))
    return found


def open_inbox(user: Any) -> tuple[list[Notification], set[int]]:
    """The person's latest inbox messages, and which of them were new: the plain ones are
    read now (a served document is read only by confirming receipt on its own page)."""
    notes = list(Notification.objects.filter(user_id=user.pk)[:200])
    unread = {n.pk for n in notes if n.read_at is None and n.delivery_id is None}
    Notification.objects.filter(pk__in=unread).update(read_at=clock.now())
    return notes, unread


def waiting_on_paper(court: Any) -> list[Delivery]:
    """The documents of ``court`` a clerk is to serve on paper, oldest first."""
    return list(
        Delivery.objects.filter(
            channel=Channel.PAPER,
            status=DeliveryStatus.PENDING,
            service__case__court=court,
            service__effective_at__isnull=True,
        )
        .select_related("service__case", "service__party")
        .order_by("service__created_at")[:200]
    )


def public_notices() -> list[Service]:
    """The public notices of service published in the last ``public_notice_days`` * 2 days,
    newest first: what the court's public notice board shows."""
    since = clock.now() - timedelta(days=60)
    return list(
        Service.objects.filter(notice_at__isnull=False, notice_at__gte=since)
        .select_related("case__court", "party")
        .order_by("-notice_at")
    )


def sweep() -> None:
    """The timers of service (each tick): fall back after ``fallback_hours`` without effect,
    and deem public notices served when their period ends."""
    now = clock.now()
    for service in Service.objects.filter(effective_at__isnull=True).select_related("case__court"):
        rules = service.case.court.pack.service
        if rules is None:
            continue
        with transaction.atomic():
            if service.notice_at is not None:
                deemed = service.notice_at + timedelta(days=rules.public_notice_days)
                if deemed <= now:
                    notice = service.deliveries.get(channel=Channel.NOTICE)
                    _take_effect(service, notice, deemed, "public_notice")
                continue
            last = service.deliveries.order_by("-position").first()
            if last is None:
                continue
            waited = now - (last.sent_at or service.created_at)
            if last.status != DeliveryStatus.PENDING and waited >= timedelta(
                hours=rules.fallback_hours
            ):
                _next_route(service, service.case.court.pack)
