"""Settings › Pools: a pool's own administrator opens it from the user menu and adds a member,
on a phone and on a desktop."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lianke.pools.models import Pool

from .conftest import PHONE


@pytest.mark.browser
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_a_pools_administrator_adds_a_member_from_the_user_menu(open_ui, org, viewport):
    pool = Pool.objects.create(name="江苏线索公海", object_type="marketing.lead")
    pool.admins.add(org.manager_js)
    phone = viewport == "phone"
    ui = open_ui(viewport=PHONE, is_mobile=True, has_touch=True, label="phone") if phone else open_ui()
    ui.login("manager_js")
    ui.go("/")
    ui.user_menu("#nav-pools")
    expect(ui.page).to_have_url(re.compile(r"/settings/pools/$"))
    ui.assert_fits_screen()
    ui.page.locator(f'[data-pool="{pool.pk}"]').click()
    expect(ui.page.locator("#pool-form")).to_be_visible()
    ui.assert_fits_screen()
    ui.page.get_by_label("孙丽", exact=False).first.check()
    ui.shot("form")
    ui.page.locator("#save-pool").click()
    expect(ui.page).to_have_url(re.compile(r"/settings/pools/$"))
    expect(ui.page.locator(f'[data-pool="{pool.pk}"]')).to_contain_text("1")
    assert list(Pool.objects.get(pk=pool.pk).members.values_list("username", flat=True)) == ["rep_js2"]
