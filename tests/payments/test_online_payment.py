"""Paying the acceptance fee online through the sandbox payment service: the court's views,
the sandbox's real API, checkout and webhooks, all through Django's test client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

from netcourt.cases.models import Case, CaseDeadline
from netcourt.cli import main
from netcourt.core import clock
from netcourt.payments import ledger
from netcourt.payments.models import Account, IntentStatus, LedgerEntry, PaymentIntent
from netcourt.paysandbox import actions as sandbox
from netcourt.paysandbox.models import SandboxIntent, WebhookDelivery
from tests.conftest import signed_in

SUCCEEDS = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
WEBHOOK = "/payments/webhooks/sandbox/"


@pytest.fixture(autouse=True)
def _ledger_balances(db: Any) -> Iterator[None]:
    """After every test, every ledger transaction balances."""
    yield
    assert list(ledger.unbalanced()) == []


@pytest.fixture
def plaintiff(accepted: Case) -> Client:
    return signed_in(accepted.created_by)


def start(client: Client, case: Case) -> str:
    """Press "Pay online"; the path of the sandbox's checkout page it leads to."""
    response = client.post(f"/payments/cases/{case.id}/pay/")
    assert response.status_code == 302
    return urlsplit(response["Location"]).path


def checkout(client: Client, path: str, card: str) -> str:
    """Pay at the sandbox's checkout; the court's return URL it sends the browser to."""
    assert client.get(path).status_code == 200
    response = client.post(path, {"card_number": card})
    assert response.status_code == 302
    return response["Location"]


def paid_steps(case: Case) -> list[Any]:
    return list(case.events.filter(event="record_payment"))


def pay_fee_running(case: Case) -> bool:
    return CaseDeadline.objects.filter(
        case=case, time_limit="pay_fee", stopped_by__isnull=True
    ).exists()


def signed(
    event: dict[str, Any], at: int | str | None = None, secret: str | None = None
) -> dict[str, str]:
    body = json.dumps(event).encode()
    timestamp = int(clock.now().timestamp()) if at is None else at
    header = sandbox.sign(body, timestamp, secret or settings.NETCOURT_SANDBOX_PAY_WEBHOOK_SECRET)
    return {
        "data": body,
        "content_type": "application/json",
        "headers": {"Sandbox-Signature": header},
    }


def event_for(intent_id: str, status: str, event_id: str, last_error: str = "") -> dict[str, Any]:
    kind = "payment_intent.succeeded" if status == "succeeded" else "payment_intent.payment_failed"
    return {
        "id": event_id,
        "type": kind,
        "created": int(clock.now().timestamp()),
        "data": {"intent": {"id": intent_id, "status": status, "last_error": last_error or None}},
    }


def test_a_plaintiff_pays_through_the_sandbox_and_the_case_moves_on(
    accepted: Case, plaintiff: Client
) -> None:
    page = plaintiff.get(f"/cases/{accepted.id}/").content.decode()
    # First thing on the page after the case's facts: what to pay, by when, and the button.
    top = page.split('id="actions-h"')[0]
    due = accepted.deadlines.get(time_limit="pay_fee").due
    assert "交纳案件受理费" in top and f"/payments/cases/{accepted.id}/pay/" in top
    assert f"{due.year}年{due.month}月{due.day}日" in top and "按撤诉处理" in top
    back = checkout(plaintiff, start(plaintiff, accepted), SUCCEEDS)
    # The webhook came in right after checkout: the case is paid before the payer is back.
    [step] = paid_steps(accepted)
    assert step.actor is None and step.payload["inputs"]["amount"] == f"{accepted.fee_due:f}"
    assert not pay_fee_running(accepted)
    intent = PaymentIntent.objects.get(case=accepted)
    assert intent.status == IntentStatus.SUCCEEDED
    assert step.payload["payment"] == {"provider": "sandbox", "intent": intent.provider_id}
    assert WebhookDelivery.objects.get().delivered_at is not None
    returned = plaintiff.get(urlsplit(back).path + "?" + urlsplit(back).query)
    assert returned.status_code == 200 and returned.context["intent"].status == "succeeded"
    assert 'role="status"' in returned.content.decode()
    assert ledger.balance(Account.PROVIDER_CLEARING) == accepted.fee_due
    assert ledger.balance(Account.FEES_RECEIVED) == -accepted.fee_due
    # Paid: no more button.
    assert "/pay/" not in plaintiff.get(f"/cases/{accepted.id}/").content.decode()


def test_a_declined_card_leaves_the_case_waiting_and_a_retry_pays(
    accepted: Case, plaintiff: Client
) -> None:
    path = start(plaintiff, accepted)
    back = checkout(plaintiff, path, DECLINED)
    page = plaintiff.get(urlsplit(back).path + "?" + urlsplit(back).query)
    assert page.context["intent"].status == "failed"
    assert 'role="alert"' in page.content.decode()  # the decline, with a button to try again
    assert f"/payments/cases/{accepted.id}/pay/" in page.content.decode()
    assert paid_steps(accepted) == [] and pay_fee_running(accepted)
    assert PaymentIntent.objects.get().status == IntentStatus.FAILED
    assert LedgerEntry.objects.count() == 0
    # Again: the same intent (same idempotency key), now with a good card.
    assert start(plaintiff, accepted) == path
    checkout(plaintiff, path, SUCCEEDS)
    assert len(paid_steps(accepted)) == 1 and not pay_fee_running(accepted)
    assert SandboxIntent.objects.count() == 1 and PaymentIntent.objects.count() == 1


def test_a_number_that_is_no_test_card_is_refused_at_checkout(
    accepted: Case, plaintiff: Client
) -> None:
    path = start(plaintiff, accepted)
    response = plaintiff.post(path, {"card_number": "5555 5555 5555 4444"})
    assert response.status_code == 422 and 'aria-invalid="true"' in response.content.decode()
    assert WebhookDelivery.objects.count() == 0


def test_only_the_plaintiffs_side_may_pay(accepted: Case, staff: Any, mallory: Any) -> None:
    clerk = signed_in(staff["clerk-hangzhou"])
    assert "/pay/" not in clerk.get(f"/cases/{accepted.id}/").content.decode()
    assert clerk.post(f"/payments/cases/{accepted.id}/pay/").status_code == 302
    assert signed_in(mallory).post(f"/payments/cases/{accepted.id}/pay/").status_code == 404
    assert PaymentIntent.objects.count() == 0


def _held(settings: Any, client: Client, case: Case, *cards: str) -> PaymentIntent:
    """Pay with ``cards`` in turn while the sandbox holds its webhooks back."""
    settings.NETCOURT_SANDBOX_PAY_WEBHOOKS = "later"
    path = start(client, case)
    for card in cards:
        checkout(client, path, card)
    return PaymentIntent.objects.get(case=case)


def test_forged_and_stale_webhooks_are_refused(
    accepted: Case, plaintiff: Client, settings: Any
) -> None:
    intent = _held(settings, plaintiff, accepted, SUCCEEDS)
    event = event_for(intent.provider_id, "succeeded", "evt_forged")
    client = Client()
    assert client.post(WEBHOOK, **signed(event, secret="not-the-secret")).status_code == 400
    now = int(clock.now().timestamp())
    assert client.post(WEBHOOK, **signed(event, at=now - 301)).status_code == 400
    assert client.post(WEBHOOK, **signed(event, at=now + 120)).status_code == 400
    assert client.post(WEBHOOK, data=b"{}", content_type="application/json").status_code == 400
    tampered = signed(event)
    tampered["data"] = tampered["data"].replace(b"evt_forged", b"evt_other")
    answer = client.post(WEBHOOK, **tampered)
    assert answer.status_code == 400 and answer["Content-Type"] == "application/problem+json"
    assert answer.json()["detail"] == "The webhook's signature does not verify."
    unsigned = client.post(
        WEBHOOK, data=b"{}", content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-CN"
    )
    assert unsigned.json()["detail"] == "该通知未经签名。"
    assert paid_steps(accepted) == [] and intent.ledger.count() == 0


def test_an_oversized_webhook_is_413_problem_json(settings: Any) -> None:
    too_big = b"{" + b" " * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + b"}"
    answer = Client().post(WEBHOOK, data=too_big, content_type="application/json")
    assert answer.status_code == 413 and answer["Content-Type"] == "application/problem+json"
    assert answer.json()["code"] == "request_too_large"


def test_a_webhook_time_not_in_ascii_digits_is_refused(
    accepted: Case, plaintiff: Client, settings: Any
) -> None:
    """int() reads other scripts' digits; "²" passes str.isdigit() but not int()."""
    intent = _held(settings, plaintiff, accepted, SUCCEEDS)
    event = event_for(intent.provider_id, "succeeded", "evt_digits")
    now = str(int(clock.now().timestamp()))
    arabic = now.translate({ord(str(n)): 0x0660 + n for n in range(10)})
    for timestamp in (arabic, "\u00b2", "9" * 30, f"{now}.5"):
        message = signed(event, at=timestamp)
        answer = Client().post(WEBHOOK, **message)
        assert answer.status_code == 400, (timestamp, answer.content)
        assert answer["Content-Type"] == "application/problem+json"
    assert paid_steps(accepted) == [] and intent.ledger.count() == 0


def test_the_sandbox_reads_an_amount_in_digits_only(db: Any) -> None:
    auth = {"Authorization": f"Bearer {settings.NETCOURT_SANDBOX_PAY_SECRET}"}
    body = {"currency": "CNY", "reference": "x", "return_url": "http://a/"}
    for n, amount in enumerate(["\u0662\u0665", "2_5", "2.5e1", "25.001", 25.5, "-25", "0"]):
        refused = Client().post(
            "/sandbox-pay/v1/intents",
            {**body, "amount": amount},
            "application/json",
            headers={**auth, "Idempotency-Key": f"k{n}"},
        )
        assert refused.status_code == 400, (amount, refused.content)
        assert refused.json()["error"]["code"] == "invalid_amount"
    assert not SandboxIntent.objects.exists()


def test_duplicated_and_replayed_webhooks_post_once(
    accepted: Case, plaintiff: Client, settings: Any
) -> None:
    intent = _held(settings, plaintiff, accepted, SUCCEEDS)
    delivery = WebhookDelivery.objects.get()
    assert sandbox.attempt(delivery.event_id) is True
    # The provider sends it again (duplicate), and someone replays a captured copy.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        delivered_at=None, next_attempt_at=clock.now()
    )
    assert sandbox.attempt(delivery.event_id) is True
    replay = signed({"id": delivery.event_id, **delivery.payload})
    answer = Client().post(WEBHOOK, **replay)
    assert answer.status_code == 200 and answer.json() == {"outcome": "duplicate"}
    assert len(paid_steps(accepted)) == 1
    assert intent.ledger.count() == 2  # one transaction, two entries


def test_a_late_failure_never_undoes_a_success(
    accepted: Case, plaintiff: Client, settings: Any
) -> None:
    _held(settings, plaintiff, accepted, DECLINED, SUCCEEDS)
    failed, succeeded = WebhookDelivery.objects.order_by("created_at")
    assert sandbox.attempt(succeeded.event_id) and sandbox.attempt(failed.event_id)
    assert PaymentIntent.objects.get().status == IntentStatus.SUCCEEDED
    assert len(paid_steps(accepted)) == 1


def test_a_success_after_a_failure_counts_only_if_the_provider_confirms_it(
    accepted: Case, plaintiff: Client, settings: Any
) -> None:
    intent = _held(settings, plaintiff, accepted, DECLINED)
    assert sandbox.attempt(WebhookDelivery.objects.get().event_id)
    intent.refresh_from_db()
    assert intent.status == IntentStatus.FAILED
    # Signed with the right secret, but the provider says the intent was never paid.
    claim = event_for(intent.provider_id, "succeeded", "evt_claim")
    assert Client().post(WEBHOOK, **signed(claim)).json() == {"outcome": "unchanged"}
    intent.refresh_from_db()
    assert intent.status == IntentStatus.FAILED and paid_steps(accepted) == []


def test_a_crash_before_the_webhook_loses_nothing(
    accepted: Case, plaintiff: Client, settings: Any, capsys: Any
) -> None:
    # The provider took the money; its webhook never comes and the payer never comes back.
    settings.NETCOURT_SANDBOX_PAY_WEBHOOKS = "never"
    checkout(plaintiff, start(plaintiff, accepted), SUCCEEDS)
    assert paid_steps(accepted) == [] and pay_fee_running(accepted)
    assert main(["payments", "reconcile", "--json"]) == 0
    [line] = json.loads(capsys.readouterr().out)
    assert line["status"] == "succeeded"
    assert len(paid_steps(accepted)) == 1 and not pay_fee_running(accepted)
    assert main(["payments", "reconcile", "--json"]) == 0  # nothing pending: nothing again
    assert json.loads(capsys.readouterr().out) == [] and len(paid_steps(accepted)) == 1


def test_webhooks_that_fail_are_retried_with_backoff(
    accepted: Case, plaintiff: Client, frozen: clock.FixedClock, monkeypatch: Any, capsys: Any
) -> None:
    def unreachable(*args: Any) -> tuple[int, bytes]:
        raise OSError("connection refused")

    monkeypatch.setattr(sandbox, "transport", unreachable)
    checkout(plaintiff, start(plaintiff, accepted), SUCCEEDS)
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 1 and delivery.last_status == 0
    assert delivery.next_attempt_at == clock.now() + timedelta(seconds=30)
    assert paid_steps(accepted) == []
    frozen.advance(timedelta(seconds=31))
    assert main(["paysandbox", "deliver", "--json"]) == 0
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.next_attempt_at == clock.now() + timedelta(seconds=60)
    monkeypatch.setattr(sandbox, "transport", None)
    frozen.advance(timedelta(seconds=61))
    capsys.readouterr()
    assert main(["paysandbox", "deliver", "--json"]) == 0
    [line] = json.loads(capsys.readouterr().out)
    assert line["delivered"] is True and line["attempts"] == 3
    assert len(paid_steps(accepted)) == 1
    assert main(["paysandbox", "deliver", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_the_sandbox_api_needs_its_key_and_honours_idempotency(db: Any) -> None:
    client = Client()
    body = {"amount": "25.00", "currency": "CNY", "reference": "x", "return_url": "http://a/"}
    auth = {"Authorization": f"Bearer {settings.NETCOURT_SANDBOX_PAY_SECRET}"}
    post = "/sandbox-pay/v1/intents"
    assert (
        client.post(post, body, "application/json", headers={"Idempotency-Key": "k"}).status_code
        == 401
    )
    first = client.post(post, body, "application/json", headers={**auth, "Idempotency-Key": "k"})
    again = client.post(post, body, "application/json", headers={**auth, "Idempotency-Key": "k"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    other = {**body, "amount": "26.00"}
    reused = client.post(post, other, "application/json", headers={**auth, "Idempotency-Key": "k"})
    assert reused.status_code == 422
    assert client.post(post, body, "application/json", headers=auth).status_code == 400
    got = client.get(f"{post}/{first.json()['id']}", headers=auth)
    assert got.json()["status"] == "requires_payment" and got.json()["amount"] == "25.00"
    assert Decimal(got.json()["amount"]) == Decimal("25.00")


def test_a_provider_that_times_out_charges_nothing_and_reconcile_waits_for_it(
    accepted: Case, plaintiff: Client, settings: Any, capsys: Any
) -> None:
    settings.NETCOURT_SANDBOX_PAY_API = "timeout"
    refused = plaintiff.post(f"/payments/cases/{accepted.id}/pay/", follow=True)
    assert "cannot be reached" in refused.content.decode() or "无法连接" in refused.content.decode()
    assert paid_steps(accepted) == [] and pay_fee_running(accepted)
    # Back up: the same button pays, with no second intent at the provider.
    settings.NETCOURT_SANDBOX_PAY_API = "up"
    settings.NETCOURT_SANDBOX_PAY_WEBHOOKS = "never"
    checkout(plaintiff, start(plaintiff, accepted), SUCCEEDS)
    # The provider times out again while the court reconciles: nothing changes, nothing lost.
    settings.NETCOURT_SANDBOX_PAY_API = "timeout"
    assert main(["payments", "reconcile", "--json"]) == 0
    assert [line["status"] for line in json.loads(capsys.readouterr().out)] in ([], ["pending"])
    assert paid_steps(accepted) == []
    settings.NETCOURT_SANDBOX_PAY_API = "up"
    assert main(["payments", "reconcile", "--json"]) == 0
    capsys.readouterr()
    assert len(paid_steps(accepted)) == 1
    assert PaymentIntent.objects.filter(case=accepted).count() == 1
