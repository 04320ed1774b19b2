"""Idempotent producers racing: two workers running the daily task reminders for the same day
at the same moment (each its own connection and transaction) leave one notification per task
and day, and two parallel digests of a day one outbox message per user — never two, never an
error."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.utils import timezone

from lianke.activities import notifications as producers
from lianke.activities.models import Activity
from lianke.core.context import system_context
from lianke.core.schedules import Run
from lianke.customers.models import Account
from lianke.notifications import digest, service
from lianke.notifications.models import EmailSettings, Notification
from lianke.outbox.models import OutboxMessage

from ..live import race


def in_own_transaction(fn):
    def call():
        try:
            with system_context(), transaction.atomic():
                return fn()
        finally:
            connection.close()

    return call


@pytest.mark.django_db(transaction=True)
def test_two_task_reminder_runs_at_once_notify_each_task_once(org):
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    day = timezone.make_aware(dt.datetime(2026, 12, 7, 8))
    for hour in (9, 11):
        Activity.all_objects.create(
            kind="task",
            subject=f"回访 {hour}",
            due_at=day.replace(hour=hour),
            assignee=org.rep_js,
            owner=org.rep_js,
            department=org.js_team,
            account=account,
        )
    results = race(
        [
            in_own_transaction(lambda: producers.send_task_reminders(Run("task_reminders", period=day)))
            for _ in range(3)
        ]
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Notification.objects.filter(kind=producers.TASK_DUE).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_digest_runs_at_once_queue_one_mail_per_user(org):
    org.rep_js.email = "zhang@example.com"
    org.rep_js.save()
    EmailSettings.objects.create(user=org.rep_js, mode="digest")
    service.notify([org.rep_js], "record.assigned", actor=org.admin)
    period = timezone.now() + dt.timedelta(hours=1)
    results = race(
        [
            in_own_transaction(lambda: digest.send_digests(Run("notification_digest", period=period)))
            for _ in range(3)
        ]
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert OutboxMessage.objects.filter(consumer="email", topic="digest").count() == 1
