"""An administrator's day with an account, in Chinese: a custom field, the form, the 360 page,
filters and sorting, the timeline and today's tasks, and a transfer with its history."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lianke.core.models import CustomField
from lianke.customers.models import Account

LIST = "/customers/account/"


@pytest.fixture
def grade_field(db):
    """The administrator's select field "客户分级" on accounts."""
    return CustomField.objects.create(
        object_type="customers.account",
        name="grade",
        label="客户分级",
        label_en="Account grade",
        type="select",
        options=[
            {"key": "strategic", "label": "战略客户", "label_en": "Strategic"},
            {"key": "key", "label": "重点客户", "label_en": "Key"},
            {"key": "normal", "label": "普通客户", "label_en": "Normal"},
        ],
    )


def list_names(page) -> list[str]:
    return page.locator("#object-list tbody tr td:nth-child(2)").all_inner_texts()


@pytest.mark.browser
def test_admin_creates_an_account_with_a_custom_field_and_sees_it_on_its_360_page(ui, org, grade_field):
    # given an administrator on the account list
    ui.login("admin")
    ui.go(LIST)
    expect(ui.page.locator("h1")).to_contain_text("客户")
    # when they open the new-account form and fill in the name and the custom field
    ui.page.click("#new-object")
    expect(ui.page.locator("h1")).to_have_text("新建客户")
    ui.page.fill("#id_name", "苏州精工机械有限公司")
    ui.page.select_option("#id_account_type", index=1)
    ui.page.select_option("#id_cf_grade", label="战略客户")
    ui.page.fill("#id_phone", "0512-66881234")
    ui.shot("form-filled", full_page=True)
    ui.page.click("#save-object")
    # then they land on the account's 360 page showing the custom field's label and value
    expect(ui.page).to_have_url(re.compile(r"/customers/account/\d+/$"))
    expect(ui.page.locator("#object-title")).to_contain_text("苏州精工机械有限公司")
    expect(ui.page.locator("#messages")).to_contain_text("苏州精工机械有限公司")
    expect(ui.page.locator("dt", has_text="客户分级")).to_be_visible()
    expect(ui.page.locator('dd[data-field="客户分级"]')).to_have_text("战略客户")
    expect(ui.page.locator("#timeline .timeline")).to_be_visible()
    ui.shot("account-360", full_page=True)
    account = Account.objects.get(name="苏州精工机械有限公司")
    assert account.custom_data == {"grade": "strategic"}
    assert account.owner == org.admin


@pytest.mark.browser
def test_admin_filters_accounts_by_the_custom_field_and_sorts_by_a_column(ui, org, grade_field):
    # given accounts of different grades
    for name, grade in [
        ("常州电子", "strategic"),
        ("无锡机械", "normal"),
        ("南通纺织", "strategic"),
        ("扬州化工", "key"),
    ]:
        Account.objects.create(name=name, owner=org.rep_js, custom_data={"grade": grade})
    ui.login("admin")
    ui.go(LIST)
    expect(ui.page.locator("#object-list tbody tr")).to_have_count(4)
    ui.page.evaluate("() => { window.__sameDocument = true; }")
    # when they tick "战略客户" under "客户分级" in the filter form
    grade = ui.page.locator("#filter-form fieldset", has_text="客户分级")
    grade.get_by_label("战略客户").check()
    # then htmx swaps in only the matching rows, without reloading the page, and the URL follows
    expect(ui.page.locator("#object-list tbody tr")).to_have_count(2)
    assert sorted(list_names(ui.page)) == sorted(["常州电子", "南通纺织"])
    expect(ui.page).to_have_url(re.compile(r"cf_grade=strategic"))
    expect(ui.page.locator("#result-count")).to_contain_text("2")
    assert ui.page.evaluate("() => window.__sameDocument") is True
    ui.page.evaluate("() => window.scrollTo(0, 0)")
    ui.shot("filtered")
    # when they click the name column header, then again
    ui.page.click('#object-list th a[data-sort="name"]')
    ascending = list(
        Account.objects.filter(custom_data__grade="strategic").order_by("name").values_list("name", flat=True)
    )
    # then the filtered rows are sorted by name, ascending and then descending
    expect(ui.page.locator('#object-list th a[data-sort="name"] .bi-caret-up-fill')).to_be_visible()
    assert list_names(ui.page) == ascending
    expect(ui.page).to_have_url(re.compile(r"cf_grade=strategic.*sort=name"))
    ui.page.click('#object-list th a[data-sort="name"]')
    expect(ui.page.locator('#object-list th a[data-sort="name"] .bi-caret-down-fill')).to_be_visible()
    assert list_names(ui.page) == ascending[::-1]
    ui.shot("sorted-descending")


@pytest.mark.browser
def test_admin_logs_a_note_and_a_task_due_today_and_ticks_it_done_on_the_home_page(ui, org):
    # given an account and its 360 page
    account = Account.objects.create(name="苏州精工", owner=org.admin)
    ui.login("admin")
    ui.go(f"{LIST}{account.pk}/")
    form = ui.page.locator("#activity-form")
    expect(form).to_be_visible()
    # when they add a note through the timeline form
    form.locator("[name=subject]").fill("电话沟通二期需求")
    form.locator("[name=body]").fill("客户计划下月招标")
    form.locator("#add-activity").click()
    # then it appears on the timeline
    note = ui.page.locator("#timeline .activity-item", has_text="电话沟通二期需求")
    expect(note).to_be_visible()
    expect(note).to_contain_text("客户计划下月招标")
    # when they add a task due today
    due = timezone.localtime().strftime("%Y-%m-%dT23:59")
    form = ui.page.locator("#activity-form")
    form.locator("[name=kind]").select_option("task")
    form.locator("[name=subject]").fill("发送报价单")
    form.locator("[name=due_at]").fill(due)
    form.locator("#add-activity").click()
    task = ui.page.locator("#timeline .activity-item", has_text="发送报价单")
    expect(task).to_be_visible()
    ui.shot("timeline")
    # then the home page lists it under "my tasks today"
    ui.page.click("a.navbar-brand")
    my_tasks = ui.page.locator("#my-tasks")
    expect(my_tasks.locator(".card-header")).to_contain_text("我的任务")
    row = my_tasks.locator(".task-row", has_text="发送报价单")
    expect(row).to_be_visible()
    expect(row).to_contain_text("苏州精工")
    assert my_tasks.locator(".task-row", has_text="电话沟通二期需求").count() == 0
    ui.shot("home-tasks")
    # when they tick it done
    row.locator("button").click()
    # then it is shown done and stored as done
    expect(row.locator("button.btn-success")).to_be_visible()
    expect(row.locator(".text-decoration-line-through")).to_be_visible()
    ui.shot("task-done")
    from lianke.activities.models import Activity

    assert Activity.objects.get(subject="发送报价单").is_done is True


@pytest.mark.browser
def test_admin_transfers_an_account_and_sees_the_new_owner_and_the_history_entry(ui, org):
    # given the administrator's account
    account = Account.objects.create(name="苏州精工", owner=org.admin)
    ui.login("admin")
    ui.go(f"{LIST}{account.pk}/")
    # when they transfer it to the rep 张伟 on the transfer page
    ui.page.click("#transfer-object")
    expect(ui.page.locator("h1")).to_contain_text("苏州精工")
    ui.page.select_option("#id_new_owner", str(org.rep_js.pk))
    ui.shot("transfer-form")
    ui.page.click("#confirm-transfer")
    # then the 360 page shows 张伟 as the owner
    expect(ui.page).to_have_url(ui.url(f"{LIST}{account.pk}/"))
    expect(ui.page.locator("#messages")).to_contain_text("张伟")
    expect(ui.page.locator("#collaborators .list-group-item").first).to_contain_text("张伟")
    expect(ui.page.locator('dd[data-field="负责人"]')).to_have_text("张伟")
    # and the History tab has the transfer from 管理员 to 张伟
    ui.page.click("#history-tab")
    entry = ui.page.locator("#tab-history .history li").first
    expect(entry.locator(".badge")).to_have_text("转移")
    owner_change = entry.locator("tr", has_text="负责人")
    expect(owner_change.locator("del")).to_have_text("管理员")
    expect(owner_change.locator("ins")).to_have_text("张伟")
    expect(ui.page.locator("#tab-history")).to_have_css("opacity", "1")  # the tab has faded in
    ui.shot("history")
    account.refresh_from_db()
    assert account.owner == org.rep_js
