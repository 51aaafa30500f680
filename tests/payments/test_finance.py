"""The finance office sees its court's takings, pending payments and aid, and a CSV of the
ledger that adds up to the cent; no one else does."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from netcourt.payments import ledger
from netcourt.payments.models import Account, Refund, RefundStatus
from tests.conftest import signed_in


def test_the_finance_page_and_the_csv_add_up(accepted, staff, alice) -> None:
    ledger.post(
        accepted, Decimal("25.00"), "CNY", Account.PROVIDER_CLEARING, Account.FEES_RECEIVED, "fee"
    )
    ledger.post(
        accepted, Decimal("0.01"), "CNY", Account.PROVIDER_CLEARING, Account.FEES_UNAPPLIED, "extra"
    )
    clerk = signed_in(staff["clerk-hangzhou"])
    page = clerk.get("/payments/finance/hangzhou/").content.decode()
    assert "¥25.00" in page
    answer = clerk.get("/payments/finance/hangzhou/ledger.csv")
    assert answer["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode())))
    assert rows[0][:5] == ["at", "transaction", "account", "debit", "credit"]
    body, total = rows[1:-1], rows[-1]
    assert len(body) == 4
    assert sum(Decimal(r[3]) for r in body) == sum(Decimal(r[4]) for r in body) == Decimal("25.01")
    assert total[:5] == ["total", "", "", "25.01", "25.01"]
    assert ledger.unbalanced() == []


def test_only_the_courts_clerks_and_administrators_see_it(accepted, staff, alice) -> None:
    assert signed_in(alice).get("/payments/finance/hangzhou/").status_code == 404
    assert signed_in(staff["clerk-beijing"]).get("/payments/finance/hangzhou/").status_code == 404
    assert (
        signed_in(staff["judge1-hangzhou"]).get("/payments/finance/hangzhou/ledger.csv").status_code
        == 404
    )
    assert (
        signed_in(staff["clerk-hangzhou"])
        .get("/courts/hangzhou/queue/")
        .content.decode()
        .count("/payments/finance/hangzhou/")
        == 1
    )


def test_the_finance_page_lists_refunds_owed(accepted, staff) -> None:
    now = accepted.updated_at
    Refund.objects.create(
        case=accepted,
        amount=Decimal("12.50"),
        currency="CNY",
        key="refund-test",
        status=RefundStatus.OWED,
        due_by=now.date(),
        created_at=now,
        updated_at=now,
    )
    page = signed_in(staff["clerk-hangzhou"]).get("/payments/finance/hangzhou/").content.decode()
    assert "¥12.50" in page and "owed, not yet sent" in page


def test_the_finance_page_names_its_court_in_the_clerks_language(hangzhou, staff) -> None:
    clerk = staff["clerk-hangzhou"]
    html = signed_in(clerk).get("/payments/finance/hangzhou/").content.decode()
    assert "<title>Finance: Hangzhou Internet Court · netcourt</title>" in html
    assert "<h1>Finance: Hangzhou Internet Court</h1>" in html
    clerk.preferred_language = "zh-hans"
    clerk.save()
    html = signed_in(clerk).get("/payments/finance/hangzhou/").content.decode()
    assert "<h1>财务：杭州互联网法院</h1>" in html
