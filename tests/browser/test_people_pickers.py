"""People pickers in the browser, on a phone (375 px, touch) and a desktop: a rep's owner is
fixed, a manager finds an owner by typing and sees the choices grouped by department path, an
owner forced outside the scope is refused inline before saving, a collaborator from another
company is added through the picker."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lianke.customers.models import Account
from lianke.org.models import Collaborator

from .conftest import DESKTOP, PHONE

NEW_ACCOUNT = "/customers/account/new/"
DEVICES = {
    "phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": DESKTOP},
}


def height(locator) -> float:
    return locator.bounding_box()["height"]


@pytest.mark.browser
def test_a_rep_on_a_phone_sees_himself_as_the_fixed_owner_of_a_new_account(open_ui, org):
    # given a rep (own records) on a phone
    ui = open_ui(**DEVICES["phone"])
    ui.login("rep_js")
    # when he opens the new-account form
    ui.go(NEW_ACCOUNT)
    # then the owner is himself, shown as text: there is no picker to open
    owner = ui.page.locator("[data-people-fixed]")
    expect(owner).to_have_text(re.compile(r"张伟 \(rep_js\)"))
    expect(ui.page.locator("select[name=owner]")).to_have_count(0)
    assert ui.page.locator("input[name=owner]").get_attribute("value") == str(org.rep_js.pk)
    ui.assert_fits_screen()
    ui.shot("fixed-owner", full_page=True)


@pytest.mark.browser
@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_manager_types_part_of_a_name_picks_a_grouped_owner_and_saves(open_ui, org, device):
    # given the Jiangsu manager on the new-account form
    ui = open_ui(**DEVICES[device], label=device)
    ui.login("manager_js")
    ui.go(NEW_ACCOUNT)
    ui.page.fill("#id_name", "徐州重型机械有限公司")
    ui.page.select_option("#id_account_type", index=1)
    picker = ui.page.locator("#object-form [data-people]").filter(has=ui.page.locator("select[name=owner]"))
    search, select = picker.locator("[data-people-search]"), picker.locator("select[name=owner]")
    if device == "phone":  # the search box and the select are comfortable tap targets
        assert height(search) >= 44 and height(select) >= 44
    # when they type part of a colleague's name
    with ui.page.expect_request(re.compile(r"/people/")) as asked:
        search.fill("孙")
    # (the search sends what is typed and chosen, never the rest of the form nor its CSRF token)
    assert re.search(r"\?required=1&q=[^&]+&selected=\d+$", asked.value.url), asked.value.url
    # then the select offers the match under its department path, next to the current choice
    expect(select.locator("option")).to_have_count(2)
    labels = select.locator("optgroup").evaluate_all("groups => groups.map(g => g.label)")
    assert labels == ["江苏公司", "江苏公司 / 江苏销售一部"]
    expect(select.locator("optgroup[label='江苏公司 / 江苏销售一部'] option")).to_have_text(
        ["孙丽 (rep_js2)"]
    )
    ui.assert_fits_screen()
    ui.shot("searched", full_page=True)
    # when they pick it and save
    select.select_option(label="孙丽 (rep_js2)")
    ui.settle()
    expect(ui.page.locator("#err-owner")).to_be_empty()
    ui.page.click("#save-object")
    # then the account is saved for 孙丽
    expect(ui.page).to_have_url(re.compile(r"/customers/account/\d+/$"))
    expect(ui.page.locator('dd[data-field="负责人"]')).to_have_text("孙丽")
    assert Account.objects.get(name="徐州重型机械有限公司").owner == org.rep_js2


@pytest.mark.browser
def test_an_owner_forced_outside_the_scope_is_refused_inline_before_saving(ui, org):
    # given the Jiangsu manager on the new-account form
    ui.login("manager_js")
    ui.go(NEW_ACCOUNT)
    ui.page.fill("#id_name", "杭州越界有限公司")
    ui.page.select_option("#id_account_type", index=1)
    # when a script slips a Zhejiang rep into the owner select and chooses her
    ui.page.evaluate(
        """(pk) => {
            const select = document.querySelector("select[name=owner]");
            select.add(new Option("李娜", pk, true, true));
            select.dispatchEvent(new Event("change", {bubbles: true}));
        }""",
        str(org.rep_zj.pk),
    )
    # then the field says so at once, before anything is saved
    refusal = "负责人：李娜 (rep_zj) 不在您的数据范围内，请选择数据范围内的人员。"
    expect(ui.page.locator("#err-owner")).to_have_text(refusal)
    ui.shot("refused-inline")
    # and saving anyway keeps the form with the same error and writes nothing
    ui.page.click("#save-object")
    expect(ui.page.locator("#object-form .alert-danger")).to_be_visible()
    expect(ui.page.locator("#err-owner")).to_have_text(refusal)
    assert not Account.objects.filter(name="杭州越界有限公司").exists()


@pytest.mark.browser
def test_a_rep_on_a_phone_adds_a_collaborator_from_another_company_through_the_picker(open_ui, org):
    # given a rep's account, open on a phone
    account = Account.objects.create(name="苏州精工机械有限公司", owner=org.rep_js)
    ui = open_ui(**DEVICES["phone"])
    ui.login("rep_js")
    ui.go(f"/customers/account/{account.pk}/")
    card = ui.page.locator("#collaborators")
    card.scroll_into_view_if_needed()
    search, select = card.locator("[data-people-search]"), card.locator("select[name=user]")
    assert height(search) >= 44 and height(select) >= 44 and height(card.locator("select[name=access]")) >= 44
    # when he looks for a pre-sales engineer of the Zhejiang company by name
    search.fill("李")
    expect(select.locator("option:not([value=''])")).to_have_text(["李娜 (rep_zj)"])
    expect(select.locator("optgroup")).to_have_attribute("label", "浙江公司 / 浙江销售一部")
    ui.assert_fits_screen()
    ui.shot("collaborator-search")
    # and picks her with read access and adds her
    select.select_option(label="李娜 (rep_zj)")
    card.get_by_role("button", name="添加协同负责人").click()
    # then she is listed on the card and shares the record
    expect(ui.page.locator("#collaborators .list-group-item", has_text="李娜")).to_be_visible()
    ui.assert_fits_screen()
    shared = Collaborator.objects.get(object_id=account.pk)
    assert (shared.user, shared.access) == (org.rep_zj, "read")


@pytest.mark.browser
def test_a_manager_finds_an_owner_in_the_list_filter_by_typing_and_filters_by_them(ui, org):
    # given accounts of two Jiangsu reps
    Account.objects.create(name="常州电子", owner=org.rep_js)
    Account.objects.create(name="无锡机械", owner=org.rep_js2)
    ui.login("manager_js")
    ui.go("/customers/account/")
    owner_filter = ui.page.locator("#filter-form [data-people]")
    # when they type part of a name in the owner filter
    owner_filter.locator("[data-people-search]").fill("孙")
    # then one checkbox is left, under its department path, and the page stays where it is
    expect(owner_filter.locator("input[type=checkbox]")).to_have_count(1)
    expect(owner_filter.locator(".people-group")).to_have_text(["江苏公司 / 江苏销售一部"])
    expect(ui.page).to_have_url(ui.url("/customers/account/"))
    ui.shot("owner-filter-search")
    # when they tick it
    owner_filter.get_by_label("孙丽 (rep_js2)").check()
    # then the list shows her account only
    expect(ui.page).to_have_url(re.compile(rf"owner={org.rep_js2.pk}"))
    expect(ui.page.locator("#object-list tbody tr")).to_have_count(1)
    expect(ui.page.locator("#object-list tbody")).to_contain_text("无锡机械")
