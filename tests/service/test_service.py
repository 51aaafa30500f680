"""Consent and electronic service, as the parties and the court see them."""

from __future__ import annotations

import hashlib
import html
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail as sent_mail
from django.test import Client
from django.urls import reverse
from django.utils import formats, translation

from netcourt.accounts import identity
from netcourt.cases import actions as case_actions
from netcourt.cases import policy as case_policy
from netcourt.cases.models import Case, CaseDeadline, CaseEvent
from netcourt.core import clock
from netcourt.core.problems import Problem
from netcourt.hearings import ics, scheduling
from netcourt.hearings.models import Hearing
from netcourt.service import actions, channels, notifications
from netcourt.service.models import Consent, Notification, Service
from netcourt.transparency.models import LogEntry
from tests.conftest import signed_in
from tests.hearings.test_scheduling import in_evidence_exchange


def _defendant(case: Case, user: Any = None, email: str = "") -> Any:
    party = case.parties.get(role="defendant")
    party.user = user
    party.contact_email = email
    party.save()
    return party


def _serve_complaint(case: Case, staff: dict[str, Any], capture: Any) -> Case:
    case.refresh_from_db()
    with capture(execute=True):
        case_actions.fire(staff["clerk-hangzhou"], case.id, "serve_complaint", case.version)
    case.refresh_from_db()
    return case


SERVED_LINK = re.compile(r"https?://[^/\s]+(/served/[^/\s]+/)")


def served_link(text: str) -> str:
    """The path of the served document's link in a message's ``text``."""
    found = SERVED_LINK.search(text)
    assert found is not None, text
    return found.group(1)


def mailed_link(address: str) -> str:
    """The served link in the last message e-mailed to ``address`` (Django's test outbox)."""
    [*_, last] = [m for m in sent_mail.outbox if address in m.to]
    return served_link(last.body)


def _statuses(case: Case) -> list[tuple[str, str]]:
    return [
        (e.payload["channel"], e.payload["status"])
        for e in CaseEvent.objects.filter(case=case, event="record_service").order_by("seq")
        if e.payload["document"] == "complaint_copy"
    ]


def test_a_party_who_agreed_to_the_inbox_is_served_there_and_the_answer_period_starts(
    accepted, staff, bob, django_capture_on_commit_callbacks
) -> None:
    party = _defendant(accepted, bob)
    actions.record_consent(
        bob, accepted.pk, party.pk, "electronic_service", "given", channels=["inbox"]
    )
    case = _serve_complaint(accepted, staff, django_capture_on_commit_callbacks)
    assert case.state == "answer_period"  # confirm_service, taken by the system
    service = Service.objects.get(document="complaint_copy")
    assert service.effective_by == "delivered" and service.effective_at is not None
    assert _statuses(case) == [("inbox", "delivered"), ("inbox", "served")]
    answer = CaseDeadline.objects.get(case=case, time_limit="answer")
    assert answer.start == clock.today()
    note = Notification.objects.get(user=bob, delivery__isnull=False)
    opened = reverse("service:received", args=[note.delivery_id])
    assert f'href="{opened}"' in signed_in(bob).get(reverse("service:inbox")).content.decode()
    assert signed_in(bob).get(opened).status_code == 200
    assert signed_in(case.created_by).get(opened).status_code == 404  # bob's inbox alone
    confirm = CaseEvent.objects.get(case=case, event="confirm_service")
    assert confirm.actor is None and confirm.payload["served"] == "complaint_copy"
    leaves = [json.loads(r) for r in LogEntry.objects.values_list("record", flat=True)]
    hashes = {leaf.get("hash") for leaf in leaves}
    recorded = CaseEvent.objects.filter(case=case, event="record_service")
    assert all(e.hash in hashes for e in recorded)  # each record is a log leaf
    assert not any("inbox" in str(leaf) or "bob" in str(leaf) for leaf in leaves)


def test_an_address_never_agreed_to_serves_only_when_read(
    accepted, staff, django_smtp, django_capture_on_commit_callbacks
) -> None:
    _defendant(accepted, None, "orders@shop.example")
    case = _serve_complaint(accepted, staff, django_capture_on_commit_callbacks)
    assert case.state == "served"
    [mail] = [m for m in django_smtp.messages if "orders@shop.example" in m.recipients]
    assert "Copy of the statement of claim" in mail.message["Subject"]
    service = Service.objects.get(document="complaint_copy")
    delivery = service.deliveries.get()
    assert delivery.status == "delivered" and not delivery.consented
    assert service.effective_at is None
    link = served_link(mail.message.get_content())
    reader = Client()
    assert reader.get(link).status_code == 200
    service.refresh_from_db()
    assert service.effective_at is None  # a scanner fetching the link reads nothing
    with django_capture_on_commit_callbacks(execute=True):
        page = reader.post(link).content.decode()
    assert "Receipt confirmed" in page
    # The page shows the document served, the statement of claim, to someone with no account
    # in the case (no link to a case page they cannot open), and again on each later visit.
    facts = accepted.filing["facts"]
    assert "The document" in page and facts.splitlines()[0] in page
    assert reverse("cases:detail", args=[case.id]) not in page
    assert facts.splitlines()[0] in reader.get(link).content.decode()
    case.refresh_from_db()
    assert case.state == "answer_period"
    assert _statuses(case)[-2:] == [("email", "read"), ("email", "served")]


def filed_in_chinese(draft: Case, staff: dict[str, Any]) -> Case:
    """``draft`` submitted by a filer using the site in Chinese, and docketed."""
    with translation.override("zh-hans"):
        case_actions.fire(draft.created_by, draft.id, "submit", draft.version)
    draft.refresh_from_db()
    case_actions.fire(staff["clerk-hangzhou"], draft.id, "accept", draft.version)
    draft.refresh_from_db()
    return draft


def test_a_party_whose_language_is_unknown_is_served_in_the_cases_language_then_the_other(
    draft, staff, django_smtp, django_capture_on_commit_callbacks
) -> None:
    case = filed_in_chinese(draft, staff)
    _defendant(case, None, "orders@shop.example")
    _serve_complaint(case, staff, django_capture_on_commit_callbacks)
    [mail] = [m for m in django_smtp.messages if "orders@shop.example" in m.recipients]
    assert " ".join(mail.message["Subject"].split()) == (
        f"案件 {case.number}：起诉状副本 / Case {case.number}: Copy of the statement of claim"
    )
    text = mail.message.get_content()
    chinese = text.index("杭州互联网法院向您送达")
    english = text.index("The Hangzhou Internet Court serves on you")
    link = text.index("/served/")
    assert chinese < english < link


def test_the_served_page_shows_the_document_as_served_in_the_readers_page(
    draft, staff, django_capture_on_commit_callbacks
) -> None:
    """A Chinese case's statement of claim, opened in an English browser: the page speaks
    English, the document is the statement as filed, in Chinese, and its fingerprint is the one
    recorded when it was filed and served (recomputed here from what the page shows)."""
    case = filed_in_chinese(draft, staff)
    _defendant(case, None, "orders@shop.example")
    _serve_complaint(case, staff, django_capture_on_commit_callbacks)
    service = Service.objects.get(document="complaint_copy")
    link = mailed_link("orders@shop.example")
    reader = Client(HTTP_ACCEPT_LANGUAGE="en")
    with django_capture_on_commit_callbacks(execute=True):
        page = reader.post(link).content.decode()
    assert "Receipt confirmed" in page and "The document" in page
    [shown] = re.findall(r'<div class="statement" lang="zh-Hans">(.*?)</div>', page, re.S)
    shown = html.unescape(shown)
    assert shown.startswith("民事起诉状") and "STATEMENT OF CLAIM" not in page
    fingerprint = hashlib.sha256(shown.encode("utf-8")).hexdigest()
    filed = CaseEvent.objects.get(case=case, event="submit").payload["statement_sha256"]
    assert fingerprint == service.sha256 == filed
    assert f'<code class="hash">{fingerprint}</code>' in page
    recorded = CaseEvent.objects.filter(case=case, event="record_service")
    assert {e.payload["sha256"] for e in recorded} == {fingerprint}


def test_a_document_served_before_the_text_was_kept_is_written_out_again(
    draft, staff, django_capture_on_commit_callbacks
) -> None:
    """A service recorded before the court kept the text it serves (an upgraded court): its
    page still shows the document, and says it was written out again."""
    case = filed_in_chinese(draft, staff)
    _defendant(case, None, "orders@shop.example")
    _serve_complaint(case, staff, django_capture_on_commit_callbacks)
    Service.objects.filter(document="complaint_copy").update(text="", text_language="")
    with django_capture_on_commit_callbacks(execute=True):
        page = Client().post(mailed_link("orders@shop.example")).content.decode()
    assert "民事起诉状" in page and "Written out again from the case file" in page
    assert "As it was served" not in page


def test_the_language_of_what_a_party_is_sent(accepted, bob) -> None:
    """Its own, when the person whose inbox receives its documents chose one; otherwise both,
    the case's first: the language it was filed in, else the one its court works in."""
    party = _defendant(accepted, None, "orders@shop.example")
    assert accepted.statement_language == "en"
    assert actions.languages_of(party) == ("en", "zh-hans")
    accepted.statement_language = ""  # (a case filed before the language was recorded)
    accepted.save()
    party = accepted.parties.get(role="defendant")
    assert actions.languages_of(party) == ("zh-hans", "en")  # the pack's: a Chinese court
    party = _defendant(accepted, bob)
    assert actions.languages_of(party) == ("en",)


def test_withdrawn_consent_changes_how_the_next_document_is_served(
    accepted, staff, bob, frozen, django_capture_on_commit_callbacks
) -> None:
    party = _defendant(accepted, bob)
    party.address = ""  # and the court knows no postal address: no paper route either
    party.save()
    actions.record_consent(
        bob, accepted.pk, party.pk, "electronic_service", "given", channels=["inbox"]
    )
    actions.record_consent(bob, accepted.pk, party.pk, "electronic_service", "withdrawn")
    assert [c.decision for c in Consent.objects.filter(party=party)] == ["given", "withdrawn"]
    case = _serve_complaint(accepted, staff, django_capture_on_commit_callbacks)
    service = Service.objects.get(document="complaint_copy")
    assert [d.channel for d in service.deliveries.all()] == ["notice"]  # not the inbox
    assert service.notice_at == frozen.now() and case.state == "served"
    frozen.advance(timedelta(days=29, hours=23))
    with django_capture_on_commit_callbacks(execute=True):
        actions.sweep()
    case.refresh_from_db()
    assert case.state == "served"
    frozen.advance(timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        actions.sweep()
    case.refresh_from_db()
    service.refresh_from_db()
    assert case.state == "answer_period"
    assert service.effective_by == "public_notice"
    assert service.effective_at == service.notice_at + timedelta(days=30)


def test_a_refused_address_falls_back_to_sms_and_the_gateway_reports_delivery(
    accepted, staff, bob, settings, django_smtp, sms_gateway, django_capture_on_commit_callbacks
) -> None:
    settings.NETCOURT_SMS_GATEWAY = sms_gateway.url
    party = _defendant(accepted, bob)
    django_smtp.refuse("bob@mail.example")
    actions.record_consent(
        bob,
        accepted.pk,
        party.pk,
        "electronic_service",
        "given",
        channels=["email", "sms"],
        email="bob@mail.example",
        phone="+8613800138000",
    )
    before = Case.objects.get(pk=accepted.pk).version
    case = _serve_complaint(accepted, staff, django_capture_on_commit_callbacks)
    assert case.version == before + 1  # the service records leave the party's forms valid
    service = Service.objects.get(document="complaint_copy")
    email, sms = service.deliveries.all()
    assert (email.channel, email.status, email.error) == ("email", "failed", "recipient_refused")
    assert (sms.channel, sms.status) == ("sms", "sent") and case.state == "served"
    [text] = sms_gateway.messages
    assert text.to == "+8613800138000" and sms.gateway_id == text.sid
    report = sms_gateway.status_report(text.sid, "delivered")
    forged = Client().post(
        reverse("service:sms-status"), report.form, HTTP_X_TWILIO_SIGNATURE="forged"
    )
    assert forged.status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        answer = Client().post(
            reverse("service:sms-status"), report.form, HTTP_X_TWILIO_SIGNATURE=report.signature
        )
    assert answer.status_code == 204
    case.refresh_from_db()
    assert case.state == "answer_period"
    assert [s for _, s in _statuses(case)] == ["failed", "sent", "delivered", "served"]
    addresses = [
        e.payload["address"] for e in CaseEvent.objects.filter(case=case, event="record_service")
    ]
    assert "b***@mail.example" in addresses and "+861******8000" in addresses


def test_bad_consent_is_refused_with_a_reason_and_records_nothing(accepted, bob) -> None:
    party = _defendant(accepted, bob)
    events = CaseEvent.objects.count()
    for kwargs, field in (
        ({"channels": ["sms"], "phone": "13800138000"}, "phone"),
        ({"channels": ["email"], "email": "not-an-address"}, "email"),
        ({"channels": []}, "channels"),
        ({"channels": ["fax"]}, "channels"),
    ):
        with pytest.raises(Problem) as refused:
            actions.record_consent(
                bob, accepted.pk, party.pk, "electronic_service", "given", **kwargs
            )
        assert (refused.value.code, refused.value.field) == ("input_invalid", field)
    plaintiff = accepted.parties.get(role="plaintiff")
    with pytest.raises(Problem) as refused:
        actions.record_consent(bob, accepted.pk, plaintiff.pk, "online_litigation", "given")
    assert refused.value.code == "role_not_allowed"
    assert not Consent.objects.exists() and CaseEvent.objects.count() == events


def test_the_consent_page_shows_and_changes_each_choice(accepted, bob) -> None:
    party = _defendant(accepted, bob)
    page = signed_in(bob)
    url = reverse("service:case", args=[accepted.pk])
    shown = page.get(url).content.decode()
    assert "What you agree to do online" in shown and "Notice to pay the acceptance fee" in shown
    answer = page.post(
        reverse("service:consent", args=[accepted.pk]),
        {"party": party.pk, "kind": "online_litigation", "decision": "withdrawn"},
    )
    assert answer.status_code == 302
    assert actions.current_consents(party)["online_litigation"].decision == "withdrawn"
    bad = page.post(
        reverse("service:consent", args=[accepted.pk]),
        {
            "party": party.pk,
            "kind": "electronic_service",
            "decision": "given",
            "channels": ["sms"],
            "phone": "123",
        },
    )
    assert bad.status_code == 422 and "international form" in bad.content.decode()
    assert "electronic_service" not in actions.current_consents(party)


def test_reminders_come_before_a_time_limit_ends_once_each(
    accepted, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    fee = CaseDeadline.objects.get(case=accepted, time_limit="pay_fee")
    three_days_before = datetime.combine(fee.due - timedelta(days=3), datetime.min.time(), UTC)
    with clock.use(clock.FixedClock(three_days_before + timedelta(hours=2))):
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                notifications.remind()
    plaintiff = accepted.created_by
    [note] = Notification.objects.filter(user=plaintiff)
    assert note.link == reverse("cases:detail", args=[accepted.pk])
    assert "预交案件受理费期限" in note.subject  # in the plaintiff's language
    assert [m.to for m in mailoutbox] == [[plaintiff.email]]
    assert note.subject == mailoutbox[0].subject


def test_staff_get_one_digest_a_day_of_what_falls_due(
    accepted, staff, django_capture_on_commit_callbacks
) -> None:
    morning = datetime.combine(clock.today(), datetime.min.time(), UTC) + timedelta(hours=1)
    with clock.use(clock.FixedClock(morning)):  # 09:00 in Beijing
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                notifications.digest()
    [digest] = Notification.objects.filter(user=staff["clerk-hangzhou"])
    assert accepted.number in digest.body
    assert not Notification.objects.filter(user=staff["clerk-beijing"]).exists()


def test_a_reminder_also_goes_by_sms_to_a_side_that_agreed_to_it(
    accepted, settings, sms_gateway, django_capture_on_commit_callbacks
) -> None:
    settings.NETCOURT_SMS_GATEWAY = sms_gateway.url
    plaintiff = accepted.parties.get(role="plaintiff")
    actions.record_consent(
        accepted.created_by,
        accepted.pk,
        plaintiff.pk,
        "electronic_service",
        "given",
        channels=["sms"],
        phone="+8613900139000",
    )
    fee = CaseDeadline.objects.get(case=accepted, time_limit="pay_fee")
    day_before = datetime.combine(fee.due - timedelta(days=1), datetime.min.time(), UTC)
    with clock.use(clock.FixedClock(day_before + timedelta(hours=2))):
        with django_capture_on_commit_callbacks(execute=True):
            notifications.remind()
    [text] = sms_gateway.messages
    assert text.to == "+8613900139000" and accepted.number in text.body


def test_a_represented_party_without_an_account_is_served_in_its_lawyers_inbox(
    accepted, staff, bob, django_capture_on_commit_callbacks
) -> None:
    from netcourt.cases.models import Representative

    party = _defendant(accepted, None)
    Representative.objects.create(
        party=party, user=bob, kind="lawyer", licence_number="13301201910123456", active=True
    )
    _serve_complaint(accepted, staff, django_capture_on_commit_callbacks)
    delivery = Service.objects.get(document="complaint_copy").deliveries.get()
    assert (delivery.channel, delivery.consented) == ("inbox", False)
    assert Notification.objects.get(delivery=delivery).user == bob
    # The lawyer opens it from the inbox (no secret link: the inbox is theirs alone) and is
    # taken to the case.
    opened = reverse("service:received", args=[delivery.pk])
    assert Client().post(opened).status_code == 302  # to sign in
    Representative.objects.filter(user=bob).update(active=False)  # the mandate ends
    assert signed_in(bob).get(opened).status_code == 404
    Representative.objects.filter(user=bob).update(active=True)
    with django_capture_on_commit_callbacks(execute=True):
        page = signed_in(bob).post(opened).content.decode()
    assert f'href="/cases/{accepted.pk}/"' in page
    assert "How an organisation takes part" not in page
    assert accepted.access_log.filter(user=bob, what="served:complaint_copy").exists()


def test_a_party_who_withdrew_consent_to_online_hearings_is_summoned_to_the_courtroom(
    exchanging, bob, alice, frozen, django_capture_on_commit_callbacks
) -> None:
    defendant = exchanging.parties.get(role="defendant")
    plaintiff = exchanging.parties.get(role="plaintiff")
    actions.record_consent(alice, exchanging.pk, plaintiff.pk, "online_litigation", "given")
    actions.record_consent(bob, exchanging.pk, defendant.pk, "online_litigation", "given")
    actions.record_consent(bob, exchanging.pk, defendant.pk, "online_litigation", "withdrawn")
    exchanging.refresh_from_db()
    case_actions.fire(
        bob, exchanging.id, "file_answer", exchanging.version, {"answer": "We delivered."}
    )
    exchanging.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        record = scheduling.schedule(
            exchanging.judge,
            exchanging.id,
            exchanging.version,
            starts_at=frozen.now() + timedelta(days=10),
        )
    assert record.payload["attendance"] == {
        str(plaintiff.pk): "online",
        str(defendant.pk): "in_court",
    }
    summons = {s.party_id: s for s in Service.objects.filter(document="hearing_notice")}
    assert "in the courtroom" in summons[defendant.pk].body["en"]
    assert (
        "在法庭" in summons[defendant.pk].body["zh-hans"] or summons[defendant.pk].body["zh-hans"]
    )
    assert "online, by video" in summons[plaintiff.pk].body["en"]
    assert summons[plaintiff.pk].sha256 != summons[defendant.pk].sha256


def test_a_party_who_refused_is_served_on_paper_then_by_public_notice_on_the_board(
    accepted, staff, bob, frozen, django_capture_on_commit_callbacks
) -> None:
    party = _defendant(accepted, bob)
    party.address = "浙江省杭州市余杭区文一西路 1 号"
    party.save()
    actions.record_consent(bob, accepted.pk, party.pk, "electronic_service", "refused")
    _serve_complaint(accepted, staff, django_capture_on_commit_callbacks)
    service = Service.objects.get(document="complaint_copy")
    [paper] = service.deliveries.all()  # no electronic route: paper, the clerk's task
    assert (paper.channel, paper.status) == ("paper", "pending") and service.notice_at is None
    clerk = staff["clerk-hangzhou"]
    queue = signed_in(clerk).get(reverse("courts:queue", args=["hangzhou"])).content.decode()
    assert "Documents to serve on paper" in queue and accepted.number in queue
    with django_capture_on_commit_callbacks(execute=True):
        actions.record_paper_service(clerk, service.pk, frozen.now().date(), returned=True)
    service.refresh_from_db()
    assert service.notice_at is not None  # every route failed: the public notice
    board = Client().get(reverse("service:notices")).content.decode()
    assert accepted.number in board and party.name in board
    with pytest.raises(Problem) as refused:
        actions.record_paper_service(bob, service.pk, frozen.now().date())
    assert refused.value.code == "not_found"
    with pytest.raises(Problem) as future:
        actions.record_paper_service(clerk, service.pk, frozen.now().date() + timedelta(days=1))
    assert (future.value.code, future.value.field) == ("input_invalid", "served_on")
    served_on = frozen.now().date() + timedelta(days=2)
    frozen.advance(timedelta(days=6))  # the clerk records it some days later
    page = signed_in(clerk)
    with django_capture_on_commit_callbacks(execute=True):
        answer = page.post(
            reverse("service:paper", args=[accepted.pk, service.pk]),
            {"served_on": served_on.isoformat()},
        )
    assert answer.status_code == 302
    service.refresh_from_db()
    accepted.refresh_from_db()
    assert service.effective_by == "paper" and accepted.state == "answer_period"
    answer_period = CaseDeadline.objects.get(case=accepted, time_limit="answer")
    assert answer_period.start == served_on  # from the day it was served, not recorded
    assert [(d.channel, d.status) for d in service.deliveries.all()] == [
        ("paper", "failed"),
        ("notice", "sent"),
        ("paper", "delivered"),
    ]
    assert "served otherwise" in Client().get(reverse("service:notices")).content.decode()


def test_a_summons_served_by_e_mail_carries_the_hearings_calendar_invitation_and_a_new_time(
    exchanging, staff, frozen, django_smtp, django_capture_on_commit_callbacks
) -> None:
    """A party served at an e-mail address (no account, so no notification e-mail with an
    invitation) finds the hearing's .ics in the summons itself, in its language."""
    exchanging = in_evidence_exchange(exchanging, staff)
    defendant = _defendant(exchanging, None, "legal@shop.example")
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.schedule(
            exchanging.judge,
            exchanging.id,
            exchanging.version,
            starts_at=frozen.now() + timedelta(days=10),
        )
    hearing = Hearing.objects.get(case=exchanging)
    [mail] = [m for m in django_smtp.messages if "legal@shop.example" in m.recipients]
    parts = [part for part in mail.message.walk() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    assert parts[0].get_param("method") == "REQUEST"
    invitation = parts[0].get_payload(decode=True).decode()
    assert f"UID:{ics.uid(hearing)}" in invitation
    language = (
        Service.objects.get(party=defendant, document="hearing_notice")
        .deliveries.get(channel="email")
        .languages[0]
    )
    with translation.override(language):
        summary = translation.gettext("Hearing in case %(number)s") % {"number": exchanging.number}
    assert f"SUMMARY:{summary}" in invitation.replace("\r\n ", "")
    others = Service.objects.exclude(document="hearing_notice")
    assert all(channels.attachments(service, "en") == [] for service in others)

    # Postponed: the new time is served too, its invitation replacing the first.
    exchanging.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.postpone(
            exchanging.judge,
            exchanging.id,
            exchanging.version,
            starts_at=frozen.now() + timedelta(days=12),
            minutes=30,
            reasons="The defendant's lawyer is ill.",
        )
    mails = [m for m in django_smtp.messages if "legal@shop.example" in m.recipients]
    assert len(mails) == 2
    [moved] = [p for p in mails[1].message.walk() if p.get_content_type() == "text/calendar"]
    again = moved.get_payload(decode=True).decode()
    assert f"UID:{ics.uid(hearing)}" in again and "SEQUENCE:1" in again
    assert Service.objects.filter(party=defendant, document="hearing_postponed_notice").exists()
    assert (
        channels.attachments(Service.objects.get(party=defendant, document="hearing_notice"), "en")
        == []
    )


@pytest.mark.parametrize("typed", ["\u0663", "1_0", "\u00b2", "9" * 5000])
def test_the_consent_form_names_a_party_in_ascii_digits_only(typed) -> None:
    """int() reads Arabic-Indic digits and underscores: "٣" named party 3."""
    from netcourt.service.forms import ConsentForm

    good = {"party": "3", "kind": "online_litigation", "decision": "given"}
    assert ConsentForm(data=good).is_valid() and ConsentForm(data=good).consent_party == 3
    form = ConsentForm(data={**good, "party": typed})
    assert not form.is_valid() and "party" in form.errors
    assert form.consent_party is None


# A court's eID provider as NETCOURT_EID names it (never contacted by these tests).
EID = {
    "issuer": "https://eid.example",
    "client_id": "netcourt",
    "client_secret": "secret",
    "scopes": ["openid", "profile"],
    "claims": {"legal_name": "name"},
    "name": {"en": "Test eID", "zh": "测试电子身份"},
}


def test_the_person_served_joins_the_case_online_with_a_verified_account(
    accepted, staff, django_capture_on_commit_callbacks, settings
) -> None:
    """A defendant with no account receives the complaint by e-mail, confirms receipt, signs
    up, verifies their identity with the eID provider and takes part online as the party;
    only as themselves: the built-in document check, which takes the name as typed, is not
    enough."""
    from tests.conftest import make_user

    def eid_verified(user: Any, name: str) -> Any:
        identity.verify_eid(
            user,
            provider="test",
            level="eid_verified",
            issuer="https://eid.example",
            subject=f"sub-{user.pk}",
            legal_name=name,
        )
        return user

    settings.NETCOURT_EID = EID
    carol = make_user("carol")
    eid_verified(carol, str(carol))
    party = _defendant(accepted, None, "carol@example.org")
    party.kind, party.name = "natural", str(carol)
    party.save()
    case = _serve_complaint(accepted, staff, django_capture_on_commit_callbacks)
    link = mailed_link("carol@example.org")
    join = f"{link}join/"
    assert "Take part in this case online" not in Client().get(link).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        page = Client().post(link).content.decode()
    assert "Take part in this case online" in page and "/accounts/login/?next=" in page
    # Someone else, even verified, cannot take the party's place; nor someone unverified.
    mallory = eid_verified(make_user("mallory-x"), "Mallory")
    refused = signed_in(mallory).post(join)
    assert refused.status_code == 422 and "is not the name this case gives" in (
        refused.content.decode()
    )
    # A document check with the party's name typed in is not proof of being the party.
    typed = make_user("typed-it-in")
    identity.verify_document(typed, str(carol), "prc-id", "11010519491231002X")
    assert signed_in(typed).post(join).status_code == 403
    assert signed_in(make_user("unverified")).post(join).status_code == 403
    party.refresh_from_db()
    assert party.user_id is None
    with django_capture_on_commit_callbacks(execute=True):
        done = signed_in(carol).post(join)
    assert done.status_code == 302 and done["Location"] == f"/cases/{case.id}/"
    party.refresh_from_db()
    assert party.user == carol
    assert case_policy.case_roles(carol, case) == {"defendant"}
    joined = CaseEvent.objects.get(case=case, event="join_online")
    assert joined.actor is None and joined.payload["party_id"] == party.pk
    docket = signed_in(case.created_by).get(f"/cases/{case.id}/").content.decode()
    assert f"当事人：{party.name}" in docket  # which party joined
    again = signed_in(carol).post(join)
    assert again.status_code == 409  # one account per party, once
    # The page now leads into the case instead.
    assert f'href="/cases/{case.id}/"' in signed_in(carol).get(link).content.decode()


def test_an_organisation_does_not_join_through_a_served_link(
    accepted, staff, django_capture_on_commit_callbacks
) -> None:
    from tests.conftest import make_user

    _defendant(accepted, None, "orders@shop.example")  # the fixture's company
    _serve_complaint(accepted, staff, django_capture_on_commit_callbacks)
    link = mailed_link("orders@shop.example")
    with django_capture_on_commit_callbacks(execute=True):
        page = Client().post(link).content.decode()
    assert "Take part in this case online" not in page
    # It is told how it takes part instead: through its legal representative or an
    # authorised staff member, approved to act for it, once the court links the party.
    assert "How an organisation takes part" in page
    assert "Yungou E-commerce Co., Ltd. takes part through its legal representative" in page
    assert f'href="{reverse("account_organisations")}"' in page
    assert (
        "They ask the Hangzhou Internet Court to link this party to the organisation, giving "
        f"the case number {accepted.number}" in page
    )
    assert "Defendant&#x27;s answer</strong>: last day" in page
    # Once the court has linked the party to its registered organisation, it waits only for
    # the person's authority to be approved.
    from netcourt.accounts.models import Organisation

    party = accepted.parties.get(role="defendant")
    party.organisation = Organisation.objects.create(
        name=party.name, credit_code="91330110MA2H3K7D8J", created_at=clock.now()
    )
    party.save()
    page = Client().get(link).content.decode()
    assert "This party is linked to its organisation already" in page
    assert "to link this party to the organisation" not in page
    joined = signed_in(make_user("clerkish")).post(f"{link}join/")
    assert joined.status_code == 409
    assert "An organisation takes part through its members" in joined.content.decode()


def test_a_served_links_secret_is_in_neither_the_database_nor_the_log(
    accepted, staff, django_capture_on_commit_callbacks, caplog
) -> None:
    """Only the secret's SHA-256 is kept, and every refusal at a served link (a join that
    conflicts, a form without its CSRF token, a method not taken, a link one character off)
    is logged with the secret masked."""
    import hashlib
    import logging

    from django.apps import apps

    from tests.conftest import make_user

    _defendant(accepted, None, "orders@shop.example")
    _serve_complaint(accepted, staff, django_capture_on_commit_callbacks)
    link = mailed_link("orders@shop.example")
    secret = link.split("/")[2]
    delivery = Service.objects.get(document="complaint_copy").deliveries.get()
    assert delivery.digest == hashlib.sha256(secret.encode()).hexdigest()
    for model in apps.get_models():
        for row in model.objects.values():
            assert secret not in str(row), f"{model.__name__} holds the secret"
    with caplog.at_level(logging.DEBUG):
        with django_capture_on_commit_callbacks(execute=True):
            Client().post(link)  # receipt confirmed: the offer to join shows
        assert signed_in(make_user("clerkish")).post(f"{link}join/").status_code == 409
        forms = Client(enforce_csrf_checks=True)
        forms.force_login(make_user("no-csrf"))
        assert forms.post(f"{link}join/").status_code == 403
        assert Client().put(link).status_code == 405
        assert Client().get(f"{link[:-2]}/").status_code == 404
    lines = [r.getMessage() for r in caplog.records]
    assert not [line for line in lines if secret in line or secret[:-1] in line], lines
    assert "Conflict: /served/…/join/" in lines
    assert "Forbidden (CSRF cookie not set.): /served/…/join/" in lines
    assert "Method Not Allowed (PUT): /served/…/" in lines
    assert "Not Found: /served/…/" in lines


def test_time_limits_that_wait_for_the_other_parties_service_are_named_as_to_come(
    alice, hangzhou, staff, frozen, django_capture_on_commit_callbacks
) -> None:
    """The complaint goes to the defendant and a third party: the defendant who reads it
    first learns which time limits start once the third party is served too."""
    from tests.conftest import complete_filing

    parties = [
        *complete_filing().parties,
        case_actions.PartyData(role="third_party", kind="legal", name="Taobao (China) Co., Ltd."),
    ]
    case = case_actions.file_case(
        alice, hangzhou, "ecommerce_purchase", complete_filing(parties=parties)
    )
    case_actions.fire(alice, case.id, "submit", case.version)
    case.refresh_from_db()
    case_actions.fire(staff["clerk-hangzhou"], case.id, "accept", case.version)
    _defendant(case, None, "orders@shop.example")
    third = case.parties.get(role="third_party")
    third.contact_email = "legal@taobao.example"
    third.save()
    _serve_complaint(case, staff, django_capture_on_commit_callbacks)
    link = mailed_link("orders@shop.example")
    with django_capture_on_commit_callbacks(execute=True):
        page = Client().post(link).content.decode()
    case.refresh_from_db()
    assert case.state == "served"  # the third party has not read it yet
    assert "These start once the document has been served on every party it goes to" in page
    assert "<strong>Defendant&#x27;s answer</strong> — The defendant submits" in page
    assert "last day" not in page
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(mailed_link("legal@taobao.example"))
    page = Client().get(link).content.decode()
    assert "<strong>Defendant&#x27;s answer</strong>: last day" in page
    assert "These start once" not in page


def test_without_an_eid_provider_the_served_person_is_told_to_contact_the_court(
    accepted, staff, django_capture_on_commit_callbacks, settings
) -> None:
    from tests.conftest import make_user

    settings.NETCOURT_EID = None
    party = _defendant(accepted, None, "dan@example.org")
    party.kind, party.name = "natural", "Dan"
    party.save()
    _serve_complaint(accepted, staff, django_capture_on_commit_callbacks)
    link = mailed_link("dan@example.org")
    before = Client().get(link).content.decode()
    assert "The Hangzhou Internet Court serves on you: Copy of the statement of claim" in before
    assert "Open the link" not in before  # (the reader is on the page the e-mail links to)
    with django_capture_on_commit_callbacks(execute=True):
        page = Client().post(link).content.decode()
    assert "/accounts/login/?next=" not in page
    assert f"contact the Hangzhou Internet Court, giving the case number {accepted.number}" in page
    # The time limits that now run for the defendant, each with its last day and basis.
    answer = CaseDeadline.objects.get(case=accepted, time_limit="answer")
    due = formats.date_format(answer.due, "DATE_FORMAT")
    assert "Your time limits" in page
    assert f"<strong>Defendant&#x27;s answer</strong>: last day {due}" in page
    assert "Civil Procedure Law (2023) Art. 128" in page and "15 days left" in page
    refused = signed_in(make_user("dan")).post(f"{link}join/")
    assert refused.status_code == 403 and "none is set up here" in refused.content.decode()


def test_a_party_served_at_an_address_hears_there_that_the_claim_was_withdrawn(
    accepted, staff, django_smtp, django_capture_on_commit_callbacks
) -> None:
    """A defendant with no account, served by e-mail, has no inbox: it is told at that
    address (with no link to a case page it cannot open)."""
    from tests.conftest import confirmed

    _defendant(accepted, None, "orders@shop.example")
    case = _serve_complaint(accepted, staff, django_capture_on_commit_callbacks)
    served = [m for m in django_smtp.messages if "orders@shop.example" in m.recipients]
    assert "confirm that you received it" in served[0].message.get_content()
    assert "the case page holds" not in served[0].message.get_content()
    with django_capture_on_commit_callbacks(execute=True):
        case_actions.fire(
            case.created_by,
            case.id,
            "withdraw",
            case.version,
            {"reasons": "Settled."},
            step_up=confirmed(),
        )
    told = [m for m in django_smtp.messages if "orders@shop.example" in m.recipients][-1]
    text = told.message.get_content()
    assert "withdrew the claim" in told.message["Subject"] or "撤回起诉" in text
    assert "/cases/" not in text
