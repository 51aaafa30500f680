"""The case page once a case is filed, as a party or a representative sees it: where a step
leaves them, which steps it offers, the filing wizard after filing, how the docket shows a
choice, and punctuation in each language."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from netcourt.cases import actions
from netcourt.cases.models import AccessLogEntry, Case, Representative
from netcourt.core import clock
from netcourt.evidence import actions as evidence_actions
from netcourt.payments.models import Refund, RefundReason, RefundStatus
from tests.cases.test_fee_notice import apply_for_aid
from tests.conftest import api_client, confirmed, make_user, signed_in, verified
from tests.evidence.test_submission import pdf, submit

LICENCE = "13301201910123456"


def appoint(case: Case, party_user, lawyer) -> Representative:
    case.refresh_from_db()
    actions.fire(
        party_user,
        case.id,
        "appoint_representative",
        case.version,
        {
            "representative_email": lawyer.email,
            "representative_kind": "lawyer",
            "licence_number": LICENCE,
            "firm": "West Lake Law Firm",
        },
        step_up=confirmed(),
    )
    case.refresh_from_db()
    return Representative.objects.get(user=lawyer, party__case=case)


def revoke(client, case: Case, rep: Representative):
    case.refresh_from_db()
    return client.post(
        f"/cases/{case.id}/steps/",
        {
            "event": "revoke_representative",
            "version": case.version,
            "revoke_representative-representative": str(rep.pk),
        },
        follow=True,
    )


# --- ending a representation ---------------------------------------------------------------


def test_a_lawyer_who_ends_their_own_representation_lands_on_their_dashboard(
    accepted: Case, alice
) -> None:
    lawyer = verified(make_user("lawyer-zhao"))
    rep = appoint(accepted, alice, lawyer)
    done = revoke(signed_in(lawyer), accepted, rep)
    assert done.status_code == 200
    assert done.redirect_chain[-1][0] == "/dashboard/"
    assert "Done: End a representation." in done.content.decode()
    rep.refresh_from_db()
    assert not rep.active


def test_a_party_who_ends_a_representation_stays_on_the_case_page(accepted: Case, alice) -> None:
    rep = appoint(accepted, alice, verified(make_user("lawyer-qian")))
    done = revoke(signed_in(alice), accepted, rep)
    assert done.redirect_chain[-1][0] == f"/cases/{accepted.id}/"
    assert "已完成：解除委托。" in done.content.decode()


def _offered(page: str) -> set[str]:
    return set(re.findall(r'name="event" value="([a-z_]+)"', page))


def test_ending_a_representation_is_offered_only_with_one_to_end(
    exchanging: Case, alice, bob
) -> None:
    page = signed_in(alice).get(f"/cases/{exchanging.id}/").content.decode()
    assert "appoint_representative" in _offered(page)
    assert "revoke_representative" not in _offered(page)
    # The other side's lawyer is not the plaintiff's to dismiss: still nothing to end.
    appoint(exchanging, bob, verified(make_user("lawyer-sun")))
    page = signed_in(alice).get(f"/cases/{exchanging.id}/").content.decode()
    assert "revoke_representative" not in _offered(page)
    # The defendant sees the step, with their own lawyer to choose.
    page = signed_in(bob).get(f"/cases/{exchanging.id}/").content.decode()
    assert "revoke_representative" in _offered(page)
    assert re.search(r'<option value="\d+">Lawyer-Sun — ', page)


def test_the_api_offers_ending_a_representation_only_while_there_is_one(
    exchanging: Case, bob
) -> None:
    from tests.conftest import api_client

    url = f"/api/v1/cases/{exchanging.id}"
    assert "revoke_representative" not in api_client(bob).get(url).json()["available_events"]
    appoint(exchanging, bob, verified(make_user("lawyer-zhou")))
    assert "revoke_representative" in api_client(bob).get(url).json()["available_events"]
    # The other side (the plaintiff) has none of its own to end: not offered to it.
    other = api_client(exchanging.created_by).get(url).json()["available_events"]
    assert "revoke_representative" not in other and "appoint_representative" in other


def test_a_representation_the_person_may_not_end_is_refused_next_to_the_field(
    exchanging: Case, alice, bob
) -> None:
    rep = appoint(exchanging, bob, verified(make_user("lawyer-wu")))
    exchanging.refresh_from_db()
    refused = signed_in(alice).post(
        f"/cases/{exchanging.id}/steps/",
        {
            "event": "revoke_representative",
            "version": exchanging.version,
            "revoke_representative-representative": str(rep.pk),
        },
    )
    assert refused.status_code == 422
    rep.refresh_from_db()
    assert rep.active


# --- the filing wizard after filing ----------------------------------------------------------


@pytest.mark.parametrize("step", ["parties", "claim", "territory", "review"])
def test_the_filing_steps_of_a_filed_case_lead_to_the_case_page(
    exchanging: Case, alice, step
) -> None:
    client = signed_in(alice)
    url = f"/cases/{exchanging.id}/file/{step}/"
    shown = client.get(url)
    assert shown.status_code == 302 and shown["Location"] == f"/cases/{exchanging.id}/"
    sent = client.post(url, {"version": exchanging.version, "title": "Changed"})
    assert sent.status_code == 302 and sent["Location"] == f"/cases/{exchanging.id}/"
    exchanging.refresh_from_db()
    assert exchanging.title != "Changed"


@pytest.mark.parametrize("step", ["parties", "claim", "territory", "review"])
def test_a_draft_and_a_filing_sent_back_for_corrections_keep_their_forms(
    draft: Case, staff, step
) -> None:
    client = signed_in(draft.created_by)
    assert client.get(f"/cases/{draft.id}/file/{step}/").status_code == 200
    actions.fire(draft.created_by, draft.id, "submit", draft.version)
    draft.refresh_from_db()
    assert client.get(f"/cases/{draft.id}/file/{step}/").status_code == 302
    actions.fire(
        staff["clerk-hangzhou"],
        draft.id,
        "request_corrections",
        draft.version,
        {"defects": ["Attach the order"]},
    )
    page = client.get(f"/cases/{draft.id}/file/{step}/")
    assert page.status_code == 200
    assert "<form" in page.content.decode()


def test_the_defects_to_correct_are_listed_where_the_plaintiff_corrects(draft: Case, staff) -> None:
    client = signed_in(draft.created_by)
    actions.fire(draft.created_by, draft.id, "submit", draft.version)
    draft.refresh_from_db()
    defects = ["补充被告的统一社会信用代码", "请提供订单截图"]
    actions.fire(
        staff["clerk-hangzhou"],
        draft.id,
        "request_corrections",
        draft.version,
        {"defects": defects},
    )
    page = client.get(f"/cases/{draft.id}/").content.decode()
    banner = page.split("法院要求您补正起诉材料")[1].split("</div>")[0]
    assert "需要补正的内容：<br>补充被告的统一社会信用代码<br>请提供订单截图" in banner
    assert "; " not in banner


# --- the docket shows a choice by its label --------------------------------------------------


def test_the_docket_shows_the_aid_decision_in_words(accepted: Case, alice, staff) -> None:
    clerk = staff["clerk-hangzhou"]
    apply_for_aid(accepted, "exemption")
    actions.fire(
        clerk,
        accepted.id,
        "decide_fee_aid",
        accepted.version,
        {"decision": "grant", "aid_kind": "exemption", "reasons": "Seen."},
    )
    page = signed_in(alice).get(f"/cases/{accepted.id}/").content.decode()
    assert "决定：准予" in page
    assert "准予的救助：免交诉讼费用（司法救助）" in page
    assert "申请事项：免交诉讼费用（司法救助）" in page
    assert "：grant" not in page and "：exemption" not in page
    english = signed_in(clerk).get(f"/cases/{accepted.id}/").content.decode()
    assert "Decision: Grant" in english
    assert "Aid granted: Exemption from the fee (judicial aid)" in english


def test_a_refusal_of_aid_records_no_aid(accepted: Case, alice, staff) -> None:
    """The aid list starts empty; a refusal with an aid chosen is refused, writing nothing."""
    clerk = staff["clerk-hangzhou"]
    apply_for_aid(accepted, "deferral")
    accepted.refresh_from_db()
    client = signed_in(clerk)
    page = client.get(f"/cases/{accepted.id}/").content.decode()
    assert '<option value="" selected>—</option>' in page
    refusal = {
        "event": "decide_fee_aid",
        "version": accepted.version,
        "decide_fee_aid-decision": "refuse",
        "decide_fee_aid-reasons": "The certificate is out of date.",
    }
    wrong = client.post(
        f"/cases/{accepted.id}/steps/", {**refusal, "decide_fee_aid-aid_kind": "deferral"}
    )
    assert wrong.status_code == 422
    assert "A refusal grants no aid" in wrong.content.decode()
    assert not accepted.events.filter(event="decide_fee_aid").exists()
    done = client.post(f"/cases/{accepted.id}/steps/", {**refusal, "decide_fee_aid-aid_kind": ""})
    assert done.status_code == 302
    decided = accepted.events.get(event="decide_fee_aid")
    assert not decided.payload["inputs"].get("aid_kind")
    docket = signed_in(alice).get(f"/cases/{accepted.id}/").content.decode()
    assert "决定：不予准许" in docket and "准予的救助" not in docket


def test_the_docket_shows_the_representative_kind_in_words(accepted: Case, alice) -> None:
    appoint(accepted, alice, verified(make_user("lawyer-he")))
    page = signed_in(alice).get(f"/cases/{accepted.id}/").content.decode()
    assert "代理人身份：律师" in page
    assert "代理人身份：lawyer" not in page


# --- punctuation in each language ------------------------------------------------------------


def test_the_refund_reason_ends_with_a_chinese_full_stop(accepted: Case, alice, bob) -> None:
    Refund.objects.create(
        case=accepted,
        amount=Decimal("25.00"),
        currency="CNY",
        key=f"refund-{uuid4()}",
        status=RefundStatus.OWED,
        reason=RefundReason.CLOSED_EARLY,
        due_by=clock.today() + timedelta(days=15),
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    page = signed_in(alice).get(f"/cases/{accepted.id}/").content.decode()
    assert "退还部分诉讼费。" in page
    assert "退还部分诉讼费." not in page
    defendant = accepted.parties.get(role="defendant")
    defendant.user = bob
    defendant.save()
    english = signed_in(bob).get(f"/cases/{accepted.id}/").content.decode()
    assert "the case closed early: part of the fee comes back." in english


def test_the_parties_are_listed_with_chinese_punctuation(accepted: Case, alice) -> None:
    appoint(accepted, alice, verified(make_user("lawyer-zhou")))
    page = signed_in(alice).get(f"/cases/{accepted.id}/").content.decode()
    assert "<strong>原告</strong>：<bdi>张伟</bdi>" in page
    assert "（自然人；身份：身份证件已核验）" in page
    assert "；身份：" in page and f"，执业证号 {LICENCE}" in page
    assert "</strong>:" not in page and "; 身份" not in page and "身份:" not in page


def test_the_parties_are_listed_with_english_punctuation(accepted: Case, alice, bob) -> None:
    appoint(accepted, alice, verified(make_user("lawyer-xu")))
    defendant = accepted.parties.get(role="defendant")
    defendant.user = bob
    defendant.save()
    page = signed_in(bob).get(f"/cases/{accepted.id}/").content.decode()
    assert "<strong>Plaintiff</strong>: <bdi>张伟</bdi>" in page
    assert "(Natural person; identity: " in page
    assert "represented by <bdi>Lawyer-Xu</bdi> (Lawyer); identity: " in page
    assert f", licence {LICENCE}" in page


def test_documents_filed_with_steps_are_listed_with_chinese_punctuation(
    accepted: Case, alice
) -> None:
    apply_for_aid(accepted, "exemption")
    page = signed_in(alice).get(f"/cases/{accepted.id}/").content.decode()
    document = accepted.documents.get()
    assert (
        f'困难证明等）：<a href="/cases/{accepted.id}/documents/{document.pk}">dibao.pdf</a>'
        in page
    )
    assert "（2.0\xa0KB，2026年11月2日 10:00）" in page


def test_the_eligible_judges_are_listed_with_a_chinese_separator(
    accepted: Case, alice, staff
) -> None:
    judge = accepted.judge
    page = signed_in(judge).get(f"/cases/{accepted.id}/").content.decode()
    assert "Eligible judges: Judge1-Hangzhou, Judge2-Hangzhou" in page
    judge.preferred_language = "zh-hans"
    judge.save()
    page = signed_in(judge).get(f"/cases/{accepted.id}/").content.decode()
    assert "候选法官：Judge1-Hangzhou、Judge2-Hangzhou · 随机种子：<code>" in page
    assert "当前阶段：" in page and "当前阶段： " not in page  # no space after a Chinese colon
    assert "Judge1-Hangzhou, Judge2-Hangzhou" not in page


def test_the_review_step_gives_each_legal_basis_in_chinese_brackets(draft: Case) -> None:
    page = signed_in(draft.created_by).get(f"/cases/{draft.id}/file/review/").content.decode()
    assert '<span class="help">（《' in page
    assert '<span class="help">(《' not in page


def test_opinions_read_with_chinese_punctuation(exchanging: Case, alice, bob) -> None:
    item = submit(alice, exchanging, pdf(2000))
    evidence_actions.examine(
        bob,
        exchanging.id,
        item.pk,
        authenticity="disputed",
        legality="accepted",
        relevance="accepted",
        step_up=confirmed(),
    )
    page = signed_in(alice).get(f"/cases/{exchanging.id}/evidence/").content.decode()
    assert "真实性：有异议" in page
    assert "真实性:" not in page and "合法性:" not in page and "关联性:" not in page
    english = signed_in(bob).get(f"/cases/{exchanging.id}/evidence/").content.decode()
    assert "Authenticity: " in english and "Relevance: " in english


def test_a_time_limit_no_longer_running_says_which_step_ended_it(accepted: Case, alice) -> None:
    """Not "met": a withdrawal ends the defendant's time to answer without an answer."""
    accepted.refresh_from_db()
    actions.fire(
        alice,
        accepted.id,
        "withdraw",
        accepted.version,
        {"reasons": "Settled out of court."},
        step_up=confirmed(),
    )
    page = signed_in(alice).get(f"/cases/{accepted.id}/").content.decode()
    assert "已结束" in page and "撤回起诉" in page
    api = api_client(alice).get(f"/api/v1/cases/{accepted.id}").json()
    ended = {d["time_limit"]: d["ended_by"] for d in api["deadlines"]}
    assert ended["filing_decision"] == "立案受理" and ended["pay_fee"] == "撤回起诉"


def test_the_docket_details_read_without_a_space_after_a_chinese_colon(accepted: Case) -> None:
    page = signed_in(accepted.created_by).get(f"/cases/{accepted.id}/").content.decode()
    assert f"案号：{accepted.number}" in page and "程序：" in page
    assert "案号： " not in page and "程序： " not in page


def test_the_access_log_on_the_case_page_lists_who_else_opened_it(accepted: Case, staff) -> None:
    plaintiff = signed_in(accepted.created_by)
    for _ in range(3):
        page = plaintiff.get(f"/cases/{accepted.id}/").content.decode()
    assert "还没有其他人查阅" in page
    signed_in(staff["clerk-hangzhou"]).get(f"/cases/{accepted.id}/")
    page = plaintiff.get(f"/cases/{accepted.id}/").content.decode()
    listed = page.split('id="access-h"')[1]
    assert str(staff["clerk-hangzhou"]) in listed
    assert str(accepted.created_by) not in listed
    assert AccessLogEntry.objects.filter(user=accepted.created_by).count() == 4
