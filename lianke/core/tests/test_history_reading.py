"""History as people read it (``lianke.core.ui.history``): only what was set on a new record, values
as the detail page shows them in the reader's language, bookkeeping left out, and events —
delete, restore, attachments, collaborators, transfers — told as sentences, on the history tab
and on the timeline."""

import datetime as dt
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianke.activities.models import Activity
from lianke.core.context import acting_as
from lianke.core.models import Attachment, CustomField, ObjectChange
from lianke.core.records import audit, services
from lianke.customers.models import Account, Contact
from lianke.org.models import Collaborator
from lianke.sales.models import Opportunity

pytestmark = pytest.mark.django_db

A = ObjectChange.ActionChoices
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
LANGUAGES = ("en", "zh-hans")
TEXT = {
    "en": {
        "created": "Created",
        "owner": "Owner",
        "name": "Name",
        "account": "Account",
        "mobile": "Mobile",
        "primary": "Primary contact",
        "decision": "Decision maker",
        "primary_change": "Primary contact No → Yes",
        "deleted_field": "Deleted",
        "moved": "Moved to the recycle bin",
        "restored": "Restored from the recycle bin",
        "uploaded": "Uploaded 报价单.pdf",
        "deleted_file": "Deleted the file 报价单.pdf",
        "timeline_uploaded": "张伟 · uploaded 报价单.pdf",
        "added": "Added 李娜 as collaborator (Read only)",
        "changed": "Changed the access of 李娜 to Read and write",
        "removed": "Removed 李娜 from the collaborators",
    },
    "zh-hans": {
        "created": "新建",
        "owner": "负责人",
        "name": "姓名",
        "account": "客户",
        "mobile": "手机",
        "primary": "主要联系人",
        "decision": "决策人",
        "primary_change": "主要联系人 否 → 是",
        "deleted_field": "已删除",
        "moved": "移入回收站",
        "restored": "从回收站恢复",
        "uploaded": "上传了 报价单.pdf",
        "deleted_file": "删除了文件 报价单.pdf",
        "timeline_uploaded": "张伟 · 上传了 报价单.pdf",
        "added": "添加 李娜 为协同负责人（只读）",
        "changed": "将 李娜 的权限改为 读写",
        "removed": "将 李娜 移出协同负责人",
    },
}


def history_url(obj) -> str:
    return f"{obj.get_absolute_url()}history/"


def timeline_url(obj) -> str:
    ct = ContentType.objects.get_for_model(type(obj))
    return f"/activities/timeline/{ct.pk}/{obj.pk}/"


def read(client, url, language="en"):
    """``(response, [visible text of each entry, newest first])`` of a history tab."""
    response = client.get(url, headers={"accept-language": language})
    assert response.status_code == 200
    html = response.content.decode()
    parts = html.split('<li class="border-bottom py-2 history-entry"')[1:]
    return response, [_visible(p.split(">", 1)[1]) for p in parts]


def _visible(html: str) -> str:
    """Text as a reader sees it: tags are gaps, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def timeline_texts(client, obj, language="en") -> list[str]:
    html = client.get(timeline_url(obj), headers={"accept-language": language}).content.decode()
    parts = html.split('class="list-group-item text-muted change-item')[1:]
    return [_visible(p.split(">", 1)[1].split("</li>")[0]) for p in parts]


@pytest.fixture
def acc(org):
    return Account.objects.create(name="苏州精工", owner=org.rep_js)


# ---------------------------------------------------------------------------------- new records
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_new_contact_lists_only_the_values_that_were_set(org, acc, client_for, language):
    # given a rep who creates a contact with a name, an account and a mobile number, nothing else
    client = client_for(org.rep_js)
    response = client.post(
        "/customers/contact/new/",
        {"name": "王磊", "account": acc.pk, "mobile": "13800138000", "owner": org.rep_js.pk},
    )
    assert response.status_code == 302
    contact = Contact.objects.get(name="王磊")
    # when the contact's history is read
    page, [text] = read(client, history_url(contact), language)
    # then the one "created" entry lists those values and the owner, in the reader's language
    words = TEXT[language]
    [entry] = page.context["changes"]
    assert entry.badge == words["created"]
    assert sorted((f.label, f.new) for f in entry.diff) == sorted(
        [
            (words["owner"], "张伟"),
            (words["name"], "王磊"),
            (words["account"], "苏州精工"),
            (words["mobile"], "13800138000"),
        ]
    )
    # and nothing left empty or at its default: no "primary contact: no", no "deleted"
    for absent in (words["primary"], words["decision"], words["deleted_field"]):
        assert absent not in text


def test_a_new_activity_lists_neither_its_link_to_the_record_nor_derived_values(org, acc, client_for):
    # given a task logged on the account's timeline
    client = client_for(org.rep_js)
    response = client.post(
        f"{timeline_url(acc)}add/",
        {"kind": "task", "subject": "发送报价单", "due_at": "2024-03-06T10:30"},
        headers={"accept-language": "en"},
    )
    assert response.status_code == 200
    task = Activity.objects.get()
    # when the task's history is read
    page, _texts = read(client, history_url(task))
    # then it lists what the rep set (its due time as the detail page shows it), not the links
    [entry] = page.context["changes"]
    labels = {f.label: f.new for f in entry.diff}
    assert labels["Due"] == "2024-03-06 10:30"
    assert labels["Type"] == "Task"
    assert labels["Subject"] == "发送报价单"
    assert {"Account", "Done", "Done at", "Content type", "Object id", "Department"}.isdisjoint(labels)


# ---------------------------------------------------------------------------------- field changes
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_boolean_change_reads_yes_and_no_in_the_readers_language(org, acc, client_for, language):
    # given a contact who becomes the primary contact through the edit form
    contact = Contact.objects.create(name="王磊", account=acc, owner=org.rep_js)
    client = client_for(org.rep_js)
    response = client.post(
        f"/customers/contact/{contact.pk}/edit/", {"name": "王磊", "account": acc.pk, "is_primary": "on"}
    )
    assert response.status_code == 302
    # when the contact's history is read
    _page, texts = read(client, history_url(contact), language)
    # then the change says no → yes in words, not False → True
    assert TEXT[language]["primary_change"] in texts[0]
    assert "False" not in texts[0] and "True" not in texts[0]


def test_values_read_as_on_the_detail_page(org, stages, acc, client_for):
    # given an opportunity whose amount, close date and stage change, and a custom yes/no field
    CustomField.objects.create(object_type="sales.opportunity", name="urgent", label="加急", type="boolean")
    opp = Opportunity.objects.create(
        name="二期项目", account=acc, owner=org.rep_js, stage_set=stages["set"], stage=stages["first"]
    )
    client = client_for(org.rep_js)
    response = client.post(
        f"/sales/opportunity/{opp.pk}/edit/",
        {
            "name": "二期项目",
            "account": acc.pk,
            "stage_set": stages["set"].pk,
            "stage": stages["quote"].pk,
            "amount": "1234500",
            "expected_close_date": "2024-06-30",
            "cf_urgent": "true",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    # when its history is read in English
    page, _texts = read(client, history_url(opp))
    detail = client.get(opp.get_absolute_url(), headers={"accept-language": "en"}).content.decode()
    # then each new value is the text the detail page shows, and probability follows silently
    changes = {f.label: (f.old, f.new) for f in page.context["changes"][0].diff}
    assert changes["Stage"] == ("初步接洽", "方案报价")
    assert changes["Amount"] == ("¥0.00", "¥1,234,500.00")
    assert changes["Expected close date"] == ("", "2024-06-30")
    assert changes["加急"] == ("", "Yes")
    for _old, new in changes.values():
        assert f">{new}<" in detail
    assert "Win probability (%)" not in changes


def test_a_related_record_the_reader_cannot_open_stays_unnamed(org, client_for):
    # given an account of the rep whose parent account he cannot see
    hidden = Account.objects.create(name="浙江的集团客户", owner=org.rep_zj)
    acc = Account.objects.create(name="苏州精工", owner=org.rep_js)
    with acting_as(org.admin, source="web"):
        acc.parent = hidden
        services.save_record(actor=org.admin, instance=acc)
    # when the rep and the administrator read the history
    _page, rep_texts = read(client_for(org.rep_js), history_url(acc))
    _page, admin_texts = read(client_for(org.admin), history_url(acc))
    # then the rep sees the id, not the name; the administrator sees the name
    assert f"#{hidden.pk}" in rep_texts[0] and "浙江的集团客户" not in rep_texts[0]
    assert "浙江的集团客户" in admin_texts[0]


# ---------------------------------------------------------------------------------- events
@pytest.mark.parametrize("language", LANGUAGES)
def test_delete_and_restore_read_as_events_not_as_field_changes(org, acc, client_for, language):
    # given an account the rep deletes and restores from the recycle bin
    client = client_for(org.rep_js)
    assert client.post(f"/customers/account/{acc.pk}/delete/").status_code == 302
    assert client.post("/customers/account/recycle-bin/", {"pk": acc.pk}).status_code == 302
    # when its history is read
    page, texts = read(client, history_url(acc), language)
    # then the newest two entries say restored and moved to the recycle bin, with no field list
    words = TEXT[language]
    assert words["restored"] in texts[0] and words["moved"] in texts[1]
    assert [entry.diff for entry in page.context["changes"][:2]] == [[], []]
    listed = {f.label for entry in page.context["changes"] for f in entry.diff}
    assert words["deleted_field"] not in listed
    assert not any("False" in text or "True" in text for text in texts)


@pytest.mark.parametrize("language", LANGUAGES)
def test_uploading_and_deleting_a_file_read_as_sentences(org, acc, client_for, language):
    # given a rep who uploads a quotation to the account and deletes it again
    client = client_for(org.rep_js)
    ct = ContentType.objects.get_for_model(Account)
    upload = SimpleUploadedFile("报价单.pdf", PDF, content_type="application/pdf")
    assert client.post(f"/attachments/upload/{ct.pk}/{acc.pk}/", {"file": upload}).status_code == 302
    timeline_after_upload = timeline_texts(client, acc, language)
    attachment = Attachment.objects.get(object_id=acc.pk)
    assert client.post(f"/attachments/{attachment.pk}/delete/").status_code == 302
    # when the history is read
    _page, texts = read(client, history_url(acc), language)
    # then it says what happened to which file; the timeline said "uploaded …" too
    words = TEXT[language]
    assert words["deleted_file"] in texts[0]
    assert words["uploaded"] in texts[1]
    assert words["timeline_uploaded"] in timeline_after_upload[0]


@pytest.mark.parametrize("language", LANGUAGES)
def test_collaborator_changes_read_as_sentences(org, acc, client_for, language):
    # given the rep who shares the account with 李娜 read only, then read-write, then stops sharing
    client = client_for(org.rep_js)
    url = f"{acc.get_absolute_url()}collaborators/"
    assert client.post(url, {"user": org.rep_zj.pk, "access": "read"}).status_code == 302
    assert client.post(url, {"user": org.rep_zj.pk, "access": "write"}).status_code == 302
    collaborator = Collaborator.objects.get(user=org.rep_zj)
    assert client.post(url, {"remove": collaborator.pk}).status_code == 302
    # when the history is read
    _page, texts = read(client, history_url(acc), language)
    # then each step is one sentence
    words = TEXT[language]
    assert words["removed"] in texts[0]
    assert words["changed"] in texts[1]
    assert words["added"] in texts[2]


def test_entries_written_before_this_format_still_read_well(org, acc, client_for):
    # given entries as older versions stored them: collaborators with their access label in the
    # writer's language, and a restore whose snapshot lists the bookkeeping "is_deleted" field
    with acting_as(org.rep_js, source="web"):
        audit.record(A.UPDATE, acc, {"collaborators": []}, {"collaborators": ["李娜 (只读)"]})
        audit.record(A.UPDATE, acc, {"is_deleted": True, "level": ""}, {"is_deleted": False, "level": "a"})
    # when the history is read in English
    page, texts = read(client_for(org.rep_js), history_url(acc))
    # then the collaborator sentence keeps the stored label, and only the level is listed
    assert "Added 李娜 as collaborator (只读)" in texts[1]
    assert [f.label for f in page.context["changes"][0].diff] == ["Level"]


# ---------------------------------------------------------------------------------- timeline
def test_the_timeline_names_the_new_owner_of_a_transfer(org, acc, client_for):
    # given the manager who transfers the rep's account to a colleague
    with acting_as(org.manager_js, source="web"):
        services.transfer_records(actor=org.manager_js, records=[acc], new_owner=org.rep_js2)
    client = client_for(org.manager_js)
    # when the timeline and the history are read
    texts = timeline_texts(client, acc)
    page, _texts = read(client, history_url(acc))
    # then the timeline says to whom; the history lists the owner and not the department
    assert "王芳 · transferred to 孙丽" in texts[0]
    assert [(f.label, f.old, f.new) for f in page.context["changes"][0].diff] == [("Owner", "张伟", "孙丽")]


def test_the_timeline_names_the_changed_fields_and_their_values(org, stages, acc, client_for):
    # given an opportunity moved to the next stage, then edited in five fields at once
    opp = Opportunity.objects.create(
        name="二期项目", account=acc, owner=org.rep_js, stage_set=stages["set"], stage=stages["first"]
    )
    with acting_as(org.rep_js, source="web"):
        opp.stage = stages["quote"]
        services.save_record(actor=org.rep_js, instance=opp)
        opp.name, opp.amount, opp.competitors = "二期扩产项目", 800000, "宝钢"
        opp.description, opp.source = "客户扩产", "tender"
        services.save_record(actor=org.rep_js, instance=opp)
    # when the opportunity's timeline is read
    texts = timeline_texts(client_for(org.rep_js), opp)
    # then the stage change reads old → new, and the larger edit names three fields and a count
    assert "张伟 · Stage: 初步接洽 → 方案报价" in texts[1]
    assert "and 2 more fields" in texts[0]
    assert texts[0].count("→") == 3


def test_the_account_timeline_says_which_contact_changed(org, acc, client_for):
    # given a contact of the account whose mobile number changed
    contact = Contact.objects.create(name="王磊", account=acc, owner=org.rep_js)
    client = client_for(org.rep_js)
    response = client.post(
        f"/customers/contact/{contact.pk}/edit/", {"name": "王磊", "account": acc.pk, "mobile": "13800138000"}
    )
    assert response.status_code == 302
    # when the account's timeline is read
    texts = timeline_texts(client, acc)
    # then the entry names the contact and the change
    assert "张伟 · Contact 王磊 · Mobile: — → 13800138000" in texts[0]


# ---------------------------------------------------------------------------------- cost
def test_reading_a_longer_history_costs_no_more_queries(org, acc, client_for):
    # given an account whose contacts each changed account and owner (names to fetch per row)
    client = client_for(org.rep_js)
    other = Account.objects.create(name="别的客户", owner=org.rep_js)

    def add_contacts(count):
        with acting_as(org.rep_js, source="web"):
            for i in range(count):
                contact = Contact.objects.create(name=f"联系人{i}", account=other, owner=org.rep_js)
                contact.account, contact.birthday = acc, dt.date(1980, 1, 1 + i)
                services.save_record(actor=org.rep_js, instance=contact)

    add_contacts(2)
    read(client, history_url(acc))  # the first request reads the configuration the process keeps
    with CaptureQueriesContext(connection) as few:
        read(client, history_url(acc))
    # when eight more contacts change
    add_contacts(8)
    with CaptureQueriesContext(connection) as many:
        _page, texts = read(client, history_url(acc))
    # then the page costs the same number of queries, and names every account
    assert len(texts) == 10
    assert all("别的客户" in text and "苏州精工" in text for text in texts)
    assert len(many.captured_queries) == len(few.captured_queries)
