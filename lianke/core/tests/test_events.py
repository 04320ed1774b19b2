"""The pipeline's hooks: before-write rules refuse a write on every path (form, API, bulk edit,
transfer, delete) with their code and change nothing; events announce every kind of write once
per record or batch, after commit — never for a write that rolled back — and durable
subscribers run inside the transaction."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from lianke.core.models import ObjectChange
from lianke.core.records import events, services
from lianke.customers.models import Account, Contact

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def heard():
    """Every event of the test, as (name, type, ids, changed, data)."""
    got: list = []

    def listen(event):
        got.append((event.name, event.object_type, event.ids, event.changed, event.data))

    events.subscribe(listen)
    yield got
    events.unsubscribe(listen)


@pytest.fixture
def blacklist():
    """A rule: no account may be named with “黑名单”, nor be transferred while flagged."""

    def check(actor, record, action, before):
        if "黑名单" in record.name:
            raise ValidationError(
                {"name": ValidationError("This company is blacklisted.", code="blacklisted")}
            )

    events.rule(check, object_type="customers.account")
    yield check
    events.unregister_rule(check)


def test_every_write_is_announced_once_with_what_changed(org, heard):
    account = services.save_record(actor=org.rep_js, instance=Account(name="苏州精工"))
    contact = services.save_record(actor=org.rep_js, instance=Contact(name="王磊", account=account))
    account.city = "苏州"
    services.save_record(actor=org.rep_js, instance=account)
    services.bulk_edit(actor=org.rep_js, records=[account], field="short_name", value="精工")
    services.transfer_records(actor=org.manager_js, records=[account], new_owner=org.rep_js2)
    services.delete_records(actor=org.manager_js, records=[account])
    services.restore_records(actor=org.manager_js, records=[Account.all_objects.get(pk=account.pk)])
    names = [(n, t, ids) for n, t, ids, _c, _d in heard]
    assert names == [
        ("created", "customers.account", (account.pk,)),
        ("created", "customers.contact", (contact.pk,)),
        ("updated", "customers.account", (account.pk,)),
        ("updated", "customers.account", (account.pk,)),
        ("transferred", "customers.account", (account.pk,)),
        ("transferred", "customers.contact", (contact.pk,)),
        ("deleted", "customers.account", (account.pk,)),
        ("deleted", "customers.contact", (contact.pk,)),
        ("restored", "customers.account", (account.pk,)),
        ("restored", "customers.contact", (contact.pk,)),
    ]
    assert heard[2][3] == ("city",) and heard[3][3] == ("short_name",)
    assert heard[4][4] == {"from": org.rep_js.pk, "to": org.rep_js2.pk}


def test_a_write_that_rolls_back_announces_nothing(org, heard):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.save_record(actor=org.rep_js, instance=Account(name="苏州精工"))
        raise RuntimeError("the caller's transaction fails later")
    assert heard == [] and not Account.all_objects.exists()


def test_a_durable_subscriber_writes_with_the_change_and_rolls_back_with_it(org):
    def outbox(event):
        ObjectChange.objects.filter(pk=-1).exists()  # a query inside the same transaction
        written.append(event.name)

    written: list = []
    events.subscribe(outbox, durable=True, object_type="customers.account", events=[events.CREATED])
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.save_record(actor=org.rep_js, instance=Account(name="苏州精工"))
            assert written == ["created"]  # ran inside, before commit
            raise RuntimeError
    finally:
        events.unsubscribe(outbox)


def test_a_failing_after_commit_handler_does_not_undo_the_change(org, caplog):
    def broken(event):
        raise ValueError("the mail server is down")

    events.subscribe(broken)
    try:
        account = services.save_record(actor=org.rep_js, instance=Account(name="苏州精工"))
    finally:
        events.unsubscribe(broken)
    assert Account.all_objects.filter(pk=account.pk).exists()
    assert "event handler" in caplog.text


def test_a_stage_move_is_announced_as_a_transition(org, stages, heard):
    from lianke.sales.models import Opportunity

    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    opportunity = Opportunity.objects.create(
        name="三期", owner=org.rep_js, account=account, stage_set=stages["set"], stage=stages["first"]
    )
    from lianke.core.objecttypes.registry import registry

    path = registry.get("sales.opportunity").stage_path
    path.move(actor=org.rep_js, obj=opportunity, value=str(stages["quote"].pk))
    transitions = [(d, ids) for n, _t, ids, _c, d in heard if n == "transitioned"]
    assert transitions == [
        (
            {"field": "stage", "from": str(stages["first"].pk), "to": str(stages["quote"].pk)},
            (opportunity.pk,),
        )
    ]


@pytest.mark.parametrize("path", ["form", "api", "bulk", "service"])
def test_a_before_write_rule_refuses_on_every_path_with_its_code(org, blacklist, client_for, api_for, path):
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    api = api_for(org.rep_js)
    history = ObjectChange.objects.count()
    if path == "form":
        from lianke.core.objecttypes.registry import registry
        from lianke.org.tests.test_permission_matrix import form_data

        data = form_data(registry.get("customers.account"), account, name="黑名单钢铁")
        r = client_for(org.rep_js).post(f"/customers/account/{account.pk}/edit/", data)
        assert r.status_code == 400 and "This company is blacklisted." in r.content.decode()
    elif path == "api":
        r = api.patch(f"/api/customers/accounts/{account.pk}/", {"name": "黑名单钢铁"}, format="json")
        assert r.status_code == 400 and r.json()["name"] == ["This company is blacklisted."]
    elif path == "bulk":
        with pytest.raises(ValidationError):
            services.bulk_edit(actor=org.rep_js, records=[account], field="name", value="黑名单钢铁")
    else:
        account.name = "黑名单钢铁"
        with pytest.raises(ValidationError) as caught:
            services.save_record(actor=org.rep_js, instance=account)
        assert caught.value.error_dict["name"][0].code == "blacklisted"
    assert Account.all_objects.get(pk=account.pk).name == "苏州精工"
    assert ObjectChange.objects.count() == history


def test_a_rule_sees_the_action_and_the_stored_state(org):
    seen = []
    events.rule(lambda actor, record, action, before: seen.append((action, before and before["owner"])))
    try:
        account = Account.objects.create(name="苏州精工", owner=org.rep_js)
        services.transfer_records(actor=org.manager_js, records=[account], new_owner=org.rep_js2)
        services.delete_records(actor=org.manager_js, records=[account])
    finally:
        events._rules.pop()
    assert seen == [("transfer", org.rep_js.pk), ("delete", org.rep_js2.pk)]
