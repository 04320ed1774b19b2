"""A rep on a phone (375×812): every step fits the screen; only tables scroll sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lianke.customers.models import Account

from .conftest import PHONE


@pytest.mark.browser
def test_a_rep_on_a_phone_finds_an_account_and_logs_a_visit_without_sideways_scrolling(open_ui, org):
    # given a rep's accounts and a phone-sized browser
    Account.objects.create(
        name="苏州精工机械有限公司", owner=org.rep_js, city="苏州市", phone="0512-66881234"
    )
    Account.objects.create(name="昆山华宇电子科技有限公司", owner=org.rep_js, city="昆山市")
    ui = open_ui(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    # when the rep logs in
    ui.login("rep_js")
    ui.assert_fits_screen()
    ui.shot("home")
    # and opens the navigation through the toggler
    nav = ui.page.locator("#main-nav")
    expect(nav).to_be_hidden()
    ui.page.click(".navbar-toggler")
    expect(nav).to_be_visible()
    ui.assert_fits_screen()
    ui.shot("menu")
    nav.get_by_role("link", name="客户").click()
    # then the account list fits the screen
    expect(ui.page.locator("main h1")).to_have_text("客户")
    ui.assert_fits_screen()
    ui.shot("list")
    # when they open the filters
    filters = ui.page.locator("#filters")
    expect(filters).to_be_hidden()
    ui.page.get_by_role("button", name="筛选与显示列").click()
    expect(filters).to_be_visible()
    expect(ui.page.locator("#apply-filters")).to_be_visible()
    ui.assert_fits_screen()
    ui.shot("filters", full_page=True)
    # and open a record
    ui.page.locator("#object-list").get_by_role("link", name="苏州精工机械有限公司").click()
    expect(ui.page.locator("#object-title")).to_contain_text("苏州精工机械有限公司")
    ui.assert_fits_screen()
    ui.shot("detail")
    # and log a visit in the timeline
    form = ui.page.locator("#activity-form")
    form.locator("[name=kind]").select_option("visit")
    form.locator("[name=subject]").fill("上门拜访设备部")
    form.locator("#add-activity").click()
    # then the visit is on the timeline and the page still fits the screen
    visit = ui.page.locator("#timeline .activity-item", has_text="上门拜访设备部")
    expect(visit).to_be_visible()
    visit.scroll_into_view_if_needed()
    ui.assert_fits_screen()
    ui.shot("timeline")
    # and the edit form fits too
    ui.page.click("#edit-object")
    expect(ui.page.locator("#save-object")).to_be_visible()
    ui.assert_fits_screen()
    ui.shot("edit", full_page=True)
