"""The bell on a phone (375 px, Chinese: in the bottom bar) and a desktop (English: in the top
bar): it shows the unread count, leads to the list grouped by day, opening a notification goes
to its record and marks it read, "mark all read" empties the bell. Nothing sticks out."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lianke.core.objecttypes.registry import registry
from lianke.notifications import service

from .conftest import DESKTOP, PHONE

SCREENS = {
    "phone": ({"viewport": PHONE, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}, "#phone-bell"),
    "desktop": ({"viewport": DESKTOP, "locale": "en-US"}, "#nav-bell"),
}
TEXT = {
    "phone": {"today": "今天", "none": "没有未读通知。"},
    "desktop": {"today": "Today", "none": "No unread notifications."},
}


@pytest.mark.browser
@pytest.mark.both_databases  # the unread count is a partial index
@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_the_bell_leads_to_the_list_where_everything_is_marked_read(open_ui, org, screen):
    options, bell = SCREENS[screen]
    Account = registry.get("customers.account").model
    accounts = [
        Account.all_objects.create(
            name=f"苏州精工机械{i}号分厂" * 2, owner=org.rep_js, department=org.js_team
        )
        for i in range(3)
    ]
    for account in accounts:
        service.notify([org.rep_js], "record.transferred", record=account, actor=org.manager_js)
    ui = open_ui(label=screen, **options)
    ui.login("rep_js")
    # the bell says 3, where the thumb or the eye finds it
    expect(ui.page.locator(f"{bell} .notification-count")).to_have_text("3")
    ui.assert_fits_screen()
    ui.page.click(bell)
    expect(ui.page.locator("h2[data-day]").first).to_have_text(TEXT[screen]["today"])
    expect(ui.page.locator(".notification-unread")).to_have_count(3)
    ui.assert_fits_screen()
    ui.shot("list", full_page=True)
    # opening the newest goes to its record and marks it read
    ui.page.locator(".notification-link").first.click()
    ui.page.wait_for_url(f"**{registry.get('customers.account').record_url(accounts[-1].pk)}")
    expect(ui.page.locator(f"{bell} .notification-count")).to_have_text("2")
    # mark all read
    ui.page.click(bell)
    ui.page.click("#mark-all-read")
    expect(ui.page.locator(".notification-unread")).to_have_count(0)
    expect(ui.page.locator(f"{bell} .notification-count")).to_have_count(0)
    ui.page.click("#show-unread")
    expect(ui.page.locator("#no-notifications")).to_have_text(TEXT[screen]["none"])
    ui.assert_fits_screen()
