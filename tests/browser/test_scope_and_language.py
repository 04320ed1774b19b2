"""What a rep of another company sees (nothing of Jiangsu's), and the same main flow in both
languages, switched through the user menu."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lianke.customers.models import Account

LIST = "/customers/account/"


@pytest.mark.browser
def test_a_zhejiang_rep_neither_lists_nor_opens_nor_finds_a_jiangsu_account(ui, org):
    # given a Jiangsu rep's account and one of the Zhejiang rep's own, both named "…精工…"
    jiangsu = Account.objects.create(name="苏州精工机械", owner=org.rep_js)
    Account.objects.create(name="杭州精工仪器", owner=org.rep_zj)
    # when the Zhejiang rep logs in and opens the account list
    ui.login("rep_zj")
    ui.page.locator("#main-nav").get_by_role("link", name="客户").click()
    # then only his own account is listed
    expect(ui.page.locator("#object-list tbody tr")).to_have_count(1)
    expect(ui.page.locator("#object-list tbody")).to_contain_text("杭州精工仪器")
    expect(ui.page.locator("#object-list")).not_to_contain_text("苏州精工机械")
    # when he types the Jiangsu account's URL
    ui.errors.allow(re.escape(f"{LIST}{jiangsu.pk}/"))  # the browser logs the 404 response
    response = ui.go(f"{LIST}{jiangsu.pk}/")
    # then he gets the 404 page, which does not name the account
    assert response.status == 404
    expect(ui.page.locator("main h1")).to_have_text("404")
    expect(ui.page.locator("main")).not_to_contain_text("苏州精工机械")
    ui.shot("404")
    # when he searches for "精工" in the navigation bar's search box
    ui.page.locator("nav input[name=q]").fill("精工")
    ui.page.locator("nav input[name=q]").press("Enter")
    # then global search finds his own account but not the Jiangsu one
    expect(ui.page).to_have_url(re.compile(r"/search/\?q="))
    results = ui.page.locator("#search-results")
    expect(results.get_by_role("link", name="杭州精工仪器")).to_be_visible()
    expect(results).not_to_contain_text("苏州精工机械")
    ui.shot("search")
    # and searching for its exact name finds nothing at all
    ui.page.locator("#q").fill("苏州精工机械")
    expect(results).not_to_contain_text("杭州精工仪器")
    expect(results.locator("a")).to_have_count(0)
    expect(results).to_contain_text("无匹配")


LABELS = {
    "en": {
        "start_locale": "zh-CN",
        "accounts": "Accounts",
        "new": "New Account",
        "save": "Save",
        "saved": "Saved “无锡华光电缆”.",
        "details": "Details",
        "history": "History",
        "timeline": "Timeline",
        "add": "Add activity",
        "created": "Created",
    },
    "zh-hans": {
        "start_locale": "en-US",
        "accounts": "客户",
        "new": "新建客户",
        "save": "保存",
        "saved": "已保存“无锡华光电缆”。",
        "details": "详细信息",
        "history": "变更历史",
        "timeline": "动态",
        "add": "添加跟进记录",
        "created": "新建",
    },
}


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_manager_switches_language_in_the_user_menu_and_works_in_it(open_ui, org, language):
    # given a manager whose browser asks for the other language
    labels = LABELS[language]
    ui = open_ui(locale=labels["start_locale"])
    ui.login("manager_js")
    expect(ui.page.locator("html")).not_to_have_attribute("lang", language)
    # when they choose the language in the user menu
    ui.page.click("#user-menu")
    ui.page.click(f'button[data-lang="{language}"]')
    # then the whole UI speaks it: navigation, list, form, 360 page, timeline and history
    expect(ui.page.locator("html")).to_have_attribute("lang", language)
    ui.page.locator("#main-nav").get_by_role("link", name=labels["accounts"]).click()
    expect(ui.page.locator("main h1")).to_have_text(labels["accounts"])
    expect(ui.page.locator("#new-object")).to_have_text(labels["new"])
    ui.shot("list")
    ui.page.click("#new-object")
    expect(ui.page.locator("main h1")).to_have_text(labels["new"])
    expect(ui.page.locator("#save-object")).to_have_text(labels["save"])
    ui.page.fill("#id_name", "无锡华光电缆")
    ui.shot("form")
    ui.page.click("#save-object")
    expect(ui.page.locator("#messages")).to_contain_text(labels["saved"])
    expect(ui.page.get_by_role("tab", name=labels["details"])).to_be_visible()
    timeline = ui.page.locator("#timeline")
    expect(timeline.locator(".card-header")).to_have_text(labels["timeline"])
    expect(timeline.locator("#add-activity")).to_have_text(labels["add"])
    timeline.locator("[name=subject]").fill("First call / 首次电话")
    timeline.locator("#add-activity").click()
    expect(timeline.locator(".activity-item", has_text="First call / 首次电话")).to_be_visible()
    ui.page.get_by_role("tab", name=labels["history"]).click()
    expect(ui.page.locator("#tab-history .history .badge").first).to_have_text(labels["created"])
    expect(ui.page.locator("#tab-history")).to_have_css("opacity", "1")  # the tab has faded in
    ui.shot("detail", full_page=True)
