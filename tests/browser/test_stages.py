"""Stage paths and the stage switcher, as a rep meets them: a new opportunity saves the first
time in the default set, the stage list follows the set, one tap on the path moves the record
(the reason dialog first for a lost stage), a read-only viewer cannot move it, a lead follows its
declared lifecycle, and on a phone the kanban is one stage at a time behind tabs with counts."""

from __future__ import annotations

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from playwright.sync_api import expect

from lianke.customers.models import Account
from lianke.marketing.models import Lead
from lianke.org.choices import CollaboratorAccess
from lianke.org.models import Collaborator
from lianke.sales.models import Opportunity, Stage, StageSet

from .conftest import PHONE

KANBAN = "/sales/opportunity/board/"


@pytest.fixture
def channel(db):
    """A second stage set (the form must not offer its stages while the default set is chosen)."""
    stage_set = StageSet.objects.create(name="经销商渠道")
    for order, (name, p, kind) in enumerate(
        [("首次接触经销商", 10, "open"), ("返利谈判", 60, "open"), ("签约", 100, "won"), ("输单", 0, "lost")]
    ):
        Stage.objects.create(stage_set=stage_set, name=name, order=order, probability=p, kind=kind)
    return stage_set


@pytest.fixture
def account(org):
    return Account.objects.create(name="苏州精工", owner=org.rep_js)


def phone(open_ui):
    return open_ui(viewport=PHONE, is_mobile=True, has_touch=True, label="phone")


def current_step(ui):
    return ui.page.locator('#stage-path [aria-current="step"]')


def stage_options(ui) -> list[str]:
    return ui.page.locator("#id_stage option").all_inner_texts()


@pytest.mark.browser
def test_on_a_phone_a_rep_creates_an_opportunity_first_time_and_taps_it_along_its_path_to_lost(
    open_ui, org, stages, channel, account
):
    # given the rep on a phone, on the new-opportunity form opened from an account
    ui = phone(open_ui)
    ui.login("rep_js")
    ui.go(f"/sales/opportunity/new/?account={account.pk}")
    # then the default set and its first open stage are chosen, and only its stages are offered
    expect(ui.page.locator("#id_stage_set option:checked")).to_have_text("直销项目")
    expect(ui.page.locator("#id_stage option:checked")).to_have_text("初步接洽")
    assert stage_options(ui) == ["初步接洽", "方案报价", "赢单", "输单"]
    # when they fill in only the name and save
    ui.page.fill("#id_name", "二期产线改造")
    ui.page.tap("#save-object")
    # then it is saved the first time and its page shows the path at the first stage
    expect(ui.page).to_have_url(re.compile(r"/sales/opportunity/\d+/$"))
    expect(current_step(ui)).to_have_text("初步接洽")
    opp = Opportunity.objects.get(name="二期产线改造")
    assert (opp.stage_set, opp.stage) == (stages["set"], stages["first"])
    ui.assert_fits_screen()
    ui.shot("path")
    # when they tap the next stage
    ui.page.locator("#stage-path").get_by_role("button", name="方案报价").tap()
    # then the page shows it moved, and it is stored with the stage's probability
    expect(current_step(ui)).to_have_text("方案报价")
    expect(ui.page.locator("#messages")).to_contain_text("方案报价")
    opp.refresh_from_db()
    assert (opp.stage, opp.probability) == (stages["quote"], 50)
    ui.assert_fits_screen()
    # when they tap "lost", the reason dialog opens first and nothing is stored yet
    ui.page.locator("#stage-path").get_by_role("button", name="输单").tap()
    dialog = ui.page.locator("#loss-dialog")
    expect(dialog).to_be_visible()
    opp.refresh_from_db()
    assert opp.stage == stages["quote"]
    dialog.locator("select[name=loss_reason]").select_option("competitor")
    dialog.locator("input[name=loss_note]").fill("对手报价低 5%")
    ui.assert_fits_screen()
    ui.shot("loss-dialog")
    dialog.get_by_role("button", name="标记为输单").tap()
    # then the opportunity is lost and closed, with the reason, and the path says so
    expect(current_step(ui)).to_have_text("输单")
    opp.refresh_from_db()
    assert (opp.stage, opp.loss_reason, opp.loss_note, opp.probability) == (
        stages["lost"],
        "competitor",
        "对手报价低 5%",
        0,
    )
    assert opp.closed_at is not None
    ui.assert_fits_screen()
    ui.shot("lost")


@pytest.mark.browser
def test_changing_the_stage_set_narrows_the_stage_list_and_the_opportunity_is_saved_in_that_set(
    ui, org, stages, channel, account
):
    # given the new-opportunity form on a desktop
    ui.login("rep_js")
    ui.go(f"/sales/opportunity/new/?account={account.pk}")
    assert stage_options(ui) == ["初步接洽", "方案报价", "赢单", "输单"]
    ui.page.fill("#id_name", "经销协议 2026")
    # when the rep chooses the other stage set
    with ui.page.expect_response(lambda r: "refresh=stage" in r.url):
        ui.page.select_option("#id_stage_set", label="经销商渠道")
    # then the stage list holds that set's stages only, from its first open stage
    expect(ui.page.locator("#id_stage option")).to_have_text(["首次接触经销商", "返利谈判", "签约", "输单"])
    expect(ui.page.locator("#id_stage option:checked")).to_have_text("首次接触经销商")
    ui.shot("narrowed")
    # when they pick a stage of it and save
    ui.page.select_option("#id_stage", label="返利谈判")
    ui.page.click("#save-object")
    # then it is saved in that set and stage
    expect(current_step(ui)).to_have_text("返利谈判")
    opp = Opportunity.objects.get(name="经销协议 2026")
    assert (opp.stage_set, opp.stage.name) == (channel, "返利谈判")
    # and its path lists that set's stages, the passed one marked as done
    steps = ui.page.locator("#stage-path .stage-step")
    expect(steps).to_have_text(["首次接触经销商", "返利谈判", "签约", "输单"])
    expect(steps.first).to_have_class(re.compile(r"\bis-done\b"))
    ui.shot("path")


@pytest.mark.browser
def test_a_lead_follows_its_declared_lifecycle_and_a_read_only_colleague_cannot_move_it(
    ui, open_ui, org, browser_errors
):
    # given a new lead of the rep, shared read-only with a colleague
    lead = Lead.objects.create(name="陈静", company="无锡重工", owner=org.rep_js)
    Collaborator.objects.create(
        content_type=ContentType.objects.get_for_model(Lead),
        object_id=lead.pk,
        user=org.rep_js2,
        access=CollaboratorAccess.READ,
    )
    # when the colleague opens it
    reader = open_ui(label="reader")
    reader.login("rep_js2")
    reader.go(f"/marketing/lead/{lead.pk}/")
    # then the path shows the lifecycle, read-only: no stage can be tapped
    expect(reader.page.locator("#stage-path .stage-step")).to_have_text(
        ["新建", "已联系", "有效", "已转换", "无效"]
    )
    expect(reader.page.locator("#stage-path button")).to_have_count(0)
    reader.shot("read-only")
    # when the owner opens it
    ui.login("rep_js")
    ui.go(f"/marketing/lead/{lead.pk}/")
    path = ui.page.locator("#stage-path")
    # then only the declared next statuses can be tapped ("converted" is the conversion's)
    expect(path.get_by_role("button")).to_have_text(["已联系", "有效", "无效"])
    # when they tap "unqualified", the dialog asks why; with a reason the lead is unqualified
    path.get_by_role("button", name="无效").click()
    dialog = ui.page.locator("#loss-dialog")
    expect(dialog).to_contain_text("线索无效的原因")
    dialog.locator("input[name=unqualified_reason]").fill("没有采购计划")
    dialog.get_by_role("button", name="标记为无效").click()
    expect(current_step(ui)).to_have_text("无效")
    lead.refresh_from_db()
    assert (lead.status, lead.unqualified_reason) == ("unqualified", "没有采购计划")
    # and from there only the declared ways back are offered
    expect(path.get_by_role("button")).to_have_text(["新建", "已联系"])
    ui.shot("unqualified")
    # when a colleague converted the lead meanwhile and the rep taps "contacted" on the old page
    Lead.objects.filter(pk=lead.pk).update(status="converted")
    browser_errors.allow(r"status of 400 \(Bad Request\).*/marketing/lead/\d+/move/")
    path.get_by_role("button", name="已联系").click()
    # then the path says why it refused, and the lead stays converted
    expect(path.locator("[data-stage-error]")).to_have_text(
        "状态：“陈静 · 无锡重工”不能从“已转换”变为“已联系”。"
    )
    assert Lead.objects.get(pk=lead.pk).status == "converted"
    ui.shot("refused")


@pytest.mark.browser
def test_on_a_phone_the_kanban_shows_one_stage_at_a_time_behind_tabs_and_moves_a_card_by_its_menu(
    open_ui, org, stages, account
):
    # given two opportunities in the first stage and one in the quote stage
    for name, stage in [("二期产线改造", "first"), ("备件年度采购", "first"), ("厂房钢结构", "quote")]:
        Opportunity.objects.create(
            name=name, account=account, owner=org.rep_js, stage_set=stages["set"], stage=stages[stage]
        )
    ui = phone(open_ui)
    ui.login("rep_js")
    # when the rep opens the kanban on a phone
    ui.go(KANBAN)
    tabs = ui.page.locator("[data-stage-tab]")
    # then the stages are tabs with their counts, and only the first stage's cards show
    expect(tabs).to_have_text(
        [re.compile(rf"^{n}\s*{c}$") for n, c in [("初步接洽", 2), ("方案报价", 1), ("赢单", 0), ("输单", 0)]]
    )
    cards = ui.page.locator(".kanban-card:visible")
    expect(cards).to_have_count(2)
    expect(ui.page.locator(".kanban-column:visible")).to_have_count(1)
    ui.assert_fits_screen()
    ui.shot("first-tab")
    # when they switch to the quote tab
    tabs.filter(has_text="方案报价").tap()
    # then that stage's card shows instead
    expect(cards).to_have_text([re.compile("厂房钢结构")])
    ui.assert_fits_screen()
    # when they move it to "won" through its stage menu
    cards.first.locator("[data-stage-menu]").tap()
    menu = ui.page.locator(".stage-menu")
    expect(menu.get_by_role("button", name="方案报价")).to_be_disabled()
    ui.shot("menu")
    with ui.page.expect_response(lambda r: r.url.endswith("/move/")) as moved:
        menu.get_by_role("button", name="赢单").tap()
    # then it is stored, leaves this tab, and the counts follow
    assert moved.value.ok
    expect(cards).to_have_count(0)
    expect(tabs.filter(has_text="方案报价")).to_have_text(re.compile(r"方案报价\s*0"))
    expect(tabs.filter(has_text="赢单")).to_have_text(re.compile(r"赢单\s*1"))
    expect(ui.page.locator("[data-stage-status]")).to_contain_text("厂房钢结构")
    assert Opportunity.objects.get(name="厂房钢结构").stage == stages["won"]
    # and the won tab shows it
    tabs.filter(has_text="赢单").tap()
    expect(cards).to_have_text([re.compile("厂房钢结构")])
    ui.assert_fits_screen()
    ui.shot("won-tab")
