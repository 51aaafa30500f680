"""The evidence list of a case as one bilingual PDF: every item with its file's fingerprint,
the opinions on it, in Chinese and in English, for the people of the case only."""

from __future__ import annotations

import io
import re
import sys
import types
from datetime import timedelta
from typing import Any

import pytest
from pypdf import PdfReader

from netcourt.cases.models import Case
from netcourt.evidence import actions
from netcourt.evidence.models import EvidenceItem, Platform
from netcourt.evidence.pdf import evidence_list_pdf
from tests.conftest import confirmed, signed_in
from tests.evidence.test_submission import pdf, submit


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def items_of(case: Case) -> list[EvidenceItem]:
    return list(
        EvidenceItem.objects.filter(case=case)
        .select_related("blob", "party", "platform")
        .prefetch_related("opinions__party")
    )


def test_the_list_shows_every_item_its_hash_and_the_opinions_in_both_languages(
    exchanging: Case, alice: Any, bob: Any, frozen: Any
) -> None:
    order = submit(alice, exchanging, pdf(), "order.pdf")
    delivery = submit(
        bob, exchanging, pdf(2_000), "delivery.pdf", title="Delivery record", source="Courier"
    )
    opinion = actions.examine(
        bob,
        exchanging.pk,
        order.pk,
        authenticity="accepted",
        legality="accepted",
        relevance="disputed",
        comment="The order was cancelled the next day.",
        step_up=confirmed(),
    )
    actions.examine(
        alice,
        exchanging.pk,
        order.pk,
        reply_to=opinion.pk,
        comment="It was never cancelled.",
        step_up=confirmed(),
    )
    platform = Platform.objects.create(
        slug="yungou",
        name="Yungou Mall",
        kind="ecommerce",
        public_key="-",
        organisation="Yungou E-commerce Co., Ltd.",
    )
    EvidenceItem.objects.filter(pk=delivery.pk).update(
        platform=platform, provenance={"related_party": "Yungou E-commerce Co., Ltd."}
    )
    frozen.advance(timedelta(days=40))
    late = submit(alice, exchanging, pdf(500), "chat.pdf", title="Chat with the seller")
    assert late.late and not order.late

    text = text_of(evidence_list_pdf(exchanging, items_of(exchanging)))
    flat = squeezed(text)

    assert exchanging.number in text
    assert "证据清单" in text and "Evidence list" in text
    assert "杭州互联网法院" in flat and "Hangzhou Internet Court" in text
    assert "案号" in text and "原告" in text and "Plaintiff" in text
    assert "Yungou E-commerce Co., Ltd." in text
    for item in (order, delivery, late):
        assert squeezed(item.title) in flat
        assert item.blob.sha256 in flat
    assert "真实性：认可" in flat and "Authenticity:accepted" in flat
    assert "有异议" in text and "Relevance:disputed" in flat
    assert "Theorderwascancelledthenextday." in flat
    assert "Itwasnevercancelled." in flat
    # submitted at 10:00 Beijing time (02:00 UTC), the list made 40 days later
    assert "2026年11月2日10:00:00" in flat and "Nov2,2026,10:00:00AM" in flat
    assert "生成时间：2026年12月12日" in flat and "GeneratedatDec12,2026" in flat
    assert "逾期提交" in text and "submittedlate" in flat
    assert text.count("逾期提交") == 1
    assert "平台来源" in text and "platform-sourced" in flat and "YungouMall" in flat
    assert "Thisplatformisapartytothecase,orrelatedtoone:YungouE-commerceCo.,Ltd." in flat
    assert "第1页共2页" in flat and "Page 1 of 2" in text
    assert "python-mnetcourt.ledger.verify" in flat


def test_party_data_is_shown_as_text_not_markup(exchanging: Case, alice: Any) -> None:
    submit(alice, exchanging, pdf(), title="<b>Invoice</b> & receipt", source="<i>Shop</i>")
    text = squeezed(text_of(evidence_list_pdf(exchanging, items_of(exchanging))))
    assert "<b>Invoice</b>&receipt" in text and "<i>Shop</i>" in text


def test_a_long_item_runs_over_pages_and_loses_nothing(
    exchanging: Case, alice: Any, bob: Any
) -> None:
    words = " ".join(f"fact{n}" for n in range(600))
    item = submit(alice, exchanging, pdf(), purpose=words)
    last = actions.examine(
        bob,
        exchanging.pk,
        item.pk,
        authenticity="disputed",
        legality="disputed",
        relevance="disputed",
        comment="Objection. " + "x" * 1500,
        step_up=confirmed(),
    )
    for n in range(1, 6):
        last = actions.examine(
            alice if n % 2 else bob,
            exchanging.pk,
            item.pk,
            reply_to=last.pk,
            comment=f"Answer {n}. " + "y" * 1500,
            step_up=confirmed(),
        )
    data = evidence_list_pdf(exchanging, items_of(exchanging))
    text = squeezed(text_of(data))
    assert len(PdfReader(io.BytesIO(data)).pages) > 1
    assert {int(n) for n in re.findall(r"fact(\d+)", text)} == set(range(600))
    first_page = squeezed(PdfReader(io.BytesIO(data)).pages[0].extract_text())
    assert "Orderconfirmation" in first_page and "fact0fact1" in first_page
    assert "Objection." in text
    assert all(f"Answer{n}." in text for n in range(1, 6))
    assert item.blob.sha256 in text


def test_an_empty_list_still_names_the_case(exchanging: Case) -> None:
    text = text_of(evidence_list_pdf(exchanging, []))
    assert exchanging.number in text and "Evidence list" in text
    assert "No evidence has been submitted" in text


def test_the_people_of_the_case_get_the_list_and_no_one_else(
    exchanging: Case, alice: Any, bob: Any, staff: dict[str, Any], mallory: Any
) -> None:
    item = submit(alice, exchanging, pdf())
    url = f"/cases/{exchanging.pk}/evidence/list.pdf"
    answer = signed_in(alice).get(url)
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert item.blob.sha256 in squeezed(text_of(answer.content))
    assert signed_in(staff["clerk-hangzhou"]).get(url).status_code == 200
    assert signed_in(mallory).get(url).status_code == 404


def test_the_list_holds_only_the_items_the_reader_may_see(
    exchanging: Case, alice: Any, bob: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the exchange opens, a side sees only its own items, in the list too."""
    submit(alice, exchanging, pdf(), title="Order confirmation")
    submit(bob, exchanging, pdf(), title="Delivery record")
    monkeypatch.setattr("netcourt.evidence.policy.exchange_open", lambda case: False)
    url = f"/cases/{exchanging.pk}/evidence/list.pdf"
    text = squeezed(text_of(signed_in(alice).get(url).content))
    assert "Orderconfirmation" in text and "Deliveryrecord" not in text


class _NoPango(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        raise OSError("cannot load library 'libpango-1.0-0'")


def test_without_pango_the_list_is_refused_cleanly(
    exchanging: Case, alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", _NoPango("weasyprint"))
    answer = signed_in(alice).get(f"/cases/{exchanging.pk}/evidence/list.pdf")
    assert answer.status_code == 503
