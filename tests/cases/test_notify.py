"""The parties hear of each step in their own language, and only after it is committed."""

from __future__ import annotations

import pytest

from netcourt.cases import actions
from netcourt.core.problems import Problem
from netcourt.courts.models import CourtMembership, CourtRole
from netcourt.service import notifications
from tests.conftest import confirmed


def test_the_parties_are_told_who_the_judge_is_in_their_language(
    submitted, staff, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    clerk = staff["clerk-hangzhou"]
    with django_capture_on_commit_callbacks(execute=True):
        actions.fire(clerk, submitted.id, "accept", submitted.version)
    submitted.refresh_from_db()
    to_alice = [m for m in mailoutbox if m.to == [submitted.created_by.email]]
    judge_mail = [m for m in to_alice if str(submitted.judge) in m.body]
    assert judge_mail, [m.subject for m in to_alice]
    assert "审判员" in judge_mail[0].body
    assert submitted.number in judge_mail[0].subject
    assert f"/cases/{submitted.id}/" in judge_mail[0].body


def test_nothing_is_sent_when_the_step_fails_after_the_notice_was_queued(
    submitted, staff, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    CourtMembership.objects.filter(role=CourtRole.JUDGE).update(eligible_for_assignment=False)
    clerk = staff["clerk-hangzhou"]
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Problem) as refused:
        actions.fire(clerk, submitted.id, "accept", submitted.version)
    assert refused.value.code == "no_eligible_judge"
    assert mailoutbox == []
    submitted.refresh_from_db()
    assert submitted.state == "submitted"
    assert submitted.number == ""


def test_a_subject_with_a_line_break_is_sent_on_one_line(bob, mailoutbox) -> None:
    """A title stored before titles had to be one line cannot stop its notices (a header
    with a line break is refused by the mail library, and the job would fail for ever)."""
    notifications.deliver(bob.pk, None, "Case Refund\r\nBcc: evil@example.org", "Body.", "")
    [sent] = mailoutbox
    assert sent.subject == "Case Refund Bcc: evil@example.org" and sent.to == [bob.email]


def test_the_defendant_is_told_when_the_plaintiff_withdraws(
    accepted, alice, bob, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    defendant = accepted.parties.get(role="defendant")
    defendant.user = bob
    defendant.save()
    accepted.refresh_from_db()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.fire(
            alice,
            accepted.id,
            "withdraw",
            accepted.version,
            {"reasons": "We settled."},
            step_up=confirmed(),
        )
    [told] = [m for m in mailoutbox if m.to == [bob.email]]
    assert told.subject == f"Case {accepted.number}: The plaintiff withdrew the claim"
    assert "In your case" in told.body and "Sign in to read the docket." in told.body


def test_a_party_served_at_an_address_is_told_there_until_when_its_time_runs(
    draft, staff, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    """The defendant with no account reads the complaint through the served link; the notice
    that its time to answer runs comes to that address, in the case's language first, with
    the last day, pointing to the served e-mail's link (the only place its secret is)."""
    from django.test import Client
    from django.utils import formats, translation

    from netcourt.cases.models import CaseDeadline
    from tests.service.test_service import (
        _defendant,
        _serve_complaint,
        filed_in_chinese,
        mailed_link,
    )

    case = filed_in_chinese(draft, staff)
    _defendant(case, None, "orders@shop.example")
    _serve_complaint(case, staff, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(mailed_link("orders@shop.example"))
    told = [m for m in mailoutbox if m.to == ["orders@shop.example"]][-1]
    text = told.body
    assert "起诉状副本已送达被告，答辩期开始计算" in told.subject
    answer = CaseDeadline.objects.get(case=case, time_limit="answer")
    with translation.override("zh-hans"):
        due = formats.date_format(answer.due, "DATE_FORMAT")
    assert f"答辩期：至{due}（《中华人民共和国民事诉讼法》（2023年修正）第一百二十八条）。" in text
    due = formats.date_format(answer.due, "DATE_FORMAT")
    assert f"Defendant's answer: until {due} (Civil Procedure Law (2023) Art. 128)." in text
    assert text.index("答辩期：至") < text.index("Defendant's answer: until")
    # No link: a served link's secret is in the e-mail that served the document, nowhere else.
    assert "/served/" not in text and "送达您的电子邮件中的链接" in text
