"""*Settings › Lead statuses* in a browser, on a 375 px phone and on a desktop: an administrator
renames a status and moves it up, and the lead's page shows the new name in the new place."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lianke.core.objecttypes.registry import registry
from lianke.marketing.models import Lead

from .conftest import PHONE


@pytest.mark.browser
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_an_administrator_renames_a_status_and_the_lead_shows_it(open_ui, org, viewport):
    phone = viewport == "phone"
    lead = Lead.objects.create(name="陈静", company="无锡重工", owner=org.rep_js, status="contacted")
    ui = open_ui(viewport=PHONE, is_mobile=True, has_touch=True, label="phone") if phone else open_ui()
    ui.login("admin")
    ui.go("/settings/")
    ui.page.locator('[data-settings-page="lead_statuses"]').click()
    expect(ui.page).to_have_url(re.compile(r"/settings/lead-statuses/$"))
    expect(ui.page.locator("#status-list [data-status]")).to_have_count(5)
    ui.assert_fits_screen()
    ui.page.locator('[data-up="qualified"]').click()
    expect(ui.page.locator("#status-list [data-status]").nth(1)).to_have_attribute("data-status", "qualified")
    ui.page.locator('[data-status="contacted"] [data-status-name]').click()
    ui.page.locator("#id_name").fill("跟进中")
    ui.assert_fits_screen()
    ui.shot("status")
    ui.page.locator("#save-status").click()
    expect(ui.page.locator("#messages .alert-success")).to_be_visible()
    expect(ui.page.locator('[data-status="contacted"] [data-status-name]')).to_have_text("跟进中")
    # the lead's page shows the new name, after "qualified" now
    ui.go(registry.get("marketing.lead").record_url(lead.pk))
    labels = ui.page.locator("#stage-path .stage-step-label")
    expect(labels).to_have_text(["新建", "有效", "跟进中", "已转换", "无效"])
    ui.shot("lead")
