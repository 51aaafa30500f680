"""Telling the people of a case what happened, in each person's own language: each message is
a job written in the step's transaction, so it goes out once the step commits and never for a
step that did not (``netcourt.service.notifications``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from django.utils import formats, translation

from netcourt.accounts.models import MemberStatus, OrganisationMember
from netcourt.cases.models import Case, CaseDeadline, CaseEvent, Party
from netcourt.core.money import format_money
from netcourt.hearings.times import starts_line
from netcourt.procedure import Text, load_pack
from netcourt.procedure.schema import ServedDocument
from netcourt.service.notifications import tell, tell_addresses

# An input given with a step, in a notice, is cut to this many characters (the docket has it
# whole): a judgment's reasoning would otherwise be the whole e-mail.
NOTE_CHARS = 600


def recipients(case: Case, roles: tuple[str, ...] | None = None) -> list[Any]:
    """The people of the parties (in ``roles``): their own accounts, the approved members of
    their organisations, and their active representatives."""
    people: dict[int, Any] = {}
    parties = [p for p in case.people() if roles is None or p.role in roles]
    organisations = {p.organisation_id for p in parties if p.organisation_id is not None}
    members = (
        OrganisationMember.objects.filter(
            organisation_id__in=organisations, status=MemberStatus.APPROVED
        ).select_related("user")
        if organisations  # most cases: no party is an organisation, nothing to build or read
        else ()
    )
    for member in members:
        people[member.user.pk] = member.user
    for party in parties:
        if party.user is not None:
            people[party.user.pk] = party.user
        for rep in party.representatives.all():
            if rep.active:
                people[rep.user.pk] = rep.user
    return [p for p in people.values() if p.is_active]


def judge_assigned(case: Case) -> None:
    def compose(lang: str) -> tuple[str, str]:
        subject = translation.gettext("Case %(number)s: your judge") % {"number": case.number}
        body = translation.gettext(
            "The case %(number)s at the %(court)s has been assigned to Judge %(judge)s. "
            "If you believe the judge should not hear your case, you may ask for recusal."
        ) % {"number": case.number, "court": case.court.name_in(lang), "judge": case.judge}
        return subject, body

    tell(recipients(case), compose, case=case)


def step_taken(case: Case, record: CaseEvent) -> None:
    """What happened, in the pack's words (the step's ``notice``), with the hearing's time when
    the step scheduled or moved one."""
    from netcourt.cases import present  # (present reads actions, which reads this module)
    from netcourt.service.actions import limits_of

    pack = load_pack(case.pack_name)
    event = pack.events[record.event]
    hearing = record.payload.get("hearing")
    if not isinstance(hearing, dict) or "starts_at" not in hearing:
        hearing = None  # not a step that scheduled or moved one (holding it records others)

    # The documents the step serves (the judgment), which reach each party on their own.
    serving = [
        d for d in (pack.service.documents if pack.service else ()) if d.served_by == record.event
    ]

    def compose(
        lang: str,
        limits: list[CaseDeadline] | None = None,
        inboxed: tuple[tuple[Text, bool], ...] = (),
    ) -> tuple[str, str]:
        """The notice in ``lang``: to the people in the case, saying which of the documents
        the step serves wait in their inbox (``inboxed``: the document's name, and whether
        they agreed to be served there); or, with the time limits the step started for its
        side, ``limits``, to a party reached only at the address the court served it at."""
        said = (event.notice or event.label).get(lang)
        reference = case.number or case.title or str(case.pk)
        subject = translation.gettext("Case %(number)s: %(step)s") % {
            "number": reference,
            "step": said.rstrip(".。"),
        }
        lines = [
            translation.gettext("In your case %(number)s at the %(court)s: %(step)s")
            % {"number": reference, "court": case.court.name_in(lang), "step": said}
        ]
        if hearing:
            lines.append(
                starts_line(datetime.fromisoformat(hearing["starts_at"]), hearing["minutes"])
            )
        # What was decided or given with the step, as the docket shows it to every party
        # (never a private input): the decision on aid, the reasons for postponing.
        for note in present.docket_entry(pack, record)["notes"]:
            lines.append(note if len(note) <= NOTE_CHARS else note[:NOTE_CHARS] + "…")
        if limits is None:
            for document, agreed in inboxed:
                text = (
                    translation.gettext(
                        "%(document)s waits for you in your netcourt inbox: it is served on you "
                        "as it arrives there, as you agreed. Open it there to read it."
                    )
                    if agreed
                    else translation.gettext(
                        "%(document)s waits for you in your netcourt inbox: open it there and "
                        "confirm receipt, and it is served on you then."
                    )
                )
                lines.append(text % {"document": document.get(lang)})
            lines.append(translation.gettext("Sign in to read the docket."))
            return subject, "\n".join(lines)
        # With their last day: the party has no case page to read them on.
        for deadline in limits:
            lines.append(
                translation.gettext("%(limit)s: until %(due)s (%(basis)s).")
                % {
                    "limit": present.text(deadline.label),
                    "due": formats.date_format(deadline.due, "DATE_FORMAT"),
                    "basis": present.text(deadline.basis["article"]),
                }
            )
        lines.append(
            translation.gettext(
                "You receive this at the address at which the court served you in this case. "
                "The link in the court's e-mail that served you opens what it served on you, "
                "with the time limits that run for you and how you take part in the case."
            )
        )
        return subject, "\n".join(lines)

    people = recipients(case)
    inboxed = _served_in_inbox(case, pack, serving)
    tell([p for p in people if p.pk not in inboxed], compose, case=case)
    for person in people:
        if person.pk in inboxed:
            tell([person], partial(compose, inboxed=tuple(inboxed[person.pk])), case=case)
    served = _served_without_account(case, serving)
    if not served:
        return
    started = list(case.deadlines.filter(started_by=record, stopped_by__isnull=True))
    for party, languages in served:
        limits = [d for d in started if d.time_limit in limits_of(pack, party.role)]
        tell_addresses([(party.contact_email, languages)], partial(compose, limits=limits))


def _served_in_inbox(
    case: Case, pack: Any, serving: list[ServedDocument]
) -> dict[int, list[tuple[Text, bool]]]:
    """By person: the documents in ``serving`` that go to the netcourt inbox they hold for a
    party first (the party's first route), with whether the party agreed to it."""
    from netcourt.service.actions import inbox_of, routes
    from netcourt.service.models import Channel

    found: dict[int, list[tuple[Text, bool]]] = {}
    for party in case.people():
        documents = [d for d in serving if party.role in d.to]
        first = routes(party, pack)[:1] if documents else []
        person = inbox_of(party) if first and first[0][0] == Channel.INBOX else None
        if person is not None:
            found.setdefault(person.pk, []).extend((d.label, first[0][2]) for d in documents)
    return found


def _served_without_account(
    case: Case, serving: list[ServedDocument]
) -> list[tuple[Party, tuple[str, ...]]]:
    """(party, languages) of the parties the court has served at an e-mail address and who
    have no way into the case (no account of their own, their representative's or their
    members'): they hear of the case's steps there, having no inbox; not of a step that serves
    them a document (the summons), which reaches them itself. The message carries no link: a
    served link's secret is in the e-mail that served the document and nowhere else."""
    from netcourt.service.actions import inbox_of, languages_of
    from netcourt.service.models import Channel, Delivery

    found = []
    for party in case.people():
        if (
            not party.contact_email
            or party.user_id is not None  # (no query: most parties have their own account)
            or any(party.role in d.to for d in serving)
            or inbox_of(party) is not None
        ):
            continue
        served_there = Delivery.objects.filter(
            service__party=party, channel=Channel.EMAIL, address=party.contact_email
        ).exists()
        if served_there:
            found.append((party, languages_of(party)))
    return found


def representation_ended(case: Case, representative: Any) -> None:
    """The representative whose representation a party ended is told, with no link to the
    case, which they can no longer open."""

    def compose(lang: str) -> tuple[str, str]:
        reference = case.number or case.title or str(case.pk)
        subject = translation.gettext("Case %(number)s: your representation ended") % {
            "number": reference
        }
        body = translation.gettext(
            "%(party)s ended your representation in case %(number)s at the %(court)s. You no "
            "longer act in the case and can no longer open it."
        ) % {
            "party": representative.party.name,
            "number": reference,
            "court": case.court.name_in(lang),
        }
        return subject, body

    tell([representative.user], compose)


def fee_notice(case: Case, *, revised: bool = False) -> None:
    """The notice to pay the acceptance fee, to the plaintiff's side, with its last day (once
    the step has started the time limit to pay); or that the court waived or deferred it."""
    deadline = case.deadlines.filter(time_limit="pay_fee", stopped_by__isnull=True).first()

    def compose(lang: str) -> tuple[str, str]:
        due = formats.date_format(deadline.due, "DATE_FORMAT") if deadline else ""
        fee = format_money(case.fee_due or Decimal(0), case.currency, lang)
        subject = translation.gettext("Case %(number)s: acceptance fee %(fee)s") % {
            "number": case.number,
            "fee": fee,
        }
        if deadline is not None and revised:
            text = translation.gettext(
                "After the court's decision on judicial aid, the acceptance fee of your case "
                "%(number)s at the %(court)s is %(fee)s; pay it by %(due)s. If it is not paid "
                "in time, the case is deemed withdrawn (Measures on the Payment of Litigation "
                "Costs, Art. 22; CPL Interpretation Art. 213)."
            )
        elif deadline is not None:
            text = translation.gettext(
                "The %(court)s has docketed your case %(number)s. The acceptance fee is "
                "%(fee)s; pay it by %(due)s. If it is not paid in time, the case is deemed "
                "withdrawn (Measures on the Payment of Litigation Costs, Art. 22). The case page "
                "explains how the fee was calculated."
            )
        elif not case.fee_due:
            text = translation.gettext(
                "The %(court)s has docketed your case %(number)s. The court exempted you from "
                "the acceptance fee (judicial aid): there is nothing to pay."
            )
        else:
            text = translation.gettext(
                "The %(court)s has docketed your case %(number)s. The acceptance fee is "
                "%(fee)s; the court deferred its payment (judicial aid), so it is not due now "
                "and the case is not deemed withdrawn for it. The case page explains how the "
                "fee was calculated."
            )
        values = {"court": case.court.name_in(lang), "number": case.number, "fee": fee}
        return subject, text % {**values, "due": due}

    tell(recipients(case, ("plaintiff",)), compose, case=case)


def extension_requested(case: Case, record: CaseEvent) -> None:
    """The court's presidents are asked to decide on extending the trial period."""
    from netcourt.courts.models import CourtMembership, CourtRole

    def presidents() -> list[Any]:
        members = CourtMembership.objects.filter(
            court=case.court, role=CourtRole.PRESIDENT, active=True
        ).select_related("user")
        return [m.user for m in members]

    def compose(lang: str) -> tuple[str, str]:
        subject = translation.gettext("Case %(number)s: extension of the trial period asked") % {
            "number": case.number
        }
        body = translation.gettext(
            "Judge %(judge)s asks you to approve extending the trial period of case "
            "%(number)s at the %(court)s. Open the case to approve or refuse it."
        ) % {"judge": case.judge, "number": case.number, "court": case.court.name_in(lang)}
        return subject, body

    tell(presidents(), compose, case=case)
