"""A litigant adds a passkey and signs in with it, in Chromium with a virtual authenticator.

WebAuthn needs a secure context and a domain as relying-party id: the browser reaches the
same server as http://localhost (a secure context), not http://127.0.0.1.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.conftest import DEMO_PASSWORD, Accessibility, Server, sign_in

pytestmark = pytest.mark.e2e


def test_a_litigant_adds_a_passkey_and_signs_in_with_it(
    new_context: Callable[..., BrowserContext], server: Server, a11y: Accessibility
) -> None:
    context = new_context(base_url=server.base_url.replace("127.0.0.1", "localhost"))
    page = context.new_page()
    devtools = context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    authenticator = devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )["authenticatorId"]
    sign_in(page, "bob")
    page.goto("/accounts/2fa/webauthn/add/")
    if "/accounts/reauthenticate/" in page.url:  # adding a factor asks for the password again
        page.locator("main input[name=password]").fill(DEMO_PASSWORD)
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_url(re.compile(r"/accounts/2fa/webauthn/add/"))
    a11y.check(page, "add a passkey", phone=True)
    page.locator("main input[name=name]").fill("Bob's phone")
    page.locator("main input[name=passwordless]").check()
    page.locator("#mfa_webauthn_add").click()
    page.wait_for_url(lambda url: "/webauthn/add/" not in url)
    credentials = devtools.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(credentials["credentials"]) == 1

    page.locator("header nav form button[type=submit]").click()  # sign out
    page.goto("/accounts/login/")
    a11y.check(page, "sign-in with passkey")
    page.locator("#passkey_login").click()
    page.wait_for_url(re.compile(r"/dashboard/$"))
    page.goto("/accounts/security/")
    added = page.locator("main tbody tr[data-tag='account:mfa:added']")
    expect(added.filter(has_text="security key or passkey")).to_have_count(1)
    expect(page.locator("main tbody tr").first).to_have_attribute("data-tag", "account:signin")
    a11y.assert_clean()
