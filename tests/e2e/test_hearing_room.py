"""The online hearing in real browsers: Chromium with a fake camera and microphone.

The judge enters the demo's hearing in session, the defendant's company waits and is
admitted, each sees and hears the other through the court's media server; a pass used twice,
or a made-up one, is refused; the judge removes the defendant, who cannot come back; the
judge ends the hearing and each person's recording decrypts to a WebM with their frames.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import av
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import Accessibility, Server, api_get, screenshot, sign_in

pytestmark = pytest.mark.e2e

# What a room takes on a loaded two-core machine: the media server answers each offer only
# once it has gathered its candidates, and ending a hearing stores every recording.
ROOM_TIMEOUT = 30_000


def _hearing_in_session(server: Server) -> tuple[str, str]:
    """The demo case whose hearing is in session now (see `netcourt.courts.demo`): its
    hearings page, and its judge's demo account."""
    items = api_get(server, "shop", "/api/v1/cases?state=hearing_scheduled")["items"]  # type: ignore[index]
    case = api_get(server, "shop", f"/api/v1/cases/{items[0]['id']}")
    judge = "judge1" if "Wang Jianguo" in str(case["judge"]) else "judge2"  # type: ignore[index]
    return f"/cases/{items[0]['id']}/hearing/", f"{judge}.{case['court']}"  # type: ignore[index]


def _enter(page: Page) -> None:
    page.locator("main form[action$='/enter'] button").first.click()
    expect(page.locator("#room-config")).to_be_attached()


def _sees_someone(page: Page) -> None:
    """A remote picture that is moving: frames decoded, time advancing."""
    page.wait_for_function(
        """() => [...document.querySelectorAll('#tiles figure:not([data-tile="me"]) video')]
              .some(v => v.videoWidth > 0 && v.currentTime > 1)""",
        timeout=30_000,
    )


def _pass_of(page: Page) -> str:
    return str(page.evaluate("JSON.parse(document.getElementById('room-config').textContent).pass"))


def _hello(page: Page, secret: str) -> str:
    """Open a second socket to the room with ``secret`` as the pass; what the court says."""
    return str(
        page.evaluate(
            """(secret) => new Promise((resolve) => {
                const config = JSON.parse(document.getElementById('room-config').textContent);
                const socket = new WebSocket('ws://' + location.host + config.socket);
                socket.onopen = () => socket.send(JSON.stringify({type: 'hello', pass: secret}));
                socket.onmessage = (event) => resolve(JSON.parse(event.data).code || 'accepted');
                socket.onclose = () => resolve('closed');
            })""",
            secret,
        )
    )


def test_a_hearing_in_the_browser_waiting_room_media_removal_and_recordings(
    new_context: Callable[..., BrowserContext], server: Server, a11y: Accessibility
) -> None:
    hearing_url, judge_user = _hearing_in_session(server)
    judge = new_context().new_page()
    sign_in(judge, judge_user)
    judge.goto(hearing_url)
    a11y.check(judge, "case hearings page", phone=True)
    _enter(judge)
    expect(judge.locator("#courtroom")).to_be_visible(timeout=ROOM_TIMEOUT)  # in Chinese

    shop = new_context().new_page()
    sign_in(shop, "shop")
    shop.goto(hearing_url)
    _enter(shop)
    expect(shop.locator("#waiting")).to_be_visible(timeout=ROOM_TIMEOUT)  # the shop: Chinese
    expect(shop.locator("#room-status")).to_have_text("您已进入候庭室。")
    a11y.check(shop, "hearing waiting room")
    secret = _pass_of(shop)
    assert _hello(shop, secret) == "join_token_used"
    assert _hello(shop, "made-up-pass") == "join_token_invalid"

    judge.locator("#people li[data-admitted=false] button[data-action=admit]").click()
    expect(shop.locator("#courtroom")).to_be_visible(timeout=ROOM_TIMEOUT)
    _sees_someone(judge)
    _sees_someone(shop)
    name = judge.evaluate("JSON.parse(document.getElementById('room-config').textContent).name")
    assert name and name in str(judge.locator(".room-watermark").get_attribute("data-text"))
    a11y.check(judge, "hearing room (judge)")
    screenshot(judge, "hearing-room", full_page=True)

    judge.locator("#people li[data-role=party] button[data-action=remove]").click()
    expect(shop.locator("#gone-text")).to_have_text("法官已将您移出庭审。", timeout=ROOM_TIMEOUT)
    shop.goto(hearing_url)
    shop.locator("main form[action$='/enter'] button").first.click()
    expect(shop.locator("main")).to_contain_text("法官已将您移出本次庭审。")

    judge.once("dialog", lambda dialog: dialog.accept())
    judge.locator("#end").click()
    expect(judge.locator("#gone")).to_be_visible(timeout=ROOM_TIMEOUT)
    judge.goto(hearing_url)
    links = judge.locator("main a[href*='/recordings/']")
    expect(links).to_have_count(2)
    for href in [links.nth(i).get_attribute("href") for i in range(2)]:
        response = judge.request.get(str(href))
        assert response.ok and response.headers["content-type"] == "video/webm"
        with av.open(io.BytesIO(response.body()), format="webm") as container:
            frames = sum(1 for _ in container.decode(video=0))
        assert frames > 10
    a11y.assert_clean()


def test_the_self_test_sends_the_camera_to_the_court_and_back(
    new_context: Callable[..., BrowserContext], a11y: Accessibility
) -> None:
    page = new_context().new_page()
    sign_in(page, "shop")
    page.goto("/hearings/self-test/")
    a11y.check(page, "hearing self-test", phone=True)
    page.get_by_role("button", name="开始测试").click()  # the shop works in Chinese
    expect(page.locator("#result-camera")).to_contain_text("正常（640×480）")
    expect(page.locator("#result-connection")).to_contain_text("良好", timeout=20_000)
    page.wait_for_function(
        "() => { const v = document.getElementById('test-echo'); return v.videoWidth > 0; }"
    )
    expect(page.get_by_role("status")).to_have_text("测试完成。")
    a11y.check(page, "hearing self-test (finished)")
    a11y.assert_clean()
