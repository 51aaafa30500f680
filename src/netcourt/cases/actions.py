"""Every write to a case: one function per use case, one transaction each.

All state changes go through :func:`fire`, which asks the procedure pack whether the step is
allowed (state, role, inputs, limits), appends the event with its chained hash, updates the
case projection, starts and stops deadlines and runs the pack-named effects of the event.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation

from netcourt.accounts import identity, organisations, security
from netcourt.accounts.mfa import StepUp
from netcourt.accounts.models import MemberRole, Organisation, User
from netcourt.cases import documents, notify, policy, representation
from netcourt.cases.models import (
    AccessLogEntry,
    Case,
    CaseDeadline,
    CaseEvent,
    CaseNumberCounter,
    JudgeDraw,
    Party,
    PartyKind,
    PartyRole,
    Representative,
    RepresentativeKind,
)
from netcourt.core import clock, jobs, ratelimit
from netcourt.core.i18n import current_language
from netcourt.core.money import format_money
from netcourt.core.numbers import amount_text, parse_amount, whole_number
from netcourt.core.problems import Conflict, NotFound, Problem
from netcourt.core.text import refuse_control_characters, refuse_for_one_line
from netcourt.courts.models import Court, CourtMembership, CourtRole
from netcourt.ledger import new_salt, record_hash, sha256_hex
from netcourt.ledger.canonical import canonical_json
from netcourt.procedure import (
    Aid,
    Event,
    FeeError,
    Pack,
    Quote,
    Suspension,
    TransitionError,
    assess_jurisdiction,
    available_events,
    compute_deadline,
    format_case_number,
    list_packs,
    load_pack,
    propose_track,
    quote,
    suspend_deadline,
    taken_by_party,
    transition,
)
from netcourt.transparency import actions as transparency

GENESIS_HASH = "0" * 64
EVENT_LEAF = "case_event"
CREATED_EVENT = "created"
AMEND_EVENT = "amend_filing"
TRANSITION_STATUS = {
    "unknown_event": 422,
    "wrong_state": 409,
    "role_not_allowed": 403,
    "input_missing": 422,
    "input_invalid": 422,
    "limit_reached": 409,
}


@dataclass
class PartyData:
    role: str
    kind: str
    name: str
    address: str = ""
    contact_email: str = ""
    representative_name: str = ""


@dataclass
class FilingData:
    """What the filer answers. ``None`` means "leave as it is" when amending."""

    title: str | None = None
    amount: Decimal | None = None
    clear_amount: bool = False
    claims: str | None = None
    facts: str | None = None
    platform: str | None = None
    connection: str | None = None
    factors: dict[str, str] | None = None
    exclusions: list[str] | None = None
    simple: bool | None = None
    parties: list[PartyData] | None = None


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _locked(case_id: UUID | str) -> Case:
    """The case, locked for this transaction; 404 for an id that is unknown or malformed."""
    try:
        return Case.objects.select_for_update().select_related("court").get(id=case_id)
    except (Case.DoesNotExist, ValueError, ValidationError):
        raise NotFound() from None


def _check_version(case: Case, version: int | None) -> None:
    """Refuse a step taken on an out-of-date view of the case; ``version`` is None when the
    page or request did not say which version it saw (or not as a whole number)."""
    if version is None:
        raise Conflict(
            "stale_version",
            translation.gettext(
                "The page did not say which version of the case you saw (it is now at "
                "version %(now)s). Reload it, check what it holds and try again."
            )
            % {"now": case.version},
            extra={"current_version": case.version},
        )
    if version != case.version:
        raise Conflict(
            "stale_version",
            translation.gettext(
                "The case changed since you opened it (you had version %(yours)s, it is now "
                "at version %(now)s). Reload it, check what changed and try again."
            )
            % {"yours": version, "now": case.version},
            extra={"current_version": case.version},
        )


def _append_event(
    case: Case,
    *,
    event_id: str,
    actor: Any,
    actor_role: str,
    on_behalf_of: Party | None,
    state_before: str,
    state_after: str,
    payload: dict[str, Any],
    seq: int,
) -> CaseEvent:
    event = CaseEvent(
        case=case,
        seq=seq,
        event=event_id,
        actor=actor,
        actor_role=actor_role,
        on_behalf_of=on_behalf_of,
        state_before=state_before,
        state_after=state_after,
        payload=payload,
        pack_version=case.pack_version,
        at=clock.now().astimezone(UTC),
        prev_hash=case.last_event_hash or GENESIS_HASH,
        salt=new_salt(),
    )
    event.hash = digest = record_hash(event_record(event))
    history = case.event_ids()  # read before the new event is saved, then kept in step
    event.save()
    transparency.append(EVENT_LEAF, event_leaf_ref(event), event_leaf(event))
    history.append(event_id)
    case.last_event_hash = digest
    case.updated_at = event.at
    return event


def event_record(event: CaseEvent) -> dict[str, Any]:
    """The record whose hash is ``event.hash``, chained by ``prev``. Its fields are few and
    guessable (account ids, states, a small payload's hash), so it carries the event's secret
    salt: the published hash confirms no guess. An event made before salts has none, and its
    record stays as it was hashed."""
    record: dict[str, Any] = {
        "case": str(event.case_id),
        "seq": event.seq,
        "event": event.event,
        "actor_role": event.actor_role,
        "state_before": event.state_before,
        "state_after": event.state_after,
        "payload_sha256": sha256_hex(canonical_json(event.payload)),
        "pack_version": event.pack_version,
        "at": event.at.astimezone(UTC).isoformat(),
        "actor": str(event.actor_id) if event.actor_id else None,
        "on_behalf_of": str(event.on_behalf_of_id) if event.on_behalf_of_id else None,
        "prev": event.prev_hash,
    }
    if event.salt:
        record["salt"] = event.salt
    return record


def event_receipt(user: Any, event: CaseEvent) -> dict[str, Any]:
    """The event's receipt for ``user``, one of the people of its case: with its salted
    record, unless the step has private inputs ``user`` may not read (the record's payload
    hash would let them test guesses at those); then the leaf's proof alone."""
    case = event.case
    definition = case.court.pack.events.get(event.event)
    private = definition is not None and any(item.private for item in definition.inputs)
    if private and not policy.reads_private_inputs(user, case)(event):
        return transparency.receipt_for(event_leaf_ref(event))
    return transparency.receipt_for(event_leaf_ref(event), opening=event_record(event))


def event_leaf_ref(event: CaseEvent) -> str:
    return f"event:{event.case_id}:{event.seq}"


def event_leaf(event: CaseEvent) -> dict[str, Any]:
    """The event's record in the public transparency log: identifiers and its hash only.
    Not even the step's name: anyone who knows a case's id could otherwise read that, say,
    a hardship application was made in it. The hash covers the step and a secret salt, for
    those who hold the event's receipt."""
    return {
        "case": str(event.case_id),
        "seq": event.seq,
        "at": event.at.astimezone(UTC).isoformat(),
        "hash": event.hash,
    }


def verify_chain(case: Case) -> bool:
    prev = GENESIS_HASH
    for event in case.events.order_by("seq"):
        if event.prev_hash != prev or record_hash(event_record(event)) != event.hash:
            return False
        prev = event.hash
    return prev == (case.last_event_hash or GENESIS_HASH)


# --- creating and amending a filing -------------------------------------------------------


def create_draft(
    user: Any,
    court: Court,
    category: str,
    *,
    acting_as: str = "self",
    licence_number: str = "",
    firm: str = "",
    organisation: str = "",
) -> Case:
    """Open a draft. ``acting_as="organisation"`` files for the organisation whose unified
    social credit code is ``organisation``, which ``user`` must act for (an approved member)."""
    acting_for = _check_draft(court, category, acting_as, licence_number, user, organisation)
    with transaction.atomic():
        case = _create_draft(
            user, court, category, acting_as, licence_number, firm, organisation=acting_for
        )
        case.save()
    return case


def _check_draft(
    court: Court,
    category: str,
    acting_as: str,
    licence_number: str,
    user: Any = None,
    organisation: str = "",
) -> Organisation | None:
    """Refuse what cannot open a draft; the organisation filed for, if any."""
    if category not in court.pack_court.categories:
        raise Problem(
            "input_invalid",
            translation.gettext("This court does not hear that kind of dispute."),
            field="category",
            status=422,
        )
    if acting_as not in ("self", "lawyer", "agent", "organisation"):
        raise Problem("input_invalid", field="acting_as", status=422)
    if acting_as == "lawyer" and not licence_number.strip():
        raise Problem(
            "input_missing",
            translation.gettext("A lawyer filing for a client gives the licence number."),
            field="licence_number",
            status=422,
        )
    if acting_as != "organisation":
        return None
    code = (
        organisations.normalise_credit_code(organisation, field="organisation")
        if organisation.strip()
        else ""
    )
    membership = (
        organisations.approved_memberships(user).filter(organisation__credit_code=code).first()
        if code
        else None
    )
    if membership is None:
        # One answer whether the code is unknown or the person does not act for it.
        raise Problem(
            "role_not_allowed",
            translation.gettext(
                "You may file for an organisation once the court has approved your authority "
                "to act for it (Account security → Organisations)."
            ),
            field="organisation",
            status=403,
        )
    return membership.organisation


def _create_draft(
    user: Any,
    court: Court,
    category: str,
    acting_as: str,
    licence_number: str,
    firm: str,
    *,
    organisation: Organisation | None = None,
) -> Case:
    """The draft and its first event; the caller saves the case (its last event hash)."""
    pack = court.pack
    now = clock.now()
    case = Case.objects.create(
        court=court,
        pack_name=pack.name,
        pack_version=pack.version,
        category=category,
        case_type=pack.categories[category].case_type,
        state=pack.initial_state,
        created_by=user,
        created_at=now,
        updated_at=now,
        filing={"acting_as": acting_as},
    )
    case._event_ids = []  # a new case has no history to read
    if acting_as == "self":
        filer = Party.objects.create(
            case=case,
            role="plaintiff",
            kind="natural",
            name=str(user),
            contact_email=user.email,
            user=user,
        )
        case.know_people([filer])
    elif organisation is not None:
        # The organisation is the party; the person acts for it while their authority lasts
        # (not linked to the party: ending the authority ends their access).
        checked = identity.active(user)
        member = organisations.approved_memberships(user).get(organisation=organisation)
        filer = Party.objects.create(
            case=case,
            role="plaintiff",
            kind=PartyKind.LEGAL,
            name=organisation.name,
            contact_email=user.email,
            representative_name=(checked.legal_name if checked else str(user))
            if member.role == MemberRole.LEGAL_REPRESENTATIVE
            else "",
            organisation=organisation,
        )
        case.know_people([filer])
    else:
        principal = Party.objects.create(
            case=case, role="plaintiff", kind="natural", name="", position=0
        )
        Representative.objects.create(
            party=principal,
            user=user,
            kind=acting_as,
            licence_number=licence_number.strip(),
            firm=firm.strip(),
        )
    _append_event(
        case,
        event_id=CREATED_EVENT,
        actor=user,
        actor_role="plaintiff",
        on_behalf_of=None,
        state_before="",
        state_after=case.state,
        payload={
            "court": court.slug,
            "category": category,
            "acting_as": acting_as,
            **({"organisation": organisation.credit_code} if organisation else {}),
        },
        seq=1,
    )
    return case


def _apply_filing(case: Case, data: FilingData) -> list[str]:
    for name in ("title", "claims", "facts", "platform", "connection", "factors", "exclusions"):
        refuse_control_characters(getattr(data, name), name)
    refuse_for_one_line(data.title or "", "title")
    for index, party in enumerate(data.parties or []):
        refuse_control_characters(vars(party), f"parties[{index}]")
        for name in ("name", "address", "contact_email", "representative_name"):
            refuse_for_one_line(getattr(party, name), f"parties[{index}].{name}")
    changed: list[str] = []
    filing = dict(case.filing)
    for key in ("claims", "facts", "platform", "connection"):
        value = getattr(data, key)
        if value is not None:
            filing[key] = value.strip()
            changed.append(key)
    if data.factors is not None:
        known = case.court.pack.categories[case.category].connecting_factors
        places = set(case.court.pack.places) | {"other"}
        for factor, place in data.factors.items():
            if factor not in known:
                raise Problem("input_invalid", field=f"factors.{factor}", status=422)
            if place and place not in places:
                raise Problem("input_invalid", field=f"factors.{factor}", status=422)
        filing["factors"] = {k: v for k, v in data.factors.items() if v}
        changed.append("factors")
    if data.exclusions is not None:
        known_exclusions = {e.id for e in case.court.pack.small_claims_exclusions}
        unknown = [e for e in data.exclusions if e not in known_exclusions]
        if unknown:
            raise Problem("input_invalid", field="exclusions", status=422)
        filing["exclusions"] = sorted(set(data.exclusions))
        changed.append("exclusions")
    if data.simple is not None:
        filing["simple"] = data.simple
        changed.append("simple")
    if data.title is not None:
        case.title = data.title.strip()[:300]
        changed.append("title")
    if data.clear_amount:
        case.amount = None
        changed.append("amount")
    elif data.amount is not None:
        if data.amount <= 0 or data.amount >= Decimal("1e16"):
            raise Problem(
                "input_invalid",
                translation.gettext("The amount must be more than zero and realistic."),
                field="amount",
                status=422,
            )
        case.amount = data.amount.quantize(Decimal("0.01"))
        changed.append("amount")
    if data.parties is not None:
        _replace_parties(case, data.parties)
        changed.append("parties")
    case.filing = filing
    return changed


def _replace_parties(case: Case, parties: Sequence[PartyData]) -> None:
    roles = set(PartyRole.values)
    kinds = set(PartyKind.values)
    for index, given in enumerate(parties):
        if given.role not in roles:
            raise Problem("input_invalid", field=f"parties[{index}].role", status=422)
        if given.kind not in kinds:
            raise Problem("input_invalid", field=f"parties[{index}].kind", status=422)
        if not given.name.strip():
            raise Problem(
                "input_missing",
                translation.gettext("Every party needs a name."),
                field=f"parties[{index}].name",
                status=422,
            )
    before = case.people()
    existing: dict[str, list[Party]] = {}
    for party in before:
        existing.setdefault(party.role, []).append(party)
    kept: set[int] = set()
    made: list[Party] = []
    for index, data in enumerate(parties):
        pool = [p for p in existing.get(data.role, []) if p.pk not in kept]
        party = pool[0] if pool else Party(case=case, role=data.role)
        if not pool:
            made.append(party)
        party.kind = data.kind
        party.name = data.name.strip()[:200]
        party.address = data.address.strip()[:300]
        party.contact_email = data.contact_email.strip()[:254]
        party.representative_name = data.representative_name.strip()[:200]
        party.position = index
        party.save()
        kept.add(party.pk)
    # A party linked to a person or an organisation (or represented by someone) stays: the
    # people acting for it keep their role.
    dropped = [
        p.pk
        for p in before
        if p.pk not in kept
        and p.user_id is None
        and p.organisation_id is None
        and not p.representatives.all()
    ]
    if dropped:
        Party.objects.filter(pk__in=dropped).delete()
    case.know_people([p for p in before if p.pk not in dropped] + made)


def amend_filing(user: Any, case_id: UUID | str, version: int | None, data: FilingData) -> Case:
    """Change the filing while it is a draft or while corrections are requested."""
    with transaction.atomic():
        case = _locked(case_id)
        roles = _roles_or_404(user, case)
        _check_version(case, version)
        _amend_locked(case, user, data, roles)
    return case


def _amend_locked(case: Case, user: Any, data: FilingData, roles: set[str]) -> None:
    # Replacing parties keeps each linked person's party and role, so ``roles`` still hold.
    changed = _apply_filing(case, data)
    _fire_locked(case, user, AMEND_EVENT, {"changed": changed}, roles=roles)
    case.save()


# --- the generic step ---------------------------------------------------------------------


def _transition_problem(error: TransitionError) -> Problem:
    return Problem(
        error.code,
        error.message.get(current_language()),
        field=error.field,
        status=TRANSITION_STATUS.get(error.code, 422),
    )


def _roles_or_404(user: Any, case: Case) -> set[str]:
    """``user``'s roles in the locked ``case``; 404 when none, as :func:`policy.get_case`."""
    roles = policy.case_roles(user, case)
    if not roles:
        raise NotFound()
    return roles


def _choose_role(event: Event, roles: set[str]) -> str | None:
    for role in event.roles:
        if role in roles:
            return role
    return None


def _acting_for(user: Any, case: Case, event: Event, roles: set[str]) -> Party | None:
    """The party on whose behalf ``user`` would take ``event``: by the first of its roles
    they hold, as :func:`_fire_locked` chooses."""
    role = _choose_role(event, roles)
    return None if role is None else policy.acting_party(user, case, role)


def _party_history(case: Case, party: Party | None) -> list[str]:
    """The ids of the events taken on behalf of ``party`` in ``case`` (none without one)."""
    if party is None:
        return []
    return list(case.events.filter(on_behalf_of=party).values_list("event", flat=True))


def fire(
    user: Any,
    case_id: UUID | str,
    event_id: str,
    version: int | None,
    inputs: Mapping[str, object] | None = None,
    *,
    step_up: StepUp | None = None,
    extra: Mapping[str, Any] | None = None,
    any_version: bool = False,
) -> CaseEvent:
    """Take one procedural step on a case, as ``user``, in one transaction. ``step_up`` is
    the second factor the person used most recently, for steps the pack marks sensitive;
    ``extra`` goes into the event's payload (what the step made: an evidence item, ...).
    ``any_version`` skips the check that the person saw the latest version, for steps that
    add to a case without deciding anything on what it holds (submitting evidence)."""
    inputs = _receive_documents(user, case_id, event_id, inputs or {})
    with transaction.atomic():
        case = _locked(case_id)
        roles = _roles_or_404(user, case)
        if not any_version:
            _check_version(case, version)
        event = _fire_locked(
            case, user, event_id, inputs or {}, extra, roles=roles, step_up=step_up
        )
        case.save()
    return event


@functools.cache
def _steps_taking_documents() -> frozenset[str]:
    """The ids of the events, in any shipped pack, with a document input."""
    return frozenset(
        event.id
        for name in list_packs()
        for event in load_pack(name).events.values()
        if any(item.type == "document" for item in event.inputs)
    )


def _receive_documents(
    user: Any, case_id: UUID | str, event_id: str, inputs: Mapping[str, object]
) -> Mapping[str, object]:
    """The step's inputs with each attached file (an upload's id) checked and stored first:
    slow for a big file, so before the step's transaction."""
    if event_id not in _steps_taking_documents():
        return inputs  # most steps: no need to read the case here
    try:
        case = Case.objects.select_related("court").filter(pk=case_id).first()
    except (ValueError, ValidationError):
        return inputs  # the step itself answers 404
    event = case.court.pack.events.get(event_id) if case else None
    if event is None or not any(item.type == "document" for item in event.inputs):
        return inputs
    from netcourt.evidence.actions import document_input

    received = dict(inputs)
    for item in event.inputs:
        value = received.get(item.name)
        if item.type != "document" or value in (None, ""):
            continue
        if not isinstance(value, str):
            # Only an upload of the person's own becomes a document: never a description.
            raise Problem(
                "input_invalid",
                translation.gettext("Send the file as an upload and give the upload's id."),
                field=item.name,
                status=422,
            )
        received[item.name] = document_input(user, case_id, value.strip())
    return received


def fire_as_system(
    case: Case, event_id: str, inputs: Mapping[str, object], extra: Mapping[str, Any] | None = None
) -> CaseEvent:
    """A step the court system takes by itself (e.g. a judge draw); caller holds the lock."""
    return _fire_locked(case, None, event_id, inputs, extra)


def fire_effect_event(
    case: Case, effect: str, inputs: Mapping[str, object], extra: Mapping[str, Any]
) -> CaseEvent | None:
    """Fire, as the system, the pack's event that carries ``effect`` and is open now."""
    pack = case.court.pack
    for event in available_events(
        pack, case.state, [policy.SYSTEM_ROLE], case.event_ids(), track=case.track or None
    ):
        if effect in event.effects:
            return _fire_locked(case, None, event.id, inputs, extra)
    return None


@jobs.batch()  # the jobs of a step and of its effects' steps: one insert, one nudge
def _fire_locked(
    case: Case,
    user: Any,
    event_id: str,
    inputs: Mapping[str, object],
    extra: Mapping[str, Any] | None = None,
    *,
    roles: set[str] | None = None,
    step_up: StepUp | None = None,
    since: date | None = None,
) -> CaseEvent:
    """Fire ``event_id``; ``roles``, when the caller has them, saves reading them again.
    ``since`` is the day the periods the step starts run from, when that is not today (the
    day a document was served, for the step its service brings)."""
    pack = case.court.pack
    if event_id not in pack.events:
        raise Problem("unknown_event", field="event", status=422)
    event = pack.events[event_id]
    if OWN_PAGE_EFFECTS.intersection(event.effects) and not extra:
        if "representative_from_request" in event.effects:
            where = translation.gettext(
                "A clerk registers a representative from a request to represent a party, with "
                "its power of attorney, in the court's queue."
            )
        elif HEARING_PAGE_EFFECTS.intersection(event.effects):
            where = translation.gettext("This step is taken on the case's hearing page.")
        else:
            where = translation.gettext(
                "This step is taken on the case's evidence page, with its file."
            )
        raise Problem("own_endpoint", where, field="event", status=422)
    refuse_control_characters(dict(inputs), "")
    _refuse_oversized_text(event, inputs)
    inputs = _amounts_as_typed(event, inputs)
    if roles is None:
        roles = {policy.SYSTEM_ROLE} if user is None else policy.case_roles(user, case)
    role = _choose_role(event, roles)
    if role is None:
        raise Problem(
            "role_not_allowed",
            translation.gettext("Your role in this case does not allow this step."),
            status=403,
        )
    closed = step_closed(case, event)
    if closed is not None:
        raise Problem("wrong_state", closed, status=409)
    history = list(case.event_ids())
    if event.sets_track and case.track and not inputs.get(event.sets_track):
        inputs = {**inputs, event.sets_track: case.track}
    on_behalf = None if user is None else policy.acting_party(user, case, role)
    try:
        step = transition(
            pack,
            case.state,
            event_id,
            role,
            inputs,
            history,
            track=case.track or None,
            party_history=_party_history(case, on_behalf) if event.once_per_party else (),
        )
    except TransitionError as error:
        raise _transition_problem(error) from None
    if user is not None:
        identity.require_assurance(user, pack, event)
        if event.step_up:
            extra = {**(extra or {}), "step_up": _fresh_second_factor(pack, step_up)}
    payload: dict[str, Any] = {"inputs": _jsonable(dict(step.inputs)), **(extra or {})}
    for effect in event.effects:
        before = EFFECTS[effect].before
        if before is not None:
            payload.update(before(case, pack, step.inputs))
    record = _append_event(
        case,
        event_id=event_id,
        actor=user,
        actor_role=role,
        on_behalf_of=on_behalf,
        state_before=step.state_before,
        state_after=step.state_after,
        payload=payload,
        seq=len(history) + 1,
    )
    if any(item.type == "document" for item in event.inputs):
        from netcourt.evidence.actions import attach_documents

        attach_documents(record, event, step.inputs)
    case.state = step.state_after
    if step.track:
        case.track = step.track
    if user is not None or step.state_after != step.state_before or step.starts or step.stops:
        # A record the system adds without changing the case (a service record) leaves the
        # version alone: a person's open form is not made stale by a delivery report.
        case.version += 1
    today = since or clock.today()
    if step.stops:
        case.deadlines.filter(time_limit__in=step.stops, stopped_by__isnull=True).update(
            stopped_by=record
        )
    CaseDeadline.objects.bulk_create(
        [
            _new_deadline(case, pack, limit, record, step.anchors.get(limit, today))
            for limit in step.starts
        ]
    )
    for effect in event.effects:
        after = EFFECTS[effect].after
        if after is not None:
            after(case, pack, record)
    return record


# The most a step's text input holds, by its type (a list: all its lines together), in the
# forms and the API alike.
TEXT_LIMITS = {"text": 2000, "longtext": 20000, "list": 20000}


def _refuse_oversized_text(event: Event, inputs: Mapping[str, object]) -> None:
    """A step's text within its length, and a one-line text (or each line of a list) on one
    line: a reason of megabytes would be the docket of every party."""
    for item in event.inputs:
        value = inputs.get(item.name)
        limit = TEXT_LIMITS.get(item.type)
        if limit is None or value is None:
            continue
        texts = [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
        if sum(len(text) for text in texts) > limit:
            raise Problem(
                "input_invalid",
                translation.gettext("At most %(limit)s characters.") % {"limit": limit},
                field=item.name,
                status=422,
            )
        if item.type != "longtext":
            for text in texts:
                refuse_for_one_line(text, item.name)


def _amounts_as_typed(event: Event, inputs: Mapping[str, object]) -> Mapping[str, object]:
    """The step's amounts given as text read as people write them (``1,000.50``, full-width
    digits), as the forms read them; refused when not written in digits (another script's
    digits, an underscore, an exponent)."""
    read = dict(inputs)
    for item in event.inputs:
        value = read.get(item.name)
        if item.type != "money" or not isinstance(value, str) or not value.strip():
            continue
        text = amount_text(value)
        if text is None:
            raise Problem(
                "input_invalid",
                translation.gettext("The amount is not valid."),
                field=item.name,
                status=422,
            )
        read[item.name] = text
    return read


def _fresh_second_factor(pack: Pack, step_up: StepUp | None) -> dict[str, str]:
    """The step-up check for a sensitive step, as recorded in its event; refused when the
    person's last second factor is older than the pack allows (or there is none)."""
    minutes = pack.step_up_minutes or 0
    if step_up is None or clock.now() - step_up.at > timedelta(minutes=minutes):
        raise Problem(
            "step_up_required",
            translation.gettext(
                "This step needs you to confirm it is you with your second factor (an "
                "authenticator app, a security key or a passkey) within the last %(minutes)s "
                "minutes."
            )
            % {"minutes": minutes},
            status=403,
            extra={"within_minutes": minutes},
        )
    return {"method": step_up.method, "at": step_up.at.astimezone(UTC).isoformat()}


def _new_deadline(
    case: Case, pack: Pack, limit: str, record: CaseEvent, start: date
) -> CaseDeadline:
    deadline = compute_deadline(pack, limit, start, track=case.track)
    time_limit = pack.time_limits[limit]
    if deadline.direction == "before" and deadline.due < clock.today():
        raise Problem(
            "input_invalid",
            translation.gettext(
                "This date is too soon: %(limit)s must still be possible (%(basis)s)."
            )
            % {
                "limit": time_limit.label.get(current_language()),
                "basis": time_limit.basis.article.get(current_language()),
            },
            field=time_limit.starts_from,
            status=422,
        )
    return CaseDeadline(
        case=case,
        time_limit=limit,
        label=deadline.label.model_dump(),
        basis=deadline.basis.model_dump(mode="json"),
        direction=deadline.direction,
        start=deadline.start,
        due=deadline.due,
        provisional=deadline.provisional,
        started_by=record,
    )


# --- effects named by events in the pack --------------------------------------------------


@dataclass(frozen=True)
class Effect:
    """What an effect named by the pack does: ``before`` the event is written (its result
    goes into the payload), ``after`` it; ``guard`` says why the step is not open now (None
    when it is), for steps whose openness depends on more than the state."""

    before: Callable[[Case, Pack, Mapping[str, object]], dict[str, Any]] | None = None
    after: Callable[[Case, Pack, CaseEvent], None] | None = None
    guard: Callable[[Case], str | None] | None = None


def filing_problems(case: Case) -> list[tuple[str, str]]:
    """What is still missing from a filing, as (field, translated message) pairs."""
    pack = case.court.pack
    category = pack.categories[case.category]
    problems: list[tuple[str, str]] = []
    gettext = translation.gettext
    parties = case.people()
    if not any(p.role == "plaintiff" and p.name for p in parties):
        problems.append(("parties", gettext("Name at least one plaintiff.")))
    if not any(p.role == "defendant" and p.name for p in parties):
        problems.append(("parties", gettext("Name at least one defendant.")))
    if category.property and case.amount is None:
        problems.append(("amount", gettext("Give the amount you claim.")))
    if not case.filing.get("claims"):
        problems.append(("claims", gettext("Say what you ask the court to order.")))
    if not case.filing.get("facts"):
        problems.append(("facts", gettext("Describe the facts and reasons.")))
    if not case.filing.get("factors"):
        problems.append(
            ("factors", gettext("Answer at least one question about where the dispute arose."))
        )
    return problems


def assessment_for(case: Case) -> Any:
    pack = case.court.pack
    return assess_jurisdiction(
        pack, case.court.pack_court_id, case.category, case.filing.get("factors", {}), case.amount
    )


def track_for(case: Case) -> Any:
    pack = case.court.pack
    return propose_track(
        pack,
        case.court.pack_court_id,
        case.category,
        case.amount,
        case.filing.get("exclusions", []),
        bool(case.filing.get("simple", False)),
    )


def _check_filing(case: Case, pack: Pack, inputs: Mapping[str, object]) -> dict[str, Any]:
    missing = filing_problems(case)
    if missing:
        raise Problem(
            "incomplete_filing",
            " ".join(message for _, message in missing),
            field=missing[0][0],
            status=422,
            extra={"missing": [{"field": f, "message": m} for f, m in missing]},
        )
    assessment = assessment_for(case)
    if not assessment.competent:
        reasons = [f.message.get(current_language()) for f in assessment.findings if not f.ok]
        raise Problem(
            "not_competent",
            " ".join(reasons),
            status=422,
            extra={"alternatives": list(assessment.alternatives)},
        )
    proposal = track_for(case)
    case.track = proposal.track
    lang = current_language()
    case.statement = documents.statement_of_claim(case, lang)
    case.statement_language = lang
    case.submitted_at = clock.now()
    return {
        "track": proposal.track,
        "statement_sha256": sha256_hex(case.statement.encode("utf-8")),
    }


def _check_track(case: Case, pack: Pack, inputs: Mapping[str, object]) -> dict[str, Any]:
    """The court may choose a more formal procedure than proposed, never one the law rules
    out: the track must be for this type of case, and small claims only when the amount,
    the kind of dispute and the Art. 166-type exclusions allow it."""
    chosen = next((str(v) for k, v in inputs.items() if str(v) in pack.tracks), None)
    if chosen is None:
        return {}
    track = pack.tracks[chosen]
    field = next(k for k, v in inputs.items() if str(v) == chosen)
    if track.case_type != case.case_type:
        raise Problem(
            "input_invalid",
            translation.gettext("That procedure is not for this type of case."),
            field=field,
            status=422,
        )
    if track.kind == "small_claims":
        best = propose_track(
            pack,
            case.court.pack_court_id,
            case.category,
            case.amount,
            case.filing.get("exclusions", []),
            True,
        )
        if pack.tracks[best.track].kind != "small_claims":
            reasons = " ".join(r.message.get(current_language()) for r in best.reasons if not r.ok)
            raise Problem(
                "input_invalid",
                translation.gettext("This case cannot take the small-claims procedure.")
                + (" " + reasons if reasons else ""),
                field=field,
                status=422,
            )
    return {}


# Judicial aid that lifts the time limit to pay the fee (Measures Arts. 44-51): the case is
# not deemed withdrawn for a fee deferred or waived.
LIFTING_AID = ("deferral", "exemption")


def _fee_notice(case: Case, pack: Pack, inputs: Mapping[str, object]) -> dict[str, Any]:
    """The acceptance fee, computed from the pack's schedule on the track the case now takes;
    the event keeps every line with its article in both languages (the notice)."""
    result = _quote_fee(case, pack, str(inputs.get("track") or case.track) or None)
    case.fee_due = result.total
    return _fee_payload(result)


def _send_fee_notice(case: Case, pack: Pack, record: CaseEvent) -> None:
    """The notice to pay; with deferral or exemption granted before docketing, the time limit
    to pay it has just started and stops at once (the notice then says so)."""
    if (case.fee_aid or {}).get("kind") in LIFTING_AID:
        _stop_time_to_pay(case, record)
    notify.fee_notice(case)


def _quote_fee(
    case: Case,
    pack: Pack,
    track: str | None,
    aid: Aid | None = None,
    reductions: Sequence[str] = (),
) -> Quote:
    """The acceptance fee for ``case`` on ``track``, with the judicial aid granted, if any,
    and the ``reductions`` named (those the engine cannot see for itself)."""
    if aid is None and case.fee_aid:
        share = case.fee_aid.get("share")
        aid = Aid(
            kind=case.fee_aid["kind"],
            natural_person=_plaintiff_is_a_person(case),
            share=Decimal(share) if share else None,
        )
    try:
        return quote(
            pack,
            kind=pack.categories[case.category].fee_class,
            court=case.court.pack_court_id,
            amount=case.amount,
            track=track,
            reductions=reductions,
            aid=aid,
        )
    except FeeError as error:
        raise Problem(
            "input_invalid", error.message.get(current_language()), field=error.field, status=422
        ) from None


def _plaintiff_is_a_person(case: Case) -> bool:
    return all(p.kind == PartyKind.NATURAL for p in case.people() if p.role == "plaintiff")


def _fee_payload(result: Quote) -> dict[str, Any]:
    return {
        "fee": {
            "total": f"{result.total:f}",
            "currency": result.currency,
            "lines": [
                {
                    "code": line.code,
                    "amount": f"{line.amount:f}",
                    "label": line.label.model_dump(),
                    "article": line.basis.article.model_dump(),
                }
                for line in result.lines
            ],
        }
    }


def _decide_fee_aid(case: Case, pack: Pack, inputs: Mapping[str, object]) -> dict[str, Any]:
    """Judicial aid (Measures Arts. 44-51): a grant is checked against the schedule (a
    reduction takes off at least 30 %; exemption only for natural persons) and, once the case
    is docketed, changes the fee due; deferral and exemption stop the time limit to pay."""
    if inputs.get("decision") != "grant":
        if inputs.get("aid_kind") or str(inputs.get("share") or "").strip():
            raise Problem(
                "input_invalid",
                translation.gettext("A refusal grants no aid: leave the aid and the share empty."),
                field="aid_kind",
                status=422,
            )
        return {}
    kind = str(inputs.get("aid_kind") or "")
    raw_share = str(inputs.get("share") or "").strip()
    share = parse_amount(raw_share.rstrip("%％")) if raw_share else None
    if share is not None and raw_share[-1:] in ("%", "％"):
        share = share / 100  # "30%" as the label writes it: 0.3
    if raw_share and share is None:
        raise Problem("input_invalid", field="share", status=422)
    if not kind:
        raise Problem("input_missing", field="aid_kind", status=422)
    aid = Aid(kind=kind, natural_person=_plaintiff_is_a_person(case), share=share)
    result = _quote_fee(case, pack, case.track or None, aid)  # refuses what the rules forbid
    case.fee_aid = {"kind": kind, **({"share": f"{share:f}"} if share is not None else {})}
    if case.fee_due is None:
        return {}
    case.fee_due = result.total
    return _fee_payload(result)


def _after_aid_decision(case: Case, pack: Pack, record: CaseEvent) -> None:
    """Deferral and exemption lift the time limit to pay: no deemed withdrawal for it. A
    refusal or a reduction leaves a fee to pay: the time to pay runs again from the decision,
    with a new notice (CPL Interpretation Art. 213: the case is deemed withdrawn only if the
    fee is still not paid after the aid was refused), so a decision that comes after the
    first last day does not let the next sweep deem the case withdrawn at once."""
    inputs = record.payload["inputs"]
    if inputs.get("decision") == "grant" and inputs.get("aid_kind") in LIFTING_AID:
        _stop_time_to_pay(case, record)
        return
    if not case.deadlines.filter(time_limit="pay_fee", stopped_by__isnull=True).exists():
        return  # not docketed yet (the notice will come), or paid
    _stop_time_to_pay(case, record)
    _new_deadline(case, pack, "pay_fee", record, clock.today()).save()
    notify.fee_notice(case, revised=True)


def _stop_time_to_pay(case: Case, record: CaseEvent) -> None:
    case.deadlines.filter(time_limit="pay_fee", stopped_by__isnull=True).update(stopped_by=record)


def _check_payment(case: Case, pack: Pack, inputs: Mapping[str, object]) -> dict[str, Any]:
    paid = inputs.get("amount")
    if paid is not None and case.fee_due is not None and paid != case.fee_due:
        raise Problem(
            "input_invalid",
            translation.gettext("The fee due is %(due)s; record the whole amount.")
            % {"due": format_money(case.fee_due, case.currency, current_language())},
            field="amount",
            status=422,
        )
    return {}


def _assign_number(case: Case, pack: Pack, inputs: Mapping[str, object]) -> dict[str, Any]:
    year = clock.today().year
    counter, _ = CaseNumberCounter.objects.select_for_update().get_or_create(
        court=case.court, year=year, case_type=case.case_type
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    case.number_year = year
    case.number_seq = counter.last
    case.number = format_case_number(
        pack, case.court.pack_court_id, case.case_type, year, counter.last
    )
    case.accepted_at = clock.now()
    return {"number": case.number}


def run_draw(eligible: Sequence[int], seed: str) -> int:
    """The judge a draw picks: anyone can re-run it from the recorded list and seed."""
    if not eligible:
        raise ValueError("no eligible judge")
    return list(eligible)[random.Random(seed).randrange(len(eligible))]  # noqa: S311


def eligible_judges(case: Case) -> list[int]:
    """Judges of the court who may be drawn for this case: active, not marked unavailable,
    and not themselves a party or a representative in it."""
    return sorted(_eligible_judge_users(case))


def _eligible_judge_users(case: Case) -> dict[int, Any]:
    """The eligible judges by user id, read once per case instance (the draw and the step it
    fires both ask)."""
    if case._eligible_judges is None:
        involved = {p.user_id for p in case.people() if p.user_id is not None}
        involved |= {r.user_id for p in case.people() for r in p.representatives.all()}
        members = CourtMembership.objects.filter(
            court=case.court,
            role=CourtRole.JUDGE,
            active=True,
            eligible_for_assignment=True,
            user__is_active=True,
        ).select_related("user")
        case._eligible_judges = {m.user_id: m.user for m in members if m.user_id not in involved}
    return case._eligible_judges


def _draw_judge(case: Case, pack: Pack, record: CaseEvent) -> None:
    """Draw at random among the eligible judges. The seed is the hash of the event that
    triggered the draw, fixed in the case's chain before anyone knows the result, so the
    court cannot draw again until it likes the outcome, and anyone can re-run the draw."""
    eligible = eligible_judges(case)
    if not eligible:
        raise Problem("no_eligible_judge", status=409)
    seed = record.hash
    chosen = run_draw(eligible, seed)
    draw = JudgeDraw.objects.create(
        case=case, eligible=eligible, seed=seed, chosen_id=chosen, at=clock.now()
    )
    fire_effect_event(
        case,
        "set_judge",
        {"judge": str(chosen)},
        {"draw": {"id": draw.pk, "eligible": eligible, "seed": seed}},
    )


def _set_judge(case: Case, pack: Pack, inputs: Mapping[str, object]) -> dict[str, Any]:
    chosen = whole_number(str(inputs.get("judge", "")))
    eligible = _eligible_judge_users(case)
    if chosen is None or chosen not in eligible:
        raise Problem(
            "input_invalid",
            translation.gettext(
                "Choose a judge of this court who is available and has no part in the case."
            ),
            field="judge",
            status=422,
        )
    judge = eligible[chosen]
    case.judge = judge
    return {"judge_name": str(judge)}


def _give_notice(case: Case, pack: Pack, record: CaseEvent) -> None:
    fire_effect_event(case, "judge_notice", {}, {})


def _judge_notice(case: Case, pack: Pack, record: CaseEvent) -> None:
    notify.judge_assigned(case)


def _notice_guard(case: Case) -> str | None:
    """The parties are told once who their judge is: again only after another assignment."""
    events = case.court.pack.events.values()
    assigning = {e.id for e in events if "set_judge" in e.effects}
    telling = {e.id for e in events if "judge_notice" in e.effects}
    if _last_of(case, assigning | telling) not in assigning:
        return translation.gettext("The parties have been told who the judge is.")
    return None


def _notify_parties(case: Case, pack: Pack, record: CaseEvent) -> None:
    notify.step_taken(case, record)


# --- extending the trial period, suspending and resuming -------------------------------------


def open_steps(case: Case, roles: set[str], history: Sequence[str] | None = None) -> list[Event]:
    """The steps ``roles`` may take on ``case`` now: those its state and history allow, less
    those an effect's guard closes (e.g. resuming proceedings that are not suspended)."""
    pack = case.court.pack
    events = available_events(
        pack,
        case.state,
        roles,
        case.event_ids() if history is None else history,
        track=case.track or None,
    )
    return [e for e in events if step_closed(case, e) is None]


def open_steps_for(user: Any, case: Case, roles: set[str]) -> list[Event]:
    """`open_steps` for one person: less a step nothing of which is theirs to take now
    (ending a representation, when none is theirs to end: the one they hold, or one of a
    party they are; appointing one, for someone who acts for the party only as its
    representative: the party itself appoints; a step each party takes once, when the party
    they would take it for has taken it)."""
    steps = [
        e
        for e in open_steps(case, roles)
        if not (
            e.once_per_party
            and taken_by_party(e, _party_history(case, _acting_for(user, case, e, roles)))
        )
    ]
    parties = case.people()
    if not any(
        rep.active and (rep.user_id == user.pk or policy.acts_for_party(user, party))
        for party in parties
        for rep in party.representatives.all()
    ):
        steps = [e for e in steps if "revoke_representative" not in e.effects]
    if not any(policy.acts_for_party(user, party) for party in parties):
        steps = [e for e in steps if "appoint_representative" not in e.effects]
    return steps


def step_closed(case: Case, event: Event) -> str | None:
    """Why ``event`` is not open on ``case`` now though its state allows it (None: open)."""
    for effect in event.effects:
        guard = EFFECTS[effect].guard
        reason = guard(case) if guard is not None else None
        if reason is not None:
            return reason
    return None


def _duration(case: Case, pack: Pack) -> CaseDeadline | None:
    """The running trial period of the case (its track's duration)."""
    durations = {t.duration for t in pack.tracks.values()}
    return case.deadlines.filter(time_limit__in=durations, stopped_by__isnull=True).first()


def _last_of(case: Case, events: Collection[str]) -> str | None:
    """The latest of ``events`` the case has had (its history, read once per instance)."""
    return next((e for e in reversed(case.event_ids()) if e in events), None)


def _pending_extension(case: Case) -> bool:
    """Whether a request to extend the trial period waits for the president's decision."""
    decided = ("request_extension", "approve_extension", "refuse_extension")
    return _last_of(case, decided) == "request_extension"


def _suspended(case: Case) -> bool:
    last = _last_of(case, ("suspend_proceedings", "resume_proceedings"))
    return last == "suspend_proceedings"


def _extension_guard(case: Case) -> str | None:
    pack = case.court.pack
    duration = _duration(case, pack)
    if duration is None or pack.time_limits[duration.time_limit].extension is None:
        return translation.gettext("This case has no trial period that can be extended.")
    if duration.extended:
        return translation.gettext(
            "The trial period was already extended; a further extension needs the higher "
            "court's approval."
        )
    if _pending_extension(case):
        return translation.gettext("A request to extend the trial period is already waiting.")
    return None


def _revoke_guard(case: Case) -> str | None:
    """A representation can be ended only while there is one."""
    if not any(rep.active for party in case.people() for rep in party.representatives.all()):
        return translation.gettext("No one represents a party in this case.")
    return None


def aid_application_waits(case: Case) -> bool:
    """Whether an application for judicial aid waits for the court's decision."""
    return _last_of(case, ("apply_fee_aid", "decide_fee_aid")) == "apply_fee_aid"


def _aid_guard(case: Case) -> str | None:
    """The court decides on judicial aid when asked: an application waits for its decision."""
    if not aid_application_waits(case):
        return translation.gettext("No application for judicial aid waits for a decision.")
    return None


def _no_aid_waiting(case: Case) -> str | None:
    """The case is not deemed withdrawn for an unpaid fee while an application for judicial
    aid with it waits for the court's decision (CPL Interpretation Art. 213: only once the
    aid is refused); the sweep tries again after the decision."""
    if aid_application_waits(case):
        return translation.gettext(
            "An application for judicial aid with the fee waits for the court's decision."
        )
    return None


def _decision_guard(case: Case) -> str | None:
    if not _pending_extension(case):
        return translation.gettext("No request to extend the trial period is waiting.")
    return None


def _suspend_guard(case: Case) -> str | None:
    if _suspended(case):
        return translation.gettext("The proceedings are already suspended.")
    return None


def _resume_guard(case: Case) -> str | None:
    if not _suspended(case):
        return translation.gettext("The proceedings are not suspended.")
    return None


def recomputed(pack: Pack, row: CaseDeadline, track: str) -> Any:
    """The deadline of ``row`` computed again from its start, on the case's ``track``, with
    its extension and every completed suspension (a pure ``Deadline``)."""
    deadline = compute_deadline(pack, row.time_limit, row.start, extended=row.extended, track=track)
    for suspended_on, resumed_on in row.suspensions:
        suspension = Suspension(date.fromisoformat(suspended_on), date.fromisoformat(resumed_on))
        deadline = suspend_deadline(pack, deadline, suspension)
    return deadline


def _ask_president(case: Case, pack: Pack, record: CaseEvent) -> None:
    notify.extension_requested(case, record)


def _extend_duration(case: Case, pack: Pack, inputs: Mapping[str, object]) -> dict[str, Any]:
    duration = _duration(case, pack)
    assert duration is not None  # the guard saw it
    duration.extended = True
    deadline = recomputed(pack, duration, case.track)
    before = duration.due
    duration.due, duration.provisional = deadline.due, deadline.provisional
    duration.basis = deadline.basis.model_dump(mode="json")
    duration.save(update_fields=["extended", "due", "provisional", "basis"])
    return {
        "time_limit": duration.time_limit,
        "due_before": before.isoformat(),
        "due": deadline.due.isoformat(),
    }


def _suspend_time_limits(case: Case, pack: Pack, inputs: Mapping[str, object]) -> dict[str, Any]:
    running = case.deadlines.filter(stopped_by__isnull=True, direction="after")
    limits = sorted(running.values_list("time_limit", flat=True))
    running.update(suspended_on=clock.today())
    return {"suspended": limits}


def _resume_time_limits(case: Case, pack: Pack, inputs: Mapping[str, object]) -> dict[str, Any]:
    today = clock.today()
    moved: dict[str, str] = {}
    for row in case.deadlines.filter(stopped_by__isnull=True, suspended_on__isnull=False):
        assert row.suspended_on is not None
        row.suspensions = [*row.suspensions, [row.suspended_on.isoformat(), today.isoformat()]]
        row.suspended_on = None
        deadline = recomputed(pack, row, case.track)
        row.due, row.provisional = deadline.due, deadline.provisional
        row.save(update_fields=["suspensions", "suspended_on", "due", "provisional"])
        moved[row.time_limit] = deadline.due.isoformat()
    return {"due": moved}


MAX_REPRESENTATIVES = 2  # CPL Art. 61: one or two agents ad litem per party
LAWYER_LICENCE = re.compile(r"\d{17}")


def _appoint_representative(case: Case, pack: Pack, record: CaseEvent) -> None:
    """Someone becomes a party's representative and takes the party's role at once.

    Either the party itself appoints in the app — its own account, or an approved member of
    the organisation it is — and the appointment is its approval; or a clerk registers the
    person who asked to represent the party, from the power of attorney sent with the request
    (``register_representative``, taken only through the clerk's queue:
    ``netcourt.cases.representation``). Either way the person already has an account."""
    inputs = record.payload["inputs"]
    gettext = translation.gettext
    request = None
    if record.actor_role == "clerk":
        request, party = representation.claim_for_step(case, record)
        person: Any = request.requester
        kind, licence, firm = request.kind, request.licence_number, request.firm
        if (
            policy.acts_for_party(person, party)
            or person.pk == case.judge_id
            or CourtMembership.objects.filter(court=case.court, user=person, active=True).exists()
        ):
            raise Problem(
                "input_invalid",
                gettext(
                    "The person who asked cannot represent this party: they are the party "
                    "itself, the judge or staff of this court."
                ),
                field="party",
                status=422,
            )
    else:
        maybe_party = record.on_behalf_of
        if maybe_party is None or not policy.acts_for_party(record.actor, maybe_party):
            raise Problem(
                "role_not_allowed",
                gettext("Only the party itself can appoint its representative."),
                status=403,
            )
        party = maybe_party
        if not ratelimit.allow("appoint-representative", str(record.actor_id), 10, 3600):
            raise Problem("rate_limited", status=429)
        email = str(inputs.get("representative_email", "")).strip()
        # Only a confirmed address names a person (anyone can sign up with an address that is
        # not theirs); one answer for every refusal, so the form cannot tell who has an account.
        matches = list(
            User.objects.filter(
                is_active=True, emailaddress__email__iexact=email, emailaddress__verified=True
            ).distinct()[:2]
            if email
            else []
        )
        person = matches[0] if len(matches) == 1 else None
        staff = (
            person is not None
            and CourtMembership.objects.filter(court=case.court, user=person, active=True).exists()
        )
        if (
            person is None
            or person.pk == record.actor_id
            or staff
            or person.pk == case.judge_id
            or party.user_id == person.pk
        ):
            raise Problem(
                "input_invalid",
                gettext(
                    "No one who may represent you in this case has a netcourt account with "
                    "this confirmed e-mail address. Check the address, or ask your "
                    "representative to create an account and confirm it first."
                ),
                field="representative_email",
                status=422,
            )
        kind = str(inputs.get("representative_kind", ""))
        licence = str(inputs.get("licence_number", "")).strip()
        firm = str(inputs.get("firm", ""))
    active = [r for r in party.representatives.all() if r.active]
    if any(r.user_id == person.pk for r in active):
        raise Problem(
            "input_invalid",
            gettext("This person represents the party in this case already.")
            if request
            else gettext("This person already represents you in this case."),
            field="party" if request else "representative_email",
            status=422,
        )
    if len(active) >= MAX_REPRESENTATIVES:
        raise Problem(
            "limit_reached",
            gettext("A party may have at most two representatives. End one representation first."),
            status=409,
        )
    if kind == RepresentativeKind.LAWYER and not LAWYER_LICENCE.fullmatch(licence):
        raise Problem(
            "input_invalid",
            gettext("A lawyer's licence number has 17 digits."),
            field="licence_number",
            status=422,
        )
    Representative.objects.create(
        party=party,
        user=person,
        kind=kind,
        licence_number=licence if kind == RepresentativeKind.LAWYER else "",
        firm=firm.strip()[:200],
    )
    case.forget_people()
    reference = case.number or str(case.pk)
    told = {person, record.actor if request is None else party.user} - {None}
    for someone in told:
        security.record(someone, "account:representation:appointed", None, case=reference)
    if request is not None:
        representation.settle(request, record, party)


def _link_party_account(case: Case, pack: Pack, record: CaseEvent) -> None:
    """A party without an account takes part online with the account of the person it is,
    checked by the caller (`netcourt.service.actions.join_online`): named in the payload."""
    party = case.parties.get(pk=record.payload["party_id"])
    party.user_id = record.payload["account"]
    party.save(update_fields=["user"])
    case.forget_people()


def _revoke_representative(case: Case, pack: Pack, record: CaseEvent) -> None:
    """The party ends a representation, or the representative withdraws; at once."""
    chosen = whole_number(str(record.payload["inputs"].get("representative", "")))
    rep = (
        Representative.objects.select_related("party", "user")
        .filter(pk=chosen, party__case=case, active=True)
        .first()
        if chosen is not None
        else None
    )
    if rep is None:
        raise Problem("input_invalid", field="representative", status=422)
    if record.actor_id != rep.user_id and not policy.acts_for_party(record.actor, rep.party):
        raise Problem(
            "role_not_allowed",
            translation.gettext(
                "Only the party or the representative can end this representation."
            ),
            status=403,
        )
    rep.active = False
    rep.save(update_fields=["active"])
    case.forget_people()
    reference = case.number or str(case.pk)
    for someone in {rep.user, rep.party.user} - {None}:
        security.record(someone, "account:representation:ended", None, case=reference)
    if record.actor_id != rep.user_id:  # the parties are told by the step's notice
        notify.representation_ended(case, rep)


# The pack's reduction for a case withdrawn or settled by mediation (Measures Art. 15).
CLOSING_REDUCTION = "mediation_or_withdrawal"


def _refund_on_close(case: Case, pack: Pack, record: CaseEvent) -> None:
    """A paid case closed by withdrawal or mediation pays half the fee (Measures Art. 15):
    record the rest as owed back within 15 days (Art. 53). Only recorded here, in the step's
    transaction; `netcourt payments refund` sends it."""
    from netcourt.payments import refunds

    paid = refunds.fee_paid(case, pack)
    if paid is None:
        return
    amount, intent = paid
    reductions = (
        (CLOSING_REDUCTION,) if any(r.id == CLOSING_REDUCTION for r in pack.fees.reductions) else ()
    )
    fee = _quote_fee(case, pack, case.track or None, reductions=reductions).total
    refunds.record_owed(case, record, amount, intent, fee)


def _hearing_attendance(case: Case, pack: Pack, inputs: Mapping[str, object]) -> dict[str, Any]:
    """Who takes part online and who in the courtroom, from each party's consent."""
    from netcourt.service.actions import attendance

    return {"attendance": attendance(case)}


def _hearing_schedule(case: Case, pack: Pack, record: CaseEvent) -> None:
    from netcourt.hearings.actions import schedule_effect

    schedule_effect(case, pack, record)


def _hearing_held(case: Case, pack: Pack, record: CaseEvent) -> None:
    from netcourt.hearings.actions import held_effect

    held_effect(case, pack, record)


def _hearing_cancelled(case: Case, pack: Pack, record: CaseEvent) -> None:
    from netcourt.hearings.actions import cancel_effect

    cancel_effect(case, pack, record)


def _hearing_in_session(case: Case) -> str | None:
    from netcourt.hearings.actions import in_session_guard

    return in_session_guard(case)


def _hearing_held_guard(case: Case) -> str | None:
    from netcourt.hearings.actions import held_guard

    return held_guard(case)


def _hearing_absence_guard(case: Case) -> str | None:
    """No one is found absent from a hearing before it begins."""
    from netcourt.hearings.actions import absence_guard

    return absence_guard(case)


def _record_signature(case: Case, pack: Pack, record: CaseEvent) -> None:
    from netcourt.hearings.record import signature_effect

    signature_effect(case, pack, record)


def _record_closed(case: Case, pack: Pack, record: CaseEvent) -> None:
    from netcourt.hearings.record import closed_effect

    closed_effect(case, pack, record)


def _asynchronous_guard(case: Case) -> str | None:
    from netcourt.hearings.asynchronous import conditions_guard

    return conditions_guard(case)


def _asynchronous_answer(case: Case, pack: Pack, inputs: Mapping[str, object]) -> dict[str, Any]:
    from netcourt.hearings.asynchronous import answer_before

    return answer_before(case, pack, inputs)


def _asynchronous_record(case: Case, pack: Pack, record: CaseEvent) -> None:
    from netcourt.hearings.asynchronous import record_after

    record_after(case, pack, record)


def _serve_documents(case: Case, pack: Pack, record: CaseEvent) -> None:
    from netcourt.service.actions import serve

    serve(case, pack, record)


EFFECTS: dict[str, Effect] = {
    "check_filing": Effect(before=_check_filing),
    "check_track": Effect(before=_check_track),
    "assign_number": Effect(before=_assign_number),
    "fee_notice": Effect(before=_fee_notice, after=_send_fee_notice),
    "check_payment": Effect(before=_check_payment),
    "decide_fee_aid": Effect(guard=_aid_guard, before=_decide_fee_aid, after=_after_aid_decision),
    "no_aid_waiting": Effect(guard=_no_aid_waiting),
    "draw_judge": Effect(after=_draw_judge),
    "set_judge": Effect(before=_set_judge, after=_give_notice),
    "judge_notice": Effect(guard=_notice_guard, after=_judge_notice),
    "notify_parties": Effect(after=_notify_parties),
    "appoint_representative": Effect(after=_appoint_representative),
    "representative_from_request": Effect(after=_appoint_representative),
    "link_organisation": Effect(before=representation.link_organisation),
    "link_party_account": Effect(after=_link_party_account),
    "revoke_representative": Effect(guard=_revoke_guard, after=_revoke_representative),
    "hearing_absence": Effect(guard=_hearing_absence_guard),
    "refund_on_close": Effect(after=_refund_on_close),
    "evidence_item": Effect(),
    "evidence_opinion": Effect(),
    "serve_documents": Effect(after=_serve_documents),
    "hearing_attendance": Effect(before=_hearing_attendance),
    "hearing_schedule": Effect(after=_hearing_schedule),
    "hearing_held": Effect(guard=_hearing_held_guard, after=_hearing_held),
    "hearing_cancelled": Effect(guard=_hearing_in_session, after=_hearing_cancelled),
    "hearing_recording": Effect(),
    "record_signature": Effect(after=_record_signature),
    "record_closed": Effect(after=_record_closed),
    "asynchronous_conditions": Effect(guard=_asynchronous_guard),
    "asynchronous_answer": Effect(before=_asynchronous_answer),
    "asynchronous_record": Effect(after=_asynchronous_record),
    "request_extension": Effect(guard=_extension_guard, after=_ask_president),
    "extend_duration": Effect(guard=_decision_guard, before=_extend_duration),
    "refuse_extension": Effect(guard=_decision_guard),
    "suspend_time_limits": Effect(guard=_suspend_guard, before=_suspend_time_limits),
    "resume_time_limits": Effect(guard=_resume_guard, before=_resume_time_limits),
    "consent": Effect(),
    "service_record": Effect(),
}
HEARING_PAGE_EFFECTS = frozenset(
    {"hearing_schedule", "hearing_recording", "record_signature", "record_closed"}
)
# Steps that make more than the pack's inputs can carry (a file, an opinion on an item, a
# consent, a service record): taken through their own page, endpoint or job (netcourt.evidence,
# netcourt.service), never the generic step form.
OWN_PAGE_EFFECTS = frozenset(
    {
        "evidence_item",
        "evidence_opinion",
        "representative_from_request",
        "consent",
        "service_record",
        *HEARING_PAGE_EFFECTS,
    }
)


def file_case(
    user: Any,
    court: Court,
    category: str,
    data: FilingData,
    *,
    acting_as: str = "self",
    licence_number: str = "",
    firm: str = "",
    organisation: str = "",
) -> Case:
    """Open a draft with everything the filer already answered, all or nothing."""
    acting_for = _check_draft(court, category, acting_as, licence_number, user, organisation)
    with transaction.atomic():
        case = _create_draft(
            user, court, category, acting_as, licence_number, firm, organisation=acting_for
        )
        # No one else can know of the draft yet, so it needs neither a lock nor a version.
        _amend_locked(case, user, data, {"plaintiff"})
    return case


# A later part of a file read within this time of an entry for the same file is not logged
# again: a video player seeking asks for dozens of parts.
READ_CONTINUES = timedelta(minutes=30)


def log_access(user: Any, case: Case, what: str, *, continuing: bool = False) -> None:
    """Write the read in the case's access log; ``continuing`` (a request for a later part of
    a file, `downloads.continues_a_read`) is not written when the person's read of the same
    thing was logged within `READ_CONTINUES`."""
    now = clock.now()
    if (
        continuing
        and AccessLogEntry.objects.filter(
            case=case, user=user, what=what, at__gte=now - READ_CONTINUES
        ).exists()
    ):
        return
    AccessLogEntry.objects.create(
        case=case, user=user, roles=sorted(policy.case_roles(user, case)), what=what, at=now
    )


def move_filing(user: Any, case_id: UUID | str, version: int | None, court_slug: str) -> Case:
    """Send a draft that was never submitted to another court of the same pack."""
    with transaction.atomic():
        case = _locked(case_id)
        _roles_or_404(user, case)
        _check_version(case, version)
        court = Court.objects.filter(slug=court_slug, active=True).first()
        if (
            court is None
            or case.submitted_at is not None
            or court.pack_name != case.pack_name
            or case.category not in court.pack_court.categories
        ):
            raise Problem("input_invalid", field="court", status=422)
        case.court = court
        _fire_locked(case, user, AMEND_EVENT, {"changed": ["court"]})
        case.save()
    return case


def system_step(
    case_id: UUID | str,
    event_id: str,
    extra: Mapping[str, Any],
    *,
    quiet: bool = False,
    since: date | None = None,
) -> CaseEvent | None:
    """The system takes a step by itself (a service record, the step a completed service
    brings). With ``quiet``, a step the case's state no longer allows is left untaken;
    ``since`` as for ``_fire_locked``."""
    with transaction.atomic():
        case = _locked(case_id)
        if quiet and not any(
            e.id == event_id
            for e in available_events(
                case.court.pack,
                case.state,
                [policy.SYSTEM_ROLE],
                case.event_ids(),
                track=case.track or None,
            )
        ):
            return None
        record = _fire_locked(case, None, event_id, {}, extra, since=since)
        case.save()
    return record


def sweep_expired(today: date | None = None) -> list[CaseEvent]:
    """Take the steps that a time limit's expiry triggers (the pack's ``on_expiry``): for every
    running deadline whose last day has passed, the system fires the step open to it now.

    Each case is handled in its own transaction with the case locked and the deadline read
    again, so running the sweep twice, or on two servers at once, takes each step once.
    """
    today = today or clock.today()
    fired: list[CaseEvent] = []
    expired = (
        CaseDeadline.objects.filter(
            stopped_by__isnull=True, suspended_on__isnull=True, direction="after", due__lt=today
        )
        .values_list("case_id", "time_limit")
        .distinct()
    )
    for case_id, limit in expired:
        with transaction.atomic():
            case = _locked(case_id)
            still_running = case.deadlines.filter(
                time_limit=limit, stopped_by__isnull=True, suspended_on__isnull=True, due__lt=today
            ).exists()
            if not still_running:
                continue
            pack = case.court.pack
            step = next(
                (
                    event
                    for event in available_events(
                        pack,
                        case.state,
                        [policy.SYSTEM_ROLE],
                        case.event_ids(),
                        track=case.track or None,
                    )
                    if event.on_expiry == limit
                ),
                None,
            )
            if step is None or step_closed(case, step) is not None:
                continue  # (a guard holds it: the next sweep tries again)
            fired.append(_fire_locked(case, None, step.id, {}, {"expired": limit}))
            case.save()
    return fired
