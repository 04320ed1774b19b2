"""A record's history and timeline read as sentences in the reader's language, and the quick
follow-up form under the timeline shows the fields of the chosen kind — on a phone and a desktop."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lianke.activities.models import Activity
from lianke.customers.models import Account, Contact

from .conftest import DESKTOP, PHONE

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
SCREENS = {
    "phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": DESKTOP},
}
WORDS = {
    "en": {
        "locale": "en-US",
        "restored": "Restored from the recycle bin",
        "moved": "Moved to the recycle bin",
        "added": "Added 李娜 as collaborator (Read only)",
        "uploaded": "Uploaded 报价单.pdf",
        "timeline_uploaded": "张伟 · uploaded 报价单.pdf",
        "primary": "Primary contact",
        "no_yes": ("No", "Yes"),
        "created": "Created",
        "name": "Name",
        "mobile": "Mobile",
        "owner": "Owner",
    },
    "zh-hans": {
        "locale": "zh-CN",
        "restored": "从回收站恢复",
        "moved": "移入回收站",
        "added": "添加 李娜 为协同负责人（只读）",
        "uploaded": "上传了 报价单.pdf",
        "timeline_uploaded": "张伟 · 上传了 报价单.pdf",
        "primary": "主要联系人",
        "no_yes": ("否", "是"),
        "created": "新建",
        "name": "姓名",
        "mobile": "手机",
        "owner": "负责人",
    },
}


@pytest.mark.browser
@pytest.mark.parametrize(("language", "screen"), [("zh-hans", "phone"), ("en", "desktop")])
def test_a_contacts_history_tells_what_happened_in_the_readers_language(open_ui, org, language, screen):
    words = WORDS[language]
    ui = open_ui(locale=words["locale"], **SCREENS[screen])
    ui.login("rep_js")
    # given a rep who creates a contact with a name and a mobile number
    ui.go("/customers/contact/new/")
    ui.page.fill("#id_name", "王磊")
    ui.page.fill("#id_mobile", "13800138000")
    ui.page.click("#save-object")
    expect(ui.page.locator("#object-title")).to_contain_text("王磊")
    detail = ui.page.url
    # and makes them the primary contact
    ui.page.click("#edit-object")
    ui.page.check("#id_is_primary")
    ui.page.click("#save-object")
    expect(ui.page).to_have_url(detail)
    # and uploads a quotation and shares the contact with 李娜, read only
    ui.page.locator("#attachments input[type=file]").set_input_files(
        {"name": "报价单.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    ui.page.locator("#attachments form.card-body button").click()
    expect(ui.page.locator("#attachments")).to_contain_text("报价单.pdf")
    expect(ui.page.locator("#timeline .change-item").first).to_contain_text(words["timeline_uploaded"])
    ui.page.locator("#collaborators select[name=user]").select_option(str(org.rep_zj.pk))
    ui.page.locator("#collaborators select[name=access]").select_option("read")
    ui.page.locator("#collaborators form.card-body button").click()
    expect(ui.page.locator("#collaborators")).to_contain_text("李娜")
    # and moves it to the recycle bin and restores it
    ui.page.click("#delete-object")
    ui.page.click("#confirm-delete")
    expect(ui.page).to_have_url(re.compile(r"/customers/contact/$"))
    ui.go("/customers/contact/recycle-bin/")
    ui.page.locator("tr", has_text="王磊").locator("input[name=pk]").check()
    ui.page.click("#restore")
    expect(ui.page.locator("#messages .alert-success")).to_be_visible()
    # when the rep opens the contact's history
    ui.page.goto(detail)
    ui.page.click("#history-tab")
    entries = ui.page.locator("#tab-history .history-entry")
    expect(entries).to_have_count(6)
    # then each step reads as what happened, newest first
    expect(entries.nth(0)).to_contain_text(words["restored"])
    expect(entries.nth(1)).to_contain_text(words["moved"])
    expect(entries.nth(2)).to_contain_text(words["added"])
    expect(entries.nth(3)).to_contain_text(words["uploaded"])
    no, yes = words["no_yes"]
    primary = entries.nth(4).locator("tr", has_text=words["primary"])
    expect(primary.locator("del")).to_have_text(no)
    expect(primary.locator("ins")).to_have_text(yes)
    # and the creation lists what was set, and nothing left empty or at its default
    created = entries.nth(5)
    expect(created.locator(".badge")).to_have_text(words["created"])
    expect(created.locator("tr")).to_have_count(3)
    for label, value in ((words["name"], "王磊"), (words["mobile"], "13800138000"), (words["owner"], "张伟")):
        expect(created.locator("tr", has_text=label)).to_contain_text(value)
    expect(ui.page.locator("#tab-history")).to_have_css("opacity", "1")  # the tab has faded in
    ui.assert_fits_screen()
    ui.shot("history", full_page=True)
    assert Contact.objects.get(name="王磊").is_primary


def form_fields_shown(form) -> list[str]:
    """Names of the quick form's inputs that a person sees, in page order."""
    return form.evaluate(
        """f => [...f.querySelectorAll("input, select, textarea")]
              .filter(el => el.name && el.type !== "hidden" && el.offsetParent !== null)
              .map(el => el.name)"""
    )


@pytest.mark.browser
@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_the_quick_form_shows_the_fields_of_each_kind_and_logs_a_task_and_a_visit(open_ui, org, screen):
    # given a rep on an account's page
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    ui = open_ui(**SCREENS[screen])
    ui.login("rep_js")
    ui.go(account.get_absolute_url())
    form = ui.page.locator("#activity-form")
    subject = form.locator("[name=subject]")
    # then the note form shows type, subject and details, labelled, with a note's example
    expect(subject).to_have_attribute("placeholder", "例如：客户计划扩产")
    expect(form.locator("label[for=id_subject]")).to_have_text("主题")
    assert form_fields_shown(form) == ["kind", "subject", "body"]
    # when they switch to a task
    form.locator("[name=kind]").select_option("task")
    # then the assignee and the due time appear, and the example is a task's
    assert form_fields_shown(form) == ["kind", "subject", "body", "assignee", "due_at"]
    expect(form.locator("label[for=id_due_at]")).to_be_visible()
    expect(subject).to_have_attribute("placeholder", "例如：准备报价单")
    form.scroll_into_view_if_needed()
    ui.assert_fits_screen()
    ui.shot("task-form")
    # when they log the task due tomorrow at five
    due = (timezone.localtime() + timezone.timedelta(days=1)).replace(hour=17, minute=0)
    subject.fill("准备报价单")
    form.locator("[name=due_at]").fill(due.strftime("%Y-%m-%dT%H:%M"))
    form.locator("#add-activity").click()
    # then the timeline shows it with its due time
    task = ui.page.locator("#timeline .activity-item", has_text="准备报价单")
    expect(task).to_contain_text(due.strftime("%Y-%m-%d %H:%M"))
    # when they log a visit with its place
    form = ui.page.locator("#activity-form")
    form.locator("[name=kind]").select_option("visit")
    assert form_fields_shown(form) == ["kind", "subject", "body", "location", "occurred_at"]
    form.locator("[name=subject]").fill("上门拜访采购部")
    form.locator("[name=location]").fill("苏州工业园区星湖街328号")
    form.locator("#add-activity").click()
    # then the timeline shows the visit and where it took place
    visit = ui.page.locator("#timeline .activity-item", has_text="上门拜访采购部")
    expect(visit).to_contain_text("苏州工业园区星湖街328号")
    visit.scroll_into_view_if_needed()
    ui.assert_fits_screen()
    ui.shot("timeline")
    saved = {a.kind: a for a in Activity.objects.all()}
    assert timezone.localtime(saved["task"].due_at) == due.replace(second=0, microsecond=0)
    assert (saved["visit"].location, saved["visit"].due_at) == ("苏州工业园区星湖街328号", None)
