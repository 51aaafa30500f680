"""The judgment has words: the judge pronounces what the court finds, reasons and orders, and
netcourt writes it out from the pack's template, on the case page and behind the served link."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.urls import reverse

from netcourt.cases import actions, documents
from netcourt.core.problems import Problem
from netcourt.service.models import Service
from tests.conftest import api_client, confirmed, signed_in
from tests.hearings.test_record import clerk, heard, hearing  # noqa: F401 (fixtures)

JUDGMENT = {
    "findings": "The defendant took CNY 4,299.00 and never shipped the phone.",
    "reasoning": "A seller who is paid must deliver (Civil Code Art. 598).",
    # The judge may number the orders themselves: the judgment numbers them once.
    "orders": ["1. The defendant refunds CNY 4,299.00 to the plaintiff.", "The contract ends."],
    "costs": "The defendant bears the acceptance fee.",
}


def pronounce(case: Any, capture: Any, **changes: Any) -> None:
    case.refresh_from_db()
    with capture(execute=True):
        actions.fire(
            case.judge,
            case.id,
            "issue_judgment",
            case.version,
            {**JUDGMENT, **changes},
            step_up=confirmed(),
        )
    case.refresh_from_db()


def test_a_judgment_without_its_orders_is_refused(heard: Any) -> None:  # noqa: F811
    case = heard.case
    case.refresh_from_db()
    with pytest.raises(Problem) as refused:
        actions.fire(
            case.judge,
            case.id,
            "issue_judgment",
            case.version,
            {**JUDGMENT, "orders": []},
            step_up=confirmed(),
        )
    assert refused.value.code == "input_missing" and refused.value.field == "orders"
    case.refresh_from_db()
    assert case.state == "heard" and documents.judgment(case, "en") is None


def test_the_judgment_is_written_out_in_each_language_and_served_with_its_text(
    heard: Any,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    case = heard.case
    pronounce(case, django_capture_on_commit_callbacks)
    assert case.state == "judgment_issued"
    english = documents.judgment(case, "en")
    assert english is not None and "CIVIL JUDGMENT" in english and case.number in english
    assert "1. The defendant refunds CNY 4,299.00" in english and "2. The contract ends." in english
    assert "1. 1." not in english
    # The fee as the judge wrote it, as judgments state it, not after a label of its own.
    assert "\nThe defendant bears the acceptance fee.\n" in english
    assert "Acceptance fee: The defendant" not in english
    chinese = documents.judgment(case, "zh-hans")
    assert chinese is not None and "民事判决书" in chinese and "二、The contract ends." in chinese
    final = "本判决为终审判决。" if case.track == "small_claims" else "上诉于上一级人民法院"
    assert final in chinese
    # The court sees it at once; a party only once it is served on them (reading it through
    # the served link), so that the time to appeal does not start unseen.
    assert "The contract ends." in signed_in(case.judge).get(f"/cases/{case.id}/").content.decode()
    plaintiff = signed_in(case.created_by)
    page = plaintiff.get(f"/cases/{case.id}/").content.decode()
    assert "The contract ends." not in page and "确认收悉" in page
    assert api_client(case.created_by).get(f"/api/v1/cases/{case.id}").json()["judgment"] is None
    served = Service.objects.get(case=case, document="judgment", party__role="plaintiff")
    delivery = served.deliveries.first()
    assert delivery is not None and delivery.channel == "inbox"
    link = reverse("service:received", args=[delivery.pk])
    reader = plaintiff
    assert "The contract ends." not in reader.get(link).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert "The contract ends." in reader.post(link).content.decode()
    # Served as pronounced, in the case's language (filed in English here), whoever reads it:
    # the plaintiff's page is in Chinese, the judgment the one served, and its fingerprint the
    # one recorded.
    assert served.text == english and served.text_language == case.language == "en"
    assert served.sha256 == hashlib.sha256(english.encode("utf-8")).hexdigest()
    page = plaintiff.get(f"/cases/{case.id}/").content.decode()
    assert '<html lang="zh-Hans">' in page and '<div class="card document-text" lang="en">' in page
    assert "CIVIL JUDGMENT" in page and "经审理查明" not in page
    read = api_client(case.created_by).get(f"/api/v1/cases/{case.id}").json()["judgment"]
    assert "The contract ends." in read


def test_the_statement_of_claim_is_dated_the_day_it_was_filed(heard: Any) -> None:  # noqa: F811
    from netcourt.core import clock

    case = heard.case
    case.refresh_from_db()
    filed = documents.statement_of_claim(case, "en")
    with clock.use(clock.FixedClock(clock.now().replace(year=clock.now().year + 1))):
        assert documents.statement_of_claim(case, "en") == filed


def test_a_party_is_told_on_its_case_page_and_by_its_notice_that_the_judgment_waits_for_it(
    heard: Any,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A party that never agreed to electronic service is served the judgment when it opens
    it: the case page says so at its top, with the link, and with the appeal period its
    service starts (CPL Art. 171: from the day it is served on every party), and the notice
    of the step says the judgment waits in its inbox."""
    from netcourt.cases.models import Case
    from netcourt.service.models import Notification

    case = heard.case
    Case.objects.filter(pk=case.pk).update(track="simplified")  # a judgment one may appeal
    pronounce(case, django_capture_on_commit_callbacks)
    bob = case.parties.get(role="defendant").user
    [told] = Notification.objects.filter(user=bob, subject__contains="The judgment was pronounced")
    assert (
        "Judgment waits for you in your netcourt inbox: open it there and confirm receipt, "
        "and it is served on you then." in told.body
    )
    plaintiff = signed_in(case.created_by)
    page = plaintiff.get(f"/cases/{case.id}/").content.decode()
    served = Service.objects.get(case=case, document="judgment", party__role="plaintiff")
    link = reverse("service:received", args=[served.deliveries.get().pk])
    notice = page[page.index('aria-labelledby="waiting-h"') : page.index('class="facts card"')]
    assert "等待您打开" in notice and "<h3>判决书</h3>" in notice
    assert f'href="{link}"' in notice and "打开《判决书》" in notice
    assert "判决上诉期" in notice and "第一百七十一条" in notice
    assert "waiting-h" not in signed_in(case.judge).get(f"/cases/{case.id}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        plaintiff.post(link)
    page = plaintiff.get(f"/cases/{case.id}/").content.decode()
    assert "waiting-h" not in page and "The contract ends." in page
