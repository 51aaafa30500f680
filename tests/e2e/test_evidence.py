"""Evidence in the browser: the plaintiff uploads (resumable, in pieces), the shop gives its
opinion, the judge reads both side by side, and a receipt downloads and verifies offline."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Route, expect

from tests.e2e.conftest import Accessibility, Server, api_get, screenshot, sign_in

pytestmark = pytest.mark.e2e

PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def _case_in_exchange(server: Server) -> tuple[str, str, str]:
    """A demo case in the evidence exchange: (its id, the plaintiff, the judge's user)."""
    for user in ("bob", "alice"):
        items = api_get(server, user, "/api/v1/cases?state=evidence_exchange")["items"]  # type: ignore[index]
        if items:
            case = api_get(server, user, f"/api/v1/cases/{items[0]['id']}")
            judge = "judge1" if "Wang Jianguo" in str(case["judge"]) else "judge2"  # type: ignore[index]
            return str(items[0]["id"]), user, f"{judge}.{case['court']}"  # type: ignore[index]
    raise AssertionError("the demo has no case in the evidence exchange")


def test_evidence_goes_in_is_examined_and_its_receipt_verifies(
    new_context: Callable[..., BrowserContext],
    server: Server,
    a11y: Accessibility,
    tmp_path: Path,
) -> None:
    case_id, plaintiff, judge = _case_in_exchange(server)
    evidence = tmp_path / "delivery-note.pdf"
    evidence.write_bytes(PDF + b"%" + b"n" * 20_000_000 + b"\n")  # three 8 MiB pieces

    page = new_context().new_page()
    sign_in(page, plaintiff)
    page.goto(f"/cases/{case_id}/evidence/")
    a11y.check(page, "evidence page (plaintiff)", phone=True)
    pieces: list[str] = []

    def break_the_second_piece_once(route: Route) -> None:
        """The connection drops during the second piece: the page must resume, not restart."""
        if route.request.method == "PATCH":
            pieces.append(route.request.headers["upload-offset"])
            if len(pieces) == 2:
                route.abort("connectionreset")
                return
        route.continue_()

    page.route("**/api/v1/uploads/**", break_the_second_piece_once)
    form = page.locator("main form[data-resumable]")
    form.locator("input[type=file]").set_input_files(str(evidence))
    form.locator("input[name=title]").fill("Delivery note")
    form.locator("textarea[name=purpose]").fill("Nothing was delivered.")
    form.locator("input[name=source]").fill("Courier's website")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"**/cases/{case_id}/evidence/")
    item = page.locator("main article.evidence", has_text="Delivery note")
    expect(item).to_be_visible()
    assert pieces == ["0", "8388608", "8388608", "16777216"], pieces
    with page.expect_download() as download:
        item.get_by_role("link", name="Transparency-log receipt (JSON)").click()
    receipt = tmp_path / "receipt.json"
    download.value.save_as(receipt)

    shop = new_context(locale="zh-CN").new_page()
    sign_in(shop, "shop")
    shop.goto(f"/cases/{case_id}/evidence/")
    theirs = shop.locator("main article.evidence", has_text="Delivery note")
    theirs.locator("details.examine summary").click()
    theirs.locator("input[name=authenticity][value=disputed]").check()
    theirs.locator("input[name=legality][value=accepted]").check()
    theirs.locator("input[name=relevance][value=accepted]").check()
    theirs.locator("textarea[name=comment]").fill("快递单系伪造。")
    theirs.locator("details.examine button[type=submit]").click()
    expect(shop.locator("main article.evidence", has_text="快递单系伪造")).to_be_visible()
    a11y.check(shop, "evidence page (defendant, after an opinion)", phone=True)

    bench = new_context().new_page()
    sign_in(bench, judge)
    bench.goto(f"/cases/{case_id}/evidence/")
    read = bench.locator("main article.evidence", has_text="Delivery note")
    expect(read.locator(".side-by-side dl")).to_contain_text("Nothing was delivered.")
    expect(read.locator(".side-by-side .opinions")).to_contain_text("快递单系伪造")
    screenshot(bench, "evidence")
    a11y.check(bench, "evidence page (judge)")

    key = server.run("ledger", "key").strip()
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "netcourt.ledger.verify",
            str(receipt),
            "--key",
            key,
            "--file",
            str(evidence),
        ],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    a11y.assert_clean()


def test_a_refused_file_is_explained_next_to_the_file_field(
    new_context: Callable[..., BrowserContext],
    server: Server,
    a11y: Accessibility,
    tmp_path: Path,
) -> None:
    """A Word file sent from a phone: the refusal says what to do, in the person's language,
    next to the file field (linked to it and focused), with no MIME type in it."""
    case_id, plaintiff, _judge = _case_in_exchange(server)
    word = tmp_path / "letter.docx"
    word.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 64)
    page = new_context(locale="zh-CN").new_page()
    sign_in(page, plaintiff)
    page.goto(f"/cases/{case_id}/evidence/")
    form = page.locator("main form[data-resumable]")
    # The chooser offers what the court takes, and the page says how large a file may be.
    accept = form.locator("input[type=file]").get_attribute("accept") or ""
    assert ".pdf" in accept.split(",") and "application/pdf" in accept.split(",")
    expect(form).to_contain_text("MB")
    form.locator("input[type=file]").set_input_files(str(word))
    form.locator("input[name=title]").fill("Letter")
    form.locator("textarea[name=purpose]").fill("It was sent.")
    form.locator("input[name=source]").fill("My computer")
    form.locator("button[type=submit]").click()
    refusal = form.locator(".field-error")
    # In the person's own language (bob works in English, alice in Chinese).
    said = "本院不接收此类文件" if plaintiff == "alice" else "The court does not take files"
    expect(refusal).to_contain_text(said)
    expect(refusal).not_to_contain_text("application/")
    field = form.locator("input[type=file]")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-invalid", "true")
    described = field.get_attribute("aria-describedby") or ""
    assert refusal.get_attribute("id") in described.split()
    a11y.check(page, "evidence page (a refused file)", phone=True)
    a11y.assert_clean()
