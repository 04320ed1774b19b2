"""*Settings › Stage sets* in a browser, on a 375 px phone and on a desktop: an administrator
opens the set from the settings home, puts a stage first (the up button on a phone, dragging on a
desktop), adds one, saves, and the opportunity's stage path shows the new order."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lianke.core.objecttypes.registry import registry
from lianke.customers.models import Account
from lianke.sales.models import Opportunity

from .conftest import PHONE


@pytest.mark.browser
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_an_administrator_reorders_a_stage_set_and_the_path_follows(open_ui, org, stages, viewport):
    phone = viewport == "phone"
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    opp = Opportunity.objects.create(
        name="二期项目", account=account, owner=org.rep_js, stage_set=stages["set"], stage=stages["first"]
    )
    ui = open_ui(viewport=PHONE, is_mobile=True, has_touch=True, label="phone") if phone else open_ui()
    ui.login("admin")
    ui.go("/settings/")
    ui.page.locator('[data-settings-page="stage_sets"]').click()
    expect(ui.page).to_have_url(re.compile(r"/settings/stage-sets/$"))
    expect(ui.page.locator('[data-stage-set="直销项目"] [data-default]')).to_be_visible()
    ui.assert_fits_screen()
    ui.page.locator('[data-stage-set="直销项目"]').click()
    rows = ui.page.locator("#stage-list [data-stage-row]")
    expect(rows).to_have_count(4)
    ui.assert_fits_screen()
    quote = ui.page.locator('[data-stage="方案报价"]')
    if phone:
        quote.locator("[data-stage-up]").click()
    else:
        quote.locator(".drag-handle").drag_to(
            ui.page.locator('[data-stage="初步接洽"]'), target_position={"x": 20, "y": 2}
        )
    expect(rows.first).to_have_attribute("data-stage", "方案报价")
    ui.page.locator("#add-stage").click()
    added = rows.nth(2)
    added.locator("[name=stage-name]").fill("商务谈判")
    added.locator("[name=stage-probability]").fill("70")
    ui.shot("edited")
    ui.page.locator("#save-stage-set").click()
    expect(ui.page.locator("#messages .alert-success")).to_be_visible()
    expect(rows.first).to_have_attribute("data-stage", "方案报价")
    ui.assert_fits_screen()
    # the opportunity's path shows the stages in the new order
    ui.go(registry.get("sales.opportunity").record_url(opp.pk))
    labels = ui.page.locator("#stage-path .stage-step-label")
    expect(labels).to_have_text(["方案报价", "初步接洽", "商务谈判", "赢单", "输单"])
    ui.shot("path")
