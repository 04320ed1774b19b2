"""Bulk actions commit in chunks (``LIANKE_BULK_CHUNK`` records per transaction), each chunk all
or nothing with its own locked read, permission re-check, history and event, so a bulk action of
1,000 records never holds SQLite's write lock for seconds. A refusal in the first chunk changes
nothing; a later one stops the action, and the user is told how many records were done, why it
stopped and how many were left unchanged — nothing is lost silently."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import OperationalError

from lianke.core.models import ObjectChange
from lianke.core.records import events, services
from lianke.customers.models import Account

pytestmark = pytest.mark.django_db

BULK = "/customers/account/bulk/"


@pytest.fixture(autouse=True)
def _chunks_of_two(settings, english):
    settings.LIANKE_BULK_CHUNK = 2


@pytest.fixture
def accounts(org):
    return [Account.objects.create(name=f"客户{i}", owner=org.rep_js) for i in range(5)]


@pytest.fixture
def refuse():
    """``refuse(name)``: a before-write rule refusing any write of the account named ``name``."""
    added = []

    def make(name):
        def check(actor, record, action, before):
            if str(record.name) == name:
                raise ValidationError("客户已冻结", code="frozen")

        added.append(events.rule(check, object_type="customers.account"))

    yield make
    for check in added:
        events.unregister_rule(check)


@pytest.fixture
def heard():
    seen: list = []
    handler = events.subscribe(seen.append, object_type="customers.account", durable=True)
    yield seen
    events.unsubscribe(handler)


def post(client, data):
    response = client.post(BULK, data)
    return response, [str(m) for m in get_messages(response.wsgi_request)]


def edit(accounts, value="无锡"):
    return {
        "bulk_action": "edit",
        "field": "city",
        "value": value,
        "pks": ",".join(str(a.pk) for a in accounts),
    }


def cities(accounts):
    return [Account.all_objects.get(pk=a.pk).city for a in accounts]


def updates(accounts):
    return ObjectChange.objects.filter(action="update", object_id__in=[a.pk for a in accounts]).count()


def test_a_bulk_edit_in_chunks_changes_every_record_with_one_event_per_chunk(
    org, accounts, client_for, heard
):
    response, messages = post(client_for(org.rep_js), edit(accounts))
    assert response.status_code == 302
    assert messages == ["Updated 5 records."]
    assert cities(accounts) == ["无锡"] * 5
    assert updates(accounts) == 5
    assert [len(e.ids) for e in heard if e.name == events.UPDATED] == [2, 2, 1]


def test_a_refusal_in_a_later_chunk_stops_there_and_says_what_was_done(org, accounts, client_for, refuse):
    # given the fourth account is frozen (its chunk is the second: records 3 and 4)
    refuse("客户3")
    # when all five are edited
    response, messages = post(client_for(org.rep_js), edit(accounts))
    # then the first chunk is kept, the refused chunk and the rest are untouched
    assert cities(accounts) == ["无锡", "无锡", "", "", ""]
    assert updates(accounts) == 2
    # and the user is told both
    assert messages == [
        "Updated 2 records.",
        "Stopped after 2 of 5 records: 客户已冻结 The other 3 records were not changed;"
        " select them and try again.",
    ]


def test_a_refusal_in_the_first_chunk_changes_nothing(org, accounts, client_for, refuse):
    refuse("客户1")
    _response, messages = post(client_for(org.rep_js), edit(accounts))
    assert cities(accounts) == [""] * 5
    assert updates(accounts) == 0
    assert messages == ["客户已冻结"]


def test_a_unique_field_is_refused_for_the_whole_selection_even_in_chunks_of_one(org, accounts, settings):
    settings.LIANKE_BULK_CHUNK = 1
    with pytest.raises(ValidationError, match="must be unique"):
        services.edit_in_bulk(actor=org.rep_js, records=accounts, field="credit_code", value="91320000")
    assert not Account.all_objects.filter(credit_code="91320000").exists()


def test_a_bulk_delete_in_chunks_is_one_deletion_that_comes_back_whole(org, accounts, client_for):
    response, messages = post(
        client_for(org.rep_js), {"bulk_action": "delete", "pks": ",".join(str(a.pk) for a in accounts)}
    )
    assert messages == ["5 records moved to the recycle bin."]
    batches = set(
        Account.all_objects.filter(pk__in=[a.pk for a in accounts]).values_list("deletion_batch", flat=True)
    )
    assert len(batches) == 1 and None not in batches
    # and restoring them from the recycle bin (in chunks too) brings every one back
    response = client_for(org.rep_js).post(
        "/customers/account/recycle-bin/", {"pk": [a.pk for a in accounts]}
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Restored 5 records."]
    assert Account.objects.filter(pk__in=[a.pk for a in accounts]).count() == 5


def test_a_bulk_transfer_in_chunks_moves_every_record(org, accounts, client_for):
    _response, messages = post(
        client_for(org.manager_js),
        {
            "bulk_action": "transfer",
            "new_owner": org.rep_js2.pk,
            "pks": ",".join(str(a.pk) for a in accounts),
        },
    )
    assert messages == [f"Transferred 5 records to {org.rep_js2}."]
    assert set(
        Account.all_objects.filter(pk__in=[a.pk for a in accounts]).values_list("owner", flat=True)
    ) == {org.rep_js2.pk}


def test_a_busy_database_in_a_later_chunk_is_reported_with_what_was_done(org, accounts):
    calls = []

    def apply(chunk):
        calls.append(len(chunk))
        if len(calls) == 2:
            raise OperationalError("database is locked")
        return services.bulk_edit(actor=org.rep_js, records=chunk, field="city", value="常州")

    result = services.run_in_chunks(accounts, apply)
    assert (result.total, result.done, result.counted, result.left, result.complete) == (5, 2, 2, 3, False)
    assert result.reason == "The database stayed busy with other changes."
    assert cities(accounts) == ["常州", "常州", "", "", ""]


def test_a_busy_database_in_the_first_chunk_is_raised_as_is(org, accounts):
    def apply(chunk):
        raise OperationalError("database is locked")

    with pytest.raises(OperationalError):
        services.run_in_chunks(accounts, apply)


def test_chunk_size_zero_is_one_transaction(org, accounts, settings, refuse):
    # PostgreSQL's default: one transaction, all or nothing
    settings.LIANKE_BULK_CHUNK = 0
    refuse("客户4")
    with pytest.raises(ValidationError):
        services.edit_in_bulk(actor=org.rep_js, records=accounts, field="city", value="南通")
    assert cities(accounts) == [""] * 5


# ---------------------------------------------------------------------------------- checks inside
@pytest.fixture
def staff_field(db):
    from lianke.core.models import CustomField

    return CustomField.objects.create(
        object_type="customers.account", name="staff", label="员工人数", type="integer", required=True
    )


@pytest.mark.parametrize(
    ("field", "value", "custom", "message"),
    [
        ("staff", "很多", True, "enter a whole number"),
        ("staff", None, True, "is required"),  # a required field is never cleared in bulk
        ("nonexistent", "1", True, "Unknown custom field"),
        ("owner", None, False, "cannot be edited in bulk"),  # owners change by transfer
        ("last_activity_at", None, False, "cannot be edited in bulk"),  # bookkeeping
    ],
)
def test_the_bulk_edit_service_checks_the_value_itself(
    org, accounts, staff_field, field, value, custom, message
):
    # a job or an integration calling the service directly gets the same checks as the bulk bar
    for account in accounts:
        account.custom_data = {"staff": 5}
        account.save()
    before = list(Account.all_objects.order_by("pk").values())
    with pytest.raises(ValidationError) as refused:
        services.edit_in_bulk(actor=org.rep_js, records=accounts, field=field, value=value, custom=custom)
    assert message in " ".join(refused.value.messages)
    assert list(Account.all_objects.order_by("pk").values()) == before
    assert updates(accounts) == 0


def test_a_custom_field_set_in_bulk_is_cleaned_by_its_definition(org, accounts, staff_field, client_for):
    _response, messages = post(
        client_for(org.rep_js),
        {
            "bulk_action": "edit",
            "field": "cf_staff",
            "value": " 120 ",
            "pks": ",".join(str(a.pk) for a in accounts),
        },
    )
    assert messages == ["Updated 5 records."]
    assert [Account.all_objects.get(pk=a.pk).custom_data for a in accounts] == [{"staff": 120}] * 5
