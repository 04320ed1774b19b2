"""The write pipeline under parallel requests against a live server (threads released together,
each on its own HTTP and database connection): edits of different fields all survive and
history tells each one truly; with a version named (If-Match, the edit form) exactly one of
the racing writers wins; parallel transfers leave a true chain of owners with the contacts
alongside; a bulk edit racing single edits loses neither."""

from __future__ import annotations

import json

import pytest

from lianke.core.models import ObjectChange
from lianke.customers.models import Account, Contact

from ..live import LiveSession, race

FIELDS = {
    "short_name": "精工",
    "city": "苏州",
    "address": "工业园区星湖街 1 号",
    "website": "https://jinggong.example.cn",
    "phone": "0512-66881234",
    "email": "info@jinggong.example.cn",
    "description": "年采购量约 3,000 吨",
    "district": "工业园区",
    "industry": "machinery",
    "level": "key",
}


@pytest.fixture
def sessions(live_server, org):
    return lambda user, n: [LiveSession(live_server.url, user) for _ in range(n)]


def updates_of(obj) -> list[ObjectChange]:
    return list(
        ObjectChange.objects.filter(
            object_id=obj.pk, action="update", content_type__model="account"
        ).order_by("id")
    )


def test_ten_parallel_patches_of_different_fields_all_survive_and_history_tells_each(org, sessions):
    # given an account and ten API clients of its owner, each changing another field
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    fields = list(FIELDS)
    clients = sessions(org.rep_js, len(fields))
    url = f"/api/customers/accounts/{account.pk}/"
    # when they PATCH at the same moment, without naming a version
    answers = race(
        [lambda c=c, f=f: c.patch(url, {f: FIELDS[f]}) for c, f in zip(clients, fields, strict=True)]
    )
    # then every one answered 200 and every change is in the record
    assert [a.status for a in answers] == [200] * len(fields), [a.body[:200] for a in answers]
    account = Account.all_objects.get(pk=account.pk)
    assert {f: getattr(account, f) for f in fields} == {f: FIELDS[f] for f in fields}
    assert account.version == 1 + len(fields)
    # and history holds one entry per change, each with exactly its own field, in version order
    changes = updates_of(account)
    assert sorted(name for c in changes for name, _old, _new in c.diff()) == sorted(fields)
    assert [c.postchange_data["version"] for c in changes] == list(range(2, 2 + len(fields)))
    assert all(len(c.diff()) == 1 for c in changes)


def test_parallel_custom_field_patches_merge(org, sessions):
    from lianke.core.models import CustomField

    for name in ("staff", "note"):
        CustomField.objects.create(
            object_type="customers.account",
            name=name,
            label=name,
            type="integer" if name == "staff" else "text",
        )
    account = Account.objects.create(name="苏州精工", owner=org.rep_js, custom_data={"staff": 5})
    a, b = sessions(org.rep_js, 2)
    url = f"/api/customers/accounts/{account.pk}/"
    answers = race(
        [
            lambda: a.patch(url, {"custom_fields": {"staff": 120}}),
            lambda: b.patch(url, {"custom_fields": {"note": "按月结算"}}),
        ]
    )
    assert [x.status for x in answers] == [200, 200], [x.body[:300] for x in answers]
    assert Account.all_objects.get(pk=account.pk).custom_data == {"staff": 120, "note": "按月结算"}


def test_with_if_match_exactly_one_of_the_racing_writers_wins(org, sessions):
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    clients = sessions(org.rep_js, 6)
    url = f"/api/customers/accounts/{account.pk}/"
    answers = race(
        [
            lambda c=c, i=i: c.patch(url, {"city": f"城市{i}"}, headers={"If-Match": '"1"'})
            for i, c in enumerate(clients)
        ]
    )
    statuses = sorted(a.status for a in answers)
    assert statuses == [200] + [412] * 5, [a.body[:200] for a in answers]
    losers = [json.loads(a.body) for a in answers if a.status == 412]
    assert {(x["code"], x["current_version"]) for x in losers} == {("version_conflict", 2)}
    account = Account.all_objects.get(pk=account.pk)
    assert account.version == 2 and len(updates_of(account)) == 1


def test_parallel_saves_of_one_edit_form_keep_one_and_tell_the_others(org, sessions):
    from lianke.core.objecttypes.registry import registry
    from lianke.org.tests.test_permission_matrix import form_data

    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    tabs = sessions(org.rep_js, 4)
    form = form_data(registry.get("customers.account"), account, record_version="1")
    # every tab opened the form at version 1 and changes the city
    answers = race(
        [
            lambda t=t, i=i: t.post(
                f"/customers/account/{account.pk}/edit/",
                {**form, "city": f"城市{i}"},
                headers={"Accept-Language": "en"},
            )
            for i, t in enumerate(tabs)
        ]
    )
    assert sorted(a.status for a in answers) == [302, 409, 409, 409], [a.status for a in answers]
    assert all("was changed by someone else" in a.body for a in answers if a.status == 409)
    assert Account.all_objects.get(pk=account.pk).version == 2


def test_parallel_transfers_leave_a_true_chain_of_owners_with_the_contacts_alongside(org, sessions):
    # given an account with contacts, and the manager transferring it to four people at once
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    contacts = [
        Contact.objects.create(name=f"联系人{i}", account=account, owner=org.rep_js) for i in range(3)
    ]
    targets = [org.rep_js2, org.lead_js, org.manager_js, org.rep_js]
    tabs = sessions(org.manager_js, len(targets))
    answers = race(
        [
            lambda t=t, u=u: t.post(
                f"/customers/account/{account.pk}/transfer/", {"new_owner": u.pk, "with_related": "on"}
            )
            for t, u in zip(tabs, targets, strict=True)
        ]
    )
    assert all(a.status in (200, 302) for a in answers), [a.body[:300] for a in answers]
    # then each transfer starts from the owner the previous one left …
    chain = list(
        ObjectChange.objects.filter(
            object_id=account.pk, action="transfer", content_type__model="account"
        ).order_by("id")
    )
    owners = [org.rep_js.pk] + [c.postchange_data["owner"] for c in chain]
    assert [c.prechange_data["owner"] for c in chain] == owners[:-1]
    # … and the contacts went along with whoever holds the account now
    account = Account.all_objects.get(pk=account.pk)
    assert account.owner_id == owners[-1]
    assert {Contact.all_objects.get(pk=c.pk).owner_id for c in contacts} == {account.owner_id}


def test_a_bulk_edit_racing_single_edits_loses_neither(org, sessions):
    accounts = [Account.objects.create(name=f"客户{i}", owner=org.rep_js) for i in range(20)]
    bulk, *singles = sessions(org.rep_js, 5)
    calls = [
        lambda: bulk.post(
            "/customers/account/bulk/",
            {"bulk_action": "edit", "field": "city", "value": "无锡", "pk": [a.pk for a in accounts]},
        )
    ]
    calls += [
        lambda s=s, a=a: s.patch(f"/api/customers/accounts/{a.pk}/", {"short_name": f"简称{a.pk}"})
        for s, a in zip(singles, accounts[:4], strict=True)
    ]
    answers = race(calls)
    assert answers[0].status in (200, 302) and all(a.status == 200 for a in answers[1:])
    for a in accounts:
        a = Account.all_objects.get(pk=a.pk)
        assert a.city == "无锡"
        if a.pk in [x.pk for x in accounts[:4]]:
            assert a.short_name == f"简称{a.pk}"


def test_parallel_children_of_one_parent_all_count_in_its_roll_ups(org, stages, sessions):
    # given an account whose roll-ups count its opportunities and sum their amounts
    from lianke.core.models import CustomField

    for name, formula in (("opp_count", "count"), ("opp_total", "sum(amount)")):
        field = CustomField(
            object_type="customers.account",
            name=name,
            label=name,
            type="rollup",
            target_object_type="sales.opportunity",
            formula=formula,
        )
        field.full_clean()
        field.save()
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    clients = sessions(org.rep_js, 6)
    # when six API clients create an opportunity on it at the same moment
    first = stages["first"]
    body = {
        "name": "项目",
        "account": account.pk,
        "stage_set": first.stage_set_id,
        "stage": first.pk,
        "amount": "100.00",
    }
    answers = race([lambda c=c: c.request("POST", "/api/sales/opportunities/", json=body) for c in clients])
    assert [a.status for a in answers] == [201] * 6, [a.body[:300] for a in answers]
    # then each counted: none wrote a total computed before another's opportunity existed
    data = Account.all_objects.get(pk=account.pk).custom_data
    assert (int(data["opp_count"]), float(data["opp_total"])) == (6, 600.0), data
