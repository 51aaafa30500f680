"""Browser tests: a real ``netcourt serve`` started the way a person starts it, driven by
Debian's chromium through Playwright, checked by axe-core.

The tests never touch the Django test database: they speak HTTP to a server that runs in
its own process, with its own data directory and its own SQLite database (even when the rest
of the test run uses PostgreSQL).
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.net import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Hearings: a fake camera and microphone, allowed without asking, and host candidates
    # the court's media server can reach (not mDNS names).
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]
PR_SET_PDEATHSIG = 1
DEMO_PASSWORD = "netcourt-demo"
DEMO_DOMAIN = "demo.netcourt.localhost"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"

# The data directory and database of a server under test are chosen here, never inherited.
_SCRUBBED_ENV = (
    "NETCOURT_DATA_DIR",
    "NETCOURT_DATABASE_URL",
    "NETCOURT_SECRET_KEY",
    "NETCOURT_VAULT_KEYS",
    "NETCOURT_ASSURANCE",
    "NETCOURT_EID",
)


def demo_email(user: str) -> str:
    return f"{user}@{DEMO_DOMAIN}"


def _netcourt_command() -> list[str]:
    """The ``netcourt`` script of the running interpreter's environment, as a user runs it."""
    script = Path(sys.executable).parent / "netcourt"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "netcourt.cli"]


def _parent_death_signal() -> Callable[[], None] | None:
    """On Linux, a function for the child (between fork and exec) that asks the kernel to stop
    it if the test run dies without tearing down; resolved here, since the child must not
    import anything."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def set_pdeathsig() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

    return set_pdeathsig


@dataclass
class Server:
    """One running ``netcourt serve`` with its own data directory and database."""

    data_dir: Path
    port: int = 0  # 0: a free port is chosen at start
    process: subprocess.Popen[bytes] | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.data_dir / "server.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
        env.update(
            NETCOURT_DATA_DIR=str(self.data_dir),
            NETCOURT_DATABASE_URL=f"sqlite:///{self.data_dir / 'netcourt.sqlite3'}",
            NETCOURT_BASE_URL=self.base_url,
            NETCOURT_DEBUG="0",
            NETCOURT_EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
            NETCOURT_JOBS="immediate",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def run(self, *args: str, timeout: float = 120) -> str:
        """Run one ``netcourt`` command to completion, as a user would in a shell."""
        done = subprocess.run(
            [*_netcourt_command(), *args],
            env=self.env,
            cwd=self.data_dir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"netcourt {' '.join(args)} failed ({done.returncode}):\n"
                f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return done.stdout

    def start(self, timeout: float = 60) -> None:
        self.port = self.port or free_port()
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
                [*_netcourt_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env,
                cwd=self.data_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as a whole
                preexec_fn=_parent_death_signal(),  # no orphan even if pytest dies
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"netcourt serve exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as response:
                    if response.status == 200 and response.read().strip() == b"ok":
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"netcourt serve did not answer /healthz in {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-5000:]
        except OSError:
            return ""


def launch(
    data_dir: Path, *, demo: bool = True, port: int = 0, env: dict[str, str] | None = None
) -> Server:
    """``netcourt migrate``, ``netcourt demo`` (unless ``demo=False``) and ``netcourt serve``
    in ``data_dir``, on ``port`` (0: a free one) with ``env`` added to its environment; the
    caller stops the server."""
    instance = Server(data_dir, port=port, extra_env=env or {})
    instance.run("migrate")
    if demo:
        instance.run("demo")
    instance.start()
    return instance


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The court under test, with the demo courts, staff, litigants and cases."""
    instance = launch(tmp_path_factory.mktemp("netcourt-e2e"))
    try:
        yield instance
    finally:
        instance.stop()


# Playwright's sync API runs an asyncio loop for as long as it is started, and Django refuses
# ORM calls while a loop runs in the thread. The browser therefore lives only as long as the
# e2e package: the tests that follow it in the same run get a thread with no loop.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    expect.set_options(timeout=10_000)  # a loaded two-core machine is slower than 5 s at times
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def new_context(browser: Browser, server: Server) -> Iterator[Callable[..., BrowserContext]]:
    """A fresh browser profile (cookies, language) per call; pages resolve paths on ``server``.
    Anything the site's Content-Security-Policy stopped on those pages fails the test: the
    policy must never break a page (and a page must not need more than it allows)."""
    made: list[BrowserContext] = []
    refused: list[str] = []

    def make(locale: str = "en-US", base_url: str | None = None) -> BrowserContext:
        context = browser.new_context(
            base_url=base_url or server.base_url, locale=locale, viewport=DESKTOP
        )
        context.set_default_timeout(15_000)
        context.on(
            "console",
            lambda message: (
                refused.append(f"{message.location.get('url')}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()
    assert not refused, "the Content-Security-Policy stopped:\n" + "\n".join(refused)


def sign_in(page: Page, user: str) -> None:
    """Sign in through the allauth form, as a person would; ends on the dashboard."""
    page.goto("/accounts/login/")
    form = page.locator("main form").filter(has=page.locator("input[name=password]"))
    form.locator("input[name=login]").fill(demo_email(user))
    form.locator("input[name=password]").fill(DEMO_PASSWORD)
    form.locator("button[type=submit]").click()
    if "." in user or user in ("admin", "shop"):  # the demo's published authenticator
        page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/$"))
        page.locator("main input[name=code]").fill(_unused_code(user))
        page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/dashboard/$"))


_last_code: dict[str, str] = {}
TOTP_PERIOD = 30  # seconds a code lasts (allauth's default; the server accepts no other)


def _unused_code(user: str) -> str:
    """The demo staff's current code; a code is accepted once, so wait for a fresh one."""
    from netcourt.accounts.mfa import current_totp_code
    from netcourt.courts.demo import DEMO_TOTP_SECRET

    while time.time() % TOTP_PERIOD > TOTP_PERIOD - 4:  # not a code about to expire
        time.sleep(0.5)
    code = current_totp_code(DEMO_TOTP_SECRET)
    while _last_code.get(user) == code:
        time.sleep(1)
        code = current_totp_code(DEMO_TOTP_SECRET)
    _last_code[user] = code
    return code


def api_get(server: Server, user: str, path: str) -> object:
    """``GET path`` on the court's API as the demo ``user``, with a token made for the call."""
    token = json.loads(server.run("token", "create", "--user", demo_email(user), "--json"))
    request = urllib.request.Request(
        f"{server.base_url}{path}", headers={"Authorization": f"Bearer {token['token']}"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - the test server
        return json.loads(answer.read())


def language_of(page: Page) -> str:
    return str(page.locator("html").get_attribute("lang"))


def screenshot(page: Page, name: str, *, full_page: bool = False) -> None:
    """Save ``docs/screenshots/<name>.png`` at desktop width, only when NETCOURT_SCREENSHOTS=1."""
    if os.environ.get("NETCOURT_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
    if size:
        page.set_viewport_size(size)


@dataclass
class Accessibility:
    """Runs axe-core on each page it is shown and collects what it finds."""

    axe: Axe = field(default_factory=Axe)
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def check(self, page: Page, name: str, *, phone: bool = False) -> None:
        self._run(page, f"{name} [{language_of(page)}, desktop]")
        if not phone:
            return
        size = page.viewport_size
        page.set_viewport_size(PHONE)
        try:
            label = f"{name} [{language_of(page)}, phone {PHONE['width']}x{PHONE['height']}]"
            self._run(page, label)
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                self.problems.append(
                    f"{label} {page.url}: the page scrolls sideways by {overflow}px on a phone"
                )
        finally:
            if size:
                page.set_viewport_size(size)

    def _run(self, page: Page, label: str) -> None:
        self.checked.append(label)
        results = self.axe.run(page)
        for violation in results.response["violations"]:
            lines = [
                f"{label} {page.url}: {violation['id']} ({violation['impact']}):"
                f" {violation['help']} — {violation['helpUrl']}"
            ]
            for node in violation["nodes"][:10]:
                summary = " ".join(node.get("failureSummary", "").split())
                lines.append(f"    at {', '.join(map(str, node['target']))}: {summary[:300]}")
            self.problems.append("\n".join(lines))

    def assert_clean(self) -> None:
        found, self.problems = self.problems, []
        assert not found, (
            f"{len(found)} accessibility problem(s) in {len(self.checked)} page checks:\n"
            + "\n".join(found)
        )


@pytest.fixture
def a11y() -> Iterator[Accessibility]:
    checker = Accessibility()
    yield checker
    checker.assert_clean()
