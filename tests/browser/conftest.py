"""Browser fixtures: one Debian chromium per worker (Playwright's sync API), a fresh context per
test, login through the real login form, a screenshot per key step in ``test-artifacts/`` and a
collector of console errors, page errors and CSP violations that fails the test.

Playwright's sync API runs an asyncio loop in the test thread, so Django's ORM guard against
async contexts is switched off here (the live server runs in its own thread)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
TIMEOUT_MS = 30_000  # generous: CI machines have 2 cores and run two xdist workers

# Chromium reports CSP violations on the console too; this makes them explicit and unmistakable.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline"));
});
"""

# Visible elements whose right edge lies beyond the viewport. An element is visible where it is
# not clipped by an ancestor that hides or scrolls its overflow (a tab strip that scrolls within
# itself is fine as long as the strip fits); ``html`` and ``body`` never count as clippers, so
# hiding the page's overflow does not pass.
OVERFLOW_OFFENDERS = """
(limit) => {
  const out = [];
  const clipping = (el) => {
    const s = getComputedStyle(el);
    return s.overflowX !== "visible" && el !== document.body && el !== document.documentElement;
  };
  const hidden = (el) => {
    const s = getComputedStyle(el);
    return s.visibility === "hidden" || s.display === "none";
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  // The part of a box that shows: clipped by every ancestor that hides or scrolls overflow.
  const visible = (from, r) => {
    let left = r.left, right = r.right;
    for (let a = from; a && right > left; a = a.parentElement) {
      if (clipping(a)) {
        const c = a.getBoundingClientRect();
        left = Math.max(left, c.left);
        right = Math.min(right, c.right);
      }
    }
    return [left, right];
  };
  const check = (label, from, r) => {
    if (r.width === 0 || r.height === 0) return;
    const [left, right] = visible(from, r);
    if (right > left && (right > limit + 1 || left < -1)) {
      out.push(label + " [" + Math.round(left) + ".." + Math.round(right) + "]");
    }
  };
  for (const el of document.body.querySelectorAll("*")) {
    if (hidden(el)) continue;
    check(name(el), el.parentElement, el.getBoundingClientRect());
  }
  // Text overflows its box without widening it (a long e-mail in a narrow cell): measure the text.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim() || hidden(node.parentElement)) continue;
    range.selectNodeContents(node);
    check("text in " + name(node.parentElement) + " “" + node.textContent.trim().slice(0, 20) + "”",
          node.parentElement, range.getBoundingClientRect());
  }
  return out.slice(0, 10);
}
"""


# htmx logs an aborted request as an error: a field's inline validation is replaced on purpose
# (hx-sync="this:replace") when the same field changes again before the answer came. Network failures and
# timeouts still show up, as htmx:sendError / htmx:timeout / htmx:responseError.
BENIGN = (r"htmx:sendAbort", r"htmx:afterRequest, \[object HTMLDivElement\]")


@dataclass
class BrowserErrors:
    """Console errors, uncaught page errors and CSP violations seen during one test."""

    entries: list[str] = field(default_factory=list)
    allowed: list[re.Pattern] = field(default_factory=lambda: [re.compile(p) for p in BENIGN])

    def allow(self, pattern: str) -> None:
        """Expect errors matching ``pattern`` (e.g. the 404 a forbidden URL answers with)."""
        self.allowed.append(re.compile(pattern))

    def add(self, text: str) -> None:
        if not any(p.search(text) for p in self.allowed):
            self.entries.append(text)

    def check(self) -> None:
        if self.entries:
            raise AssertionError("Browser console errors / CSP violations:\n  " + "\n  ".join(self.entries))


class UI:
    """One browser tab as a user drives it, with the helpers the tests share."""

    def __init__(self, page, base_url: str, shot_prefix: str, errors: BrowserErrors):
        self.page = page
        self.base_url = base_url
        self.shot_prefix = shot_prefix
        self.errors = errors
        self._shots = 0

    def url(self, path: str) -> str:
        return self.base_url + path

    def go(self, path: str):
        return self.page.goto(self.url(path))

    def login(self, username: str, password: str | None = None) -> None:
        self.go("/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password or f"pw-{username}")
        self.page.click("form.card button[type=submit]")
        self.page.wait_for_url(self.url("/"))

    def open_nav(self) -> None:
        """On a phone, open the navigation and wait until its animation is over (a tap on a link
        while it is still "collapsing" can be lost); on a desktop it is always open."""
        toggler = self.page.locator(".navbar-toggler")
        if toggler.is_visible():
            toggler.click()
            self.page.locator("#main-nav.show").wait_for()  # collapsed: not while "collapsing"

    def user_menu(self, item: str) -> None:
        """Open the user menu (on a phone: the navigation first, once its animation is over) and
        choose ``item`` (a selector inside it)."""
        self.open_nav()
        menu = self.page.locator("#user-menu + .dropdown-menu")
        for _attempt in range(3):  # a tap during a transition may be taken by the animation
            self.page.click("#user-menu")
            try:
                menu.wait_for(state="visible", timeout=3000)
            except PlaywrightTimeoutError:  # noqa: S112 - the tap was lost: tap again
                continue
            break
        menu.locator(item).click()

    def logout(self) -> None:
        self.user_menu("#logout")
        self.page.wait_for_url(re.compile(r"/login/"))

    def settle(self) -> None:
        """Wait until htmx has no request in flight."""
        self.page.wait_for_function("() => !document.querySelector('.htmx-request')")

    def shot(self, step: str, *, full_page: bool = False) -> Path:
        self._shots += 1
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{self.shot_prefix}-{self._shots:02d}-{step}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def horizontal_overflow(self) -> tuple[int, list[str]]:
        """``(document scroll width, offending elements)`` for the current page."""
        from playwright.sync_api import Error as PlaywrightError

        limit = self.page.viewport_size["width"]
        failures = 0
        while True:
            # Right after a click that navigates, the old document may be gone before the new
            # one has an element: measure the page once it has loaded, and again if it was
            # replaced while being measured.
            self.page.wait_for_load_state()
            try:
                width = self.page.evaluate("() => document.documentElement.scrollWidth")
                return width, self.page.evaluate(OVERFLOW_OFFENDERS, limit)
            except PlaywrightError:
                failures += 1
                if failures == 3:
                    raise

    def assert_fits_screen(self) -> None:
        """Nothing visible sticks out of the viewport, and the page does not scroll sideways."""
        limit = self.page.viewport_size["width"]
        width, offenders = self.horizontal_overflow()
        assert width <= limit + 1 and not offenders, (
            f"{self.page.url} is {width}px wide at {limit}px: {offenders}"
        )


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium); browser tests need it"
        if os.environ.get("LIANKE_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " and LIANKE_REQUIRE_BROWSER=1", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def _default_language():
    """Labels computed in the test speak the pages' default language, whatever language an
    earlier test's request left active in this worker."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def browser_errors() -> BrowserErrors:
    return BrowserErrors()


@pytest.fixture
def open_ui(browser, live_server, request, browser_errors):
    """``open_ui(viewport=…, locale=…)`` → a :class:`UI` in a fresh browser context (own cookies)."""
    contexts = []
    name = re.sub(r"[^\w.-]+", "_", request.node.name.removeprefix("test_"))[:90]

    def make(*, viewport=None, locale: str = "zh-CN", label: str = "", **options) -> UI:
        context = browser.new_context(
            viewport=viewport or DESKTOP, locale=locale, timezone_id="Asia/Shanghai", **options
        )
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(CSP_LISTENER)
        page = context.new_page()

        def on_console(message):
            if message.type == "error":
                browser_errors.add(
                    f"console error on {page.url}: {message.text} ({message.location.get('url')})"
                )

        page.on("console", on_console)
        page.on("pageerror", lambda exc: browser_errors.add(f"page error on {page.url}: {exc}"))
        return UI(page, live_server.url, name + (f"-{label}" if label else ""), browser_errors)

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def ui(open_ui) -> UI:
    """A desktop browser tab (1280×900) in Chinese, not logged in."""
    return open_ui()


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem):
    """A test that passed still fails if the browser logged errors or CSP violations."""
    result = yield
    errors = pyfuncitem.funcargs.get("browser_errors")
    if errors is not None:
        errors.check()
    return result
