"""Boards of any lifecycle (core.views.stages.BoardView): leads by status, tasks by to do / done,
opened from the list, moved with a card's menu, on a phone and on a desktop."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lianke.activities.models import Activity
from lianke.marketing.models import Lead

from .conftest import PHONE


def column(ui, value):
    return ui.page.locator(f'.kanban-column[data-stage="{value}"]')


@pytest.mark.browser
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_a_rep_opens_the_lead_board_from_the_list_and_moves_a_lead_with_its_menu(open_ui, org, viewport):
    # given two new leads of the rep
    for name in ("陈静", "王磊"):
        Lead.objects.create(name=name, company="无锡重工", owner=org.rep_js)
    ui = (
        open_ui(viewport=PHONE, is_mobile=True, has_touch=True, label="phone")
        if viewport == "phone"
        else open_ui()
    )
    ui.login("rep_js")
    # when they open the board from the lead list
    ui.go("/marketing/lead/")
    ui.page.locator("#open-board").click()
    expect(ui.page).to_have_url(re.compile(r"/marketing/lead/board/$"))
    expect(column(ui, "new").locator(".kanban-card")).to_have_count(2)
    ui.assert_fits_screen()
    ui.shot("board")
    # when they move one card to "contacted" with its menu
    card = column(ui, "new").locator(".kanban-card", has_text="陈静")
    card.locator("[data-stage-menu]").click()
    with ui.page.expect_response(lambda r: r.url.endswith("/move/")) as moved:
        ui.page.locator(".stage-menu [data-stage-value]", has_text="已联系").click()
    # then it is stored there, and the board says so after a reload
    assert moved.value.ok
    assert Lead.objects.get(name="陈静").status == "contacted"
    ui.page.reload()
    if viewport == "phone":
        ui.page.locator('[data-stage-tab="contacted"]').click()
    expect(column(ui, "contacted").locator(".kanban-card", has_text="陈静")).to_be_visible()
    expect(column(ui, "contacted").locator(".stage-count")).to_have_text("1")
    ui.shot("moved")


@pytest.mark.browser
def test_on_a_phone_a_rep_ticks_a_task_done_on_the_task_board(open_ui, org):
    Activity.objects.create(
        kind="task",
        subject="回访苏州精工",
        owner=org.rep_js,
        assignee=org.rep_js,
        due_at=timezone.now() + dt.timedelta(days=1),
    )
    ui = open_ui(viewport=PHONE, is_mobile=True, has_touch=True, label="phone")
    ui.login("rep_js")
    ui.go("/activities/activity/board/")
    card = column(ui, "False").locator(".kanban-card", has_text="回访苏州精工")
    expect(card).to_be_visible()
    ui.assert_fits_screen()
    card.locator("[data-stage-menu]").tap()
    with ui.page.expect_response(lambda r: r.url.endswith("/move/")) as moved:
        ui.page.locator(".stage-menu [data-stage-value]", has_text="完成").tap()
    assert moved.value.ok
    task = Activity.objects.get(subject="回访苏州精工")
    assert task.is_done and task.done_at is not None
    ui.shot("done")
