"""Service in the browser, in Chinese: a litigant reads a served notice from the inbox and
confirms receipt, then records consent to electronic service; a company named only by its
e-mail address reads the complaint through the served link and learns its time limits and how
it takes part. Every page passes axe, on a phone too."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.conftest import Accessibility, Server, screenshot, sign_in
from tests.e2e.test_filing import open_case_from_queue, start_filing, submit

pytestmark = pytest.mark.e2e


def test_a_litigant_confirms_a_served_notice_and_chooses_how_to_be_served(
    new_context: Callable[..., BrowserContext], a11y: Accessibility
) -> None:
    page = new_context(locale="zh-CN").new_page()
    sign_in(page, "alice")  # works in Chinese
    page.get_by_role("link", name="站内信箱").click()
    # A document served and not read yet (the demo's people read what came before the step
    # each case stops at; what that step served waits for the visitor).
    notice = (
        page.locator("main article", has=page.locator(".badge"))
        .filter(has=page.get_by_role("link", name="打开文书"))
        .first
    )
    expect(notice).to_be_visible()
    document = notice.locator("h2").inner_text().rsplit("：", 1)[-1].strip()
    a11y.check(page, "inbox", phone=True)
    notice.get_by_role("link", name="打开文书").click()
    page.get_by_role("button", name="确认收悉并阅读").click()
    expect(page.get_by_role("status")).to_contain_text("确认收悉")
    page.get_by_role("link", name="前往案件").click()
    page.get_by_role("link", name="送达与同意").click()
    record = page.locator("main article", has_text=document).first
    expect(record).to_contain_text("当事人已阅读")
    a11y.check(page, "service and consent page", phone=True)

    page.goto("/dashboard/")  # a case still open to consent: one in the answer period
    page.locator("main tbody tr", has_text="答辩期间").first.get_by_role("link").first.click()
    page.get_by_role("link", name="送达与同意").click()
    form = page.locator("main form", has_text="以电子方式接收诉讼文书").first
    form.get_by_label("同意", exact=True).check()
    form.get_by_label("netcourt 站内信箱").check()
    form.get_by_role("checkbox", name="电子邮箱").check()
    form.get_by_label("接收文书的电子邮箱").fill("not-an-address")
    form.get_by_role("button", name="保存此项选择").click()
    expect(page.locator("main .errorlist")).to_be_visible()
    a11y.check(page, "service and consent page (with an error)")
    form = page.locator("main form", has_text="以电子方式接收诉讼文书").first
    form.get_by_label("接收文书的电子邮箱").fill("zhangwei@mail.example")
    form.get_by_role("button", name="保存此项选择").click()
    expect(page.get_by_role("status")).to_contain_text("您的选择已记录。")
    form = page.locator("main form", has_text="以电子方式接收诉讼文书").first
    expect(form).to_contain_text("当前：已同意")
    screenshot(page, "service")
    page.get_by_role("link", name="公告送达").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("公告送达")
    a11y.check(page, "public notices of service", phone=True)
    page.get_by_role("link", name="法院公开日志").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("法院公开日志")
    expect(page.locator("main pre code")).to_contain_text("python -m netcourt.ledger.verify")
    a11y.check(page, "the court's public log", phone=True)
    page.get_by_role("link", name="公开庭审").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("公开庭审")
    a11y.check(page, "public hearings", phone=True)


def _served_link(server: Server, address: str) -> str:
    """The served link in the last e-mail to ``address`` (the test court prints its mail)."""
    log = server.log_path.read_text(errors="replace")
    since = log.rindex(f"To: {address}")
    found = re.search(r"/served/[A-Za-z0-9_-]+/", log[since:])
    assert found, log[since:][:2000]
    return found.group()


def test_a_company_named_by_its_e_mail_reads_the_complaint_and_learns_how_to_take_part(
    server: Server, new_context: Callable[..., BrowserContext], a11y: Accessibility
) -> None:
    """Alice names a company she knows only by its e-mail address; the clerk dockets the case
    and sends the complaint. Alice's case page says the fee notice waits for her to open it.
    Someone at the company opens the link on a phone, in Chinese, confirms receipt, and finds
    the statement of claim as filed, the last day to answer and how a company takes part."""
    alice = new_context(locale="zh-CN").new_page()
    sign_in(alice, "alice")
    start_filing(alice, a11y, "杭州互联网法院")
    alice.locator("#id_form-0-name").fill("张伟")
    alice.locator("#id_form-1-role").select_option("defendant")
    alice.locator("#id_form-1-kind").select_option("legal")
    alice.locator("#id_form-1-name").fill("杭州平板数码有限公司")
    alice.locator("#id_form-1-contact_email").fill("legal@tablet.example")
    submit(alice)
    title = "平板电脑屏幕碎裂拒不退货"
    alice.locator("#id_title").fill(title)
    alice.locator("#id_amount").fill("2599.00")
    alice.locator("#id_claims").fill("判令被告退还货款人民币 2599 元。")
    alice.locator("#id_facts").fill("原告购买的平板电脑到货时屏幕已碎裂，被告拒绝退货。")
    submit(alice)
    alice.locator("#id_factor_buyer_domicile").select_option("hangzhou")
    alice.locator("input[name=simple][value=yes]").check()
    submit(alice)
    alice.wait_for_url(re.compile(r"/file/review/$"))
    submit(alice)
    alice.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}/$"))
    case_url = alice.url

    clerk = new_context(locale="zh-CN").new_page()
    sign_in(clerk, "clerk.hangzhou")
    clerk.goto("/courts/hangzhou/queue/")
    open_case_from_queue(clerk, title)
    for step in ("立案受理", "发送起诉状副本"):
        clerk.locator("main details.action > summary", has_text=step).click()
        clerk.locator("main details.action[open]").get_by_role("button", name=step).click()
        expect(clerk.locator("main ol.docket > li").filter(has_text=step)).to_have_count(1)
    number = clerk.locator("main h1").inner_text().strip()

    # Alice's case page says, at its top, that the fee notice waits for her to open it.
    alice.goto(case_url)
    waiting = alice.locator("main section[aria-labelledby=waiting-h]")
    expect(waiting).to_contain_text("交纳诉讼费用通知书")
    a11y.check(alice, "case page (a document waiting to be opened)", phone=True)
    waiting.get_by_role("link", name="打开《交纳诉讼费用通知书》").click()
    alice.get_by_role("button", name="确认收悉并阅读").click()
    expect(alice.get_by_role("status")).to_contain_text("确认收悉")
    a11y.check(alice, "served link (receipt confirmed, in the case)", phone=True)
    alice.get_by_role("link", name="前往案件").click()
    expect(alice.locator("main section[aria-labelledby=waiting-h]")).to_have_count(0)

    company = new_context(locale="zh-CN").new_page()
    company.goto(_served_link(server, "legal@tablet.example"))
    expect(company.locator("main h1")).to_have_text("起诉状副本")
    expect(company.locator("main")).to_contain_text(
        f"杭州互联网法院向您送达案件 {number} 的起诉状副本。"
    )
    expect(company.locator("main")).not_to_contain_text("请打开链接")
    a11y.check(company, "served link (before receipt)", phone=True)
    company.get_by_role("button", name="确认收悉并阅读").click()
    expect(company.get_by_role("status")).to_contain_text("确认收悉")
    document = company.locator("main .statement[lang=zh-Hans]")
    expect(document).to_contain_text("民事起诉状")
    expect(document).to_contain_text("杭州平板数码有限公司")
    limits = company.locator("main section[aria-labelledby=limits-h]")
    expect(limits).to_contain_text("答辩期")
    expect(limits).to_contain_text("答辩期：最后一日为")
    expect(limits).to_contain_text("第一百二十八条")
    how = company.locator("main section[aria-labelledby=organisation-h]")
    expect(how).to_contain_text("法定代表人")
    expect(how).to_contain_text(number)
    expect(how.get_by_role("link")).to_have_attribute("href", "/accounts/organisations/")
    a11y.check(company, "served link (receipt confirmed, a company)", phone=True)
    a11y.assert_clean()
