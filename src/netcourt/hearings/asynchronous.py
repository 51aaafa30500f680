"""The asynchronous trial (非同步审理; SPC Online Litigation Rules (2021) Art. 20): the judge
puts questions in writing, the parties answer online within the time set, each at their own
time, and the exchange is the record of the trial.

The judge may order it only when every condition holds (`eligibility`, which the pack's
``order_asynchronous_trial`` checks through its guard `conditions_guard`): a small-claims or
simplified track, a party's written application, every party's consent to steps at different
times, and main facts not in dispute after the evidence exchange. Each round of questions
(``put_questions``) starts the time to answer; an answer after it is still taken, marked late
(`answer_before`). Concluding the trial (``conclude_asynchronous_trial``) makes the record:
`record_after` renders the questions and answers as one bilingual PDF, stores it encrypted,
and the system's ``store_asynchronous_record`` step carries its SHA-256 into the transparency
log — in the same transaction, so a trial is never concluded without its record.

The steps, their roles and the time to answer are the pack's; the conditions read only what
every pack defines (the kind of a track, the parties' consents, the evidence opinions), and
the state of the trial is read from the case's events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from django.db.models import Q
from django.utils.translation import gettext

from netcourt.cases import actions as case_actions
from netcourt.cases import policy
from netcourt.cases.models import Case, CaseEvent
from netcourt.core import clock
from netcourt.core.problems import Problem
from netcourt.evidence.models import EvidenceItem, Opinion, Verdict
from netcourt.evidence.policy import exchange_open
from netcourt.hearings.models import AsynchronousRecord
from netcourt.hearings.record_pdf import asynchronous_record_pdf, stored_pdf
from netcourt.procedure import Pack
from netcourt.service.actions import agrees
from netcourt.service.models import ConsentKind

APPLY_EVENT = "apply_asynchronous_trial"
ORDER_EVENT = "order_asynchronous_trial"
QUESTIONS_EVENT = "put_questions"
ANSWER_EVENT = "answer_questions"
CONCLUDE_EVENT = "conclude_asynchronous_trial"
RETURN_EVENT = "return_to_hearing"
STORE_EVENT = "store_asynchronous_record"
# The steps of the trial that its page offers, in the order it shows them.
STEPS = (APPLY_EVENT, ORDER_EVENT, QUESTIONS_EVENT, ANSWER_EVENT, CONCLUDE_EVENT, RETURN_EVENT)
# The steps of one trial, from the order to its end.
TRIAL_EVENTS = STEPS[1:]
ANSWER_LIMIT = "asynchronous_answer"
# The kinds of track (pack schema) an asynchronous trial is open to.
TRACK_KINDS = frozenset({"small_claims", "simplified"})

TRACK = "track"
APPLICATION = "application"
CONSENT = "consent"
UNDISPUTED = "undisputed"


def conditions() -> list[tuple[str, str]]:
    """The conditions of an asynchronous trial, as (code, translated description), for the
    checklist on the page."""
    return [
        (TRACK, gettext("The case is tried under the small-claims or the simplified procedure.")),
        (APPLICATION, gettext("A party has applied in writing.")),
        (CONSENT, gettext("Every party agrees to take steps at different times.")),
        (
            UNDISPUTED,
            gettext(
                "The evidence was exchanged and no party disputes the authenticity or the "
                "relevance of any item."
            ),
        ),
    ]


def _last_seq(case: Case, event_id: str) -> int:
    """The sequence number of the case's latest ``event_id`` step (0 for none)."""
    seq = case.events.filter(event=event_id).order_by("-seq").values_list("seq", flat=True).first()
    return seq or 0


def _applied(case: Case) -> bool:
    """Whether a party applied since the case last went back to a hearing (an application
    is for one attempt: a return to the hearing answers it)."""
    since = _last_seq(case, RETURN_EVENT)
    return case.events.filter(event=APPLY_EVENT, seq__gt=since).exists()


def _disputed(case: Case) -> list[str]:
    """The items, named for the reader, that an opinion does not accept as authentic or as
    relevant (an opinion, not a reply: replies carry no verdicts)."""
    opinions = (
        Opinion.objects.filter(item__case=case, reply_to__isnull=True)
        .exclude(authenticity=Verdict.ACCEPTED, relevance=Verdict.ACCEPTED)
        .select_related("item__party")
        .order_by("item__party__position", "item__number")
    )
    return list(dict.fromkeys(_item_name(o.item) for o in opinions))


def _unexamined(case: Case) -> list[str]:
    """The items, named for the reader, on which no other party has given an opinion: until
    each has one, nothing says its facts are undisputed."""
    items = (
        EvidenceItem.objects.filter(case=case)
        .select_related("party")
        .order_by("party__position", "number")
    )
    examined = {
        (item_id, party_id)
        for item_id, party_id in Opinion.objects.filter(
            item__case=case, reply_to__isnull=True
        ).values_list("item_id", "party_id")
    }
    return [
        _item_name(item)
        for item in items
        if not any(i == item.pk and p != item.party_id for i, p in examined)
    ]


def _item_name(item: EvidenceItem) -> str:
    return gettext("%(role)s's evidence %(number)s") % {
        "role": item.party.get_role_display(),
        "number": item.number,
    }


def eligibility(case: Case) -> list[tuple[str, str]]:
    """The conditions of an asynchronous trial that ``case`` does not meet, as (code, a
    translated sentence saying why); empty when it may be ordered."""
    failing: list[tuple[str, str]] = []
    track = case.court.pack.tracks.get(case.track)
    if track is None or track.kind not in TRACK_KINDS:
        failing.append(
            (
                TRACK,
                gettext(
                    "Only a case under the small-claims or the simplified procedure can be "
                    "tried asynchronously."
                ),
            )
        )
    if not _applied(case):
        failing.append(
            (APPLICATION, gettext("No party has applied in writing for an asynchronous trial."))
        )
    missing = [p.name for p in case.people() if not agrees(p, ConsentKind.ASYNCHRONOUS)]
    if missing:
        failing.append(
            (
                CONSENT,
                gettext(
                    "Not every party has agreed to take steps at different times (still to "
                    "agree: %(parties)s)."
                )
                % {"parties": ", ".join(missing)},
            )
        )
    if not EvidenceItem.objects.filter(case=case).exists():
        failing.append(
            (
                UNDISPUTED,
                gettext("The evidence exchange has not taken place: no evidence was submitted."),
            )
        )
    elif not exchange_open(case):
        failing.append(
            (
                UNDISPUTED,
                gettext(
                    "The evidence exchange has not taken place: the parties do not see each "
                    "other's evidence yet."
                ),
            )
        )
    elif unexamined := _unexamined(case):
        failing.append(
            (
                UNDISPUTED,
                gettext(
                    "The evidence exchange is not finished: the other side has not given its "
                    "opinion on %(items)s."
                )
                % {"items": ", ".join(unexamined)},
            )
        )
    elif disputed := _disputed(case):
        failing.append(
            (
                UNDISPUTED,
                gettext(
                    "The main facts are in dispute: an opinion disputes the authenticity or the "
                    "relevance of %(items)s."
                )
                % {"items": ", ".join(disputed)},
            )
        )
    return failing


def conditions_guard(case: Case) -> str | None:
    """``order_asynchronous_trial`` (effect ``asynchronous_conditions``): why the judge cannot
    order it now, every failing condition said; None when all hold."""
    failing = eligibility(case)
    return " ".join(message for _, message in failing) or None


def order(user: Any, case_id: UUID | str, version: int | None) -> CaseEvent:
    """The judge orders the asynchronous trial. A case that does not meet every condition is
    refused with ``asynchronous_not_allowed``, saying why and listing the codes of the failing
    conditions (``conditions``); the step's guard checks again under the case's lock."""
    case = policy.get_case(user, case_id)
    event = case.court.pack.events[ORDER_EVENT]
    roles = policy.case_roles(user, case)
    if roles.intersection(event.roles) and case.state in event.from_states:
        failing = eligibility(case)
        if failing:
            raise Problem(
                "asynchronous_not_allowed",
                " ".join(message for _, message in failing),
                status=409,
                extra={"conditions": [code for code, _ in failing]},
            )
    return case_actions.fire(user, case.pk, ORDER_EVENT, version)


def _round_now(case: Case) -> int:
    """How many rounds of questions the judge has put since ordering the trial."""
    since = _last_seq(case, ORDER_EVENT)
    return case.events.filter(event=QUESTIONS_EVENT, seq__gt=since).count()


def answer_before(case: Case, pack: Pack, inputs: Mapping[str, object]) -> dict[str, Any]:
    """``answer_questions`` (effect ``asynchronous_answer``): which round the answer is for,
    and whether it came after the time to answer (it is taken all the same, marked late)."""
    current = _round_now(case)
    if current == 0:
        raise Problem(
            "wrong_state", gettext("The court has not put any questions yet."), status=409
        )
    deadline = (
        case.deadlines.filter(
            time_limit=ANSWER_LIMIT, stopped_by__isnull=True, suspended_on__isnull=True
        )
        .order_by("-pk")
        .first()
    )
    return {"late": deadline is not None and clock.today() > deadline.due, "round": current}


# --- the thread of questions and answers ---------------------------------------------------


@dataclass(frozen=True)
class Written:
    """A step taken in writing: its event, the text it carries, and whether it was late."""

    event: CaseEvent
    text: str
    late: bool = False


@dataclass(frozen=True)
class Round:
    """One round: the court's questions, the last day to answer them, and the answers."""

    number: int
    questions: Written
    due: date | None
    answers: list[Written]


@dataclass(frozen=True)
class Thread:
    """The trial so far: the applications for it, the order, the rounds, and how it ended
    (concluded, or returned to a hearing) if it has."""

    applications: list[Written]
    ordered: Written | None
    rounds: list[Round]
    ended: Written | None


def _text(event: CaseEvent, name: str) -> str:
    return str(event.payload.get("inputs", {}).get(name, ""))


def thread(case: Case) -> Thread:
    """The applications since the last return to a hearing, and the latest trial ordered
    since: its questions and answers by round, in order."""
    since = _last_seq(case, RETURN_EVENT)
    ordered_at = _last_seq(case, ORDER_EVENT)
    wanted = Q(event=APPLY_EVENT, seq__gt=since)
    if ordered_at:
        wanted |= Q(event__in=TRIAL_EVENTS, seq__gte=ordered_at)
    events = list(
        case.events.filter(wanted).select_related("actor", "on_behalf_of").order_by("seq")
    )
    due = dict(
        case.deadlines.filter(
            time_limit=ANSWER_LIMIT,
            started_by__in=[e.pk for e in events if e.event == QUESTIONS_EVENT],
        ).values_list("started_by_id", "due")
    )
    applications = [Written(e, _text(e, "reasons")) for e in events if e.event == APPLY_EVENT]
    ordered = ended = None
    rounds: list[Round] = []
    for event in events:
        if event.event == ORDER_EVENT:
            ordered = Written(event, "")
        elif event.event == QUESTIONS_EVENT:
            questions = Written(event, _text(event, "questions"))
            rounds.append(Round(len(rounds) + 1, questions, due.get(event.pk), []))
        elif event.event == ANSWER_EVENT:
            number = int(event.payload.get("round", len(rounds)))
            if 0 < number <= len(rounds):
                late = bool(event.payload.get("late"))
                rounds[number - 1].answers.append(Written(event, _text(event, "answers"), late))
        elif event.event in (CONCLUDE_EVENT, RETURN_EVENT):
            ended = Written(event, _text(event, "reasons"))
    return Thread(applications, ordered, rounds, ended)


def record_after(case: Case, pack: Pack, record: CaseEvent) -> None:
    """``conclude_asynchronous_trial`` (effect ``asynchronous_record``): the questions and
    answers as the record of the trial, one bilingual PDF stored encrypted (blob first), and
    the system's ``store_asynchronous_record`` step carrying its SHA-256 into the log."""
    pdf = asynchronous_record_pdf(case, thread(case), pack.events[CONCLUDE_EVENT].basis)
    with stored_pdf(case, pdf, f"asynchronous-record-{case.pk}.pdf") as blob:
        blob.save(force_insert=True)
        stored = case_actions.fire_as_system(
            case,
            STORE_EVENT,
            {},
            {"record": {"concluded": record.seq, "sha256": blob.sha256, "size": blob.size}},
        )
        AsynchronousRecord.objects.create(
            case=case, concluded_by=record, blob=blob, event=stored, made_at=clock.now()
        )


def latest_record(case: Case) -> AsynchronousRecord | None:
    return (
        AsynchronousRecord.objects.filter(case=case)
        .select_related("blob", "event")
        .order_by("-made_at")
        .first()
    )
