"""The back office, as the court administrator uses it: every page passes axe-core, in
English and in Chinese."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.e2e.conftest import Accessibility, language_of, sign_in

pytestmark = pytest.mark.e2e

PAGES = [
    ("index", "/backoffice/"),
    ("courts", "/backoffice/courts/court/"),
    ("court", "/backoffice/courts/court/1/change/"),
    ("staff", "/backoffice/courts/courtmembership/"),
    ("people", "/backoffice/accounts/user/"),
    ("organisations", "/backoffice/accounts/organisation/"),
    ("platforms", "/backoffice/evidence/platform/"),
    ("new platform", "/backoffice/evidence/platform/add/"),
    ("jobs", "/backoffice/core/job/"),
    ("second factors", "/backoffice/accounts/secondfactor/"),
    ("signed-in sessions", "/backoffice/accounts/signedinsession/"),
]


def test_the_back_office_passes_axe_in_both_languages(
    new_context: Callable[..., BrowserContext], a11y: Accessibility
) -> None:
    page = new_context(locale="en-US").new_page()
    sign_in(page, "admin")
    for language, heading in (
        ("en", "Courts, staff and settings"),
        ("zh-hans", "法院、工作人员与设置"),
    ):
        page.goto("/")
        page.locator("form.lang-switch select").select_option(language)
        page.locator("form.lang-switch button").click()
        page.goto("/backoffice/")
        expect(page.locator("#content h1")).to_have_text(heading)
        for name, path in PAGES:
            page.goto(path)
            assert language_of(page).lower() == language, (path, language_of(page))
            a11y.check(page, f"back office: {name}")
