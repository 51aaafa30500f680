"""A case page is titled by its case; what people typed (titles, names) is isolated from the
court's own text (<bdi>), so right-to-left letters cannot reorder the sentence around it."""

from __future__ import annotations

import re

from netcourt.cases import actions
from netcourt.evidence.models import EvidenceItem
from tests.conftest import complete_filing, signed_in
from tests.evidence.test_submission import pdf, submit

HEBREW_TITLE = "החזר כספי 4299"  # "refund": right-to-left letters, then digits
ARABIC_NAME = "شركة يونقو للتجارة الإلكترونية"


def title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found
    return " ".join(found.group(1).split())


def test_a_submitted_case_without_a_number_is_titled_by_its_title(submitted, alice) -> None:
    html = signed_in(alice).get(f"/cases/{submitted.pk}/").content.decode()
    assert title(html) == "Refund for a phone that never arrived · netcourt"
    assert "起诉草稿" not in html and "Draft filing" not in html


def test_a_draft_is_titled_by_its_title_too(draft, alice) -> None:
    html = signed_in(alice).get(f"/cases/{draft.pk}/").content.decode()
    assert title(html) == "Refund for a phone that never arrived · netcourt"


def test_a_docketed_case_is_titled_by_its_number_and_title(accepted, alice) -> None:
    html = signed_in(alice).get(f"/cases/{accepted.pk}/").content.decode()
    assert accepted.number
    assert title(html) == f"{accepted.number} — Refund for a phone that never arrived · netcourt"
    assert f"<h1>{accepted.number}</h1>" in html


def test_what_people_typed_is_isolated_on_the_case_page_and_in_lists(
    alice, hangzhou, frozen
) -> None:
    filing = complete_filing(title=HEBREW_TITLE)
    filing.parties[1].name = ARABIC_NAME
    case = actions.file_case(alice, hangzhou, "ecommerce_purchase", filing)
    client = signed_in(alice)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f"<h1><bdi>{HEBREW_TITLE}</bdi></h1>" in page
    assert f"<bdi>{ARABIC_NAME}</bdi>" in page
    assert "<bdi>张伟</bdi>" in page  # every party name, whatever its script
    dashboard = client.get("/dashboard/").content.decode()
    assert f"<bdi>{HEBREW_TITLE}</bdi></a>" in dashboard


def test_evidence_titles_and_party_names_are_isolated(exchanging, alice) -> None:
    party = exchanging.parties.get(role="plaintiff")
    party.name = ARABIC_NAME
    party.save()
    submit(alice, exchanging, pdf(), title=HEBREW_TITLE)
    assert EvidenceItem.objects.count() == 1
    html = signed_in(exchanging.judge).get(f"/cases/{exchanging.pk}/evidence/").content.decode()
    assert f"<bdi>{HEBREW_TITLE}</bdi>" in html
    assert f"<bdi>{ARABIC_NAME}</bdi>" in html
