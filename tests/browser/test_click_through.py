"""Every page clicked through at least once: for each object type list → new → save → detail →
edit → delete → recycle bin → restore; global search; login and logout; inline validation; the
bulk action bar."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from django.utils import translation
from playwright.sync_api import expect

from lianke.core.objecttypes.registry import registry
from lianke.customers.models import Account

from .conftest import DESKTOP, PHONE


@dataclass
class Recipe:
    """How a user fills in a minimal valid record of one type, and renames it."""

    title_field: str
    title: str
    renamed: str
    selects: dict[str, str] = field(default_factory=dict)  # field id → option label
    lookups: dict[str, tuple[str, str]] = field(default_factory=dict)  # field name → (typed, option)


RECIPES = {
    "marketing.lead": Recipe("#id_name", "刘洋", "刘洋（已核实）"),
    "customers.account": Recipe("#id_name", "常州恒力机械", "常州恒力机械股份"),
    "customers.contact": Recipe("#id_name", "王磊", "王磊（采购）"),
    "sales.opportunity": Recipe(
        "#id_name",
        "三期自动化改造",
        "三期自动化改造（修订）",
        selects={"#id_stage_set": "直销项目", "#id_stage": "初步接洽"},
        lookups={"account": ("苏州", "苏州精工")},
    ),
    "activities.activity": Recipe("#id_subject", "季度回访", "季度回访（已约）"),
    "sales.competitor": Recipe("#id_name", "宝钢股份", "宝钢股份（上海）"),
}
# Child types are reached from their parent's page, not from the navigation: their own journey.
FROM_PARENT = {"sales.opportunitycompetitor": "test_a_competitor_is_added_to_an_opportunity_from_its_page"}


def test_every_registered_object_type_has_a_click_through_recipe():
    # given the registry, when compared with the recipes, then none is left out
    assert set(RECIPES) | set(FROM_PARENT) == set(registry.keys())
    assert all(name in globals() for name in FROM_PARENT.values())


def fill_record(ui, recipe: Recipe, title: str) -> None:
    ui.page.fill(recipe.title_field, title)
    for name, (typed, option) in recipe.lookups.items():
        widget = ui.page.locator(f"#object-form .lookup-select:has(select[name={name}])")
        widget.locator("input[data-lookup]").fill(typed)
        expect(widget.locator("select option", has_text=option)).to_have_count(1)
        widget.locator("select").select_option(label=option)
    for selector, label in recipe.selects.items():
        ui.page.select_option(selector, label=label)


DEVICES = {
    "desktop": {"viewport": DESKTOP},
    "phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True},
}


@pytest.mark.browser
@pytest.mark.parametrize("device", list(DEVICES))
@pytest.mark.parametrize("key", list(RECIPES))
def test_admin_creates_edits_deletes_and_restores_a_record_of_each_type(open_ui, org, stages, key, device):
    # given an administrator (and an account to attach an opportunity to), on a desktop or a phone
    phone = device == "phone"
    ui = open_ui(**DEVICES[device], label=device)
    Account.objects.create(name="苏州精工", owner=org.admin)
    ot, recipe = registry.get(key), RECIPES[key]
    ui.login("admin")

    def step(name):
        if phone:
            ui.assert_fits_screen()
        ui.shot(name)

    # when they open the list from the navigation and create a record
    ui.open_nav()
    with translation.override("zh-hans"):  # the page's language, whatever an earlier test left active
        nav_label = str(ot.label_plural)
    ui.page.locator("#main-nav").get_by_role("link", name=nav_label).click()
    expect(ui.page).to_have_url(ui.url(ot.url_list))
    step("list")
    ui.page.click("#new-object")
    fill_record(ui, recipe, recipe.title)
    step("new")
    ui.page.click("#save-object")
    # then they see its detail page
    expect(ui.page).to_have_url(re.compile(rf"{ot.url_list}\d+/$"))
    expect(ui.page.locator("#object-title")).to_have_text(re.compile(re.escape(recipe.title)))
    pk = int(ui.page.url.rstrip("/").rsplit("/", 1)[-1])
    step("detail")
    # when they open the transfer page, it offers the transfer; they go back to the record
    if ot.is_owned:
        ui.page.click("#transfer-object")
        expect(ui.page.locator("#confirm-transfer")).to_be_visible()
        step("transfer")
        ui.page.go_back()
    else:  # a catalog record has no owner to hand over
        expect(ui.page.locator("#transfer-object")).to_have_count(0)
    # when they edit it
    ui.page.click("#edit-object")
    expect(ui.page.locator(recipe.title_field)).to_have_value(recipe.title)
    ui.page.fill(recipe.title_field, recipe.renamed)
    step("edit")
    ui.page.click("#save-object")
    # then the detail page shows the new name
    expect(ui.page.locator("#object-title")).to_have_text(re.compile(re.escape(recipe.renamed)))
    # when they delete it and confirm
    ui.page.click("#delete-object")
    expect(ui.page.locator("main h1")).to_contain_text(recipe.renamed)
    step("delete")
    ui.page.click("#confirm-delete")
    # then it is gone from the list
    expect(ui.page).to_have_url(ui.url(ot.url_list))
    expect(ui.page.locator("#messages .alert-success")).to_contain_text(recipe.renamed)
    expect(ui.page.locator("#object-list")).not_to_contain_text(recipe.renamed)
    assert not ot.model.objects.filter(pk=pk).exists()
    # when they restore it from the recycle bin
    ui.page.locator(f'a[href="{ot.url_list}recycle-bin/"]').click()
    row = ui.page.locator("tbody tr", has_text=recipe.renamed)
    row.locator("input[name=pk]").check()
    step("recycle-bin")
    ui.page.click("#restore")
    # then it has left the recycle bin and is back on the list
    expect(ui.page.locator("#messages .alert-success")).to_be_visible()
    expect(ui.page.locator("tbody")).not_to_contain_text(recipe.renamed)
    ui.page.click("#back-to-list")
    expect(ui.page.locator("#object-list")).to_contain_text(recipe.renamed)
    assert ot.model.objects.filter(pk=pk).exists()


@pytest.mark.browser
@pytest.mark.parametrize("device", list(DEVICES))
def test_a_competitor_is_added_to_an_opportunity_from_its_page(open_ui, org, stages, device):
    from lianke.sales.models import Competitor, Opportunity, OpportunityCompetitor

    # given the rep's opportunity and a competitor in the catalog
    Competitor.objects.create(name="宝钢股份")
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    opportunity = Opportunity.objects.create(
        name="三期自动化改造",
        owner=org.rep_js,
        account=account,
        stage_set=stages["set"],
        stage=stages["first"],
    )
    ui = open_ui(**DEVICES[device], label=device)
    ui.login("rep_js")
    # when the rep opens the opportunity's related records and adds the competitor met there
    ui.go(opportunity.get_absolute_url())
    ui.page.click("#related-tab")
    ui.page.locator("#tab-related a", has_text="新建").first.click()
    fill_record(
        ui,
        Recipe("#id_notes", "", "", {"#id_threat": "高"}, {"competitor": ("宝钢", "宝钢股份")}),
        "报价比我们低 5%",
    )
    if device == "phone":
        ui.assert_fits_screen()
    ui.shot("new")
    ui.page.click("#save-object")
    # then its page shows it; it has no owner to transfer
    expect(ui.page.locator("#object-title")).to_contain_text("宝钢股份")
    expect(ui.page.locator("#transfer-object")).to_have_count(0)
    entry = OpportunityCompetitor.objects.get(opportunity=opportunity)
    assert entry.threat == "high"
    # when they change its threat, then go back to the opportunity
    ui.page.click("#edit-object")
    ui.page.select_option("#id_threat", value="low")
    ui.page.click("#save-object")
    expect(ui.page.locator("#object-title")).to_contain_text("宝钢股份")
    entry.refresh_from_db()
    assert entry.threat == "low"
    ui.go(opportunity.get_absolute_url())
    ui.page.click("#related-tab")
    expect(ui.page.locator("#tab-related")).to_contain_text("宝钢股份")
    if device == "phone":
        ui.assert_fits_screen()
    ui.shot("on-the-opportunity")
    # when they delete it, it leaves the opportunity
    ui.go(entry.get_absolute_url())
    ui.page.click("#delete-object")
    ui.page.click("#confirm-delete")
    expect(ui.page.locator("#messages .alert-success")).to_be_visible()
    assert not OpportunityCompetitor.objects.filter(pk=entry.pk).exists()


@pytest.mark.browser
def test_global_search_finds_records_as_the_user_types_and_opens_them(ui, org):
    # given an account and a contact of the Jiangsu rep
    account = Account.objects.create(name="苏州精工机械", owner=org.rep_js)
    from lianke.customers.models import Contact

    Contact.objects.create(name="王磊", account=account, owner=org.rep_js, mobile="13800138000")
    ui.login("rep_js")
    ui.go("/search/")
    # when they type part of a mobile number
    ui.page.locator("#q").fill("1380013")
    # then the contact appears, grouped under contacts, without pressing Enter
    results = ui.page.locator("#search-results")
    expect(results.get_by_role("link", name=re.compile("王磊"))).to_be_visible()
    expect(ui.page).to_have_url(re.compile(r"q=1380013"))
    # when they type the account name and open the match
    ui.page.locator("#q").fill("精工")
    results.get_by_role("link", name="苏州精工机械").click()
    # then they are on the account's page
    expect(ui.page.locator("#object-title")).to_contain_text("苏州精工机械")
    ui.shot("opened")


@pytest.mark.browser
def test_login_refuses_a_wrong_password_and_logout_ends_the_session(ui, org):
    # given the login page
    ui.go("/login/")
    # when a user enters a wrong password
    ui.page.fill("#id_username", "rep_js")
    ui.page.fill("#id_password", "wrong-password")
    ui.page.click("form.card button[type=submit]")
    # then they stay on the login page with an error
    expect(ui.page.locator(".alert-danger")).to_be_visible()
    expect(ui.page).to_have_url(re.compile(r"/login/"))
    ui.shot("wrong-password")
    # when they log in properly
    ui.login("rep_js")
    # then the home page greets them
    expect(ui.page.locator("main h1")).to_contain_text("张伟")
    # when they log out through the user menu
    ui.logout()
    # then pages ask them to log in again
    ui.go("/customers/account/")
    expect(ui.page).to_have_url(re.compile(r"/login/\?next=/customers/account/"))
    expect(ui.page.locator("#id_username")).to_be_visible()


@pytest.mark.browser
def test_inline_validation_flags_a_bad_email_on_change_without_saving(ui, org):
    # given the new-account form
    ui.login("admin")
    ui.go("/customers/account/new/")
    ui.page.fill("#id_name", "南京长江电气")
    errors = ui.page.locator("#err-email .invalid-feedback")
    # when the user types an invalid email and leaves the field
    with ui.page.expect_response(lambda r: "validate=email" in r.url):
        ui.page.fill("#id_email", "sales-at-cjdq")
        ui.page.press("#id_email", "Tab")
    # then the field shows an error at once, and nothing was saved
    expect(errors).to_be_visible()
    expect(errors).not_to_have_text("")
    expect(ui.page.locator("#err-name .invalid-feedback")).to_have_count(0)
    ui.shot("email-error")
    assert not Account.objects.filter(name="南京长江电气").exists()
    assert ui.page.url.endswith("/customers/account/new/")
    # when they correct it
    with ui.page.expect_response(lambda r: "validate=email" in r.url):
        ui.page.fill("#id_email", "sales@cjdq.com.cn")
        ui.page.press("#id_email", "Tab")
    # then the error goes away and the form saves
    expect(errors).to_have_count(0)
    ui.page.click("#save-object")
    expect(ui.page.locator("#object-title")).to_contain_text("南京长江电气")
    assert Account.objects.get(name="南京长江电气").email == "sales@cjdq.com.cn"


@pytest.mark.browser
def test_bulk_action_bar_transfers_the_selected_rows_only(ui, org):
    # given three of the manager's accounts
    names = ["徐州重工", "宿迁纺织", "淮安食品"]
    for name in names:
        Account.objects.create(name=name, owner=org.manager_js)
    ui.login("manager_js")
    ui.go("/customers/account/")
    # when they tick two rows and choose "transfer" to 孙丽
    for name in names[:2]:
        ui.page.locator("#object-list tbody tr", has_text=name).locator(".row-select").check()
    ui.page.select_option("#bulk-action", "transfer")
    expect(ui.page.locator(".bulk-transfer")).to_be_visible()
    expect(ui.page.locator(".bulk-edit")).to_be_hidden()
    ui.page.select_option(".bulk-transfer select[name=new_owner]", str(org.rep_js2.pk))
    ui.shot("bulk-bar")
    ui.page.once("dialog", lambda dialog: dialog.accept())
    ui.page.click("#bulk-apply")
    # then those two now belong to 孙丽, the third is untouched
    expect(ui.page.locator("#messages .alert-success")).to_contain_text("孙丽")
    owners = dict(Account.objects.filter(name__in=names).values_list("name", "owner__username"))
    assert owners == {"徐州重工": "rep_js2", "宿迁纺织": "rep_js2", "淮安食品": "manager_js"}
    row = ui.page.locator("#object-list tbody tr", has_text="徐州重工")
    expect(row).to_contain_text("孙丽")
