"""Phone numbers usable on a phone: found however they are typed, one tap to call or write, and
the dial pad when one is entered."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lianke.customers.models import Account, Contact

from .conftest import PHONE


@pytest.fixture
def zhang(org):
    """A contact of the Jiangsu rep whose numbers are stored formatted, and another contact."""
    account = Account.objects.create(name="苏州精工机械", owner=org.rep_js, phone="0512-6688 1234")
    Contact.objects.create(name="陈晨", owner=org.rep_js, mobile="138 0000 1111")
    return Contact.objects.create(
        name="张伟",
        owner=org.rep_js,
        account=account,
        mobile="139 1234 5678",
        phone="0512-6688 1234 转 801",
        email="zhang.wei@jg.example.cn",
    )


@pytest.mark.browser
@pytest.mark.both_databases
def test_on_a_phone_a_rep_finds_a_contact_by_the_number_as_dialled_and_taps_to_call(open_ui, zhang):
    # given a rep on a phone, on the contact list
    ui = open_ui(viewport=PHONE, is_mobile=True, has_touch=True)
    ui.login("rep_js")
    ui.go("/customers/contact/")
    # when they search the list with the landline typed as dialled, without any spacing
    ui.page.locator("[data-bs-target='#filters']:visible").first.click()
    ui.page.locator("#filter-form [name=search]").fill("051266881234")
    ui.page.click("#apply-filters")
    # then only that contact is listed, with a link that dials its mobile
    results = ui.page.locator("#object-list")
    expect(results.locator("a:visible", has_text="张伟")).to_have_count(1)
    expect(results.locator("a:visible", has_text="陈晨")).to_have_count(0)
    expect(results.locator('a[href="tel:13912345678"]:visible').first).to_be_visible()
    expect(ui.page.locator(".showing, .hiding, .collapsing")).to_have_count(0)  # panels at rest
    ui.assert_fits_screen()
    ui.shot("found")
    # when they open the contact
    results.locator("a:visible", has_text="张伟").click()
    expect(ui.page.locator("#object-title")).to_contain_text("张伟")
    # then the mobile and the landline dial (the extension after a pause) and the address writes
    details = ui.page.locator("#tab-details")
    expect(details.locator('a[href="tel:13912345678"]')).to_have_text("139 1234 5678")
    expect(details.locator('a[href="tel:051266881234,801"]')).to_have_text("0512-6688 1234 转 801")
    expect(details.locator('a[href="mailto:zhang.wei@jg.example.cn"]')).to_be_visible()
    ui.assert_fits_screen()
    ui.shot("record")
    # and the edit form asks for numbers with the dial pad and for the address with the e-mail keyboard
    ui.page.click("#edit-object")
    for name in ("mobile", "phone"):
        expect(ui.page.locator(f"#id_{name}")).to_have_attribute("type", "tel")
        expect(ui.page.locator(f"#id_{name}")).to_have_attribute("inputmode", "tel")
    expect(ui.page.locator("#id_email")).to_have_attribute("type", "email")
    expect(ui.page.locator("#id_email")).to_have_attribute("inputmode", "email")
    ui.assert_fits_screen()
    ui.shot("form")


@pytest.mark.browser
def test_on_a_desktop_global_search_finds_a_number_typed_internationally_and_every_view_links_it(ui, zhang):
    # given the rep at a desktop, on the search page
    ui.login("rep_js")
    ui.go("/search/")
    # when they type the mobile in its international form
    ui.page.locator("#q").fill("+86 139 1234 5678")
    # then the contact is found with its mobile and e-mail one click from a call or a mail
    result = ui.page.locator("#search-results li", has_text="张伟")
    expect(result.locator('a[href="tel:13912345678"]')).to_have_text("139 1234 5678")
    expect(result.locator('a[href="mailto:zhang.wei@jg.example.cn"]')).to_be_visible()
    ui.shot("search")
    # when they open it and go to its account
    result.get_by_role("link", name="张伟").click()
    ui.page.locator("#tab-details").get_by_role("link", name="苏州精工机械").click()
    expect(ui.page.locator("#object-title")).to_contain_text("苏州精工机械")
    # then the account's phone dials, and so does the contact's mobile in its related list
    expect(ui.page.locator('#tab-details a[href="tel:051266881234"]')).to_have_text("0512-6688 1234")
    ui.page.click("#related-tab")
    contacts = ui.page.locator("#tab-related table", has_text="张伟")
    expect(contacts.locator('a[href="tel:13912345678"]')).to_be_visible()
    expect(contacts.locator('a[href="mailto:zhang.wei@jg.example.cn"]')).to_be_visible()
    ui.assert_fits_screen()
    ui.shot("account")
    expect(ui.page).to_have_url(re.compile(r"/customers/account/\d+/$"))
