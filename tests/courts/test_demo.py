"""The demo court as a newcomer finds it: cases that went on past acceptance paid their fee,
one is left for the visitor to pay, and one withdrawn after paying got half its fee back; its
public log names no one, and its receipts verify."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings

from netcourt.cases import actions as case_actions
from netcourt.cases.models import Case, CaseDeadline
from netcourt.core import clock
from netcourt.courts.demo import load_demo
from netcourt.evidence import actions as evidence_actions
from netcourt.evidence.models import EvidenceItem
from netcourt.ledger import check_receipt
from netcourt.payments import policy as payment_policy
from netcourt.payments.models import IntentStatus, Refund, RefundStatus
from netcourt.procedure import load_pack
from netcourt.service import actions as service_actions
from netcourt.service.models import Service
from netcourt.transparency import keys as transparency_keys
from netcourt.transparency.audit import audit
from tests.conftest import signed_in
from tests.transparency.test_salts import public_leaves, reviewers_search


@pytest.fixture
def demo(db: Any) -> dict[str, Any]:
    return load_demo()


def test_the_demo_cases_pay_their_fees_and_one_gets_half_back(demo: dict[str, Any]) -> None:
    charged = Case.objects.filter(fee_due__isnull=False)
    unpaid = {
        case.state
        for case in charged
        if CaseDeadline.objects.filter(
            case=case, time_limit="pay_fee", stopped_by__isnull=True
        ).exists()
    }
    assert unpaid == {"accepted"}  # the one a visitor may pay; none overdue on a judgment
    [waiting] = charged.filter(state="accepted")
    assert payment_policy.may_pay_online(waiting.created_by, waiting)
    assert charged.filter(payments__status=IntentStatus.SUCCEEDED).count() >= 10

    [refund] = Refund.objects.all()
    case = refund.case
    assert case.state == "withdrawn" and case.track == "ordinary"
    assert refund.status == RefundStatus.SUCCEEDED and refund.amount * 2 == case.fee_due
    page = signed_in(case.created_by).get(f"/cases/{case.id}/").content.decode()
    assert "Money the court owes back" in page and "Refunded." in page
    assert "Receipt (PDF, Chinese and English)" in page


def test_the_demo_log_names_no_filer_and_its_receipts_verify(demo: dict[str, Any]) -> None:
    """The security review, replayed: trying every account, court, kind of dispute and
    capacity against the first event of each case in the public log named every demo case's
    filer. Now it names none, though the salt in a party's receipt makes the same search work;
    every receipt checks, and the whole log verifies."""
    filings = [
        leaf for leaf in public_leaves() if leaf["kind"] == "case_event" and leaf["seq"] == 1
    ]
    cases = {str(case.pk): case for case in Case.objects.all()}
    assert len(filings) == len(cases) > 20
    assert [leaf for leaf in filings if reviewers_search(leaf)] == []
    key = transparency_keys.log_verifier_key()
    for leaf in filings:
        case = cases[leaf["case"]]
        receipt = case_actions.event_receipt(case.created_by, case.events.get(seq=1))
        check_receipt(receipt, trusted_key=key)
        filer = (case.created_by_id, case.court.slug, case.category, case.filing["acting_as"])
        assert reviewers_search(leaf, receipt["opening"]["salt"]) == [filer]
    items = list(EvidenceItem.objects.select_related("blob"))
    assert items
    for item in items:
        check_receipt(
            evidence_actions.item_receipt(item), trusted_key=key, blob_sha256=item.blob.sha256
        )
    assert audit(files=False) == []


def test_the_demo_gives_the_courts_own_address(db: Any, settings: Any) -> None:
    """A second court on another port says its own address, not the default one."""
    settings.NETCOURT_BASE_URL = "http://127.0.0.1:8621"
    text = load_demo()["text"]
    assert "sign in at http://127.0.0.1:8621/accounts/login/" in text
    assert "The transparency log is at http://127.0.0.1:8621/log/checkpoint" in text


@pytest.mark.django_db(transaction=True)
def test_the_worker_has_no_stale_service_to_e_mail_when_it_first_runs(mailoutbox: Any) -> None:
    """The demo's people read their inbox: nothing served in a case that went on is left
    unread for the worker to chase by e-mail; only what the step each case stops at served
    (for a visitor to read: the fee to pay, the hearing to come, the judgment to be served). Committed as `netcourt demo` commits,
    so that each step's jobs run as it goes."""
    load_demo()
    waiting = Service.objects.filter(effective_at__isnull=True)
    assert {(s.case.state, s.document) for s in waiting} == {
        ("accepted", "fee_notice"),
        ("hearing_scheduled", "hearing_notice"),
        ("judgment_issued", "judgment"),
        ("served", "complaint_copy"),
    }
    mailoutbox.clear()
    with clock.use(clock.FixedClock(clock.now() + timedelta(days=2))):
        service_actions.sweep()
    chased = {s.case.number for s in waiting}
    assert mailoutbox and all(any(n in m.subject for n in chased) for m in mailoutbox)


def test_the_demo_has_a_case_in_every_state_and_an_appeal_the_shop_may_still_join(
    demo: dict[str, Any],
) -> None:
    """A plaintiff appealed; the time to appeal still runs, and the defendant, the shop, is
    offered its own appeal (the plaintiff is not offered a second)."""
    pack = load_pack(settings.NETCOURT_DEFAULT_PACK)
    assert {case["state"] for case in demo["cases"]} == set(pack.states)
    [case] = Case.objects.filter(state="appeal_lodged")
    assert CaseDeadline.objects.filter(
        case=case, time_limit="appeal_judgment", stopped_by__isnull=True
    ).exists()
    form = 'name="event" value="lodge_appeal"'
    shop = case.parties.get(role="defendant").user
    assert form in signed_in(shop).get(f"/cases/{case.id}/").content.decode()
    assert form not in signed_in(case.created_by).get(f"/cases/{case.id}/").content.decode()
