"""A plaintiff pays the acceptance fee through the sandbox checkout, after a declined card."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.conftest import Accessibility, Server, demo_email, sign_in

pytestmark = pytest.mark.e2e


def case_waiting_for_its_fee(server: Server, user: str) -> str | None:
    """A docketed demo case of ``user``'s whose fee is still due, found through the API."""
    token = json.loads(server.run("token", "create", "--user", demo_email(user), "--json"))
    request = urllib.request.Request(
        f"{server.base_url}/api/v1/cases?state=accepted",
        headers={"Authorization": f"Bearer {token['token']}"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - the test server
        items = json.loads(answer.read())["items"]
    return str(items[0]["id"]) if items else None


def test_a_plaintiff_pays_online_after_a_declined_card(
    new_context: Callable[..., BrowserContext], server: Server, a11y: Accessibility
) -> None:
    user = next((u for u in ("alice", "bob") if case_waiting_for_its_fee(server, u)), None)
    assert user is not None, "the demo has no docketed case waiting for its fee"
    case_id = case_waiting_for_its_fee(server, user)
    page = new_context().new_page()
    sign_in(page, user)
    page.goto(f"/cases/{case_id}/")
    pay = page.locator("main form[action*='/payments/'] button")
    pay.click()
    page.wait_for_url(re.compile(r"/sandbox-pay/"))
    a11y.check(page, "sandbox checkout", phone=True)

    page.locator("#card-number").fill("4000 0000 0000 0002")
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r"/payments/"))
    expect(page.locator("main [role=alert]")).to_be_visible()
    a11y.check(page, "payment declined")

    page.locator("main [role=alert] form button").click()
    page.wait_for_url(re.compile(r"/sandbox-pay/"))
    page.locator("#card-number").fill("4242 4242 4242 4242")
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r"/payments/"))
    expect(page.locator("main p[role=status]")).to_be_visible()
    a11y.check(page, "payment received")

    page.goto(f"/cases/{case_id}/")
    expect(page.locator("main form[action*='/payments/']")).to_have_count(0)
    expect(page.locator("main section[aria-labelledby=fee-h]")).to_be_visible()
    a11y.assert_clean()
