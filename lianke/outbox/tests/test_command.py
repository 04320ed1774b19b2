"""``lianke outbox``: list with a status filter, retry a dead message, replay a delivered one
with its key, purge old deliveries."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from lianke.core import services
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
