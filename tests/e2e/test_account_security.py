"""A judge signs in with a second factor and reviews where and how their account is used."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.conftest import Accessibility, sign_in

pytestmark = pytest.mark.e2e


def test_judge_reviews_account_security_in_chinese(
    new_context: Callable[..., BrowserContext], a11y: Accessibility
) -> None:
    judge = new_context(locale="zh-CN").new_page()
    sign_in(judge, "judge2.beijing")  # password, then the authenticator code
    judge.locator("header nav a[href='/accounts/security/']").click()
    judge.wait_for_url(re.compile(r"/accounts/security/$"))
    expect(judge.locator("main h1")).to_have_text("账户安全")
    expect(judge.locator("main tbody tr[data-tag='account:signin']").first).to_be_visible()
    a11y.check(judge, "account security", phone=True)

    judge.get_by_role("link", name="双重验证").click()
    judge.wait_for_url(re.compile(r"/accounts/2fa/$"))
    a11y.check(judge, "two-factor authentication", phone=True)

    judge.goto("/accounts/sessions/")
    a11y.check(judge, "sessions", phone=True)
    a11y.assert_clean()
