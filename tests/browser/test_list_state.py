"""A list's state is its URL, at 1280 px and at 375 px: filter → export gives a file with exactly
the rows counted; filter → save → reopen gives the same rows; a reload keeps filters, sort and
page size; "back to the list" returns to it; "select all N matching" acts on the filter."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from playwright.sync_api import expect

from lianke.customers.models import Account

from .conftest import DESKTOP, PHONE

LIST = "/customers/account/"
VIEWPORTS = {
    "desktop": {"viewport": DESKTOP},
    "phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True},
}


@pytest.fixture
def jiangsu(org):
    """Accounts of the Jiangsu company's people (the manager's scope) and one of Zhejiang."""
    rows = []
    for i in range(14):
        owner = [org.rep_js, org.rep_js2, org.lead_js][i % 3]
        level = "key" if i % 3 == 0 else "b"
        rows.append(Account(name=f"江苏客户{i:02d}", owner=owner, level=level, phone=f"0512-6688{i:04d}"))
    rows.append(Account(name="浙江客户", owner=org.rep_zj, level="key"))
    for row in rows:
        row.save()
    return rows


def shown_count(ui) -> int:
    return int(re.search(r"\d+", ui.page.locator("#result-count").inner_text()).group())


def names_on_page(ui, phone: bool) -> list[str]:
    if phone:
        return ui.page.locator("#object-list .object-card .card-title").all_inner_texts()
    return ui.page.locator("#object-list tbody tr td:nth-child(2)").all_inner_texts()


def tick_level_key(ui, phone: bool) -> None:
    """Tick "重点客户" under "客户级别" — in the sidebar, or in the phone's filter sheet."""
    if phone:
        ui.page.click("#open-filters")
        expect(ui.page.locator("#filters")).to_be_visible()
    level = ui.page.locator("#filter-form fieldset", has_text="客户级别")
    with ui.page.expect_response(lambda r: "level=key" in r.url):
        level.get_by_label("重点客户").check()
    if phone:
        # the sheet's button already says how many results the filter gives
        expect(ui.page.locator("#apply-filters")).to_contain_text(re.compile(r"\b5\b"))
        ui.page.click("#apply-filters")
        expect(ui.page.locator("#filters")).to_be_hidden()
    expect(ui.page).to_have_url(re.compile(r"level=key"))


def export(ui, phone: bool, which: str = "export-xlsx") -> list[list]:
    ui.page.click("#export-menu")
    with ui.page.expect_download() as info:
        ui.page.click(f"#{which}")
    book = openpyxl.load_workbook(io.BytesIO(open(info.value.path(), "rb").read()))  # noqa: SIM115
    return [[c.value for c in row] for row in book.active.iter_rows()]


@pytest.mark.browser
@pytest.mark.both_databases
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_filter_then_export_gives_a_file_with_exactly_the_rows_counted(open_ui, org, jiangsu, device):
    # given the Jiangsu manager on the account list (15 accounts, 14 in her scope)
    phone = device == "phone"
    ui = open_ui(**VIEWPORTS[device], label=device)
    ui.login("manager_js")
    ui.go(LIST)
    expect(ui.page.locator("#result-count")).to_contain_text("14")
    # when she ticks a value of a select filter in the page (htmx, no reload) and exports
    tick_level_key(ui, phone)
    expect(ui.page.locator("#result-count")).to_contain_text("5")
    ui.shot("filtered")
    rows = export(ui, phone)
    # then the file has a header and exactly the 5 rows counted, all key accounts of her scope
    assert len(rows) - 1 == shown_count(ui) == 5
    assert sorted(r[0] for r in rows[1:]) == sorted(a.name for a in jiangsu[:-1] if a.level == "key")
    # and "all fields" brings every column, phone and owner included, for the same rows
    everything = export(ui, phone, "export-all-xlsx")
    assert len(everything) - 1 == 5
    assert {"电话", "负责人", "部门"} <= set(everything[0])


@pytest.mark.browser
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_filter_save_and_reopen_a_view_gives_the_same_rows(open_ui, org, jiangsu, device):
    # given the manager's list filtered in the page and sorted by name, descending
    phone = device == "phone"
    ui = open_ui(**VIEWPORTS[device], label=device)
    ui.login("manager_js")
    ui.go(LIST)
    tick_level_key(ui, phone)
    if phone:
        with ui.page.expect_response(lambda r: "sort=-name" in r.url):
            ui.page.select_option("#sort-select", "-name")
    else:
        ui.page.click('#object-list th a[data-sort="name"]')
        expect(ui.page).to_have_url(re.compile(r"sort=name"))
        ui.page.click('#object-list th a[data-sort="name"]')
    expect(ui.page).to_have_url(re.compile(r"sort=-name"))
    before = names_on_page(ui, phone)
    assert before == sorted(before, reverse=True) and len(before) == 5
    # when she saves the view and later opens the plain list again
    ui.page.click("#open-save-view")
    ui.page.fill("#save-view-name", "江苏重点客户")
    ui.shot("save-dialog")
    ui.page.click("#save-view-submit")
    expect(ui.page.locator("#messages")).to_contain_text("江苏重点客户")
    ui.page.click("#reset-filters") if not phone else ui.go(LIST)
    expect(ui.page.locator("#result-count")).to_contain_text("14")
    # and opens her saved view from the tabs
    ui.page.locator('[data-saved-view="江苏重点客户"]').click()
    # then the same rows come back in the same order, and the tab is the active one
    expect(ui.page.locator('[data-saved-view="江苏重点客户"]')).to_have_class(re.compile("active"))
    assert names_on_page(ui, phone) == before
    ui.shot("reopened")
    ui.assert_fits_screen()


@pytest.mark.browser
def test_a_reload_keeps_the_filters_sort_columns_and_page_size(ui, org, jiangsu):
    # given the manager filters, sorts, adds a column and picks a page size, all in the page
    ui.login("manager_js")
    ui.go(LIST)
    tick_level_key(ui, phone=False)
    ui.page.click('#object-list th a[data-sort="name"]')
    expect(ui.page).to_have_url(re.compile(r"sort=name"))
    ui.page.locator("#filter-form summary", has_text="显示列").click()
    with ui.page.expect_response(lambda r: "cols=phone" in r.url):
        ui.page.check("#col-phone")
    ui.page.locator("#filter-form summary", has_text="显示列").click()
    with ui.page.expect_response(lambda r: "per_page=25" in r.url):
        ui.page.select_option("#per-page", "25")
    # htmx pushes the address after it has swapped the response in: reload the new address
    expect(ui.page).to_have_url(re.compile(r"per_page=25"))
    names = names_on_page(ui, phone=False)
    # when she reloads the page
    ui.page.reload()
    # then everything is as she left it
    expect(ui.page.locator("#result-count")).to_contain_text("5")
    assert ui.page.locator("#filter-form fieldset", has_text="客户级别").get_by_label("重点客户").is_checked()
    expect(ui.page.locator('#object-list th a[data-sort="name"] .bi-caret-up-fill')).to_be_visible()
    expect(ui.page.locator("#object-list thead")).to_contain_text("电话")
    expect(ui.page.locator("#per-page")).to_have_value("25")
    assert names_on_page(ui, phone=False) == names
    # and a filter changed after a sort keeps the sort
    with ui.page.expect_response(lambda r: "level=b" in r.url):
        ui.page.locator("#filter-form fieldset", has_text="客户级别").get_by_label("B 类客户").check()
    expect(ui.page).to_have_url(re.compile(r"sort=name"))
    expect(ui.page).to_have_url(re.compile(r"per_page=25"))


@pytest.mark.browser
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_back_to_the_list_from_a_record_returns_to_the_filtered_list(open_ui, org, jiangsu, device):
    phone = device == "phone"
    ui = open_ui(**VIEWPORTS[device], label=device)
    ui.login("manager_js")
    ui.go(LIST)
    tick_level_key(ui, phone)
    first = names_on_page(ui, phone)[0]
    # when she opens a record and goes back through the breadcrumb
    ui.page.locator("#object-list").get_by_role("link", name=first).first.click()
    expect(ui.page.locator("#object-title")).to_contain_text(first)
    ui.page.click("#back-to-list")
    # then the list is filtered as she left it
    expect(ui.page).to_have_url(re.compile(r"level=key"))
    expect(ui.page.locator("#result-count")).to_contain_text("5")


@pytest.mark.browser
def test_select_all_matching_edits_every_record_of_the_filter_beyond_the_page(ui, org, jiangsu):
    # given 30 more key accounts in the manager's scope: 35 match, 25 fit on a page
    for i in range(30):
        Account.objects.create(name=f"苏南客户{i:02d}", owner=org.rep_js2, level="key")
    ui.login("manager_js")
    ui.go(f"{LIST}?per_page=25")
    tick_level_key_expecting(ui, 35)
    # when she ticks the page, then "select all 35 matching", and sets the city of all
    ui.page.check("#object-list .select-all")
    matching = ui.page.locator("#select-matching")
    expect(matching).to_be_visible()
    expect(matching).to_contain_text("25")
    ui.page.click("#select-all-matching")
    expect(matching.locator(".all-selected")).to_contain_text("35")
    ui.shot("all-matching")
    ui.page.select_option("#bulk-action", "edit")
    ui.page.select_option(".bulk-edit select[name=field]", "city")
    ui.page.fill(".bulk-edit input[name=value]", "苏州市")
    ui.page.once("dialog", lambda dialog: dialog.accept())
    ui.page.click("#bulk-apply")
    # then all 35 key accounts of her scope changed — not the other company's — and she is back
    # on her filtered list
    expect(ui.page.locator("#messages .alert-success")).to_contain_text("35")
    expect(ui.page).to_have_url(re.compile(r"level=key"))
    assert Account.objects.filter(city="苏州市").count() == 35
    assert not Account.objects.filter(name="浙江客户", city="苏州市").exists()


def tick_level_key_expecting(ui, count: int) -> None:
    level = ui.page.locator("#filter-form fieldset", has_text="客户级别")
    with ui.page.expect_response(lambda r: "level=key" in r.url):
        level.get_by_label("重点客户").check()
    expect(ui.page.locator("#result-count")).to_contain_text(str(count))
