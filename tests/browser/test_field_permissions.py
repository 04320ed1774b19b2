"""Field permissions as a manager meets them: a hidden mobile is nowhere on the list, the card,
the record or the form; a masked e-mail reads z***@… and is no link; a read-only credit code is
shown but cannot be typed into — on a phone and at a desk alike. An administrator sets them on
the role's page in Settings."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lianke.core.models import CustomField
from lianke.customers.models import Account, Contact
from lianke.org.choices import FieldMode
from lianke.org.models import FieldPermission

from .conftest import DESKTOP, PHONE

MOBILE = "13812345678"


@pytest.fixture
def restricted(org):
    CustomField.objects.create(object_type="customers.contact", name="id_card", label="身份证号", type="text")
    role = org.roles["sales_manager"]
    for object_type, field, mode in (
        ("customers.contact", "mobile", FieldMode.HIDDEN),
        ("customers.contact", "cf_id_card", FieldMode.HIDDEN),
        ("customers.contact", "email", FieldMode.MASKED),
        ("customers.account", "credit_code", FieldMode.READ_ONLY),
    ):
        FieldPermission.objects.create(role=role, object_type=object_type, field=field, mode=mode)
    account = Account.objects.create(name="苏州精工机械", owner=org.rep_js, credit_code="91320583MA1XY2345G")
    contact = Contact.objects.create(
        name="张三",
        account=account,
        owner=org.rep_js,
        mobile=MOBILE,
        email="zhangsan@example.com",
        custom_data={"id_card": "320503199001011234"},
    )
    return account, contact


@pytest.mark.browser
@pytest.mark.both_databases
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_manager_never_sees_the_hidden_mobile_and_reads_the_e_mail_masked(open_ui, restricted, viewport):
    account, contact = restricted
    phone = viewport is PHONE
    ui = open_ui(viewport=viewport, is_mobile=phone, has_touch=phone)
    ui.login("manager_js")
    # on the contact list (cards on a phone): the contact, its masked e-mail, no mobile, no call button
    ui.go("/customers/contact/?cols=name&cols=mobile&cols=email")
    results = ui.page.locator("#object-list")
    expect(results.locator("a:visible", has_text="张三").first).to_be_visible()
    expect(results).not_to_contain_text("1381234")
    expect(results.locator('a[href^="tel:"]')).to_have_count(0)
    if not phone:
        expect(results.locator("table")).to_contain_text("z***@example.com")
        expect(results.locator('a[href^="mailto:"]')).to_have_count(0)
    ui.assert_fits_screen()
    ui.shot("list")
    # on the record: the masked e-mail as text, neither the mobile nor the ID card
    ui.go(contact.get_absolute_url())
    details = ui.page.locator("#tab-details")
    expect(details).to_contain_text("z***@example.com")
    expect(details).not_to_contain_text("手机")
    expect(details).not_to_contain_text("身份证号")
    assert MOBILE not in ui.page.content() and "zhangsan@" not in ui.page.content()
    ui.assert_fits_screen()
    ui.shot("record")
    # in the form: no mobile field, the e-mail shown masked and disabled
    ui.page.click("#edit-object")
    expect(ui.page.locator("#id_email")).to_be_disabled()
    expect(ui.page.locator("#id_email")).to_have_value("z***@example.com")
    expect(ui.page.locator("#id_mobile")).to_have_count(0)
    ui.assert_fits_screen()
    ui.shot("form")
    # the account's credit code is shown, and its field cannot be typed into
    ui.go(f"{account.get_absolute_url()}edit/")
    expect(ui.page.locator("#id_credit_code")).to_be_disabled()
    expect(ui.page.locator("#id_credit_code")).to_have_value("91320583MA1XY2345G")


@pytest.mark.browser
def test_an_administrator_hides_a_field_for_a_role_in_settings(ui, org):
    ui.login("admin")
    role = org.roles["sales_rep"]
    ui.go(f"/admin/org/role/{role.pk}/change/")
    row = ui.page.locator("#field_permissions-group tr.form-row").first
    row.locator("select[name$='-object_type']").select_option("customers.contact")
    row.locator("select[name$='-field']").select_option("mobile")
    row.locator("select[name$='-mode']").select_option("hidden")
    ui.shot("settings")
    with ui.page.expect_navigation():
        ui.page.locator("input[name=_save]").click()
    assert not ui.page.locator(".errorlist").count(), ui.page.locator(".errorlist").all_inner_texts()
    expect(ui.page.locator(".messagelist")).to_be_visible()
    assert FieldPermission.objects.get(role=role).mode == "hidden"
