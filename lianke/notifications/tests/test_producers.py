"""The generic producers, on every path of the write pipeline: "assigned to you" when a record
is created with an owner (or assignee) who is not the actor or its owner changes, "transferred
to you" on a transfer — in the write's transaction (a refused write notifies nobody), and one
notification saying how many for a bulk of records."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from lianke.core.objecttypes.registry import registry
from lianke.core.records import batch, events, services
from lianke.notifications.models import Notification

pytestmark = pytest.mark.django_db


def account_model():
    return registry.get("customers.account").model


def kinds(user):
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("kind", flat=True))


def test_a_record_created_for_someone_else_tells_him_and_not_the_actor(org):
    Account = account_model()
    services.save_record(actor=org.manager_js, instance=Account(name="常州轴承", owner=org.rep_js))
    services.save_record(actor=org.rep_js2, instance=Account(name="无锡阀门"))  # his own
    assert kinds(org.rep_js) == ["record.assigned"]
    assert kinds(org.rep_js2) == []
    assert kinds(org.manager_js) == []
    n = Notification.objects.get()
    assert (n.actor_id, n.content_type.model, n.object_id) == (
        org.manager_js.pk,
        "account",
        Account.all_objects.get(name="常州轴承").pk,
    )


def test_an_owner_changed_in_an_edit_tells_the_new_owner(org):
    Account = account_model()
    account = services.save_record(
        actor=org.manager_js, instance=Account(name="常州轴承", owner=org.manager_js)
    )
    account.owner = org.rep_js2
    services.save_record(actor=org.manager_js, instance=account)
    account = Account.all_objects.get(pk=account.pk)
    account.phone = "0512-66668888"  # a change of something else tells nobody
    services.save_record(actor=org.manager_js, instance=account)
    assert kinds(org.rep_js2) == ["record.assigned"]


def test_a_transfer_tells_the_new_owner(org):
    Account = account_model()
    account = services.save_record(actor=org.rep_js, instance=Account(name="常州轴承"))
    services.transfer_records(actor=org.manager_js, records=[account], new_owner=org.rep_js2)
    assert kinds(org.rep_js2) == ["record.transferred"]
    assert kinds(org.rep_js) == []


def test_a_bulk_of_records_makes_one_notification_saying_how_many(org):
    Account = account_model()
    accounts = [
        services.save_record(actor=org.rep_js, instance=Account(name=f"常州轴承{i}")) for i in range(5)
    ]
    services.transfer_records(actor=org.manager_js, records=accounts, new_owner=org.rep_js2)
    # one transfer event per record here (the service transfers one by one): one each
    assert kinds(org.rep_js2).count("record.transferred") == 5
    Notification.objects.all().delete()
    batch.create_records(
        actor=org.manager_js,
        model=Account,
        rows=[{"name": f"扬州机电{i}", "owner": org.rep_js.pk} for i in range(6)],
    )
    [n] = Notification.objects.filter(recipient=org.rep_js)
    assert n.kind == "record.assigned_many"
    assert n.params["count"] == 6


def test_a_refused_write_notifies_nobody(org):
    Account = account_model()

    def refuse(actor, record, action, before):
        raise ValidationError("no", code="invalid")

    events.rule(refuse, object_type="customers.account")
    try:
        with pytest.raises(ValidationError):
            services.save_record(actor=org.manager_js, instance=Account(name="常州轴承", owner=org.rep_js))
    finally:
        events.unregister_rule(refuse)
    assert not Notification.objects.exists()
