"""The home page is a workbench, at 375 px and 1280 px: counts at the top, overdue tasks first and
marked in red with how late they are, then today's and the next seven days'; accounts to follow
up; for a manager the team's overdue tasks per person and today's visits; recent records."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lianke.activities.models import Activity
from lianke.customers.models import Account

from .conftest import DESKTOP, PHONE

VIEWPORTS = {
    "desktop": {"viewport": DESKTOP},
    "phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True},
}


@pytest.fixture
def day(org):
    now = timezone.now()
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    Account.all_objects.filter(pk=account.pk).update(created_at=now - dt.timedelta(days=60))
    for subject, due in [
        ("催收货款", now - dt.timedelta(days=2, hours=3)),
        ("发送报价单", max(now + dt.timedelta(minutes=20), now)),
        ("安排样品", midnight + dt.timedelta(days=3, hours=9)),
    ]:
        Activity.objects.create(
            kind="task", subject=subject, owner=org.rep_js, assignee=org.rep_js, due_at=due, account=account
        )
    Activity.objects.create(kind="visit", subject="拜访采购部", owner=org.rep_js2, occurred_at=now)
    return account


@pytest.mark.browser
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_a_rep_starts_the_day_on_the_workbench(open_ui, org, day, device):
    ui = open_ui(**VIEWPORTS[device], label=device)
    ui.login("rep_js")
    # then the counts are at the top
    expect(ui.page.locator('[data-tile="overdue"]')).to_contain_text("1")
    expect(ui.page.locator('[data-tile="overdue"]')).to_contain_text("逾期任务")
    expect(ui.page.locator('[data-tile="follow_up"]')).to_contain_text("1")
    # and the overdue task comes first, in red, saying how late it is
    tasks = ui.page.locator("#my-tasks .task-row")
    expect(tasks.first).to_contain_text("催收货款")
    expect(tasks.first).to_have_class("list-group-item d-flex align-items-center gap-2 task-row task-overdue")
    expect(tasks.first.locator(".overdue-by")).to_contain_text("逾期 2")
    expect(tasks.nth(1)).to_contain_text("发送报价单")
    expect(tasks.nth(2)).to_contain_text("安排样品")
    groups = ui.page.locator("#my-tasks .task-group").all_inner_texts()
    assert [g.split("·")[0].strip() for g in groups] == ["已逾期", "今天", "未来七天"]
    # and the account not followed up for two months is to follow up today
    expect(ui.page.locator("#follow-up")).to_contain_text("苏州精工")
    # a rep leads nobody: no team widget
    expect(ui.page.locator("#team-today")).to_have_count(0)
    ui.assert_fits_screen()
    ui.shot("workbench", full_page=True)
    # when they tick the overdue task done, it is done
    tasks.first.locator("button").click()
    expect(ui.page.locator("#my-tasks .task-row").first.locator("button.btn-success")).to_be_visible()
    assert Activity.objects.get(subject="催收货款").is_done


@pytest.mark.browser
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_a_manager_sees_the_team_s_overdue_tasks_and_visits_and_her_recent_records(open_ui, org, day, device):
    ui = open_ui(**VIEWPORTS[device], label=device)
    ui.login("manager_js")
    # she opens an account, then goes home
    ui.go(f"/customers/account/{day.pk}/")
    ui.page.click("a.navbar-brand")
    team = ui.page.locator("#team-today")
    expect(team.locator(".team-overdue")).to_contain_text("张伟")
    expect(team.locator(".team-overdue")).to_contain_text("1")
    expect(team.locator(".team-visit")).to_contain_text("拜访采购部")
    expect(ui.page.locator('[data-tile="team_overdue"]')).to_contain_text("1")
    expect(ui.page.locator("#recent-records")).to_contain_text("苏州精工")
    ui.assert_fits_screen()
    ui.shot("manager", full_page=True)
