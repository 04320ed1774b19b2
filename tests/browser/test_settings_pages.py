"""The settings and profile pages not walked elsewhere, on a 375 px phone and a desktop: the
users list (search, then a user's form saved), a new department, a new custom field, one's own
notification settings and a role's defaults. Each page fits the screen and its save lands."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lianke.core.models import CustomField
from lianke.notifications.models import Preference
from lianke.org.models import Department, User

from .conftest import PHONE


def _ui(open_ui, viewport, label):
    if viewport == "phone":
        return open_ui(viewport=PHONE, is_mobile=True, has_touch=True, label=f"{label}-phone")
    return open_ui(label=label)


@pytest.mark.browser
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_an_administrator_finds_a_user_and_adds_a_department_and_a_field(open_ui, org, viewport):
    admin = _ui(open_ui, viewport, "admin")
    admin.login("admin")
    admin.go("/settings/users/")
    admin.page.locator("#user-filter input[name=q]").fill(org.rep_zj.username)
    admin.page.locator("#user-filter input[name=q]").press("Enter")
    rows = admin.page.locator("[data-user]")
    expect(rows).to_have_count(1)
    admin.assert_fits_screen()
    rows.first.locator("a.fw-semibold").click()
    admin.page.locator("#id_title").fill("区域经理")
    admin.assert_fits_screen()
    admin.page.locator("#save-user").click()
    expect(admin.page.locator("#messages .alert-success")).to_be_visible()
    assert User.objects.get(pk=org.rep_zj.pk).title == "区域经理"

    admin.go("/settings/departments/new/")
    admin.page.locator("#id_name").fill("华南大区")
    admin.assert_fits_screen()
    admin.page.locator("#save-department").click()
    expect(admin.page.locator("#messages .alert-success")).to_be_visible()
    assert Department.objects.filter(name="华南大区").exists()

    admin.go("/settings/fields/customers.account/new/")
    admin.page.locator("#id_name").fill("grade")
    admin.page.locator("#id_label").fill("客户分级")
    admin.assert_fits_screen()
    admin.shot("new-field")
    admin.page.locator("#save-field").click()
    expect(admin.page.locator("#messages .alert-success")).to_be_visible()
    assert CustomField.objects.filter(object_type="customers.account", name="grade").exists()


@pytest.mark.browser
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_a_rep_sets_his_notifications_and_an_administrator_a_roles_defaults(open_ui, org, viewport):
    rep = _ui(open_ui, viewport, "rep")
    rep.login("rep_js")
    rep.go("/profile/notifications/")
    boxes = rep.page.locator("#preference-grid input[type=checkbox]")
    expect(boxes.first).to_be_visible()
    rep.assert_fits_screen()
    first = boxes.first
    was = first.is_checked()
    first.set_checked(not was)
    rep.page.locator("#save-preferences").click()
    expect(rep.page.locator("#messages .alert-success")).to_be_visible()
    expect(rep.page.locator("#preference-grid input[type=checkbox]").first).to_be_checked(checked=not was)
    assert Preference.objects.filter(user=org.rep_js).exists()

    admin = _ui(open_ui, viewport, "admin")
    admin.login("admin")
    admin.go("/settings/notifications/")
    expect(admin.page.locator("#role-defaults")).to_be_visible()
    admin.assert_fits_screen()
    admin.page.locator("#save-defaults").click()
    expect(admin.page.locator("#messages .alert-success")).to_be_visible()
