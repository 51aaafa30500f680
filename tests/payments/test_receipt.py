"""A fee paid online comes with a bilingual PDF receipt, for the people of the case only."""

from __future__ import annotations

import io

from pypdf import PdfReader

from netcourt.cases.models import Case
from netcourt.payments.models import PaymentIntent
from tests.conftest import signed_in
from tests.payments.test_online_payment import SUCCEEDS, checkout, start


def test_the_receipt_names_the_case_and_the_amount_in_both_languages(
    accepted: Case, staff, mallory
) -> None:
    plaintiff = signed_in(accepted.created_by)
    checkout(plaintiff, start(plaintiff, accepted), SUCCEEDS)
    intent = PaymentIntent.objects.get(case=accepted)
    url = f"/payments/cases/{accepted.id}/receipts/{intent.id}.pdf"
    assert url in plaintiff.get(f"/cases/{accepted.id}/").content.decode()
    answer = plaintiff.get(url)
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)
    assert accepted.number in text
    assert "网络购物合同纠纷" in text and accepted.title not in text  # the cause, not the title
    assert accepted.parties.get(role="plaintiff").name in text
    assert "acceptance fee receipt" in text and "25.00" in text
    assert "收据" in text
    assert signed_in(mallory).get(url).status_code == 404
    assert signed_in(staff["clerk-hangzhou"]).get(url).status_code == 200


def test_there_is_no_receipt_for_an_unpaid_intent(accepted: Case) -> None:
    plaintiff = signed_in(accepted.created_by)
    start(plaintiff, accepted)
    intent = PaymentIntent.objects.get(case=accepted)
    url = f"/payments/cases/{accepted.id}/receipts/{intent.id}.pdf"
    assert plaintiff.get(url).status_code == 404


def test_reading_the_receipt_is_in_the_access_log(accepted: Case, staff) -> None:
    from netcourt.cases.models import AccessLogEntry

    plaintiff = signed_in(accepted.created_by)
    checkout(plaintiff, start(plaintiff, accepted), SUCCEEDS)
    intent = PaymentIntent.objects.get(case=accepted)
    clerk = staff["clerk-hangzhou"]
    assert (
        signed_in(clerk).get(f"/payments/cases/{accepted.id}/receipts/{intent.id}.pdf").status_code
        == 200
    )
    entry = AccessLogEntry.objects.get(case=accepted, what=f"fee.receipt:{intent.pk}")
    assert entry.user == clerk and entry.roles == ["clerk"]
