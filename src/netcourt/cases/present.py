"""Plain data about a case for pages and the API, with labels in the reader's language."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import translation

from netcourt.cases.actions import CREATED_EVENT, aid_application_waits
from netcourt.cases.models import (
    AccessLogEntry,
    Case,
    CaseDeadline,
    CaseEvent,
    RepresentativeKind,
)
from netcourt.core import clock
from netcourt.core.i18n import current_language
from netcourt.core.money import format_money
from netcourt.courts.models import Court
from netcourt.procedure import Input, Pack, TimeLimit


def state_label(pack: Pack, state: str) -> str:
    if state in pack.states:
        return pack.states[state].label.get(current_language())
    return state


def event_label(pack: Pack, event: str) -> str:
    if event == CREATED_EVENT:
        return translation.gettext("Filing started")
    if event in pack.events:
        return pack.events[event].label.get(current_language())
    return event


def text(value: dict[str, str]) -> str:
    return value.get("zh" if current_language().startswith("zh") else "en", "")


def deadline(item: CaseDeadline) -> dict[str, Any]:
    remaining = (item.due - clock.today()).days
    return {
        "time_limit": item.time_limit,
        "label": text(item.label),
        "start": item.start,
        "due": item.due,
        "direction": item.direction,
        "days_left": remaining,
        "days_overdue": -remaining if remaining < 0 else 0,
        "provisional": item.provisional,
        "overdue": remaining < 0 and item.stopped_by_id is None and item.suspended_on is None,
        "running": item.stopped_by_id is None,
        # The step that ended it (its docket label): the step it waited for, or one that
        # lifted it or closed the case; the docket says which.
        "ended_by": (
            event_label(item.case.court.pack, item.stopped_by.event)
            if item.stopped_by is not None
            else ""
        ),
        "suspended_on": item.suspended_on,
        "extended": item.extended,
        "basis_article": text(item.basis["article"]),
        "basis_text": text(item.basis["text"]),
    }


def time_limit(limit: TimeLimit) -> dict[str, str]:
    """A time limit of the pack, not running yet: its name and its rule with its basis."""
    lang = current_language()
    return {
        "label": limit.label.get(lang),
        "article": limit.basis.article.get(lang),
        "text": limit.basis.text.get(lang),
    }


def _value(pack: Pack, value: Any) -> str:
    if isinstance(value, bool):
        return translation.gettext("yes") if value else translation.gettext("no")
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)  # one a line: each defect, each order
    if isinstance(value, str) and value in pack.tracks:
        return pack.tracks[value].label.get(current_language())
    return str(value)


def choice_label(pack: Pack, item: Input, value: str) -> str:
    """A choice of a step's input in the reader's language: the pack's own words for it
    (``choice_labels``), the pack's label for the aid or the track it names, the kind of
    representative; else its id."""
    lang = current_language()
    if value in item.choice_labels:
        return item.choice_labels[value].get(lang)
    if item.name == "aid_kind":
        for aid in pack.fees.aid:
            if aid.kind == value:
                return aid.label.get(lang)
    if item.name == "representative_kind" and value in RepresentativeKind.values:
        return str(RepresentativeKind(value).label)
    if value in pack.tracks:
        return pack.tracks[value].label.get(lang)
    return value


def _shown(pack: Pack, item: Input | None, value: Any) -> str:
    """One input's value as the docket shows it."""
    if _is_document(value):
        return _document(value)
    if item is not None and item.type == "choice" and isinstance(value, str):
        return choice_label(pack, item, value)
    return _value(pack, value)


def _notes(pack: Pack, event_id: str, shown: dict[str, Any]) -> list[str]:
    """Each input given with a step, labelled in the reader's language, and a choice by its
    label in that language."""
    lang = current_language()
    inputs = {i.name: i for i in pack.events[event_id].inputs} if event_id in pack.events else {}
    colon = "：" if lang.startswith("zh") else ": "
    notes = []
    for name, value in shown.items():
        if value in ("", None, [], False):
            continue
        item = inputs.get(name)
        label = item.label.get(lang) if item is not None else name
        shown_value = _shown(pack, item, value)
        if "\n" in shown_value:
            shown_value = "\n" + shown_value  # a list starts under its label
        notes.append(f"{label}{colon}{shown_value}")
    return notes


def _is_document(value: Any) -> bool:
    return isinstance(value, dict) and "sha256" in value


def _document(value: dict[str, Any]) -> str:
    """A file attached to a step, as the docket shows it to everyone in the case: that it is
    there and its fingerprint, never its name (the court and its filer open it)."""
    return translation.gettext("a file (SHA-256 %(sha256)s…)") % {"sha256": value["sha256"][:16]}


def role_labels(pack: Pack, roles: list[str]) -> list[str]:
    return [pack.roles[r].label.get(current_language()) if r in pack.roles else r for r in roles]


# Steps whose inputs the docket does not repeat: what they made is shown where its own rules
# decide who sees it (the evidence page, by the pack's exchange rule).
QUIET_EFFECTS = frozenset({"evidence_item", "evidence_opinion"})


def docket_entry(pack: Pack, event: CaseEvent, private: bool = False) -> dict[str, Any]:
    """``event`` as the docket shows it; its private inputs (the pack's ``private``) only
    with ``private`` (the reader is the court, or the side that took the step)."""
    inputs = event.payload.get("inputs", {})
    definition = pack.events.get(event.event)
    if definition is not None and QUIET_EFFECTS.intersection(definition.effects):
        inputs = {}
    if pack.service is not None and any(
        d.served_by == event.event and d.template for d in pack.service.documents
    ):
        # The step's inputs are the text of a document it serves (the judgment): shown where
        # its service allows (the case page once served, the served link), not in the docket.
        inputs = {}
    hidden = ["judge", "draw", "changed", "representative_email", "representative"]
    if definition is not None and not private:
        hidden += [item.name for item in definition.inputs if item.private]
    # A file attached to a step: everyone in the case learns it is there and its fingerprint;
    # its name and the file itself are for the court and the side that gave it.
    shown = {
        k: {"sha256": v["sha256"]} if _is_document(v) else v
        for k, v in inputs.items()
        if k not in hidden
    }
    details = {
        k: _value(pack, v)
        for k, v in event.payload.items()
        if k in ("number", "track", "judge_name")
    }
    return {
        "seq": event.seq,
        "event": event.event,
        "label": event_label(pack, event.event),
        "at": event.at,
        "actor": str(event.actor) if event.actor else translation.gettext("Court system"),
        "actor_role": event.actor_role,
        "on_behalf_of": (
            event.on_behalf_of.name
            if event.on_behalf_of and event.on_behalf_of.user_id != event.actor_id
            else None
        ),
        "state_before": event.state_before,
        "state_after": event.state_after,
        "state_after_label": state_label(pack, event.state_after),
        "inputs": shown,
        "notes": _notes(pack, event.event, shown),
        "details": details,
        "hash": event.hash,
    }


def access_entry(pack: Pack, entry: AccessLogEntry) -> dict[str, Any]:
    return {
        "at": entry.at,
        "who": str(entry.user),
        "roles": entry.roles,
        "role_labels": role_labels(pack, entry.roles),
        "what": entry.what,
    }


def summary(case: Case) -> dict[str, Any]:
    pack = case.court.pack
    lang = current_language()
    return {
        "id": str(case.id),
        "number": case.number,
        "title": case.title,
        "court": case.court.slug,
        "court_name": case.court.name_in(lang),
        "category": case.category,
        "category_label": pack.categories[case.category].label.get(lang),
        "track": case.track,
        "track_label": pack.tracks[case.track].label.get(lang) if case.track else "",
        "state": case.state,
        "state_label": state_label(pack, case.state),
        "version": case.version,
        "amount": str(case.amount) if case.amount is not None else None,
        "amount_display": (
            format_money(case.amount, case.currency, lang) if case.amount is not None else ""
        ),
        "currency": case.currency,
        "judge": str(case.judge) if case.judge else None,
        "created_at": case.created_at,
        "submitted_at": case.submitted_at,
        "accepted_at": case.accepted_at,
        "updated_at": case.updated_at,
    }


def _finding(finding: Any) -> dict[str, Any]:
    lang = current_language()
    return {
        "code": finding.code,
        "ok": finding.ok,
        "message": finding.message.get(lang),
        "basis": finding.basis.article.get(lang) if finding.basis else None,
    }


def assessment(case: Case) -> dict[str, Any]:
    """Whether this court can hear the filing as it stands, why, and on which track."""
    from netcourt.cases.actions import assessment_for, filing_problems, track_for

    lang = current_language()
    result = assessment_for(case)
    proposal = track_for(case)
    pack = case.court.pack
    return {
        "competent": result.competent,
        "findings": [_finding(f) for f in result.findings],
        "alternatives": list(result.alternatives),
        "alternative_courts": [
            {"slug": court.slug, "name": court.name_in(lang)}
            for court in Court.objects.filter(
                pack_name=case.pack_name, pack_court_id__in=result.alternatives, active=True
            )
        ],
        "needs_places": any(field == "factors" for field, _ in filing_problems(case)),
        "elsewhere": result.elsewhere.get(lang) if result.elsewhere else None,
        "track": proposal.track,
        "track_label": pack.tracks[proposal.track].label.get(lang),
        "track_reasons": [_finding(f) for f in proposal.reasons],
        "missing": [{"field": f, "message": m} for f, m in filing_problems(case)],
    }


def fee_notice(case: Case) -> dict[str, Any] | None:
    """The acceptance fee as the latest notice gave it (docketing, or a decision on judicial
    aid that changed it): total, each line with its article, and where it stands: ``paid``,
    ``exempt``, ``deferred`` (judicial aid: not due now), ``aid_pending`` (an application
    waits for its decision), ``unpaid`` (the case closed without it) or ``due``."""
    if case.fee_due is None:
        return None
    notice = (
        case.events.filter(event__in=("accept", "decide_fee_aid"), payload__has_key="fee")
        .order_by("-seq")
        .first()
    )
    lines = notice.payload["fee"].get("lines", []) if notice is not None else []
    lang = current_language()
    key = "zh" if lang.startswith("zh") else "en"
    paid = case.events.filter(event="record_payment").exists()
    aid = (case.fee_aid or {}).get("kind")
    if paid:
        standing = "paid"
    elif case.fee_due == 0:
        standing = "exempt"
    elif aid == "deferral":
        standing = "deferred"
    elif case.court.pack.states[case.state].terminal:
        standing = "unpaid"
    elif aid_application_waits(case):
        standing = "aid_pending"
    else:
        standing = "due"
    return {
        "total": format_money(case.fee_due, case.currency, lang),
        "paid": paid,
        "standing": standing,
        "lines": [
            {
                "label": line["label"][key],
                "amount": format_money(Decimal(line["amount"]), case.currency, lang, exact=True),
                "article": line["article"][key],
            }
            for line in lines
        ],
    }


def refunds(case: Case) -> list[dict[str, Any]]:
    """What the court owes back on the case, oldest first: amount, why, and where it stands."""
    lang = current_language()
    return [
        {
            "amount": format_money(refund.amount, refund.currency, lang),
            "reason": refund.get_reason_display(),
            "status": refund.status,
            "due_by": refund.due_by,
        }
        for refund in case.refunds.order_by("created_at")
    ]
