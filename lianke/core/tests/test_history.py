"""History: every change of every field, from every source, one entry per record, readable."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from lianke.activities.models import Activity
from lianke.core.context import acting_as
from lianke.core.models import CustomField, ObjectChange
from lianke.core.records import services
from lianke.customers.models import Account, Contact

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english):
    """Messages and labels are asserted in English, the source language (see conftest)."""


A = ObjectChange.ActionChoices
LIST_URL = "/customers/account/"
API_URL = "/api/customers/accounts/"


def changes_of(obj, action=None):
    query = ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(type(obj)), object_id=obj.pk
    ).order_by("id")
    return list(query.filter(action=action) if action else query)


def account(owner, name="苏州精工机械有限公司", **fields):
    return Account.objects.create(name=name, owner=owner, **fields)


@pytest.fixture
def grade(db):
    return CustomField.objects.create(
        object_type="customers.account",
        name="grade",
        label="客户等级",
        type="select",
        options=[{"key": "vip", "label": "重要"}, {"key": "std", "label": "普通"}],
    )


@pytest.fixture
def manager_field(db):
    return CustomField.objects.create(
        object_type="customers.account", name="manager", label="客户经理", type="user"
    )


def form_data(obj, **changes):
    """The edit form as the page shows it for ``obj`` (unchanged), with ``changes`` applied."""
    data = {
        "name": obj.name,
        "short_name": obj.short_name,
        "credit_code": obj.credit_code,
        "account_type": obj.account_type,
        "industry": obj.industry,
        "level": obj.level,
        "source": obj.source,
        "parent": obj.parent_id or "",
        "phone": obj.phone,
        "email": obj.email,
        "website": obj.website,
        "province": obj.province,
        "city": obj.city,
        "district": obj.district,
        "address": obj.address,
        "description": obj.description,
    }
    for key, value in (obj.custom_data or {}).items():
        data[f"cf_{key}"] = value
    data.update(changes)
    return data


def test_creating_through_the_web_records_who_when_where_and_every_value(org, client_for, grade):
    # given a rep on the new-account form
    before = timezone.now()
    # when the rep creates an account
    response = client_for(org.rep_js).post(
        f"{LIST_URL}new/",
        {"name": "昆山新材料", "account_type": "distributor", "owner": org.rep_js.pk, "cf_grade": "vip"},
    )
    # then one "created" entry names the rep, the source, the time and the values
    assert response.status_code == 302
    obj = Account.objects.get(name="昆山新材料")
    [change] = changes_of(obj)
    assert change.action == A.CREATE
    assert change.user == org.rep_js
    assert change.user_name == "张伟"
    assert change.source == "web"
    assert change.time >= before
    assert change.prechange_data is None
    assert change.postchange_data["name"] == "昆山新材料"
    assert change.postchange_data["account_type"] == "distributor"
    assert change.postchange_data["owner"] == org.rep_js.pk
    assert change.postchange_data["cf.grade"] == "vip"


def test_every_changed_standard_and_custom_field_is_recorded_old_to_new(org, client_for, grade):
    # given an account
    obj = account(org.rep_js, level="b", city="苏州市", custom_data={"grade": "std"})
    # when the rep edits several fields through the form
    response = client_for(org.rep_js).post(
        f"{LIST_URL}{obj.pk}/edit/",
        form_data(obj, name="苏州精工（集团）", level="a", city="", phone="0512-57001234", cf_grade="vip"),
    )
    # then one update entry lists exactly those fields with old and new values
    assert response.status_code == 302
    [change] = changes_of(obj, A.UPDATE)
    assert change.source == "web"
    assert change.user == org.rep_js
    assert sorted(change.diff()) == sorted(
        [
            ("name", "苏州精工机械有限公司", "苏州精工（集团）"),
            ("level", "b", "a"),
            ("city", "苏州市", ""),
            ("phone", "", "0512-57001234"),
            ("cf.grade", "std", "vip"),
        ]
    )


def test_api_changes_are_recorded_with_the_api_as_source(org, api_for, grade):
    # given an account
    obj = account(org.rep_js)
    # when the rep patches it through the API
    response = api_for(org.rep_js).patch(
        f"{API_URL}{obj.pk}/", {"short_name": "精工", "custom_fields": {"grade": "普通"}}, format="json"
    )
    # then the entry says "api" and names the rep
    assert response.status_code == 200
    [change] = changes_of(obj, A.UPDATE)
    assert (change.source, change.user) == ("api", org.rep_js)
    assert sorted(change.diff()) == [("cf.grade", None, "std"), ("short_name", "", "精工")]


def test_command_changes_are_recorded_with_the_command_as_source(org):
    # given an account
    obj = account(org.rep_js)
    # when a management command acts as an administrator
    with acting_as(org.admin, source="command"):
        obj.industry = "machinery"
        services.save_record(actor=org.admin, instance=obj)
    # then the entry says "command" and names the administrator
    [change] = changes_of(obj, A.UPDATE)
    assert (change.source, change.user, change.user_name) == ("command", org.admin, "管理员")
    assert change.diff() == [("industry", "", "machinery")]


def test_saving_an_unchanged_form_records_nothing(org, client_for, grade):
    # given an account with standard and custom values
    obj = account(org.rep_js, level="a", phone="0512-57001234", custom_data={"grade": "vip"})
    # when its form is saved without changes
    response = client_for(org.rep_js).post(f"{LIST_URL}{obj.pk}/edit/", form_data(obj))
    # then no update entry is written
    assert response.status_code == 302
    assert changes_of(obj, A.UPDATE) == []


def test_saving_an_unchanged_activity_with_times_records_nothing(org, client_for):
    # given an activity whose times the form shows in local time
    at = timezone.make_aware(dt.datetime(2024, 3, 5, 10, 30))
    task = Activity.objects.create(
        subject="回访",
        kind="task",
        owner=org.rep_js,
        assignee=org.rep_js,
        occurred_at=at,
        due_at=at + dt.timedelta(days=1),
    )
    data = {
        "kind": "task",
        "subject": "回访",
        "body": "",
        "occurred_at": "2024-03-05T10:30",
        "direction": "",
        "duration_minutes": "",
        "location": "",
        "assignee": org.rep_js.pk,
        "due_at": "2024-03-06T10:30",
    }
    # when its form is saved without changes
    response = client_for(org.rep_js).post(f"/activities/activity/{task.pk}/edit/", data)
    # then no update entry is written (same instant, whatever the time zone)
    assert response.status_code == 302
    assert changes_of(task, A.UPDATE) == []


def test_delete_and_restore_are_recorded_once_per_record(org):
    # given an account with two contacts
    obj = account(org.rep_js)
    contacts = [Contact.objects.create(name=n, account=obj, owner=org.rep_js) for n in ("王磊", "刘洋")]
    # when the account is deleted and restored
    with acting_as(org.rep_js, source="web"):
        services.delete_records(actor=org.rep_js, records=[obj])
        services.restore_records(actor=org.rep_js, records=[Account.all_objects.get(pk=obj.pk)])
    # then each of the three records has one deleted and one restored entry
    for record in (obj, *contacts):
        assert [c.action for c in changes_of(record)] == [A.DELETE, A.RESTORE]
        assert all(c.user == org.rep_js for c in changes_of(record))


def test_transfer_is_recorded_per_moved_record_with_the_owner_change(org):
    # given an account and its contact
    obj = account(org.rep_js)
    contact = Contact.objects.create(name="王磊", account=obj, owner=org.rep_js)
    # when sales operations transfers the account with related records to another company
    with acting_as(org.ops, source="web"):
        services.transfer_records(actor=org.ops, records=[obj], new_owner=org.rep_zj)
    # then each has one transfer entry: owner and department old → new
    for record in (obj, contact):
        [change] = changes_of(record, A.TRANSFER)
        assert change.user == org.ops
        assert sorted(change.diff()) == [
            ("department", org.js_team.pk, org.zj_team.pk),
            ("owner", org.rep_js.pk, org.rep_zj.pk),
        ]


def test_bulk_edit_records_one_entry_per_changed_record(org, client_for, grade):
    # given three accounts, one already at the target level
    a, b, c = (account(org.rep_js, name=n, level=lv) for n, lv in (("甲", "b"), ("乙", "c"), ("丙", "a")))
    client = client_for(org.rep_js)
    # when the rep sets the level, then a custom field, on all three
    for field, value in (("level", "a"), ("cf_grade", "重要")):
        response = client.post(
            f"{LIST_URL}bulk/",
            {"bulk_action": "edit", "pk": [a.pk, b.pk, c.pk], "field": field, "value": value},
        )
        assert response.status_code == 302
    # then the level change is recorded on the two that changed, the custom one on all three
    assert [ch.diff() for ch in changes_of(a, A.UPDATE)] == [
        [("level", "b", "a")],
        [("cf.grade", None, "vip")],
    ]
    assert [ch.diff() for ch in changes_of(b, A.UPDATE)] == [
        [("level", "c", "a")],
        [("cf.grade", None, "vip")],
    ]
    assert [ch.diff() for ch in changes_of(c, A.UPDATE)] == [[("cf.grade", None, "vip")]]
    assert all(ch.source == "web" and ch.user == org.rep_js for ch in ObjectChange.objects.all())


def test_bulk_transfer_records_one_entry_per_record(org, client_for):
    # given two accounts of the rep
    a, b = account(org.rep_js, name="甲"), account(org.rep_js, name="乙")
    # when the manager transfers both from the list page
    response = client_for(org.manager_js).post(
        f"{LIST_URL}bulk/", {"bulk_action": "transfer", "pk": [a.pk, b.pk], "new_owner": org.rep_js2.pk}
    )
    # then each has exactly one transfer entry
    assert response.status_code == 302
    for record in (a, b):
        [change] = changes_of(record, A.TRANSFER)
        assert ("owner", org.rep_js.pk, org.rep_js2.pk) in change.diff()


def test_the_history_fragment_shows_labels_and_readable_values(org, client_for, grade, manager_field):
    # given an account whose level, owner and custom fields changed
    obj = account(org.rep_js, level="b", custom_data={"grade": "std", "manager": org.rep_js.pk})
    client = client_for(org.manager_js)
    edited = client.post(
        f"{LIST_URL}{obj.pk}/edit/",
        form_data(obj, level="key", cf_grade="vip", cf_manager=org.rep_js2.pk),
    )
    assert edited.status_code == 302, edited.context["form"].errors
    with acting_as(org.manager_js, source="web"):
        services.transfer_records(actor=org.manager_js, records=[obj], new_owner=org.lead_js)
    # when the history tab is opened
    response = client.get(f"{LIST_URL}{obj.pk}/history/")
    # then fields show their labels and values their names, not codes or ids
    assert response.status_code == 200
    rows = {
        str(label).lower(): (str(old), str(new))
        for row in response.context["changes"]
        for label, old, new in row.diff
    }
    level_choices = dict(Account._meta.get_field("level").flatchoices)
    assert rows["level"] == (str(level_choices["b"]), str(level_choices["key"]))
    assert rows["客户等级"] == ("普通", "重要")
    assert rows["客户经理"] == ("张伟", "孙丽")
    assert rows["owner"] == ("张伟", "赵强")
    html = response.content.decode()
    assert {row.change.source for row in response.context["changes"]} == {"web"}
    for text in ("客户等级", "普通", "重要", "客户经理", "孙丽", "赵强", "王芳"):
        assert text in html


def test_the_account_history_includes_changes_of_its_contacts(org, client_for):
    # given an account and a contact whose mobile changed
    obj = account(org.rep_js)
    other = account(org.rep_js, name="别的客户")
    contact = Contact.objects.create(name="王磊", account=obj, owner=org.rep_js)
    client = client_for(org.rep_js)
    response = client.post(
        f"/customers/contact/{contact.pk}/edit/",
        {"name": "王磊", "account": obj.pk, "mobile": "13800138000"},
    )
    assert response.status_code == 302
    # when the account's history is opened
    page = client.get(f"{LIST_URL}{obj.pk}/history/")
    # then the contact's change is there, labelled with the contact
    entries = [(row.change.object_id, row.change.action) for row in page.context["changes"]]
    assert (contact.pk, A.UPDATE) in entries
    assert "王磊" in page.content.decode()
    assert "13800138000" in page.content.decode()
    # and another account's history does not show it
    other_page = client.get(f"{LIST_URL}{other.pk}/history/")
    assert all(row.change.object_id != contact.pk for row in other_page.context["changes"])


def test_history_of_a_record_the_user_cannot_see_is_404(org, client_for):
    obj = account(org.rep_zj)
    assert client_for(org.rep_js).get(f"{LIST_URL}{obj.pk}/history/").status_code == 404
