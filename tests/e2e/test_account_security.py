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


def test_a_newcomer_is_told_to_verify_before_filing_and_then_files(
    new_context: Callable[..., BrowserContext], a11y: Accessibility
) -> None:
    from netcourt.courts.demo import fictitious_id_number
    from tests.e2e.test_filing import start_filing, submit

    page = new_context(locale="en-US").new_page()
    page.goto("/accounts/signup/")
    form = page.locator("main form").filter(has=page.locator("input[name=password1]"))
    form.locator("input[name=display_name]").fill("Grace Liu")
    form.locator("input[name=email]").fill("grace.liu@example.org")
    form.locator("input[name=password1]").fill("a long enough passphrase 42")
    form.locator("input[name=password2]").fill("a long enough passphrase 42")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/dashboard/$"))

    start_filing(page, a11y, "Hangzhou Internet Court")
    page.locator("#id_form-1-role").select_option("defendant")
    page.locator("#id_form-1-kind").select_option("legal")
    page.locator("#id_form-1-name").fill("Yungou Co., Ltd.")
    submit(page)
    page.wait_for_url(re.compile(r"/file/claim/$"))
    page.locator("#id_title").fill("Refund for a kettle")
    page.locator("#id_amount").fill("299")
    page.locator("#id_claims").fill("Refund CNY 299.")
    page.locator("#id_facts").fill("The kettle arrived broken and the shop refused a refund.")
    submit(page)
    page.wait_for_url(re.compile(r"/file/territory/$"))
    page.locator("#id_factor_buyer_domicile").select_option("hangzhou")
    page.locator("input[name=simple][value=yes]").check()
    submit(page)
    page.wait_for_url(re.compile(r"/file/review/$"))
    review = page.url
    submit(page)

    # Not verified: told what is needed and taken where to get it.
    page.wait_for_url(re.compile(r"/accounts/identity/\?next="))
    expect(page.locator(".messages")).to_contain_text("Identity document checked")
    a11y.check(page, "identity", phone=True)
    page.locator("#id_legal_name").fill("Grace Liu")
    page.locator("#id_number").fill("330106196001011234")
    submit(page)
    expect(page.locator("#error-summary")).to_contain_text("check character")
    a11y.check(page, "identity (error)", phone=True)
    page.locator("#id_number").fill(fictitious_id_number(4242))
    submit(page)
    page.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}/$"))
    expect(page.locator("main")).to_contain_text("identity: Identity document checked")

    page.goto(review)
    submit(page)
    page.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}/$"))
    expect(page.locator(".messages")).to_contain_text("File the claim")
    a11y.assert_clean()
