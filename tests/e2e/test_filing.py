"""A litigant files a case online and the court's clerk decides on it, in a real browser."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import Accessibility, language_of, screenshot, sign_in

pytestmark = pytest.mark.e2e

CASE_NUMBER_HANGZHOU = re.compile(r"\(\d{4}\)浙0192民初\d+号")
HANGZHOU_JUDGES = re.compile(r"王建国|孙磊")
LONG_ADDRESS = "https://cloudbox.example/account/storage/" + "deleted-files-" * 8


def submit(page: Page) -> None:
    """Press the form's own submit button (not the language switch in the header)."""
    page.locator("main form button[type=submit]").last.click()


def open_case_from_queue(page: Page, title: str) -> None:
    row = page.locator("main tbody tr").filter(has_text=title)
    expect(row).to_have_count(1)
    row.get_by_role("link", name=title).click()
    page.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}/$"))


def start_filing(page: Page, a11y: Accessibility, court_label: str) -> None:
    """From the dashboard, through "File a case", to the first step of a new draft."""
    page.locator("header nav a[href='/cases/new/']").click()
    page.wait_for_url(re.compile(r"/cases/new/$"))
    a11y.check(page, "new case", phone=True)
    page.get_by_role("radio", name=court_label).check()
    page.locator("select[name=category]").select_option("ecommerce_purchase")
    expect(page.locator("input[name=acting_as][value=self]")).to_be_checked()
    submit(page)
    page.wait_for_url(re.compile(r"/file/parties/$"))


def test_litigant_files_in_chinese_and_clerk_accepts(
    new_context: Callable[..., BrowserContext], a11y: Accessibility
) -> None:
    alice = new_context(locale="zh-CN").new_page()

    # A visitor with a Chinese browser gets the Chinese site.
    alice.goto("/")
    assert language_of(alice) == "zh-Hans"
    expect(alice.locator("main")).to_contain_text("杭州互联网法院")
    a11y.check(alice, "home", phone=True)
    alice.goto("/accounts/login/")
    a11y.check(alice, "sign-in")

    sign_in(alice, "alice")
    assert language_of(alice) == "zh-Hans"
    a11y.check(alice, "dashboard")

    start_filing(alice, a11y, "杭州互联网法院")

    # Step 1: the parties. The first row is herself, as plaintiff; she adds the company.
    assert language_of(alice) == "zh-Hans"
    a11y.check(alice, "filing step: parties", phone=True)
    expect(alice.locator("#id_form-0-role")).to_have_value("plaintiff")
    expect(alice.locator("#id_form-0-name")).to_have_value(re.compile("张伟"))
    alice.locator("#id_form-0-name").fill("张伟")
    alice.locator("#id_form-0-address").fill("浙江省杭州市西湖区文三路 90 号")
    alice.locator("#id_form-1-role").select_option("defendant")
    alice.locator("#id_form-1-kind").select_option("legal")
    alice.locator("#id_form-1-name").fill("杭州云购电子商务有限公司")
    alice.locator("#id_form-1-representative_name").fill("李强")
    alice.locator("#id_form-1-address").fill("浙江省杭州市余杭区文一西路 969 号")
    submit(alice)
    alice.wait_for_url(re.compile(r"/file/claim/$"))

    # Step 2: the claim.
    a11y.check(alice, "filing step: claim", phone=True)
    title = "手机订单付款后一直未发货"
    alice.locator("#id_title").fill(title)
    alice.locator("#id_amount").fill("4299.00")
    alice.locator("#id_claims").fill("判令被告退还货款人民币 4299 元；\n判令被告承担本案诉讼费用。")
    alice.locator("#id_facts").fill(
        "原告于 2026 年 8 月 3 日在被告经营的网店购买手机一部，支付货款 4299 元，被告至今未发货。"
    )
    alice.locator("#id_platform").fill("云购商城 订单号 2026080312345678")
    submit(alice)
    alice.wait_for_url(re.compile(r"/file/territory/$"))

    # Step 3: where it happened. The buyer lives in Hangzhou; the facts are simple.
    a11y.check(alice, "filing step: territory", phone=True)
    domicile = alice.locator("#id_factor_buyer_domicile")
    expect(domicile.locator("option[value=hangzhou]")).to_contain_text("杭州")
    domicile.select_option("hangzhou")
    alice.locator("input[name=simple][value=yes]").check()
    submit(alice)
    alice.wait_for_url(re.compile(r"/file/review/$"))

    # Step 4: the review tells her the court can hear it, the track, and shows the statement.
    a11y.check(alice, "filing step: review", phone=True)
    main = alice.locator("main")
    expect(main.locator("section[aria-labelledby=court-h] p.ok")).to_be_visible()
    expect(main.locator("section[aria-labelledby=track-h]")).to_contain_text("小额诉讼")
    statement = main.locator(".statement")
    expect(statement).to_contain_text("民事起诉状")
    expect(statement).to_contain_text("杭州云购电子商务有限公司")
    expect(statement).to_contain_text("杭州互联网法院")
    submit(alice)
    alice.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}/$"))
    case_url = alice.url
    expect(alice.locator("main .messages")).to_be_visible()
    a11y.check(alice, "case page (submitted)", phone=True)

    # The clerk of the Hangzhou Internet Court finds it in the queue, with its countdown.
    clerk = new_context().new_page()
    sign_in(clerk, "clerk.hangzhou")
    clerk.goto("/courts/hangzhou/queue/")
    assert language_of(clerk) == "zh-Hans"
    a11y.check(clerk, "clerk queue")
    # Her court's hearing statistics and finance office are named in her language.
    clerk.goto("/hearings/statistics/")
    expect(clerk.locator("main h2").first).to_have_text("杭州互联网法院")
    a11y.check(clerk, "hearing statistics", phone=True)
    clerk.goto("/payments/finance/hangzhou/")
    expect(clerk.locator("main h1")).to_have_text("财务：杭州互联网法院")
    a11y.check(clerk, "finance", phone=True)
    clerk.goto("/courts/hangzhou/queue/")
    row = clerk.locator("main tbody tr").filter(has_text=title)
    expect(row).to_have_count(1)
    countdown = row.locator("td").last.locator(".warn")
    expect(countdown).to_be_visible()
    days_left = re.search(r"\d+", countdown.inner_text())
    assert days_left, countdown.inner_text()
    assert 7 <= int(days_left.group()) <= 16  # seven days, longer when it ends on a holiday
    open_case_from_queue(clerk, title)
    assert clerk.url == case_url
    a11y.check(clerk, "case page (clerk)")

    # She dockets it; the procedure the filing proposed is already chosen.
    clerk.locator("main details.action > summary", has_text="立案受理").click()
    docket = clerk.locator("main form").filter(has=clerk.locator("input[value=accept]"))
    expect(docket.locator("select")).to_have_value("small_claims")
    docket.get_by_role("button", name="立案受理").click()
    clerk.wait_for_url(case_url)
    facts = clerk.locator("main dl.facts")
    expect(clerk.locator("main h1")).to_have_text(CASE_NUMBER_HANGZHOU)
    expect(facts).to_contain_text(HANGZHOU_JUDGES)
    number = clerk.locator("main h1").inner_text().strip()

    # Back in her own browser, the litigant sees the number, her judge and the docket.
    alice.goto(case_url)
    expect(alice.locator("main h1")).to_have_text(number)
    expect(alice.locator("main dl.facts")).to_contain_text(HANGZHOU_JUDGES)
    entries = alice.locator("main ol.docket > li")
    expect(entries.filter(has_text="提交起诉")).to_have_count(1)
    expect(entries.filter(has_text="立案受理")).to_have_count(1)
    expect(entries.filter(has_text=number)).not_to_have_count(0)
    a11y.check(alice, "case page (docketed)", phone=True)
    screenshot(alice, "case", full_page=True)

    a11y.assert_clean()


def test_clerk_requests_corrections_in_english(
    new_context: Callable[..., BrowserContext], a11y: Accessibility
) -> None:
    bob = new_context(locale="en-US").new_page()
    bob.goto("/")
    assert language_of(bob) == "en"
    expect(bob.locator("main")).to_contain_text("Beijing Internet Court")
    a11y.check(bob, "home", phone=True)
    screenshot(bob, "home")
    # The API documentation linked from every footer, and an address that leads nowhere.
    bob.locator("footer a[href='/api/docs']").click()
    expect(bob.locator("main h1")).to_have_text("API documentation")
    a11y.check(bob, "API documentation", phone=True)
    assert bob.goto("/no-such-page/").status == 404
    expect(bob.locator("main h1")).to_have_text("Page not found")
    a11y.check(bob, "page not found", phone=True)
    bob.goto("/accounts/login/")
    a11y.check(bob, "sign-in")
    sign_in(bob, "bob")
    a11y.check(bob, "dashboard")

    start_filing(bob, a11y, "Beijing Internet Court")
    a11y.check(bob, "filing step: parties", phone=True)
    bob.locator("#id_form-0-name").fill("Bob Turner")
    bob.locator("#id_form-1-role").select_option("defendant")
    bob.locator("#id_form-1-kind").select_option("legal")
    # A name and a title with one very long word (a web address) wrap on a phone.
    bob.locator("#id_form-1-name").fill(f"Cloudbox Technology Co., Ltd. ({LONG_ADDRESS})")
    submit(bob)
    bob.wait_for_url(re.compile(r"/file/claim/$"))

    # Leaving the required answers empty gets a clear message next to each field.
    submit(bob)
    expect(bob.locator("#id_title")).to_have_attribute("aria-invalid", "true")
    expect(bob.locator("main .errorlist").first).to_be_visible()
    a11y.check(bob, "filing step: claim (errors)", phone=True)
    title = f"Refund for lost cloud storage {LONG_ADDRESS}"
    bob.locator("#id_title").fill(title)
    bob.locator("#id_amount").fill("1200")
    bob.locator("#id_claims").fill("Refund the CNY 1,200 annual fee.")
    bob.locator("#id_facts").fill(
        "The service deleted my files on 1 September and refused a refund."
    )
    submit(bob)
    bob.wait_for_url(re.compile(r"/file/territory/$"))

    a11y.check(bob, "filing step: territory", phone=True)
    bob.locator("#id_factor_defendant_domicile").select_option("beijing")
    bob.locator("input[name=simple][value=yes]").check()
    submit(bob)
    bob.wait_for_url(re.compile(r"/file/review/$"))
    a11y.check(bob, "filing step: review", phone=True)
    expect(bob.locator("main .statement")).to_contain_text("Cloudbox Technology Co., Ltd.")
    submit(bob)
    bob.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}/$"))
    case_url = bob.url

    # The Beijing clerk prefers Chinese but switches this browser to English.
    clerk = new_context().new_page()
    sign_in(clerk, "clerk.beijing")
    clerk.goto("/courts/beijing/queue/")
    clerk.locator("#lang-select").select_option("en")
    clerk.locator("form.lang-switch button").click()
    expect(clerk.locator("html")).to_have_attribute("lang", "en")
    assert clerk.url.endswith("/courts/beijing/queue/")
    a11y.check(clerk, "clerk queue")
    open_case_from_queue(clerk, title)
    a11y.check(clerk, "case page (clerk)", phone=True)
    defects = [
        "Give the defendant's unified social credit code",
        "Attach the order confirmation",
    ]
    clerk.locator("main details.action > summary", has_text="Request corrections").click()
    corrections = clerk.locator("main form").filter(
        has=clerk.locator("input[value=request_corrections]")
    )
    corrections.locator("textarea").fill("\n".join(defects))
    corrections.get_by_role("button", name="Request corrections").click()
    clerk.wait_for_url(case_url)
    expect(clerk.locator("main .badge").first).to_contain_text(re.compile("correct", re.I))

    # Bob sees what to correct, in the docket, and is invited to change his filing.
    bob.goto(case_url)
    entry = bob.locator("main ol.docket > li").filter(has_text="Request corrections")
    for defect in defects:
        expect(entry).to_contain_text(defect)
    expect(bob.get_by_role("link", name="Edit the filing")).to_be_visible()
    a11y.check(bob, "case page (corrections requested)", phone=True)

    a11y.assert_clean()
