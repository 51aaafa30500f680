"""Half the fee back when a paid case is withdrawn or settled by mediation (Measures on the
Payment of Litigation Costs Arts. 15, 53): recorded by the closing step, sent by `netcourt
payments refund`, settled by the sandbox's signed `refund.succeeded` webhook."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from pypdf import PdfReader

from netcourt.cases import actions
from netcourt.cases.models import Case
from netcourt.cli import main
from netcourt.core import clock
from netcourt.payments import ledger
from netcourt.payments.models import (
    Account,
    ProcessedWebhook,
    Refund,
    RefundReason,
    RefundStatus,
)
from netcourt.payments.providers import SandboxProvider, get_provider
from netcourt.payments.refunds import send_refunds
from netcourt.paysandbox.models import SandboxRefund, WebhookDelivery
from tests.conftest import confirmed, signed_in
from tests.payments.test_online_payment import SUCCEEDS, WEBHOOK, checkout, signed, start


@pytest.fixture(autouse=True)
def _ledger_balances(db: Any) -> Iterator[None]:
    yield
    assert list(ledger.unbalanced()) == []


@pytest.fixture
def ordinary(submitted: Case, staff: dict[str, Any]) -> Case:
    """Accepted on the ordinary track: the full fee, 50.00 (not already halved)."""
    clerk = staff["clerk-hangzhou"]
    actions.fire(clerk, submitted.id, "accept", submitted.version, {"track": "ordinary"})
    submitted.refresh_from_db()
    assert submitted.fee_due == Decimal("50.00")
    return submitted


def paid_online(case: Case) -> Client:
    client = signed_in(case.created_by)
    checkout(client, start(client, case), SUCCEEDS)
    case.refresh_from_db()
    return client


def withdraw(case: Case) -> None:
    case.refresh_from_db()
    actions.fire(case.created_by, case.id, "withdraw", case.version, {}, step_up=confirmed())


def refund_run(capsys: Any) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert main(["payments", "refund", "--json"]) == 0
    result: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    return result


def test_a_paid_case_withdrawn_gets_half_its_fee_back(
    ordinary: Case, frozen: clock.FixedClock, capsys: Any
) -> None:
    paid_online(ordinary)
    withdraw(ordinary)
    [refund] = Refund.objects.filter(case=ordinary)
    assert refund.amount == Decimal("25.00") and refund.status == RefundStatus.OWED
    assert refund.due_by == clock.today() + timedelta(days=15)
    assert ledger.balance(Account.REFUNDS_PAYABLE) == Decimal("-25.00")
    assert ledger.balance(Account.FEES_RECEIVED) == Decimal("-25.00")  # half kept
    # Sent; the sandbox's webhook comes right away and settles it.
    [line] = refund_run(capsys)
    assert line["amount"] == "25.00" and line["status"] == "succeeded"
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED and refund.provider_id.startswith("re_")
    delivery = WebhookDelivery.objects.get(type="refund.succeeded")
    assert delivery.delivered_at is not None
    assert ProcessedWebhook.objects.filter(event_id=delivery.event_id).exists()
    assert ledger.balance(Account.REFUNDS_PAYABLE) == 0
    assert ledger.balance(Account.PROVIDER_CLEARING) == Decimal("25.00")
    entries = ordinary.ledger.count()
    # Again: nothing owed, nothing sent; the same webhook again changes nothing.
    assert refund_run(capsys) == []
    replay = Client().post(WEBHOOK, **signed({"id": delivery.event_id, **delivery.payload}))
    assert replay.json() == {"outcome": "duplicate"}
    assert SandboxRefund.objects.count() == 1 and ordinary.ledger.count() == entries


def test_without_webhooks_the_providers_answer_settles_the_refund(
    ordinary: Case, settings: Any, capsys: Any
) -> None:
    paid_online(ordinary)
    withdraw(ordinary)
    settings.NETCOURT_SANDBOX_PAY_WEBHOOKS = "later"
    [line] = refund_run(capsys)
    assert line["status"] == "succeeded"
    # The held webhook comes late: taken, but it changes nothing.
    delivery = WebhookDelivery.objects.get(type="refund.succeeded")
    before = ordinary.ledger.count()
    assert main(["paysandbox", "deliver"]) == 0
    delivery.refresh_from_db()
    assert delivery.delivered_at is not None and ordinary.ledger.count() == before
    assert ledger.balance(Account.REFUNDS_PAYABLE) == 0


def test_a_case_settled_by_mediation_gets_half_back(
    ordinary: Case, staff: dict[str, Any], capsys: Any
) -> None:
    paid_online(ordinary)
    judge = ordinary.judge
    assert judge is not None
    actions.fire(judge, ordinary.id, "settle", ordinary.version, {"terms": "Refund paid."})
    [refund] = Refund.objects.filter(case=ordinary)
    assert refund.amount == Decimal("25.00")
    assert refund_run(capsys)[0]["status"] == "succeeded"


def test_a_small_claims_case_already_paid_half_gets_nothing_back(accepted: Case) -> None:
    # The small claims fee is halved already; the halvings do not add up (Art. 15 and 16).
    paid_online(accepted)
    withdraw(accepted)
    assert Refund.objects.count() == 0


def test_an_unpaid_case_withdrawn_owes_nothing(ordinary: Case) -> None:
    withdraw(ordinary)
    assert Refund.objects.count() == 0


def test_a_payment_that_comes_after_the_case_closed_is_owed_back_whole(
    ordinary: Case, settings: Any, capsys: Any
) -> None:
    from urllib.parse import urlsplit

    settings.NETCOURT_SANDBOX_PAY_WEBHOOKS = "later"  # the payment is on its way...
    client = signed_in(ordinary.created_by)
    back = urlsplit(checkout(client, start(client, ordinary), SUCCEEDS))
    withdraw(ordinary)  # ...when the case closes, unpaid
    assert Refund.objects.count() == 0
    assert main(["paysandbox", "deliver"]) == 0
    ordinary.refresh_from_db()
    assert ordinary.state == "withdrawn" and not ordinary.events.filter(event="record_payment")
    [refund] = Refund.objects.filter(case=ordinary)
    assert (refund.amount, refund.status, refund.reason) == (
        Decimal("50.00"),
        RefundStatus.OWED,
        RefundReason.NOT_APPLIED,
    )
    assert ledger.balance(Account.FEES_UNAPPLIED) == 0
    assert ledger.balance(Account.REFUNDS_PAYABLE) == Decimal("-50.00")
    # The payer (who reads Chinese) is told, on the page the payment service sends them back
    # to and on the case.
    returned = client.get(f"{back.path}?{back.query}").content.decode()
    assert "案件已无法接收该款项" in returned and "案件继续" not in returned
    page = client.get(f"/cases/{ordinary.id}/").content.decode()
    assert "法院应退还的款项" in page and "全额退还" in page
    # Its receipt is one of money received, not of a fee.
    intent = ordinary.payments.get()
    receipt = client.get(f"/payments/cases/{ordinary.id}/receipts/{intent.id}.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(receipt.content)).pages)
    assert "receipt of payment" in text and "acceptance fee receipt" not in text
    assert "not applied to the case's fees: it is refunded in full" in " ".join(text.split())
    [line] = refund_run(capsys)
    assert line["amount"] == "50.00" and line["status"] == "succeeded"
    assert ledger.balance(Account.REFUNDS_PAYABLE) == 0
    assert ledger.balance(Account.PROVIDER_CLEARING) == 0  # in, and out again
    assert "已退还。" in client.get(f"/cases/{ordinary.id}/").content.decode()
    # The payment's webhook again owes nothing more.
    assert main(["paysandbox", "deliver"]) == 0
    assert Refund.objects.count() == 1 and refund_run(capsys) == []


def test_a_fee_paid_at_the_counter_is_flagged_for_the_counter(
    ordinary: Case, staff: dict[str, Any], capsys: Any
) -> None:
    clerk = staff["clerk-hangzhou"]
    actions.fire(clerk, ordinary.id, "record_payment", ordinary.version, {"amount": "50.00"})
    withdraw(ordinary)
    [refund] = Refund.objects.filter(case=ordinary)
    assert refund.status == RefundStatus.COUNTER and refund.amount == Decimal("25.00")
    assert refund.intent is None and refund.provider == ""
    assert refund_run(capsys) == []  # no provider call
    assert SandboxRefund.objects.count() == 0 and ordinary.ledger.count() == 0


def test_the_sandbox_refunds_no_more_than_was_paid(ordinary: Case) -> None:
    paid_online(ordinary)
    intent = ordinary.payments.get().provider_id
    auth = {"Authorization": f"Bearer {settings.NETCOURT_SANDBOX_PAY_SECRET}"}
    url = f"/sandbox-pay/v1/intents/{intent}/refunds"
    client = Client()

    def refund(key: str, amount: str) -> Any:
        return client.post(
            url, {"amount": amount}, "application/json", headers={**auth, "Idempotency-Key": key}
        )

    assert client.post(url, {"amount": "1.00"}, "application/json", headers=auth).status_code == 400
    first = refund("a", "30.00")
    assert first.status_code == 201 and first.json()["status"] == "succeeded"
    assert refund("a", "30.00").json()["id"] == first.json()["id"]  # same key: same refund
    assert refund("a", "31.00").status_code == 422  # same key, other body
    too_much = refund("b", "20.01")
    assert too_much.status_code == 422
    assert too_much.json()["error"]["code"] == "amount_too_large"
    assert refund("b", "20.00").status_code == 201  # the rest: refunded in full
    assert refund("c", "0.01").status_code == 422
    assert (
        client.post(
            "/sandbox-pay/v1/intents/pi_nope/refunds",
            {"amount": "1.00"},
            "application/json",
            headers={**auth, "Idempotency-Key": "d"},
        ).status_code
        == 404
    )
    # These refunds are not the court's: their webhooks are refused.
    assert WebhookDelivery.objects.filter(type="refund.succeeded").count() == 2
    assert not Refund.objects.exists()


def test_a_refund_the_provider_refuses_is_left_for_the_finance_office(
    ordinary: Case, staff: dict[str, Any], capsys: Any
) -> None:
    """Refunded already through the provider's own dashboard, say: the provider refuses the
    court's refund for good. It is not sent again, stays owed in the ledger, and the finance
    office and the payer see that it is to be refunded by other means."""
    paid_online(ordinary)
    withdraw(ordinary)
    intent = ordinary.payments.get().provider_id
    refunded_elsewhere = Client().post(
        f"/sandbox-pay/v1/intents/{intent}/refunds",
        {"amount": "50.00"},
        "application/json",
        headers={
            "Authorization": f"Bearer {settings.NETCOURT_SANDBOX_PAY_SECRET}",
            "Idempotency-Key": "dashboard",
        },
    )
    assert refunded_elsewhere.status_code == 201
    [line] = refund_run(capsys)
    assert line["status"] == "failed"
    refund = Refund.objects.get(case=ordinary)
    assert refund.status == RefundStatus.FAILED
    assert ledger.balance(Account.REFUNDS_PAYABLE) == Decimal("-25.00")  # still owed
    assert refund_run(capsys) == []  # not sent again
    assert SandboxRefund.objects.count() == 1
    shown = "refused by the payment service: the finance office refunds it"
    clerk = signed_in(staff["clerk-hangzhou"])
    assert shown in clerk.get("/payments/finance/hangzhou/").content.decode()
    payer = signed_in(ordinary.created_by).get(f"/cases/{ordinary.id}/").content.decode()
    assert "支付服务未能退款，法院财务部门将与您联系，以其他方式退还。" in payer  # in Chinese


def test_a_wrong_payment_secret_leaves_refunds_owed_for_the_next_run(
    ordinary: Case, capsys: Any
) -> None:
    """The provider answers 401 to a wrong (or rotated) secret: the court's fault, not the
    refund's. Nothing is marked failed; once the secret is right the next run pays it."""
    paid_online(ordinary)
    withdraw(ordinary)
    right = get_provider()
    assert isinstance(right, SandboxProvider)
    wrong = SandboxProvider(right.base_url, "sk_wrong", right.webhook_secret, right.transport)
    assert send_refunds(wrong) == []
    assert Refund.objects.get(case=ordinary).status == RefundStatus.OWED
    [line] = refund_run(capsys)
    assert line["status"] == "succeeded"


def test_a_refused_refund_the_provider_pays_after_all_is_settled_once(
    ordinary: Case, capsys: Any
) -> None:
    paid_online(ordinary)
    withdraw(ordinary)
    refund = Refund.objects.get(case=ordinary)
    refund.provider_id = "re_later"
    refund.save()
    event = {
        "type": "refund.failed",
        "created": int(clock.now().timestamp()),
        "data": {
            "refund": {
                "id": "re_later",
                "intent": refund.intent.provider_id,
                "status": "failed",
                "amount": "25.00",
                "reference": refund.key,
            }
        },
    }
    failed = Client().post(WEBHOOK, **signed({"id": "evt_failed", **event}))
    assert failed.json() == {"outcome": "applied"}
    refund.refresh_from_db()
    assert refund.status == RefundStatus.FAILED
    assert ledger.balance(Account.REFUNDS_PAYABLE) == Decimal("-25.00")
    event["type"] = "refund.succeeded"
    event["data"]["refund"]["status"] = "succeeded"
    for event_id in ("evt_paid", "evt_paid_again"):
        Client().post(WEBHOOK, **signed({"id": event_id, **event}))
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert ledger.balance(Account.REFUNDS_PAYABLE) == 0
    assert ledger.balance(Account.PROVIDER_CLEARING) == Decimal("25.00")


def test_a_payment_left_unapplied_before_such_payments_were_owed_back_is_refunded(
    ordinary: Case, capsys: Any
) -> None:
    """Money an older netcourt put in ``fees_unapplied`` with no refund: the next refund
    run owes it back whole and sends it, once."""
    paid_online(ordinary)
    intent = ordinary.payments.get()
    # As an older version left it: the payment's money unapplied, no refund recorded.
    ledger.post(
        ordinary,
        intent.amount,
        intent.currency,
        debit=Account.FEES_RECEIVED,
        credit=Account.FEES_UNAPPLIED,
        memo="test: as an older version left it",
        intent=intent,
    )
    assert not Refund.objects.exists()
    [line] = refund_run(capsys)
    assert line["amount"] == "50.00" and line["status"] == "succeeded"
    refund = Refund.objects.get()
    assert refund.reason == RefundReason.NOT_APPLIED and refund.intent == intent
    assert ledger.balance(Account.FEES_UNAPPLIED) == 0
    assert ledger.balance(Account.REFUNDS_PAYABLE) == 0
    assert refund_run(capsys) == [] and Refund.objects.count() == 1
