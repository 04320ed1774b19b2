"""The settings console in a browser, on a 375 px phone and on a desktop: an administrator opens
it from the user menu, changes a scope in the role grid and finds it after a reload, puts custom
fields in order (dragging on a desktop, the up/down buttons on a phone) and moves a department
(dragging it onto another on a desktop, "Move to…" on a phone)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lianke.core.models import CustomField
from lianke.org.models import Department, RolePermission

from .conftest import PHONE


def open_as_admin(open_ui, viewport):
    phone = viewport == "phone"
    ui = open_ui(viewport=PHONE, is_mobile=True, has_touch=True, label="phone") if phone else open_ui()
    ui.login("admin")
    return ui, phone


@pytest.mark.browser
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_an_administrator_changes_a_scope_in_the_role_grid(open_ui, org, viewport):
    ui, _phone = open_as_admin(open_ui, viewport)
    role = org.roles["sales_rep"]
    ui.go("/")
    ui.user_menu("#nav-settings")
    expect(ui.page).to_have_url(re.compile(r"/settings/$"))
    ui.assert_fits_screen()
    ui.page.locator('[data-settings-page="roles"]').click()
    ui.page.locator(f'[data-role="{role.pk}"]').click()
    scope = ui.page.locator('[data-scope="customers.account"]')
    expect(scope).to_be_visible()
    ui.assert_fits_screen()
    scope.select_option("department_tree")
    ui.shot("grid")
    ui.page.locator("#save-role").click()
    expect(ui.page.locator("#messages .alert-success")).to_be_visible()
    ui.page.reload()
    expect(ui.page.locator('[data-scope="customers.account"]')).to_have_value("department_tree")
    assert RolePermission.objects.get(role=role, object_type="customers.account").scope == "department_tree"


@pytest.mark.browser
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_an_administrator_masks_the_reps_view_of_contacts_mobiles(open_ui, org, viewport):
    from lianke.org.models import FieldPermission

    ui, _phone = open_as_admin(open_ui, viewport)
    role = org.roles["sales_rep"]
    ui.go(f"/settings/roles/{role.pk}/")
    ui.page.locator('[data-field-rules="customers.contact"]').click()
    mode = ui.page.locator("#mode-mobile")
    expect(mode).to_be_visible()
    ui.assert_fits_screen()
    mode.select_option("masked")
    # a required field offers no narrower mode than editable
    expect(ui.page.locator('#mode-name option[value="hidden"]')).to_have_count(0)
    ui.shot("field-access")
    ui.page.locator("#save-field-rules").click()
    expect(ui.page.locator("#messages .alert-success")).to_be_visible()
    expect(ui.page.locator("#mode-mobile")).to_have_value("masked")
    assert (
        FieldPermission.objects.get(role=role, object_type="customers.contact", field="mobile").mode
        == "masked"
    )
    ui.page.locator("#crumb-settings").locator("xpath=../following-sibling::li[1]/a").click()
    expect(ui.page.locator('[data-field-rules="customers.contact"]')).to_contain_text("(1)")


@pytest.mark.browser
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_an_administrator_puts_custom_fields_in_order(open_ui, org, viewport):
    for order, name in enumerate(["grade", "region_code", "size"], start=1):
        CustomField.objects.create(
            object_type="customers.account", name=name, label=name, type="text", order=order * 10
        )
    ui, phone = open_as_admin(open_ui, viewport)
    ui.go("/settings/fields/customers.account/")
    expect(ui.page.locator("#field-list")).to_be_visible()
    ui.assert_fits_screen()
    if phone:
        ui.page.locator('[data-up="size"]').click()
        expect(ui.page.locator('[data-up="size"]')).to_be_visible()
        ui.page.locator('[data-up="size"]').click()
        expect(ui.page.locator("#field-list [data-field]").first).to_have_attribute("data-field", "size")
    else:
        ui.page.locator('[data-field="size"]').drag_to(
            ui.page.locator('[data-field="grade"]'), target_position={"x": 20, "y": 2}
        )
        expect(ui.page.locator("#field-list")).to_have_attribute("data-saved", re.compile(r"\d+"))
    ui.shot("ordered")
    order = list(CustomField.objects.filter(object_type="customers.account").values_list("name", flat=True))
    assert order == ["size", "grade", "region_code"]
    # the record form follows, after a reload of the settings page too
    ui.page.reload()
    expect(ui.page.locator("#field-list [data-field]").first).to_have_attribute("data-field", "size")


@pytest.mark.browser
@pytest.mark.both_databases  # the tree is locked and checked for loops by the database
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_an_administrator_moves_a_department(open_ui, org, viewport):
    ui, phone = open_as_admin(open_ui, viewport)
    ui.go("/settings/departments/")
    expect(ui.page.locator("#department-tree")).to_be_visible()
    ui.assert_fits_screen()
    if phone:
        ui.page.locator(f'[data-department-menu="{org.js_team.pk}"]').click()
        ui.page.locator(f'[data-move="{org.js_team.pk}"]').click()
        ui.assert_fits_screen()
        ui.page.locator("#id_parent").select_option(str(org.zj.pk))
        ui.page.locator("#save-move").click()
    else:
        row = ui.page.locator(f'[data-department="{org.js_team.pk}"]')
        row.drag_to(ui.page.locator(f'[data-department="{org.zj.pk}"]'))
    expect(
        ui.page.locator(f'[data-children-of="{org.zj.pk}"] [data-department="{org.js_team.pk}"]')
    ).to_be_visible()
    ui.shot("moved")
    assert Department.objects.get(pk=org.js_team.pk).parent_id == org.zj.pk


@pytest.mark.browser
@pytest.mark.both_databases
def test_dragging_a_department_onto_its_own_child_is_refused_on_the_page(open_ui, org):
    ui, _phone = open_as_admin(open_ui, "desktop")
    ui.errors.allow(r"status of 400 \(Bad Request\).*/settings/departments/\d+/move/")  # the refusal
    ui.go("/settings/departments/")
    ui.page.locator(f'[data-department="{org.js.pk}"]').drag_to(
        ui.page.locator(f'[data-department="{org.js_team.pk}"]')
    )
    expect(ui.page.locator('#messages [data-error-code="parent_loop"]')).to_be_visible()
    assert Department.objects.get(pk=org.js.pk).parent_id == org.group.pk
