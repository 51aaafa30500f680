"""Service in the browser: a litigant reads a served notice from the inbox and confirms
receipt, then records consent to electronic service; both pages pass axe, on a phone too."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.conftest import Accessibility, sign_in

pytestmark = pytest.mark.e2e


def test_a_litigant_confirms_a_served_notice_and_chooses_how_to_be_served(
    new_context: Callable[..., BrowserContext], a11y: Accessibility
) -> None:
    page = new_context().new_page()
    sign_in(page, "bob")
    page.get_by_role("link", name="Inbox").click()
    notice = page.locator("main article", has_text="Notice to pay the acceptance fee").first
    expect(notice).to_be_visible()
    a11y.check(page, "inbox", phone=True)
    notice.get_by_role("link", name="Open the document").click()
    page.get_by_role("button", name="Confirm receipt and read it").click()
    expect(page.get_by_role("status")).to_contain_text("Receipt confirmed on")
    page.get_by_role("link", name="Go to the case").click()
    page.get_by_role("link", name="Service and consent").click()
    record = page.locator("main article", has_text="Notice to pay the acceptance fee").first
    expect(record).to_contain_text("read by the party")
    a11y.check(page, "service and consent page", phone=True)

    form = page.locator("main form", has_text="Receiving court documents electronically")
    form.get_by_label("I agree").check()
    form.get_by_label("netcourt inbox").check()
    form.get_by_role("checkbox", name="e-mail").check()
    form.get_by_label("E-mail address for documents").fill("not-an-address")
    form.get_by_role("button", name="Save this choice").click()
    expect(page.locator("main")).to_contain_text(re.compile(r"Enter a valid e-?mail address"))
    a11y.check(page, "service and consent page (with an error)")
    form = page.locator("main form", has_text="Receiving court documents electronically")
    form.get_by_label("E-mail address for documents").fill("bob@mail.example")
    form.get_by_role("button", name="Save this choice").click()
    expect(page.get_by_role("status")).to_contain_text("Your choice was recorded.")
    form = page.locator("main form", has_text="Receiving court documents electronically")
    expect(form).to_contain_text("Now: agreed")
