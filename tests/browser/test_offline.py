"""Lianke works on a machine without internet: no page asks for anything outside the host (the
API docs included), and every page has its icon."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from lianke.customers.models import Account

from .conftest import DESKTOP, PHONE

SCREENS = {
    "phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": DESKTOP},
}


@pytest.mark.browser
@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_no_request_leaves_the_host_on_a_record_page_and_the_api_docs(open_ui, org, live_server, screen):
    # given a browser in which every request to another host fails (and is noted)
    Account.objects.create(name="苏州精工", owner=org.rep_js)
    ui = open_ui(**SCREENS[screen])
    host = urlsplit(live_server.url).netloc
    outside: list[str] = []

    def only_this_host(route):
        if urlsplit(route.request.url).netloc == host:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort("internetdisconnected")

    ui.page.context.route("**/*", only_this_host)
    ui.login("rep_js")
    # when the rep opens an account, with its timeline, and the icon the page names
    ui.go(Account.objects.get().get_absolute_url())
    expect(ui.page.locator("#timeline .card-header")).to_be_visible()
    icon = ui.page.locator("link[rel=icon]").get_attribute("href")
    assert ui.page.request.get(ui.url(icon)).status == 200
    # and the API docs
    ui.go("/api/docs/")
    expect(ui.page.get_by_role("heading", name="Lianke CRM API").first).to_be_visible()
    expect(ui.page.locator("img[alt='redocly logo']")).to_be_attached()
    ui.page.wait_for_load_state("networkidle")
    ui.shot("api-docs")
    # then nothing was asked of another host, no CSP violation happened (see conftest), and the
    # docs page has the icon too, as /favicon.ico does
    assert outside == []
    assert ui.page.locator("link[rel=icon]").get_attribute("href") == icon
    favicon = ui.page.request.get(ui.url("/favicon.ico"))
    assert (favicon.status, favicon.headers["content-type"]) == (200, "image/svg+xml")
