"""Service in the browser, in Chinese: a litigant reads a served notice from the inbox and
confirms receipt, then records consent to electronic service; both pages pass axe, on a phone
too."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.conftest import Accessibility, screenshot, sign_in

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
