"""Two courts on one machine: separate data directories, keys, databases and sign-ins."""

from __future__ import annotations

import re
import stat
import urllib.request
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import (
    DEMO_PASSWORD,
    Accessibility,
    Server,
    demo_email,
    launch,
    sign_in,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A second court next to ``server``: its own data directory and port, no demo data."""
    instance = launch(tmp_path_factory.mktemp("netcourt-e2e-other"), demo=False)
    try:
        yield instance
    finally:
        instance.stop()


def health(instance: Server) -> str:
    with urllib.request.urlopen(f"{instance.base_url}/healthz", timeout=5) as response:
        return response.read().decode()


def login_form(page: Page, email: str, password: str) -> None:
    form = page.locator("main form").filter(has=page.locator("input[name=password]"))
    form.locator("input[name=login]").fill(email)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()


def test_two_instances_run_side_by_side(
    server: Server,
    other: Server,
    new_context: Callable[..., BrowserContext],
    a11y: Accessibility,
) -> None:
    assert other.port != server.port and other.data_dir != server.data_dir
    assert health(server) == "ok" and health(other) == "ok"

    # Each generated its own secret key, readable by its owner only, and has its own database.
    keys = [instance.data_dir / "secret_key" for instance in (server, other)]
    for key in keys:
        assert len(key.read_text().strip()) >= 50
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert keys[0].read_text() != keys[1].read_text()
    assert all((instance.data_dir / "netcourt.sqlite3").exists() for instance in (server, other))

    # The demo courts exist on the first instance only.
    first = new_context().new_page()
    first.goto("/")
    expect(first.locator("main")).to_contain_text("Hangzhou Internet Court")
    second = new_context(base_url=other.base_url).new_page()
    second.goto("/")
    expect(second.locator("main")).not_to_contain_text("Hangzhou Internet Court")

    # Carol creates an account on the second; it does not exist on the first.
    second.goto("/accounts/signup/")
    a11y.check(second, "sign-up", phone=True)
    second.locator("input[name=display_name]").fill("Carol Chen")
    second.locator("input[name=email]").fill("carol@example.test")
    second.locator("input[name=password1]").fill("a long enough passphrase")
    second.locator("input[name=password2]").fill("a long enough passphrase")
    second.locator("main form button[type=submit]").click()
    second.wait_for_url(re.compile(r"/dashboard/$"))
    a11y.check(second, "dashboard (no cases)")
    carol_elsewhere = new_context().new_page()
    carol_elsewhere.goto("/accounts/login/")
    login_form(carol_elsewhere, "carol@example.test", "a long enough passphrase")
    expect(carol_elsewhere.locator("main .errorlist, main [role=alert]").first).to_be_visible()
    assert "/accounts/login/" in carol_elsewhere.url
    a11y.check(carol_elsewhere, "sign-in (wrong password)")

    # Bob is signed in on the first; the same browser is not signed in on the second, even
    # though it sends the first's session cookie along (both are on 127.0.0.1).
    sign_in(first, "bob")
    first.goto(f"{other.base_url}/dashboard/")
    first.wait_for_url(re.compile(rf"^{re.escape(other.base_url)}/accounts/login/"))
    login_form(first, demo_email("bob"), DEMO_PASSWORD)
    expect(first.locator("main .errorlist, main [role=alert]").first).to_be_visible()
    assert first.url.startswith(f"{other.base_url}/accounts/login/")
    a11y.assert_clean()


def test_visiting_the_second_instance_keeps_you_signed_in_on_the_first(
    server: Server, other: Server, new_context: Callable[..., BrowserContext]
) -> None:
    page = new_context().new_page()
    sign_in(page, "bob")
    page.goto(f"{other.base_url}/")
    page.goto(f"{server.base_url}/dashboard/")
    assert page.url == f"{server.base_url}/dashboard/"
