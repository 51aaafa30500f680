"""Everything works with the keyboard alone: the skip link, and filing a case."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def tab_to(page: Page, selector: str, limit: int = 60) -> None:
    """Press Tab until the focused element matches ``selector``, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{limit} presses of Tab never reached {selector} on {page.url}")


# The focused element, and the best contrast of its focus indicator (outline or box-shadow
# ring) against the background it sits on (WCAG 1.4.11 asks for 3:1).
FOCUS_RING = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  if (el.dataset.e2eVisited) return null;  // back where we started: the page is done
  el.dataset.e2eVisited = "1";
  const rgb = (s) => {
    const m = s.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return p.length > 3 && p[3] === 0 ? null : p.slice(0, 3);
  };
  const lum = (c) => {
    const [r, g, b] = c.map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  let bg = null;
  for (let e = el.parentElement; e && !bg; e = e.parentElement) {
    bg = rgb(getComputedStyle(e).backgroundColor);
  }
  bg = bg || [255, 255, 255];
  const cs = getComputedStyle(el);
  const rings = [];
  if (cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 2) {
    rings.push(rgb(cs.outlineColor));
  }
  for (const m of cs.boxShadow.matchAll(/rgba?\\([^)]+\\)/g)) rings.push(rgb(m[0]));
  const best = Math.max(0, ...rings.filter(Boolean).map((c) => ratio(c, bg)));
  return { what: el.outerHTML.slice(0, 90), contrast: Math.round(best * 100) / 100 };
}"""


def weak_focus_rings(page: Page, path: str, limit: int = 120) -> list[str]:
    """Tab through the whole page; name every stop whose focus ring is missing or faint."""
    page.goto(path)
    weak: list[str] = []
    stops = 0
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUS_RING)
        if stop is None:
            break
        stops += 1
        if stop["contrast"] < 3:
            weak.append(f"{path}: {stop['what']} (contrast {stop['contrast']}:1)")
    assert stops > 3, f"Tab reached only {stops} elements on {path}"
    return weak


def focused_inside_main(page: Page) -> bool:
    return bool(
        page.evaluate("() => document.querySelector('main').contains(document.activeElement)")
    )


def check_skip_link(page: Page, path: str) -> None:
    page.goto(path)
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # hidden off-screen until focused
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    page.keyboard.press("Tab")
    assert focused_inside_main(page), f"Tab after the skip link left <main> on {path}"


def test_skip_link_moves_focus_to_main(new_context: Callable[..., BrowserContext]) -> None:
    page = new_context().new_page()
    check_skip_link(page, "/")
    check_skip_link(page, "/accounts/login/")
    sign_in(page, "bob")
    check_skip_link(page, "/dashboard/")
    check_skip_link(page, "/cases/new/")


def test_every_focus_stop_shows_a_clear_focus_ring(
    new_context: Callable[..., BrowserContext],
) -> None:
    page = new_context().new_page()
    weak = weak_focus_rings(page, "/") + weak_focus_rings(page, "/accounts/login/")
    sign_in(page, "clerk.guangzhou")
    for path in ("/dashboard/", "/cases/new/", "/courts/guangzhou/queue/"):
        weak += weak_focus_rings(page, path)
    page.goto("/courts/guangzhou/queue/")
    page.locator("main tbody a").first.click()
    page.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}/$"))
    weak += weak_focus_rings(page, urlsplit(page.url).path)
    assert not weak, "focus indicators below 3:1 (WCAG 1.4.11):\n" + "\n".join(weak)


def test_a_case_can_be_filed_with_the_keyboard_only(
    new_context: Callable[..., BrowserContext],
) -> None:
    page = new_context(locale="en-US").new_page()
    sign_in(page, "lawyer")
    page.goto("/cases/new/")

    # Choose the first court with the space bar and keep the proposed kind of dispute.
    tab_to(page, "input[name=court]")
    page.keyboard.press("Space")
    expect(page.locator("input[name=court]").first).to_be_checked()
    tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/file/parties/$"))

    # Parties: the second row is offered as the defendant; its kind changes by arrow key.
    expect(page.locator("#id_form-1-role")).to_have_value("defendant")
    tab_to(page, "#id_form-1-kind")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#id_form-1-kind")).to_have_value("other_org")
    tab_to(page, "#id_form-1-name")
    page.keyboard.type("Some Online Shop Ltd.")
    tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/file/claim/$"))

    # The claim: type each answer, Tab to the button, Enter.
    tab_to(page, "#id_title")
    page.keyboard.type("Headphones never delivered")
    for selector, text in (
        ("#id_amount", "399"),
        ("#id_claims", "Refund CNY 399."),
        ("#id_facts", "I paid on 2 October; nothing arrived."),
    ):
        tab_to(page, selector)
        page.keyboard.type(text)
    tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/file/territory/$"))

    # What was typed was saved.
    page.goto(page.url.replace("/territory/", "/claim/"))
    expect(page.locator("#id_title")).to_have_value("Headphones never delivered")
    expect(page.locator("#id_facts")).to_have_value("I paid on 2 October; nothing arrived.")
