"""A litigant verifies their identity with the court's eID provider in the browser: the real
``oidc-provider`` on loopback (tests/eid_provider), its own sign-in and consent pages, and back
to netcourt verified."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import BrowserContext, expect

from netcourt.courts.demo import fictitious_id_number
from tests.e2e.conftest import Accessibility, Server, launch, screenshot, sign_in
from tests.eid_provider import CALLBACK_PATH, EidProvider, start_provider
from tests.net import free_port

pytestmark = pytest.mark.e2e

ACCOUNTS = {
    "bob.turner": {
        "name": "Bob Turner",
        "document_kind": "prc-id",
        "document_number": fictitious_id_number(903),
    }
}


@pytest.fixture(scope="module")
def eid_court(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, EidProvider]]:
    """A court with the demo data that trusts a test eID provider for identity."""
    port = free_port()
    provider = start_provider(
        tmp_path_factory.mktemp("eid-e2e"), [f"http://127.0.0.1:{port}{CALLBACK_PATH}"], ACCOUNTS
    )
    try:
        court = launch(
            tmp_path_factory.mktemp("netcourt-e2e-eid"),
            port=port,
            env={"NETCOURT_EID": json.dumps(provider.config())},
        )
        try:
            yield court, provider
        finally:
            court.stop()
    finally:
        provider.stop()


def test_a_litigant_verifies_with_the_eid(
    eid_court: tuple[Server, EidProvider],
    new_context: Callable[..., BrowserContext],
    a11y: Accessibility,
) -> None:
    court, provider = eid_court
    page = new_context(base_url=court.base_url).new_page()
    sign_in(page, "bob")
    page.goto("/accounts/identity/")
    expect(page.locator("#identity-level")).to_have_text("Identity document checked")
    a11y.check(page, "identity with an eID provider", phone=True)

    page.get_by_role("button", name="Verify with Test eID").click()
    page.wait_for_url(re.compile(rf"^{re.escape(provider.issuer)}/interaction/"))
    page.locator("input[name=login]").fill("bob.turner")
    page.locator("input[name=password]").fill("at the provider")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(f"{court.base_url}/accounts/identity/")
    expect(page.locator(".messages")).to_contain_text("Your identity is verified with Test eID.")
    expect(page.locator("#identity-level")).to_have_text("Verified with an eID")
    expect(page.locator("main dl")).to_contain_text("Test eID")
    a11y.check(page, "identity verified with an eID", phone=True)
    screenshot(page, "identity-eid")
