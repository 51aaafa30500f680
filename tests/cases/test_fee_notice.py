"""Docketing a case computes its acceptance fee from the pack and tells the plaintiff."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from netcourt.cases import actions
from netcourt.cases.models import Case, CaseDeadline, CaseEvent
from netcourt.core import clock
from netcourt.core.problems import Problem
from netcourt.evidence.models import CaseDocument
from netcourt.hearings.times import court_zone as clock_zone
from tests.conftest import signed_in
from tests.evidence.test_submission import pdf, upload


def accept(case: Case, clerk, track: str, capture) -> Case:
    with capture(execute=True):
        actions.fire(clerk, case.id, "accept", case.version, {"track": track})
    case.refresh_from_db()
    return case


def test_the_fee_follows_the_track_and_the_notice_explains_it(
    submitted: Case, staff, django_capture_on_commit_callbacks
) -> None:
    case = accept(
        submitted, staff["clerk-hangzhou"], "small_claims", django_capture_on_commit_callbacks
    )
    assert case.fee_due == Decimal("25.00")  # CNY 50 flat for 4,299.00, halved (Art. 16)
    notice = CaseEvent.objects.get(case=case, event="accept").payload["fee"]
    assert notice["total"] == "25.00" and notice["currency"] == "CNY"
    assert [line["code"] for line in notice["lines"]] == ["flat", "reduction"]
    assert "第十六条" in notice["lines"][1]["article"]["zh"]
    due = CaseDeadline.objects.get(case=case, time_limit="pay_fee").due
    fee_mail = [m for m in mail.outbox if "受理费" in m.subject]
    assert len(fee_mail) == 1 and fee_mail[0].to == [case.created_by.email]
    assert "¥25.00" in fee_mail[0].subject
    assert f"{due.year}年{due.month}月{due.day}日" in fee_mail[0].body
    # The judge's notice names the case by its number, which ends in 号 already.
    [judge_mail] = [m for m in mail.outbox if "审判员" in m.body]
    assert f"{case.number}案件已确定由审判员" in judge_mail.body
    assert "号 号" not in judge_mail.body


def test_the_ordinary_procedure_is_not_halved(
    submitted: Case, staff, django_capture_on_commit_callbacks
) -> None:
    case = accept(
        submitted, staff["clerk-hangzhou"], "ordinary", django_capture_on_commit_callbacks
    )
    assert case.fee_due == Decimal("50.00")


def test_the_case_page_shows_the_fee_and_how_it_was_calculated(
    submitted: Case, staff, django_capture_on_commit_callbacks
) -> None:
    case = accept(
        submitted, staff["clerk-hangzhou"], "small_claims", django_capture_on_commit_callbacks
    )
    client = Client()
    client.force_login(case.created_by)
    page = client.get(f"/cases/{case.id}/").content.decode()
    assert "案件受理费" in page and "¥25.00" in page and "第十六条" in page


def test_a_payment_must_be_the_fee_due(
    submitted: Case, staff, django_capture_on_commit_callbacks
) -> None:
    clerk = staff["clerk-hangzhou"]
    case = accept(submitted, clerk, "small_claims", django_capture_on_commit_callbacks)
    with pytest.raises(Problem) as refused:
        actions.fire(clerk, case.id, "record_payment", case.version, {"amount": "20.00"})
    assert refused.value.field == "amount"
    actions.fire(clerk, case.id, "record_payment", case.version, {"amount": "25.00"})
    assert CaseDeadline.objects.get(case=case, time_limit="pay_fee").stopped_by is not None


def apply_for_aid(case: Case, kind: str) -> Case:
    case.refresh_from_db()
    proof = upload(case.created_by, case, pdf(2000), "dibao.pdf")
    actions.fire(
        case.created_by,
        case.id,
        "apply_fee_aid",
        case.version,
        {"aid_kind": kind, "grounds": "No income.", "proof": str(proof.pk)},
    )
    case.refresh_from_db()
    return case


def decide(case: Case, clerk, **inputs) -> Case:
    case.refresh_from_db()
    actions.fire(clerk, case.id, "decide_fee_aid", case.version, {"reasons": "Seen.", **inputs})
    case.refresh_from_db()
    return case


def test_the_court_decides_on_aid_only_when_asked(
    submitted: Case, staff, django_capture_on_commit_callbacks
) -> None:
    clerk = staff["clerk-hangzhou"]
    case = accept(submitted, clerk, "ordinary", django_capture_on_commit_callbacks)
    with pytest.raises(Problem) as unasked:
        decide(case, clerk, decision="grant", aid_kind="exemption")
    assert (unasked.value.code, unasked.value.status) == ("wrong_state", 409)
    assert "No application for judicial aid" in str(unasked.value.detail)
    assert case.fee_due == Decimal("50.00") and case.fee_aid == {}
    case = decide(apply_for_aid(case, "exemption"), clerk, decision="refuse")
    with pytest.raises(Problem):  # decided: nothing waits any more
        decide(case, clerk, decision="grant", aid_kind="exemption")


def test_a_plaintiff_applies_for_aid_and_the_court_reduces_the_fee(
    submitted: Case, staff, django_capture_on_commit_callbacks
) -> None:
    clerk = staff["clerk-hangzhou"]
    case = accept(submitted, clerk, "ordinary", django_capture_on_commit_callbacks)
    proof = upload(case.created_by, case, pdf(2000), "unemployment-certificate.pdf")
    actions.fire(
        case.created_by,
        case.id,
        "apply_fee_aid",
        case.version,
        {"aid_kind": "reduction", "grounds": "Out of work since June.", "proof": str(proof.pk)},
    )
    application = case.events.get(event="apply_fee_aid")
    document = CaseDocument.objects.get(event=application)
    assert application.payload["inputs"]["proof"]["sha256"] == document.blob.sha256
    assert document.blob.filename == "unemployment-certificate.pdf"
    with pytest.raises(Problem) as too_little:
        decide(case, clerk, decision="grant", aid_kind="reduction", share="0.2")
    assert too_little.value.field == "aid"  # a reduction takes off at least 30 %
    for odd in ("0_5", "\u0660.\u0665", "5e-1"):  # Decimal() reads each as a number
        with pytest.raises(Problem) as unreadable:
            decide(case, clerk, decision="grant", aid_kind="reduction", share=odd)
        assert (unreadable.value.code, unreadable.value.field) == ("input_invalid", "share")
    case = decide(case, clerk, decision="grant", aid_kind="reduction", share="0.5")
    assert case.fee_due == Decimal("25.00")
    assert case.fee_aid == {"kind": "reduction", "share": "0.5"}
    running = CaseDeadline.objects.get(case=case, time_limit="pay_fee", stopped_by=None)
    decided = case.events.get(event="decide_fee_aid")
    assert running.started_by == decided  # a reduced fee is still to be paid, from now


def test_exemption_lifts_the_time_limit_and_is_for_natural_persons_only(
    submitted: Case, staff, django_capture_on_commit_callbacks
) -> None:
    clerk = staff["clerk-hangzhou"]
    case = accept(submitted, clerk, "ordinary", django_capture_on_commit_callbacks)
    case = decide(apply_for_aid(case, "exemption"), clerk, decision="grant", aid_kind="exemption")
    assert case.fee_due == Decimal("0.00")
    assert CaseDeadline.objects.get(case=case, time_limit="pay_fee").stopped_by is not None
    company = case.parties.get(role="plaintiff")
    company.kind = "legal"
    company.save()
    with pytest.raises(Problem) as refused:
        decide(apply_for_aid(case, "exemption"), clerk, decision="grant", aid_kind="exemption")
    assert refused.value.field == "aid"


def test_aid_granted_before_docketing_is_in_the_fee_notice(
    submitted: Case, staff, django_capture_on_commit_callbacks
) -> None:
    clerk = staff["clerk-hangzhou"]
    case = decide(
        apply_for_aid(submitted, "deferral"), clerk, decision="grant", aid_kind="deferral"
    )
    assert case.fee_due is None
    case = accept(case, clerk, "ordinary", django_capture_on_commit_callbacks)
    lines = CaseEvent.objects.get(case=case, event="accept").payload["fee"]["lines"]
    assert "aid_deferral" in [line["code"] for line in lines]
    # Deferred: the time limit to pay stops as docketing starts it, and everyone says so.
    accepted = CaseEvent.objects.get(case=case, event="accept")
    assert CaseDeadline.objects.get(case=case, time_limit="pay_fee").stopped_by == accepted
    [notice] = [m for m in mail.outbox if "受理费" in m.subject]
    assert "准予缓交" in notice.body and "请于" not in notice.body
    with clock.use(clock.FixedClock(clock.now() + timedelta(days=30))):
        assert actions.sweep_expired() == []
    page = signed_in(case.created_by).get(f"/cases/{case.id}/").content.decode()
    assert "缓交" in page and "逾期未交纳的，按撤诉处理" not in page


@pytest.mark.parametrize(
    "decision",
    [{"decision": "refuse"}, {"decision": "grant", "aid_kind": "reduction", "share": "0.5"}],
)
def test_no_deemed_withdrawal_while_an_aid_application_waits_nor_before_a_new_time_to_pay(
    submitted: Case, staff, django_capture_on_commit_callbacks, decision
) -> None:
    """Decided after the first last day, a refusal or a reduction gives a new time to pay
    from the decision, with a new notice; the case is deemed withdrawn only after that."""
    clerk = staff["clerk-hangzhou"]
    case = accept(submitted, clerk, "ordinary", django_capture_on_commit_callbacks)
    case = apply_for_aid(case, "deferral" if decision["decision"] == "refuse" else "reduction")
    later = clock.FixedClock(clock.now() + timedelta(days=30))
    with clock.use(later):
        assert actions.sweep_expired() == []  # the court has not decided yet
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            case = decide(case, clerk, **decision)
        assert actions.sweep_expired() == []  # a new time to pay runs from the decision
        running = CaseDeadline.objects.get(case=case, time_limit="pay_fee", stopped_by=None)
        assert running.start == later.now().astimezone(clock_zone()).date()
        revised = next(m for m in mail.outbox if "案件受理费" in m.subject)  # the new last day
        assert "司法救助" in revised.body and "已受理" not in revised.body
        decided = next(m for m in mail.outbox if "司法救助申请作出决定" in m.subject)
        assert "不予准许" in decided.body or "减交" in decided.body  # what was decided
    with clock.use(clock.FixedClock(later.now() + timedelta(days=30))):
        assert [e.event for e in actions.sweep_expired()] == ["deem_withdrawn"]


def test_a_refusal_changes_nothing(
    submitted: Case, staff, django_capture_on_commit_callbacks
) -> None:
    clerk = staff["clerk-hangzhou"]
    case = accept(submitted, clerk, "ordinary", django_capture_on_commit_callbacks)
    case = decide(apply_for_aid(case, "reduction"), clerk, decision="refuse")
    assert case.fee_due == Decimal("50.00") and case.fee_aid == {}


def test_an_aid_application_needs_its_proof_and_only_the_court_and_the_applicant_see_it(
    submitted: Case, staff, bob, django_capture_on_commit_callbacks
) -> None:
    from tests.conftest import signed_in

    clerk = staff["clerk-hangzhou"]
    case = accept(submitted, clerk, "ordinary", django_capture_on_commit_callbacks)
    defendant = case.parties.get(role="defendant")
    defendant.user = bob
    defendant.save()
    with pytest.raises(Problem) as missing:
        actions.fire(
            case.created_by,
            case.id,
            "apply_fee_aid",
            case.version,
            {"aid_kind": "deferral", "grounds": "No income."},
        )
    assert missing.value.code == "input_missing" and missing.value.field == "proof"
    page = signed_in(case.created_by)
    answer = page.post(
        f"/cases/{case.id}/steps/",
        {
            "event": "apply_fee_aid",
            "version": case.version,
            "apply_fee_aid-aid_kind": "deferral",
            "apply_fee_aid-grounds": "No income.",
            "apply_fee_aid-proof": SimpleUploadedFile("dibao.pdf", pdf(3000), "application/pdf"),
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:3000]
    document = CaseDocument.objects.get()
    url = f"/cases/{case.id}/documents/{document.pk}"
    assert b"".join(page.get(url).streaming_content) == pdf(3000)
    assert b"".join(signed_in(clerk).get(url).streaming_content) == pdf(3000)
    assert signed_in(bob).get(url).status_code == 404
    docket = signed_in(bob).get(f"/cases/{case.id}/").content.decode()
    assert "dibao.pdf" not in docket and document.blob.sha256[:16] in docket
    # The grounds of hardship too are for the court and the applicant's side, on every page.
    assert "No income." not in docket
    assert "No income." in page.get(f"/cases/{case.id}/").content.decode()
    assert "No income." in signed_in(clerk).get(f"/cases/{case.id}/").content.decode()
    from tests.conftest import api_client

    listed = api_client(bob).get(f"/api/v1/cases/{case.id}/docket").content.decode()
    assert "No income." not in listed and "apply_fee_aid" in listed
    own = api_client(case.created_by).get(f"/api/v1/cases/{case.id}/docket").content.decode()
    assert "No income." in own


def test_the_api_takes_the_proof_as_an_upload(
    submitted: Case, staff, django_capture_on_commit_callbacks
) -> None:
    from tests.conftest import api_client

    case = accept(
        submitted, staff["clerk-hangzhou"], "ordinary", django_capture_on_commit_callbacks
    )
    proof = upload(case.created_by, case, pdf(1500), "proof.pdf")
    answer = api_client(case.created_by).post(
        f"/api/v1/cases/{case.id}/events",
        {
            "event": "apply_fee_aid",
            "version": case.version,
            "inputs": {"aid_kind": "deferral", "grounds": "No income.", "proof": str(proof.pk)},
        },
        content_type="application/json",
    )
    assert answer.status_code in (200, 201), answer.content
    assert CaseDocument.objects.get().blob.filename == "proof.pdf"
    forged = api_client(case.created_by).post(
        f"/api/v1/cases/{case.id}/events",
        {
            "event": "apply_fee_aid",
            "version": case.version + 1,
            "inputs": {
                "aid_kind": "deferral",
                "grounds": "x",
                "proof": {"blob": "x", "sha256": "0" * 64, "filename": "f", "size": 1, "mime": "m"},
            },
        },
        content_type="application/json",
    )
    assert forged.status_code == 422, forged.content


def test_the_case_page_says_an_aid_application_waits_and_a_share_may_be_a_percentage(
    submitted: Case, staff, django_capture_on_commit_callbacks
) -> None:
    clerk = staff["clerk-hangzhou"]
    case = apply_for_aid(
        accept(submitted, clerk, "ordinary", django_capture_on_commit_callbacks), "reduction"
    )
    page = signed_in(case.created_by).get(f"/cases/{case.id}/").content.decode()
    assert "等待法院决定" in page and "逾期未交纳的，按撤诉处理" not in page
    case = decide(case, clerk, decision="grant", aid_kind="reduction", share="40%")
    assert case.fee_aid == {"kind": "reduction", "share": "0.4"}


def test_the_other_side_gets_no_opening_of_a_step_with_private_inputs(
    accepted: Case, staff
) -> None:
    """An event receipt's opening holds the payload's hash: the defendant could test guesses
    at the plaintiff's hardship grounds with it, so its receipt is the proof alone."""
    from netcourt.cases.models import Party
    from tests.conftest import make_user

    case = apply_for_aid(accepted, "deferral")
    applied = case.events.get(event="apply_fee_aid")
    defendant = make_user("other-side")
    Party.objects.filter(case=case, role="defendant").update(user=defendant)
    assert actions.event_receipt(defendant, applied)["opening"] is None
    assert "salt" in actions.event_receipt(case.created_by, applied)["opening"]
    assert "salt" in actions.event_receipt(staff["clerk-hangzhou"], applied)["opening"]
    submitted = case.events.get(event="submit")
    assert "salt" in actions.event_receipt(defendant, submitted)["opening"]
