"""The filing wizard and the case page, through the browser's eyes (server-rendered HTML)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from netcourt.cases import forms
from netcourt.cases.models import Case
from tests.conftest import signed_in


def test_a_litigant_files_in_chinese_through_the_guided_steps(alice, courts, staff, frozen) -> None:
    client = signed_in(alice)
    page = client.get("/cases/new/")
    assert page.status_code == 200
    assert "杭州互联网法院" in page.content.decode()
    response = client.post(
        "/cases/new/",
        {"court": courts["hangzhou"].pk, "category": "ecommerce_purchase", "acting_as": "self"},
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.id}/file/parties/"
    parties = {
        "form-TOTAL_FORMS": "3",
        "form-INITIAL_FORMS": "0",
        "form-0-role": "plaintiff",
        "form-0-kind": "natural",
        "form-0-name": "张伟",
        "form-1-role": "defendant",
        "form-1-kind": "legal",
        "form-1-name": "杭州云购电子商务有限公司",
        "form-2-role": "third_party",
        "form-2-kind": "natural",
        "form-2-name": "",
        "version": case.version,
    }
    assert client.post(f"/cases/{case.id}/file/parties/", parties).status_code == 302
    case.refresh_from_db()
    claim = {
        "title": "网购手机未发货",
        "amount": "4299.00",
        "claims": "判令被告退还货款4299元。",
        "facts": "原告付款后被告未发货。",
        "platform": "订单号 2026080312345678",
        "version": case.version,
    }
    assert client.post(f"/cases/{case.id}/file/claim/", claim).status_code == 302
    case.refresh_from_db()
    territory = {"factor_buyer_domicile": "hangzhou", "simple": "yes", "version": case.version}
    assert client.post(f"/cases/{case.id}/file/territory/", territory).status_code == 302
    review = client.get(f"/cases/{case.id}/file/review/").content.decode()
    assert "民事起诉状" in review
    assert "小额诉讼" in review
    case.refresh_from_db()
    done = client.post(f"/cases/{case.id}/steps/", {"event": "submit", "version": case.version})
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.state == "submitted"
    assert case.statement_language == "zh-hans"
    assert "张伟" in case.statement
    detail = client.get(f"/cases/{case.id}/").content.decode()
    assert "立案审查" in detail or "已提交" in detail


def test_the_clerk_sees_the_countdown_and_accepts(submitted, staff) -> None:
    client = signed_in(staff["clerk-hangzhou"])
    queue = client.get("/courts/hangzhou/queue/").content.decode()
    assert submitted.title in queue
    assert "7 days left" in queue
    response = client.post(
        f"/cases/{submitted.id}/steps/",
        {"event": "accept", "version": submitted.version, "accept-track": "small_claims"},
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.number.startswith("(2026)浙0192民初")


def test_a_stale_page_tells_the_clerk_instead_of_applying(submitted, staff) -> None:
    client = signed_in(staff["clerk-hangzhou"])
    response = client.post(
        f"/cases/{submitted.id}/steps/",
        {"event": "accept", "version": submitted.version - 1, "accept-track": "small_claims"},
        follow=True,
    )
    assert "changed since you opened it" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.state == "submitted"


def test_missing_reasons_show_next_to_the_field(submitted, staff) -> None:
    client = signed_in(staff["clerk-hangzhou"])
    response = client.post(
        f"/cases/{submitted.id}/steps/",
        {"event": "reject", "version": submitted.version, "reject-reasons": ""},
    )
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()


def test_another_persons_case_page_is_404(submitted, mallory) -> None:
    assert signed_in(mallory).get(f"/cases/{submitted.id}/").status_code == 404
    assert signed_in(mallory).get("/courts/hangzhou/queue/").status_code == 404


def test_a_step_the_person_may_not_take_is_explained_not_swallowed(submitted) -> None:
    response = signed_in(submitted.created_by).post(
        f"/cases/{submitted.id}/steps/",
        {"event": "accept", "version": submitted.version, "accept-track": "small_claims"},
        follow=True,
    )
    assert "您在本案中的身份不能进行此步骤" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.state == "submitted"


def test_an_unverified_filer_is_taken_to_verify_and_back(hangzhou, frozen) -> None:
    from netcourt.cases import actions
    from tests.conftest import complete_filing, fictitious_id_number, make_user

    person = make_user("li", "zh-hans")
    case = actions.file_case(person, hangzhou, "ecommerce_purchase", complete_filing())
    client = signed_in(person)
    refused = client.post(
        f"/cases/{case.id}/steps/", {"event": "submit", "version": case.version}, follow=True
    )
    assert refused.redirect_chain[-1][0] == f"/accounts/identity/?next=%2Fcases%2F{case.id}%2F"
    assert "法院须确认您的身份" in refused.content.decode()
    back = client.post(
        "/accounts/identity/",
        {
            "legal_name": "李明",
            "document_kind": "prc-id",
            "number": fictitious_id_number(99),
            "next": f"/cases/{case.id}/",
        },
        follow=True,
    )
    page = back.content.decode()
    assert back.redirect_chain[-1][0] == f"/cases/{case.id}/"
    assert "身份：身份证件已核验" in page or "身份: 身份证件已核验" in page
    client.post(f"/cases/{case.id}/steps/", {"event": "submit", "version": case.version})
    case.refresh_from_db()
    assert case.state == "submitted"


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("3,299元", Decimal("3299")),
        ("¥3,299.50", Decimal("3299.50")),
        ("￥ 3299", Decimal("3299")),
        ("３２９９元整", Decimal("3299")),
        ("RMB 12,000", Decimal("12000")),
    ],
)
def test_an_amount_is_read_with_the_currency_people_write_around_it(
    typed: str, read: Decimal
) -> None:
    form = forms.ClaimForm({"title": "T", "amount": typed, "claims": "C", "facts": "F"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == read


def test_an_amount_that_is_not_figures_says_how_to_write_one() -> None:
    with translation.override("zh-hans"):
        form = forms.ClaimForm({"title": "T", "amount": "三千元", "claims": "C", "facts": "F"})
        assert not form.is_valid()
        assert form.errors["amount"] == ["请用数字填写金额，例如 3299 或 3,299.50。"]
    for typed in ("3,29,9", "1_000", "3299美元"):
        assert not forms.ClaimForm(
            {"title": "T", "amount": typed, "claims": "C", "facts": "F"}
        ).is_valid()
