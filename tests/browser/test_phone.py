"""A rep on a phone (375×812, touch): lists are cards with a call button, selection mode by a
button or a long press, filters in a full-screen sheet after the results, tabs above the list;
every step fits the screen. Desktop keeps the table."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lianke.activities.models import Activity
from lianke.customers.models import Account

from .conftest import PHONE

PHONE_OPTIONS = {"viewport": PHONE, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@pytest.fixture
def rep_accounts(org):
    a = Account.objects.create(
        name="苏州精工机械有限公司", owner=org.rep_js, city="苏州市", level="key", phone="0512-66881234"
    )
    b = Account.objects.create(name="昆山华宇电子科技有限公司", owner=org.rep_js, city="昆山市", level="b")
    Account.all_objects.filter(pk=b.pk).update(last_activity_at="2026-11-20T10:00:00+08:00")
    Account.objects.create(name="同事的客户", owner=org.rep_js2, city="南京市")
    return a, b


def long_press(ui, locator) -> None:
    """Touch and hold for 0.8 s (a real touch sequence, not a mouse click)."""
    box = locator.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    cdp = ui.page.context.new_cdp_session(ui.page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    ui.page.wait_for_timeout(800)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


@pytest.mark.browser
def test_a_rep_on_a_phone_sees_cards_calls_and_logs_a_visit_without_sideways_scrolling(
    open_ui, org, rep_accounts
):
    ui = open_ui(**PHONE_OPTIONS)
    ui.login("rep_js")
    ui.assert_fits_screen()
    # when the rep opens the account list from the menu
    nav = ui.page.locator("#main-nav")
    expect(nav).to_be_hidden()
    ui.open_nav()
    nav.get_by_role("link", name="客户").click()
    # then the results come first, as cards: no table, no checkboxes, no bulk bar
    expect(ui.page.locator("main h1")).to_have_text("客户")
    cards = ui.page.locator("#object-list .object-card")
    expect(cards).to_have_count(2)
    expect(ui.page.locator("#object-list table")).to_be_hidden()
    expect(cards.first.locator(".row-select")).to_be_hidden()
    expect(ui.page.locator(".bulk-bar")).to_be_hidden()
    assert cards.first.bounding_box()["y"] < 812  # the first result is on the first screen
    card = cards.filter(has_text="苏州精工机械有限公司")
    expect(card).to_contain_text("重点客户")
    expect(card).to_contain_text("苏州市")
    expect(card).to_contain_text("张伟")
    expect(card).to_contain_text("尚未跟进")
    expect(cards.filter(has_text="昆山华宇")).to_contain_text("2026-11-20")
    # and the phone number is a call button of at least 44 px
    call = card.locator(".btn-call")
    expect(call).to_have_attribute("href", re.compile(r"^tel:"))
    box = call.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44
    # and so are the controls around the list: tabs, filters, sort, select
    for control in ("[data-tab='all']", "#open-filters", "#sort-select", "#select-mode", "#new-object"):
        assert ui.page.locator(control).bounding_box()["height"] >= 44, control
    ui.assert_fits_screen()
    ui.shot("cards")
    # when they tap a card, the record opens
    card.locator(".card-title").click()
    expect(ui.page.locator("#object-title")).to_contain_text("苏州精工机械有限公司")
    ui.assert_fits_screen()
    # and they log a visit in the timeline
    form = ui.page.locator("#activity-form")
    form.locator("[name=kind]").select_option("visit")
    form.locator("[name=subject]").fill("上门拜访设备部")
    form.locator("#add-activity").click()
    visit = ui.page.locator("#timeline .activity-item", has_text="上门拜访设备部")
    expect(visit).to_be_visible()
    visit.scroll_into_view_if_needed()
    ui.assert_fits_screen()
    ui.shot("timeline")
    # and the edit form fits too
    ui.page.click("#edit-object")
    expect(ui.page.locator("#save-object")).to_be_visible()
    ui.assert_fits_screen()


@pytest.mark.browser
def test_filters_on_a_phone_are_a_full_screen_sheet_with_a_live_count(open_ui, org, rep_accounts):
    ui = open_ui(**PHONE_OPTIONS)
    ui.login("rep_js")
    ui.go("/customers/account/")
    sheet = ui.page.locator("#filters")
    expect(sheet).to_be_hidden()
    # when the rep opens the filters
    ui.page.click("#open-filters")
    # then they cover the whole screen over the results
    expect(sheet).to_be_visible()
    box = sheet.bounding_box()
    assert box["width"] >= 374 and box["height"] >= 800
    apply = ui.page.locator("#apply-filters")
    expect(apply).to_contain_text("2")
    # when they tick a level, the button says how many results they will see
    with ui.page.expect_response(lambda r: "level=key" in r.url):
        sheet.locator("fieldset", has_text="客户级别").get_by_label("重点客户").check()
    expect(apply).to_contain_text("1")
    ui.shot("sheet")
    ui.assert_fits_screen()
    apply.click()
    # then the sheet closes on the filtered results, and the filter button counts the filter
    expect(sheet).to_be_hidden()
    expect(ui.page.locator("#object-list .object-card")).to_have_count(1)
    expect(ui.page.locator("#open-filters .badge")).to_have_text("1")
    expect(ui.page).to_have_url(re.compile(r"level=key"))


@pytest.mark.browser
def test_tabs_switch_between_all_i_can_see_and_mine(open_ui, org, rep_accounts):
    # given the team lead, who sees his reps' accounts
    ui = open_ui(**PHONE_OPTIONS)
    ui.login("lead_js")
    ui.go("/customers/account/")
    expect(ui.page.locator("#object-list .object-card")).to_have_count(2)
    ui.page.locator('[data-tab="mine"]').click()
    expect(ui.page.locator("#object-list .object-card")).to_have_count(0)
    expect(ui.page).to_have_url(re.compile(r"scope=mine"))
    ui.page.locator('[data-tab="team"]').click()
    expect(ui.page.locator("#object-list .object-card")).to_have_count(2)
    ui.assert_fits_screen()


@pytest.mark.browser
def test_selection_mode_by_button_or_long_press_shows_checkboxes_and_the_bulk_bar(open_ui, org, rep_accounts):
    ui = open_ui(**PHONE_OPTIONS)
    ui.login("rep_js")
    ui.go("/customers/account/")
    cards = ui.page.locator("#object-list .object-card")
    bar = ui.page.locator(".bulk-bar")
    # when the rep long-presses a card
    long_press(ui, cards.first.locator(".card-title"))
    # then selection mode starts with that card ticked, and the bar sits at the bottom
    expect(bar).to_be_visible()
    expect(cards.first.locator(".row-select")).to_be_checked()
    assert ui.page.url.endswith("/customers/account/")  # the press did not open the record
    box = bar.bounding_box()
    assert box["y"] + box["height"] >= 800
    # and a tap on another card ticks it instead of opening it
    cards.nth(1).locator(".card-title").click()
    expect(cards.nth(1).locator(".row-select")).to_be_checked()
    expect(ui.page.locator("#selected-count")).to_contain_text("2")
    ui.assert_fits_screen()
    ui.shot("selecting")
    # when they edit the city of both
    ui.page.select_option("#bulk-action", "edit")
    ui.page.select_option(".bulk-edit select[name=field]", "city")
    ui.page.fill(".bulk-edit input[name=value]", "无锡市")
    ui.page.once("dialog", lambda dialog: dialog.accept())
    ui.page.click("#bulk-apply")
    expect(ui.page.locator("#messages .alert-success")).to_be_visible()
    assert set(Account.objects.filter(owner=org.rep_js).values_list("city", flat=True)) == {"无锡市"}
    # and "Select" / "Done" switches the mode without a long press
    ui.page.click("#select-mode")
    expect(bar).to_be_visible()
    ui.page.click("#select-mode")
    expect(bar).to_be_hidden()


@pytest.mark.browser
def test_the_desktop_keeps_the_table_with_checkboxes(ui, org, rep_accounts):
    ui.login("rep_js")
    ui.go("/customers/account/")
    expect(ui.page.locator("#object-list table tbody tr")).to_have_count(2)
    expect(ui.page.locator("#object-list .object-cards")).to_be_hidden()
    expect(ui.page.locator("#object-list tbody .row-select").first).to_be_visible()
    expect(ui.page.locator(".bulk-bar")).to_be_visible()
    expect(ui.page.locator("#filter-form")).to_be_visible()
    ui.shot("table")


@pytest.mark.browser
def test_an_activity_list_on_a_phone_shows_what_matters_for_activities(open_ui, org, rep_accounts):
    Activity.objects.create(kind="visit", subject="拜访采购部", owner=org.rep_js, account=rep_accounts[0])
    ui = open_ui(**PHONE_OPTIONS)
    ui.login("rep_js")
    ui.go("/activities/activity/")
    card = ui.page.locator("#object-list .object-card", has_text="拜访采购部")
    expect(card).to_contain_text("拜访")
    expect(card).to_contain_text("苏州精工机械有限公司")
    ui.assert_fits_screen()
