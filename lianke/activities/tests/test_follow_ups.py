"""An account's or lead's last follow-up (``last_activity_at``) is its latest activity other than
a task and not in the recycle bin, on every path that writes an activity: the quick form, the
API (create, change, delete), ``save_record``, the batch path, bulk edits, the recycle bin and
its restore, transfer. Recomputed in one statement per target type, whatever the batch size."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lianke.activities.models import Activity
from lianke.activities.services import log_activity
from lianke.core.records import batch, services
from lianke.customers.models import Account, Contact
from lianke.marketing.models import Lead

pytestmark = pytest.mark.django_db

API = "/api/activities/activities/"


def at(days: int) -> dt.datetime:
    """``days`` days ago at 10:00 (whole seconds, as the API writes them)."""
    return (timezone.now() - dt.timedelta(days=days)).replace(hour=10, minute=0, second=0, microsecond=0)


def last(record):
    return type(record).all_objects.get(pk=record.pk).last_activity_at


@pytest.fixture
def acc(org):
    return Account.objects.create(name="苏州精工", owner=org.rep_js)


@pytest.fixture
def logged(org, acc):
    """``logged(days, kind="call", on=acc)`` → an activity logged by the rep through the service."""

    def make(days, kind="call", on=None, **extra):
        activity = Activity(kind=kind, subject=f"{kind} {days}", occurred_at=at(days), **extra)
        if kind == "task":
            activity.due_at = at(days - 1)
        return log_activity(actor=org.rep_js, target=on or acc, activity=activity)

    return make


def test_logging_sets_it_and_a_task_does_not(org, acc, logged):
    logged(5)
    assert last(acc) == at(5)
    logged(1, kind="task")
    assert last(acc) == at(5)
    # an older follow-up logged late does not move it back
    logged(9)
    assert last(acc) == at(5)


def test_an_activity_on_a_contact_counts_for_its_account(org, acc, logged):
    contact = Contact.objects.create(name="王经理", owner=org.rep_js, account=acc)
    logged(3, on=contact)
    assert last(acc) == at(3)


def test_a_leads_last_follow_up_follows_its_activities(org, logged):
    lead = Lead.objects.create(name="刘先生", owner=org.rep_js)
    visit = logged(4, kind="visit", on=lead)
    assert last(lead) == at(4)
    services.delete_records(actor=org.rep_js, records=[visit])
    assert last(lead) is None


def test_the_api_create_change_and_delete_keep_it(org, acc, logged, api_for):
    api = api_for(org.rep_js)
    older = logged(6)
    # when a visit is logged through the API
    r = api.post(
        API,
        {
            "kind": "visit",
            "subject": "上门拜访",
            "occurred_at": at(2).isoformat(),
            "target_type": "customers.account",
            "target_id": acc.pk,
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    assert last(acc) == at(2)
    # when it is re-dated to before the other one, the other one is the latest again
    visit = r.json()["id"]
    assert api.patch(f"{API}{visit}/", {"occurred_at": at(8).isoformat()}, format="json").status_code == 200
    assert last(acc) == older.occurred_at
    # when it becomes the latest again and is then deleted
    assert api.patch(f"{API}{visit}/", {"occurred_at": at(1).isoformat()}, format="json").status_code == 200
    assert last(acc) == at(1)
    assert api.delete(f"{API}{visit}/").status_code == 204
    assert last(acc) == at(6)


def test_save_record_of_an_activity_with_a_target_keeps_it(org, acc):
    # a job or an import saving an activity on the account through the write pipeline
    activity = Activity(
        kind="email",
        subject="发送报价单",
        occurred_at=at(3),
        owner=org.rep_js,
        content_type=ContentType.objects.get_for_model(Account),
        object_id=acc.pk,
        account=acc,
    )
    services.save_record(actor=org.rep_js, instance=activity)
    assert last(acc) == at(3)
    # and turning it into a task takes it out of the follow-ups
    activity = Activity.objects.get(pk=activity.pk)
    activity.kind, activity.due_at = "task", at(0)
    services.save_record(actor=org.rep_js, instance=activity)
    assert last(acc) is None


def test_the_batch_path_keeps_it(org, acc, logged):
    calls = [logged(days) for days in (7, 6, 5)]
    # when the batch path re-dates them all into the past
    batch.update_records(
        actor=org.rep_js,
        model=Activity,
        changes={a.pk: {"occurred_at": at(20 + i)} for i, a in enumerate(calls)},
    )
    assert last(acc) == at(20)
    # and activities created in a batch (no record named) leave it alone
    batch.create_records(actor=org.rep_js, model=Activity, rows=[{"subject": "备忘", "kind": "note"}])
    assert last(acc) == at(20)


def test_a_bulk_edit_keeps_it(org, acc, logged):
    first, second = logged(4), logged(2)
    services.bulk_edit(actor=org.rep_js, records=[second], field="occurred_at", value=at(10))
    assert last(acc) == first.occurred_at
    services.bulk_edit(actor=org.rep_js, records=[first, second], field="occurred_at", value=at(1))
    assert last(acc) == at(1)


def test_the_recycle_bin_and_restore_keep_it(org, acc, logged):
    logged(9)
    latest = logged(3)
    services.delete_records(actor=org.rep_js, records=[latest])
    assert last(acc) == at(9)
    services.restore_records(actor=org.rep_js, records=[latest])
    assert last(acc) == at(3)


def test_a_transfer_leaves_it_true(org, acc, logged):
    call = logged(3)
    services.transfer_records(actor=org.manager_js, records=[call], new_owner=org.rep_js2)
    assert last(acc) == at(3)


def test_a_big_batch_is_one_statement_per_target_type(org, logged):
    # given 60 follow-ups over 12 accounts and 3 leads
    accounts = [Account.objects.create(name=f"客户{i}", owner=org.rep_js) for i in range(12)]
    leads = [Lead.objects.create(name=f"线索{i}", owner=org.rep_js) for i in range(3)]
    targets = accounts + leads
    activities = [logged(1 + i % 5, on=targets[i % len(targets)]) for i in range(60)]
    # when they are all moved to the recycle bin at once
    with CaptureQueriesContext(connection) as queries:
        services.delete_records(actor=org.rep_js, records=activities)
    # then each target type got one update, and every last follow-up is cleared
    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "last_activity_at" in q["sql"]]
    assert len(updates) == 2, updates
    assert not Account.all_objects.filter(last_activity_at__isnull=False).exists()
    assert not Lead.all_objects.filter(last_activity_at__isnull=False).exists()
