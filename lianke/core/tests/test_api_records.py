"""The API's per-record and bulk endpoints: history, the recycle bin, attachments,
collaborators, activities, lifecycle moves and bulk update / transfer / delete — each reaching
the UI's service, and each tried by someone who should not get through: a rep on another
department's record (404), a role without the action (403), a bulk request naming a record
its caller may not change (nothing changes)."""

from __future__ import annotations

import os

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianke.activities.models import Activity
from lianke.core.api.records import BULK_MAX
from lianke.core.models import Attachment, ObjectChange
from lianke.core.records import services
from lianke.customers.models import Account, Contact
from lianke.marketing.models import Lead
from lianke.org.choices import FieldMode
from lianke.org.models import Collaborator, FieldPermission

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/customers/accounts/"
CONTACTS = "/api/customers/contacts/"
LEADS = "/api/marketing/leads/"


def url(pk, action, base=ACCOUNTS):
    return f"{base}{pk}/{action}/"


def account(owner, name="上海宝钢", **extra):
    return Account.objects.create(name=name, owner=owner, **extra)


@pytest.fixture
def mine(org):
    return account(org.rep_js)


@pytest.fixture
def theirs(org):
    """Another department's account: rep_js may not even know it exists."""
    return account(org.rep_zj, name="杭州钢铁")


@pytest.fixture
def rep(org, api_for):
    return api_for(org.rep_js)


# ---------------------------------------------------------------------------------- history
def test_history_lists_who_changed_what_old_to_new(org, rep, mine, english):
    rep.patch(f"{ACCOUNTS}{mine.pk}/", {"name": "上海宝钢集团"}, format="json")
    r = rep.get(url(mine.pk, "history"))
    assert r.status_code == 200, r.content
    first = r.json()["results"][0]
    assert first["user"] == org.rep_js.pk and first["action"] == "update"
    assert {"field": "Account name", "old": "上海宝钢", "new": "上海宝钢集团"} in first["changes"]
    assert first["time"] and first["headline"]


def test_history_is_paged_by_cursor(org, rep, mine):
    for n in range(3):
        rep.patch(f"{ACCOUNTS}{mine.pk}/", {"name": f"上海宝钢{n}"}, format="json")
    first = rep.get(url(mine.pk, "history"), {"page_size": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    second = rep.get(first["next"]).json()
    ids = [e["id"] for e in first["results"] + second["results"]]
    assert len(ids) == len(set(ids)) == 3
    assert ids == sorted(ids, reverse=True)
    assert rep.get(url(mine.pk, "history"), {"cursor": "garbage"}).status_code == 400


def test_history_hides_the_fields_the_reader_may_not_see(org, api_for, english):
    # given a contact whose mobile is hidden from sales managers, changed by its owner
    FieldPermission.objects.create(
        role=org.roles["sales_manager"],
        object_type="customers.contact",
        field="mobile",
        mode=FieldMode.HIDDEN,
    )
    contact = Contact.objects.create(name="张三", account=account(org.rep_js), owner=org.rep_js)
    api_for(org.rep_js).patch(f"{CONTACTS}{contact.pk}/", {"mobile": "13912345678"}, format="json")
    # the owner reads the change, the manager does not even learn that it happened
    own = api_for(org.rep_js).get(url(contact.pk, "history", CONTACTS)).json()["results"]
    assert "13912345678" in str(own)
    managed = api_for(org.manager_js).get(url(contact.pk, "history", CONTACTS))
    assert managed.status_code == 200
    assert "13912345678" not in managed.content.decode()
    assert all("Mobile" not in str(e["changes"]) for e in managed.json()["results"])


def test_history_of_another_departments_record_is_not_found(rep, theirs):
    r = rep.get(url(theirs.pk, "history"))
    assert r.status_code == 404 and r.json()["code"] == "not_found"


# ---------------------------------------------------------------------------------- recycle bin
def test_deleted_lists_the_callers_bin_and_restore_brings_a_record_back(org, rep, mine, theirs):
    assert rep.delete(f"{ACCOUNTS}{mine.pk}/").status_code == 204
    services.delete_records(actor=org.rep_zj, records=[theirs])
    listed = rep.get(f"{ACCOUNTS}deleted/")
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [mine.pk]  # not the other rep's
    r = rep.post(url(mine.pk, "restore"))
    assert r.status_code == 200 and r.json()["id"] == mine.pk
    assert not Account.all_objects.get(pk=mine.pk).is_deleted
    assert ObjectChange.objects.filter(object_id=mine.pk, action="restore").exists()


def test_restore_of_a_live_or_invisible_record_is_not_found(org, rep, mine, theirs):
    assert rep.post(url(mine.pk, "restore")).status_code == 404  # not in the bin
    services.delete_records(actor=org.rep_zj, records=[theirs])
    assert rep.post(url(theirs.pk, "restore")).status_code == 404  # not theirs to see
    assert Account.all_objects.get(pk=theirs.pk).is_deleted


def test_the_bin_needs_the_delete_action(org, api_for, mine):
    services.delete_records(actor=org.rep_js, records=[mine])
    ops = api_for(org.ops)  # reads everything, deletes nothing
    assert ops.get(f"{ACCOUNTS}deleted/").status_code == 403
    assert ops.post(url(mine.pk, "restore")).status_code == 403
    assert Account.all_objects.get(pk=mine.pk).is_deleted


# ---------------------------------------------------------------------------------- bulk
def test_bulk_update_changes_every_record_with_history(org, rep):
    rows = [account(org.rep_js, name=f"客户{n}") for n in range(3)]
    r = rep.post(
        f"{ACCOUNTS}bulk-update/",
        {"ids": [a.pk for a in rows], "field": "industry", "value": "machinery"},
        format="json",
    )
    assert r.status_code == 200, r.content
    assert r.json() == {"count": 3}
    assert set(Account.objects.values_list("industry", flat=True)) == {"machinery"}
    assert ObjectChange.objects.filter(action="update", object_id__in=[a.pk for a in rows]).count() == 3


def test_bulk_mixing_a_visible_and_an_invisible_record_changes_nothing(org, rep, mine, theirs):
    for path, body in (
        ("bulk-update", {"field": "industry", "value": "machinery"}),
        ("bulk-delete", {}),
    ):
        r = rep.post(f"{ACCOUNTS}{path}/", {"ids": [mine.pk, theirs.pk], **body}, format="json")
        assert r.status_code == 400, r.content
        assert r.json()["errors"] == [
            {"id": theirs.pk, "field": None, "code": "not_found", "message": r.json()["errors"][0]["message"]}
        ]
    assert not Account.all_objects.filter(is_deleted=True).exists()
    assert not Account.objects.filter(industry="machinery").exists()


def test_bulk_names_the_row_a_service_refuses_and_rolls_back_the_others(org, api_for):
    # a manager deletes two accounts, one of which has a contact he may not delete with it
    manager = api_for(org.manager_js)
    fine = account(org.rep_js, name="客户甲")
    blocked = account(org.rep_js, name="客户乙")
    Contact.objects.create(name="王磊", account=blocked, owner=org.rep_zj)  # another department's
    r = manager.post(f"{ACCOUNTS}bulk-delete/", {"ids": [fine.pk, blocked.pk]}, format="json")
    assert r.status_code == 400, r.content
    errors = r.json()["errors"]
    assert [e["id"] for e in errors] == [blocked.pk] and errors[0]["code"] == "permission_denied"
    assert not Account.all_objects.filter(is_deleted=True).exists()  # not even the fine one


def test_bulk_refuses_bad_input_clearly(org, rep, mine, english):
    too_many = list(range(1, BULK_MAX + 2))
    r = rep.post(f"{ACCOUNTS}bulk-delete/", {"ids": too_many}, format="json")
    assert r.status_code == 400 and r.json()["ids"] == [f"At most {BULK_MAX} records at once."]
    assert rep.post(f"{ACCOUNTS}bulk-delete/", {"ids": []}, format="json").status_code == 400
    r = rep.post(f"{ACCOUNTS}bulk-update/", {"ids": [mine.pk], "field": "owner", "value": 1}, format="json")
    assert r.status_code == 400 and "field" in r.json()
    r = rep.post(
        f"{ACCOUNTS}bulk-update/", {"ids": [mine.pk], "field": "industry", "value": "nope"}, format="json"
    )
    assert r.status_code == 400 and r.json()["code"] == "invalid_choice" and r.json()["value"]
    r = rep.post(
        f"{ACCOUNTS}bulk-update/", {"ids": [mine.pk], "field": "industry", "value": {"a": 1}}, format="json"
    )
    assert r.status_code == 400
    assert not Account.all_objects.filter(is_deleted=True).exists()


def test_bulk_needs_the_action(org, api_for, mine):
    ops = api_for(org.ops)  # may transfer but neither edit nor delete
    body = {"ids": [mine.pk], "field": "industry", "value": "machinery"}
    assert ops.post(f"{ACCOUNTS}bulk-update/", body, format="json").status_code == 403
    assert ops.post(f"{ACCOUNTS}bulk-delete/", {"ids": [mine.pk]}, format="json").status_code == 403
    rep = api_for(org.rep_js)  # may edit and delete but not transfer
    r = rep.post(f"{ACCOUNTS}bulk-transfer/", {"ids": [mine.pk], "new_owner": org.rep_js2.pk}, format="json")
    assert r.status_code == 403
    assert Account.objects.get(pk=mine.pk).owner == org.rep_js


def test_bulk_transfer_and_bulk_delete(org, api_for):
    rows = [account(org.rep_js, name=f"客户{n}") for n in range(2)]
    ids = [a.pk for a in rows]
    r = api_for(org.manager_js).post(
        f"{ACCOUNTS}bulk-transfer/", {"ids": ids, "new_owner": org.rep_js2.pk}, format="json"
    )
    assert r.status_code == 200 and r.json() == {"count": 2}
    assert set(Account.objects.filter(pk__in=ids).values_list("owner", flat=True)) == {org.rep_js2.pk}
    r = api_for(org.rep_js2).post(f"{ACCOUNTS}bulk-delete/", {"ids": ids}, format="json")
    assert r.status_code == 200 and r.json() == {"count": 2}
    assert Account.all_objects.filter(pk__in=ids, is_deleted=True).count() == 2


# ---------------------------------------------------------------------------------- move
def test_move_follows_the_lifecycle_and_keeps_its_refusal_codes(org, rep):
    lead = Lead.objects.create(name="陈静", company="无锡重工", owner=org.rep_js, status="new")
    r = rep.post(url(lead.pk, "move", LEADS), {"to": "contacted"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "contacted"
    r = rep.post(url(lead.pk, "move", LEADS), {"to": "converted"}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "transition_not_allowed"
    assert r.json()["to"]
    assert rep.post(url(lead.pk, "move", LEADS), {"to": "nonsense"}, format="json").status_code == 400
    assert Lead.objects.get(pk=lead.pk).status == "contacted"


def test_move_is_refused_off_scope_and_without_edit(org, api_for):
    theirs = Lead.objects.create(name="李雷", company="杭州重工", owner=org.rep_zj, status="new")
    assert (
        api_for(org.rep_js)
        .post(url(theirs.pk, "move", LEADS), {"to": "contacted"}, format="json")
        .status_code
        == 404
    )
    assert (
        api_for(org.ops).post(url(theirs.pk, "move", LEADS), {"to": "contacted"}, format="json").status_code
        == 403
    )
    assert Lead.objects.get(pk=theirs.pk).status == "new"


def test_only_types_with_a_lifecycle_have_move(rep, mine):
    assert rep.post(url(mine.pk, "move"), {"to": "x"}, format="json").status_code == 404


# ---------------------------------------------------------------------------------- collaborators
def test_collaborators_are_added_changed_listed_and_removed(org, rep, mine):
    r = rep.post(
        url(mine.pk, "collaborators"), {"user": org.rep_zj.pk, "access_level": "read"}, format="json"
    )
    assert r.status_code == 200, r.content
    assert r.json()["user"] == org.rep_zj.pk and r.json()["access_level"] == "read"
    rep.post(url(mine.pk, "collaborators"), {"user": org.rep_zj.pk, "access_level": "write"}, format="json")
    listed = rep.get(url(mine.pk, "collaborators")).json()
    assert [(c["user"], c["access_level"]) for c in listed] == [(org.rep_zj.pk, "write")]
    # the collaborator now reads it
    assert rep.delete(f"{url(mine.pk, 'collaborators')}{org.rep_zj.pk}/").status_code == 204
    assert not Collaborator.objects.exists()
    assert rep.delete(f"{url(mine.pk, 'collaborators')}{org.rep_zj.pk}/").status_code == 404
    assert (
        ObjectChange.objects.filter(object_id=mine.pk, postchange_data__has_key="collaborators").count() == 3
    )


def test_collaborators_refuse_the_owner_off_scope_and_without_edit(org, api_for, mine, theirs):
    rep = api_for(org.rep_js)
    r = rep.post(
        url(mine.pk, "collaborators"), {"user": org.rep_js.pk, "access_level": "read"}, format="json"
    )
    assert r.status_code == 400 and "user" in r.json()
    r = rep.post(
        url(theirs.pk, "collaborators"), {"user": org.rep_js.pk, "access_level": "write"}, format="json"
    )
    assert r.status_code == 404  # sharing himself another department's record
    assert rep.get(url(theirs.pk, "collaborators")).status_code == 404
    ops = api_for(org.ops)  # reads every account, edits none
    assert ops.get(url(mine.pk, "collaborators")).status_code == 200
    r = ops.post(url(mine.pk, "collaborators"), {"user": org.ops.pk, "access_level": "write"}, format="json")
    assert r.status_code == 403
    assert not Collaborator.objects.exists()


# ---------------------------------------------------------------------------------- attachments
def upload(name="报价单.pdf", data=b"%PDF-1.4\n%test\n"):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def test_attachments_are_uploaded_listed_and_deleted(org, rep, mine, django_capture_on_commit_callbacks):
    r = rep.post(url(mine.pk, "attachments"), {"file": upload()}, format="multipart")
    assert r.status_code == 201, r.content
    stored = Attachment.objects.get()
    assert r.json()["id"] == stored.pk and r.json()["name"] == "报价单.pdf"
    assert [a["id"] for a in rep.get(url(mine.pk, "attachments")).json()] == [stored.pk]
    path = stored.file.path
    with django_capture_on_commit_callbacks(execute=True):
        assert rep.delete(f"{url(mine.pk, 'attachments')}{stored.pk}/").status_code == 204
    assert not Attachment.objects.exists()
    assert not os.path.exists(path)  # the file leaves the disk once the deletion commits


def test_attachments_of_an_invisible_record_are_out_of_reach(org, api_for, mine, theirs):
    services_upload = api_for(org.rep_zj).post(
        url(theirs.pk, "attachments"), {"file": upload()}, format="multipart"
    )
    assert services_upload.status_code == 201
    theirs_file = Attachment.objects.get()
    rep = api_for(org.rep_js)
    assert rep.get(url(theirs.pk, "attachments")).status_code == 404
    assert rep.post(url(theirs.pk, "attachments"), {"file": upload()}, format="multipart").status_code == 404
    assert rep.delete(f"{url(theirs.pk, 'attachments')}{theirs_file.pk}/").status_code == 404
    # nor through a record of their own: the attachment must hang on the record named
    assert rep.delete(f"{url(mine.pk, 'attachments')}{theirs_file.pk}/").status_code == 404
    assert Attachment.objects.count() == 1


def test_attachments_need_edit_to_change_and_refuse_bad_files(org, api_for, mine):
    ops = api_for(org.ops)
    assert ops.get(url(mine.pk, "attachments")).status_code == 200
    assert ops.post(url(mine.pk, "attachments"), {"file": upload()}, format="multipart").status_code == 403
    rep = api_for(org.rep_js)
    assert rep.post(url(mine.pk, "attachments"), {}, format="multipart").status_code == 400
    r = rep.post(url(mine.pk, "attachments"), {"file": upload("evil.pdf", b"MZ\x90\x00")}, format="multipart")
    assert r.status_code == 400
    assert not Attachment.objects.exists()


# ---------------------------------------------------------------------------------- activities
def test_activities_of_a_record_as_the_activity_type_lets_the_caller_read_them(org, api_for, mine):
    ct = ContentType.objects.get_for_model(Account)
    own = Activity.objects.create(
        subject="拜访", owner=org.rep_js, content_type=ct, object_id=mine.pk, account=mine
    )
    # a colleague's follow-up on the same account: readable through the account
    colleague = Activity.objects.create(
        subject="电话", owner=org.rep_zj, content_type=ct, object_id=mine.pk, account=mine
    )
    other = Activity.objects.create(subject="别的", owner=org.rep_js)
    r = api_for(org.rep_js).get(url(mine.pk, "activities"))
    assert r.status_code == 200, r.content
    ids = {a["id"] for a in r.json()["results"]}
    assert ids == {own.pk, colleague.pk} and other.pk not in ids
    # another department's rep may not read the account, nor its activities
    assert api_for(org.rep_zj).get(url(mine.pk, "activities")).status_code == 404


def test_activities_on_a_contact_are_only_those_the_reader_may_see(org, api_for, mine):
    contact = Contact.objects.create(name="王磊", account=mine, owner=org.rep_js)
    ct = ContentType.objects.get_for_model(Contact)
    seen = Activity.objects.create(subject="拜访", owner=org.rep_js, content_type=ct, object_id=contact.pk)
    r = api_for(org.rep_js).get(url(contact.pk, "activities", CONTACTS))
    assert [a["id"] for a in r.json()["results"]] == [seen.pk]
    assert api_for(org.rep_js).get(f"/api/activities/activities/{seen.pk}/activities/").status_code == 404


def test_the_schema_lists_every_new_operation(org, api_for):
    paths = api_for(org.rep_js).get("/api/schema/", {"format": "json"}).json()["paths"]
    base = "/api/sales/opportunities/"
    for path in (
        "{id}/history/",
        "deleted/",
        "{id}/restore/",
        "{id}/attachments/",
        "{id}/attachments/{attachment_id}/",
        "{id}/collaborators/",
        "{id}/collaborators/{user_id}/",
        "{id}/activities/",
        "{id}/move/",
        "bulk-update/",
        "bulk-transfer/",
        "bulk-delete/",
    ):
        assert base + path in paths, path
    assert "/api/sales/competitors/{id}/move/" not in paths  # no lifecycle
    assert "/api/sales/competitors/{id}/collaborators/" not in paths  # a catalog: shared anyway
    assert "/api/activities/activities/{id}/activities/" not in paths


# ---------------------------------------------------------------------------------- cost
def test_reading_a_longer_history_or_more_activities_costs_no_more_queries(org, rep, mine):
    ct = ContentType.objects.get_for_model(Account)

    def add(count):
        for n in range(count):
            rep.patch(
                f"{ACCOUNTS}{mine.pk}/", {"name": f"上海宝钢{n}", "industry": "machinery"}, format="json"
            )
            Activity.objects.create(
                subject=f"拜访{n}", owner=org.rep_js, content_type=ct, object_id=mine.pk, account=mine
            )

    def cost(action):
        with CaptureQueriesContext(connection) as queries:
            assert rep.get(url(mine.pk, action)).status_code == 200
        return len(queries)

    add(2)
    actions = ("history", "activities", "collaborators", "attachments")
    for action in actions:
        cost(action)  # warm the per-process caches (content types, custom fields)
    few = {a: cost(a) for a in actions}
    add(8)
    assert {a: cost(a) for a in few} == few
