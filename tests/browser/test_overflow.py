"""No page scrolls sideways on a phone: one record of every type filled with the longest values
(a 60-character e-mail, a 100-character company name, long unbroken custom-field text) — its
list, record page, form, the home page and the other pages — at 375 px, in Chinese and English.
Every visible element and every line of text must end within the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lianke.core.objecttypes.registry import registry

from .conftest import PHONE
from .long_values import seed_long_records


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_no_page_is_wider_than_a_phone_with_the_longest_values(open_ui, org, locale):
    records = seed_long_records(org.rep_js)
    ui = open_ui(viewport=PHONE, is_mobile=True, has_touch=True, locale=locale, label=locale)
    ui.login("rep_js")
    ui.assert_fits_screen()
    pages = []
    for key, record in records.items():
        ot = registry.get(key)
        pages += [
            ot.url("list"),
            ot.url("detail", pk=record.pk),
            ot.url("edit", pk=record.pk),
            ot.url("create"),
        ]
    pages += ["/search/?q=daming", "/customers/account/recycle-bin/"]
    for path in pages:
        ui.go(path)
        expect(ui.page.locator("main")).to_be_visible()
        ui.settle()
        ui.assert_fits_screen()
    # the record page's history tab and timeline too
    ui.go(registry.get("customers.contact").url("detail", pk=records["customers.contact"].pk))
    ui.page.click("#history-tab")
    expect(ui.page.locator("#tab-history .history")).to_be_visible()
    ui.assert_fits_screen()
    ui.shot("contact-history", full_page=True)
