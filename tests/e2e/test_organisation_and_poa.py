"""Representation from a power of attorney, in Chromium: a lawyer who is not in a demo case
asks to represent the shop's company (the defendant) with a signed PDF, the clerk reads it and
approves in the queue, and the lawyer then sees the case. Axe checks each new page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.conftest import Accessibility, Server, api_get, screenshot, sign_in

pytestmark = pytest.mark.e2e

PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
LICENCE = "13301201910123456"


def _demo_case(server: Server) -> tuple[str, str]:
    """A docketed demo case at the Hangzhou court, at trial (its hearing scheduled, or held
    already when the hearing's own browser test ran first): (id, number)."""
    for state in ("hearing_scheduled", "heard"):
        for user in ("alice", "bob"):
            path = f"/api/v1/cases?state={state}&court=hangzhou"
            items = api_get(server, user, path)["items"]  # type: ignore[index]
            if items:
                return str(items[0]["id"]), str(items[0]["number"])
    raise AssertionError("the demo has no case at trial at Hangzhou")


def test_a_lawyer_represents_the_shop_from_a_power_of_attorney_the_clerk_approved(
    new_context: Callable[..., BrowserContext],
    server: Server,
    a11y: Accessibility,
    tmp_path: Path,
) -> None:
    case_id, number = _demo_case(server)
    power = tmp_path / "power-of-attorney.pdf"
    power.write_bytes(PDF)

    lawyer = new_context().new_page()
    sign_in(lawyer, "lawyer")
    assert lawyer.goto(f"/cases/{case_id}/").status == 404  # type: ignore[union-attr]
    lawyer.goto("/cases/represent/")
    a11y.check(lawyer, "request to represent a party", phone=True)
    form = lawyer.locator("form#represent-form")
    form.locator("input[name=case_number]").fill(number)
    form.locator("input[name=role][value=defendant]").check()
    form.locator("input[name=party_name]").fill("杭州云购电子商务有限公司")
    form.locator("input[name=kind][value=lawyer]").check()
    form.locator("input[name=licence_number]").fill(LICENCE)
    form.locator("input[name=firm]").fill("浙江网信律师事务所")
    form.locator("input[name=document]").set_input_files(str(power))
    form.locator("button[type=submit]").click()
    lawyer.wait_for_url("**/cases/represent/")
    expect(lawyer.locator("table#requests tr[data-status=pending]")).to_have_count(1)
    a11y.check(lawyer, "requests to represent a party (sent)")

    clerk = new_context().new_page()
    sign_in(clerk, "clerk.hangzhou")
    clerk.goto("/courts/hangzhou/queue/")
    clerk.locator("main a[href='/courts/hangzhou/representation-requests/']").click()
    clerk.wait_for_url("**/courts/hangzhou/representation-requests/")
    a11y.check(clerk, "representation requests (clerk)")
    clerk.locator("table#representation-requests a", has_text=number).first.click()
    clerk.wait_for_url("**/representation-requests/*/")
    expect(clerk.locator("a#power-of-attorney")).to_have_text("power-of-attorney.pdf")
    approve = clerk.locator("form#approve-request")
    # The party the request names is proposed: the defendant, the shop's company.
    expect(approve.locator("input[name=approve-party]:checked")).to_have_count(1)
    screenshot(clerk, "representation-request")
    a11y.check(clerk, "representation request (clerk)", phone=True)
    approve.locator("button[type=submit]").click()
    clerk.wait_for_url("**/courts/hangzhou/representation-requests/")
    expect(clerk.locator("table#representation-requests a", has_text=number)).to_have_count(0)

    assert lawyer.goto(f"/cases/{case_id}/").status == 200  # type: ignore[union-attr]
    expect(lawyer.locator("main")).to_contain_text(number)
    lawyer.goto("/cases/represent/")
    expect(lawyer.locator("table#requests tr[data-status=approved]")).to_have_count(1)
    docket = api_get(server, "lawyer", f"/api/v1/cases/{case_id}/docket")
    assert "register_representative" in [e["event"] for e in docket]  # type: ignore[union-attr]
    a11y.assert_clean()
