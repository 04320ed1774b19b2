"""The opportunity kanban: drag a card to another stage; a lost stage asks why first."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lianke.customers.models import Account
from lianke.sales.models import Opportunity

KANBAN = "/sales/opportunity/board/"


@pytest.fixture
def pipeline(org, stages):
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    return {
        name: Opportunity.objects.create(
            name=name,
            account=account,
            owner=org.rep_js,
            stage_set=stages["set"],
            stage=stages["first"],
            amount=amount,
        )
        for name, amount in [("二期产线改造", 1_200_000), ("备件年度采购", 300_000)]
    }


def column(ui, stage):
    return ui.page.locator(f'.kanban-column[data-stage="{stage.pk}"]')


def drag(ui, card, target):
    """Press, move in steps (SortableJS needs real pointer movement) and release."""
    source_box = card.bounding_box()
    target_box = target.locator(".kanban-cards").bounding_box()
    mouse = ui.page.mouse
    x, y = source_box["x"] + source_box["width"] / 2, source_box["y"] + source_box["height"] - 12
    mouse.move(x, y)
    mouse.down()
    mouse.move(x + 5, y + 5, steps=3)
    mouse.move(target_box["x"] + target_box["width"] / 2, target_box["y"] + 20, steps=15)
    mouse.up()


@pytest.mark.browser
def test_a_rep_drags_an_opportunity_to_the_next_stage_and_it_stays_there_after_reload(
    ui, org, stages, pipeline
):
    # given the rep's kanban with both opportunities in the first stage
    ui.login("rep_js")
    ui.go(KANBAN)
    card = column(ui, stages["first"]).locator(".kanban-card", has_text="二期产线改造")
    expect(card).to_be_visible()
    ui.shot("before")
    # when they drag one card to "方案报价"
    with ui.page.expect_response(lambda r: r.url.endswith("/move/")) as moved:
        drag(ui, card, column(ui, stages["quote"]))
    # then the server accepts the move and the card says so
    assert moved.value.ok
    expect(column(ui, stages["quote"]).locator(".kanban-card", has_text="二期产线改造")).to_contain_text(
        "方案报价"
    )
    # and the columns' counts and totals follow at once
    expect(column(ui, stages["quote"]).locator(".stage-count")).to_have_text("1")
    expect(column(ui, stages["quote"]).locator("[data-stage-summary]")).to_have_text("¥1,200,000")
    expect(column(ui, stages["first"]).locator("[data-stage-summary]")).to_have_text("¥300,000")
    ui.shot("after-drop")
    # and after a reload it is still in that column, and stored there
    ui.page.reload()
    expect(column(ui, stages["quote"]).locator(".kanban-card", has_text="二期产线改造")).to_be_visible()
    expect(column(ui, stages["first"]).locator(".kanban-card")).to_have_count(1)
    expect(column(ui, stages["quote"]).locator(".stage-count")).to_have_text("1")
    pipeline["二期产线改造"].refresh_from_db()
    assert pipeline["二期产线改造"].stage == stages["quote"]
    assert pipeline["二期产线改造"].probability == 50


@pytest.mark.browser
def test_dragging_an_opportunity_to_the_lost_column_asks_for_the_reason_first(ui, org, stages, pipeline):
    # given the rep's kanban
    ui.login("rep_js")
    ui.go(KANBAN)
    card = column(ui, stages["first"]).locator(".kanban-card", has_text="备件年度采购")
    dialog = ui.page.locator("#loss-dialog")
    expect(dialog).to_be_hidden()
    # when they drag a card to the lost column
    drag(ui, card, column(ui, stages["lost"]))
    # then the reason dialog opens and nothing is stored yet
    expect(dialog).to_be_visible()
    pipeline["备件年度采购"].refresh_from_db()
    assert pipeline["备件年度采购"].stage == stages["first"]
    reasons = dialog.locator("select[name=loss_reason] option")
    dialog.locator("select[name=loss_reason]").select_option(index=reasons.count() - 1)
    dialog.locator("input[name=loss_note]").fill("客户预算取消")
    ui.shot("loss-dialog")
    # when they confirm
    with ui.page.expect_response(lambda r: r.url.endswith("/move/")) as moved:
        dialog.get_by_role("button", name="标记为输单").click()
    # then the opportunity is lost, with the reason, in the lost column after a reload
    assert moved.value.ok
    expect(dialog).to_be_hidden()
    ui.page.reload()
    expect(column(ui, stages["lost"]).locator(".kanban-card", has_text="备件年度采购")).to_be_visible()
    lost = Opportunity.objects.get(pk=pipeline["备件年度采购"].pk)
    assert lost.stage == stages["lost"]
    assert lost.loss_reason
    assert lost.loss_note == "客户预算取消"
    ui.shot("after-loss")


@pytest.mark.browser
def test_cancelling_the_reason_dialog_puts_the_card_back(ui, org, stages, pipeline):
    # given the rep's kanban
    ui.login("rep_js")
    ui.go(KANBAN)
    card = column(ui, stages["first"]).locator(".kanban-card", has_text="备件年度采购")
    # when they drag a card to the lost column and cancel the dialog
    drag(ui, card, column(ui, stages["lost"]))
    dialog = ui.page.locator("#loss-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="取消").click()
    # then the card is back in its stage and unchanged
    expect(dialog).to_be_hidden()
    expect(column(ui, stages["first"]).locator(".kanban-card", has_text="备件年度采购")).to_be_visible()
    expect(column(ui, stages["lost"]).locator(".kanban-card")).to_have_count(0)
    pipeline["备件年度采购"].refresh_from_db()
    assert pipeline["备件年度采购"].stage == stages["first"]
