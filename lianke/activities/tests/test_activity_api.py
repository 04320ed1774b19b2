"""Logging a follow-up through the API on a named record: a phone or an integration logs a visit
on a customer; the record must be one the caller may read, of a type that takes activities."""

from __future__ import annotations

import pytest

from lianke.activities.models import Activity
from lianke.customers.models import Account, Contact
from lianke.sales.models import Competitor

pytestmark = pytest.mark.django_db

URL = "/api/activities/activities/"


@pytest.fixture
def url(api_for, org):
    # the generated route: /api/<app>/<model>s/
    return URL


def test_a_visit_is_logged_on_a_customer_and_shows_on_its_timeline(org, api_for, client_for, url):
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    r = api_for(org.rep_js).post(
        url,
        {
            "kind": "visit",
            "subject": "上门拜访采购部",
            "target_type": "customers.account",
            "target_id": account.pk,
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    assert (r.json()["target_type"], r.json()["target_id"]) == ("customers.account", account.pk)
    activity = Activity.objects.get(pk=r.json()["id"])
    assert activity.account_id == account.pk and activity.owner_id == org.rep_js.pk
    assert Account.all_objects.get(pk=account.pk).last_activity_at == activity.occurred_at
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(Account).pk
    page = client_for(org.rep_js).get(f"/activities/timeline/{ct}/{account.pk}/").content.decode()
    assert "上门拜访采购部" in page


def test_a_follow_up_on_a_contact_belongs_to_its_account_too(org, api_for, url):
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    contact = Contact.objects.create(name="王磊", account=account, owner=org.rep_js)
    r = api_for(org.rep_js).post(
        url,
        {"kind": "call", "subject": "电话沟通", "target_type": "customers.contact", "target_id": contact.pk},
        format="json",
    )
    assert r.status_code == 201, r.content
    assert Activity.objects.get(pk=r.json()["id"]).account_id == account.pk


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"target_type": "customers.account"}, "target_id"),
        ({"target_id": 1}, "target_type"),
        ({"target_type": "no.such", "target_id": 1}, "target_type"),
        ({"target_type": "activities.activity", "target_id": 1}, "target_type"),
        ({"target_type": "customers.account", "target_id": "abc"}, "target_id"),
    ],
)
def test_a_bad_target_is_a_field_error_and_nothing_is_written(org, api_for, url, payload, field):
    r = api_for(org.rep_js).post(url, {"kind": "note", "subject": "备注", **payload}, format="json")
    assert r.status_code == 400 and field in r.json()
    assert not Activity.all_objects.exists()


def test_a_record_one_may_not_see_takes_no_activity_and_is_not_revealed(org, api_for, url):
    theirs = Account.objects.create(name="杭州钢构", owner=org.rep_zj)
    r = api_for(org.rep_js).post(
        url,
        {"kind": "note", "subject": "打探", "target_type": "customers.account", "target_id": theirs.pk},
        format="json",
    )
    missing = api_for(org.rep_js).post(
        url,
        {"kind": "note", "subject": "打探", "target_type": "customers.account", "target_id": 999999},
        format="json",
    )
    assert r.status_code == missing.status_code == 400
    assert r.json() == missing.json()  # the same answer as for a record that does not exist
    assert not Activity.all_objects.exists()


def test_a_type_without_activities_is_refused(org, api_for, url):
    rival = Competitor.objects.create(name="宝钢股份")
    r = api_for(org.manager_js).post(
        url,
        {"kind": "note", "subject": "x", "target_type": "sales.competitor", "target_id": rival.pk},
        format="json",
    )
    assert r.status_code == 400 and "target_type" in r.json()


def test_the_target_is_fixed_once_logged(org, api_for, url):
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    other = Account.objects.create(name="无锡钢构", owner=org.rep_js)
    api = api_for(org.rep_js)
    created = api.post(
        url,
        {"kind": "note", "subject": "备注", "target_type": "customers.account", "target_id": account.pk},
        format="json",
    ).json()
    r = api.patch(
        f"{url}{created['id']}/", {"target_type": "customers.account", "target_id": other.pk}, format="json"
    )
    assert r.status_code == 400 and "target_type" in r.json()
    assert Activity.objects.get(pk=created["id"]).object_id == account.pk
