"""``lianke outbox``: list with a status filter, retry a dead message, replay a delivered one
with its key, purge old deliveries."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from lianke.core.records import services
from lianke.customers.models import Account
from lianke.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)
S = OutboxMessage.Status


def run(*args) -> str:
    out = io.StringIO()
    call_command("outbox", *args, stdout=out)
    return out.getvalue()


def test_list_retry_replay_purge(org, webhook, receiver, settings):
    settings.LIANKE_OUTBOX_MAX_ATTEMPTS = 1
    receiver.script = [500]
    services.save_record(actor=org.rep_js, instance=Account(name="苏州精工"))
    assert "0 message(s) delivered" in run("deliver")
    message = OutboxMessage.objects.get()
    assert message.status == S.DEAD
    assert str(message.pk) in run("list", "--status", "dead") and run("list", "--status", "delivered") == ""
    assert "1 message(s) due now" in run("retry", "--all-dead")
    assert "1 message(s) delivered" in run("deliver")
    assert "1 message(s) queued again" in run("replay", str(message.pk))
    run("deliver")
    assert len({r.headers["x-lianke-delivery"] for r in receiver.requests}) == 1
    assert len(receiver.requests) == 3
    assert "0 delivered message(s) deleted" in run("purge", "--days", "30")
    OutboxMessage.objects.update(delivered_at=timezone.now() - dt.timedelta(days=31))
    assert "1 delivered message(s) deleted" in run("purge", "--days", "30")
    with pytest.raises(CommandError):
        run("retry")


def test_a_committed_write_enqueues_one_delivery_job(org, webhook):
    from django_tasks_db.models import DBTaskResult

    services.save_record(actor=org.rep_js, instance=Account(name="苏州精工"))
    jobs = DBTaskResult.objects.filter(task_path="lianke.outbox.tasks.deliver_outbox")
    assert jobs.count() == 1


def test_old_deliveries_are_purged_in_batches_by_an_hourly_job(db, settings):
    from django_tasks_db.models import DBTaskResult

    from lianke.outbox import delivery

    settings.LIANKE_OUTBOX_KEEP_DAYS = 30
    now = timezone.now()
    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            consumer="webhook:1",
            topic="created",
            object_type="customers.account",
            object_id=i,
            aggregate_key=f"customers.account:{i}",
            payload={},
            next_attempt_at=now,
            status=status,
            delivered_at=now - dt.timedelta(days=age) if status == S.DELIVERED else None,
        )
        for i, (status, age) in enumerate(
            [(S.DELIVERED, 31)] * 5 + [(S.DELIVERED, 29), (S.DEAD, 0), (S.PENDING, 0)]
        )
    )
    delivery.schedule_purge()
    assert DBTaskResult.objects.filter(task_path="lianke.outbox.tasks.purge_outbox").count() == 1
    assert delivery.purge(batch=2) == 5
    assert sorted(OutboxMessage.objects.values_list("status", flat=True)) == ["dead", "delivered", "pending"]
