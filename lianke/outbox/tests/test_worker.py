"""Real worker processes against the test database: a worker killed (SIGKILL) in the middle of a
delivery loses nothing — once its lease runs out, a restarted worker delivers the message with
the same delivery ID."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from lianke.core.records import services
from lianke.customers.models import Account
from lianke.outbox import delivery
from lianke.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "LIANKE_SECRET_KEY": settings.SECRET_KEY,
        "LIANKE_OUTGOING_ALLOW": "127.0.0.1/32",
        "LIANKE_OUTGOING_TIMEOUT": "30",
    }


def db_worker(*extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "lianke", "db_worker", "--no-reload", "--no-startup-delay", *extra]
    return subprocess.Popen(command, env=worker_env())  # noqa: S603 -- a fixed command


def test_a_worker_killed_mid_delivery_loses_nothing(org, webhook, receiver):
    receiver.script = ["hang"]  # the first delivery never gets its answer …
    services.save_record(actor=org.rep_js, instance=Account(name="苏州精工"))  # enqueues a job
    first = db_worker("--interval", "0.2")
    try:
        assert receiver.received.wait(60), "the worker never sent the message"
        message = OutboxMessage.objects.get()
        assert message.status == OutboxMessage.Status.DELIVERING and message.attempts == 1
        first.send_signal(signal.SIGKILL)  # … because the worker is killed meanwhile
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    time.sleep(0.5)
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.DELIVERING  # claimed by a dead worker
    # Time passes: the dead worker's lease runs out, and the periodic tick enqueues a job.
    assert message.next_attempt_at > timezone.now()  # leased
    OutboxMessage.objects.update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    assert delivery.schedule_if_due()
    second = db_worker("--batch")
    assert second.wait(60) == 0
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.DELIVERED and message.attempts == 2
    keys = [r.headers["x-lianke-delivery"] for r in receiver.requests]
    assert keys == [message.idempotency_key, message.idempotency_key]
