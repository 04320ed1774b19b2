"""Versions: every record counts its changes; the API returns it as the ETag and refuses a write
from a stale copy named by If-Match (412); the edit form carries the version it was opened at,
and a stale save shows what changed since instead of overwriting it; without a version, a
write applies only what it changed to the row as stored."""

from __future__ import annotations

import pytest

from lianke.core.models import ObjectChange
from lianke.core.objecttypes.registry import registry
from lianke.core.records import services
from lianke.customers.models import Account, Contact
from lianke.org.models import Role, RolePermission
from lianke.org.tests.test_permission_matrix import form_data
from lianke.sales.models import Opportunity

pytestmark = pytest.mark.django_db

URL = "/api/customers/accounts/"


@pytest.fixture
def account(org):
    return Account.objects.create(name="苏州精工", owner=org.rep_js)


def stored(obj):
    return type(obj).all_objects.get(pk=obj.pk)


def test_reads_and_writes_return_the_version_as_etag(org, api_for, account):
    api = api_for(org.rep_js)
    read = api.get(f"{URL}{account.pk}/")
    assert read["ETag"] == '"1"' and read.json()["version"] == 1
    written = api.patch(f"{URL}{account.pk}/", {"city": "苏州"}, format="json")
    assert written.status_code == 200 and written["ETag"] == '"2"' and written.json()["version"] == 2
    created = api.post(URL, {"name": "无锡钢构"}, format="json")
    assert created.status_code == 201 and created["ETag"] == '"1"'


@pytest.mark.parametrize("header", ['"1"', 'W/"1"', "1", '"x"', '"0"'])
def test_a_stale_or_unknown_if_match_is_refused_with_412_and_nothing_changes(org, api_for, account, header):
    api = api_for(org.rep_js)
    api.patch(f"{URL}{account.pk}/", {"city": "苏州"}, format="json")  # now version 2
    history = ObjectChange.objects.count()
    r = api.patch(f"{URL}{account.pk}/", {"city": "无锡"}, format="json", headers={"If-Match": header})
    assert r.status_code == 412
    assert r.json()["code"] == "version_conflict" and r.json()["current_version"] == 2
    assert r["ETag"] == '"2"'
    assert stored(account).city == "苏州" and ObjectChange.objects.count() == history


@pytest.mark.parametrize("header", ['"2"', 'W/"2"', "*"])
def test_the_current_version_or_a_star_lets_the_write_through(org, api_for, account, header):
    api = api_for(org.rep_js)
    api.patch(f"{URL}{account.pk}/", {"city": "苏州"}, format="json")
    r = api.patch(f"{URL}{account.pk}/", {"city": "无锡"}, format="json", headers={"If-Match": header})
    assert r.status_code == 200 and stored(account).city == "无锡"


def test_a_delete_with_a_stale_version_is_refused(org, api_for, account):
    api = api_for(org.rep_js)
    api.patch(f"{URL}{account.pk}/", {"city": "苏州"}, format="json")
    assert api.delete(f"{URL}{account.pk}/", headers={"If-Match": '"1"'}).status_code == 412
    assert not stored(account).is_deleted
    assert api.delete(f"{URL}{account.pk}/", headers={"If-Match": '"2"'}).status_code == 204
    assert stored(account).is_deleted and stored(account).version == 3


def test_two_stale_copies_changing_different_fields_both_survive(org, account):
    first, second = Account.objects.get(pk=account.pk), Account.objects.get(pk=account.pk)
    first.city = "苏州"
    services.save_record(actor=org.rep_js, instance=first)
    second.phone = "0512-66881234"
    services.save_record(actor=org.rep_js, instance=second)
    now = stored(account)
    assert (now.city, now.phone, now.version) == ("苏州", "0512-66881234", 3)
    # and the second change's history has only its own field
    last = ObjectChange.objects.filter(object_id=account.pk, action="update").order_by("-id").first()
    assert [name for name, _old, _new in last.diff()] == ["phone"]


def test_a_save_that_changes_nothing_writes_nothing(org, account):
    same = Account.objects.get(pk=account.pk)
    services.save_record(actor=org.rep_js, instance=same)
    assert stored(account).version == 1
    assert not ObjectChange.objects.filter(object_id=account.pk, action="update").exists()


def test_a_stale_edit_form_shows_what_changed_since_and_a_second_save_wins(org, client_for, account):
    ot = registry.get("customers.account")
    web = client_for(org.rep_js)
    opened = web.get(f"/customers/account/{account.pk}/edit/").content.decode()
    assert 'name="record_version" value="1"' in opened
    # a colleague (the manager) changes the city meanwhile
    theirs = Account.objects.get(pk=account.pk)
    theirs.city = "无锡"
    services.save_record(actor=org.manager_js, instance=theirs)
    # when the rep saves the form opened at version 1
    data = form_data(ot, account, city="苏州", record_version="1")
    r = web.post(f"/customers/account/{account.pk}/edit/", data, headers={"accept-language": "en"})
    # then nothing is saved; the page says so, shows the manager's change, and carries version 2
    page = r.content.decode()
    assert r.status_code == 409
    assert "was changed by someone else" in page and "王芳" in page and "无锡" in page
    assert 'name="record_version" value="2"' in page
    assert stored(account).city == "无锡"
    # when the rep, having seen it, saves again, their value wins
    data["record_version"] = "2"
    assert web.post(f"/customers/account/{account.pk}/edit/", data).status_code == 302
    assert stored(account).city == "苏州"


def test_a_form_with_errors_keeps_the_version_it_was_opened_at(org, client_for, account):
    ot = registry.get("customers.account")
    data = form_data(ot, account, email="not-an-email", record_version="1")
    theirs = Account.objects.get(pk=account.pk)
    theirs.city = "无锡"
    services.save_record(actor=org.manager_js, instance=theirs)
    page = client_for(org.rep_js).post(f"/customers/account/{account.pk}/edit/", data).content.decode()
    assert 'name="record_version" value="1"' in page  # not silently refreshed by a field error


def test_a_transfer_with_related_records_of_a_type_one_may_not_transfer_is_refused_whole(org, stages):
    # given a role that may transfer accounts and contacts but not opportunities
    role = Role.objects.create(name="客户交接")
    for key in ("customers.account", "customers.contact", "sales.opportunity"):
        actions = ["view", "edit", "transfer"] if key != "sales.opportunity" else ["view", "edit"]
        RolePermission.objects.create(role=role, object_type=key, actions=actions, scope="department_tree")
    handover = org.rep_zj
    handover.roles.set([role])
    account = Account.objects.create(name="杭州钢构", owner=org.rep_zj)
    contact = Contact.objects.create(name="李娜", account=account, owner=org.rep_zj)
    Opportunity.objects.create(
        name="二期", owner=org.rep_zj, account=account, stage_set=stages["set"], stage=stages["first"]
    )
    colleague = org.rep_zj.__class__.objects.create_user(
        "rep_zj2", password="pw", name="钱多", department=org.zj_team
    )
    # when they transfer the account with its related records
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied, match="二期"):
        services.transfer_records(actor=handover, records=[account], new_owner=colleague, with_related=True)
    # then nothing moved: not the account, not the contact
    assert stored(account).owner_id == org.rep_zj.pk and stored(contact).owner_id == org.rep_zj.pk
    # without the related records it goes through
    services.transfer_records(actor=handover, records=[account], new_owner=colleague, with_related=False)
    assert stored(account).owner_id == colleague.pk
