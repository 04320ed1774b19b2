"""The outbox: messages are written with the change (never for a rolled-back one), delivered
once with one delivery ID across retries, retried with backoff, dead after the last attempt,
and kept in order per record."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.db import transaction
from django.utils import timezone

from lianke.core.records import services
from lianke.customers.models import Account
from lianke.outbox import delivery
from lianke.outbox.models import OutboxMessage, Webhook

pytestmark = pytest.mark.django_db(transaction=True)
S = OutboxMessage.Status


def test_a_write_leaves_one_message_per_record_and_matching_webhook(org, webhook, receiver):
    Webhook.objects.create(
        name="only deletes", url=receiver.url, object_type="customers.account", events=["deleted"]
    )
    Webhook.objects.create(name="off", url=receiver.url, object_type="customers.account", is_active=False)
    Webhook.objects.create(name="leads", url=receiver.url, object_type="marketing.lead")
    account = services.save_record(actor=org.rep_js, instance=Account(name="苏州精工"))
    account.city = "苏州"
    services.save_record(actor=org.rep_js, instance=account)
    messages = list(OutboxMessage.objects.order_by("id"))
    assert [(m.consumer, m.topic, m.aggregate_key) for m in messages] == [
        (webhook.consumer, "created", f"customers.account:{account.pk}"),
        (webhook.consumer, "updated", f"customers.account:{account.pk}"),
    ]
    assert {m.status for m in messages} == {S.PENDING}
    assert len({m.idempotency_key for m in messages}) == 2
    updated = messages[1].payload
    assert updated["version"] == 2 and updated["changed"] == ["city"] and updated["actor_id"] == org.rep_js.pk
    assert updated["record"]["name"] == "苏州精工" and updated["record"]["city"] == "苏州"
    assert messages[0].payload["record"]["city"] == ""  # the snapshot as of that version


def test_a_write_that_rolls_back_leaves_no_message(org, webhook):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.save_record(actor=org.rep_js, instance=Account(name="苏州精工"))
        assert OutboxMessage.objects.count() == 1  # written inside the transaction …
        raise RuntimeError("the caller's transaction fails later")
    assert not OutboxMessage.objects.exists()  # … and gone with it


def test_three_failures_then_one_delivery_with_one_key_and_backoff(org, webhook, receiver, settings):
    settings.LIANKE_OUTBOX_RETRY_SECONDS = 10
    receiver.script = [500, 503, 500]
    account = services.save_record(actor=org.rep_js, instance=Account(name="苏州精工"))
    now = timezone.now()
    for attempts in (1, 2, 3):
        assert delivery.deliver_due(now=now) == 0
        message = OutboxMessage.objects.get()
        assert message.status == S.PENDING and message.attempts == attempts
        assert "HTTP 50" in message.last_error
        wait = (message.next_attempt_at - now).total_seconds()
        assert 10 * 2 ** (attempts - 1) <= wait <= 11 * 2 ** (attempts - 1)
        assert delivery.deliver_due(now=now) == 0  # not due yet: nothing is sent
        assert len(receiver.requests) == attempts
        now = message.next_attempt_at
    assert delivery.deliver_due(now=now) == 1
    assert delivery.deliver_due(now=now + dt.timedelta(days=1)) == 0  # exactly once
    message = OutboxMessage.objects.get()
    assert message.status == S.DELIVERED and message.attempts == 4 and message.last_error == ""
    assert len(receiver.requests) == 4
    assert {r.headers["x-lianke-delivery"] for r in receiver.requests} == {message.idempotency_key}
    last = receiver.requests[-1]
    assert last.headers["x-lianke-event"] == "customers.account.created"
    assert json.loads(last.body)["id"] == account.pk


def test_dead_after_the_last_attempt_until_retried(org, webhook, receiver, settings):
    settings.LIANKE_OUTBOX_MAX_ATTEMPTS = 3
    receiver.script = [500, 500, 500]
    services.save_record(actor=org.rep_js, instance=Account(name="苏州精工"))
    later = timezone.now()
    for _ in range(3):
        delivery.deliver_due(now=later)
        later += dt.timedelta(days=1)
    message = OutboxMessage.objects.get()
    assert message.status == S.DEAD and message.attempts == 3
    assert delivery.deliver_due(now=later) == 0 and len(receiver.requests) == 3
    assert delivery.retry_now(OutboxMessage.objects.all()) == 1
    assert delivery.deliver_due() == 1
    message.refresh_from_db()
    assert message.status == S.DELIVERED
    assert {r.headers["x-lianke-delivery"] for r in receiver.requests} == {message.idempotency_key}


def test_a_record_s_messages_go_out_in_order(org, webhook, receiver):
    first = services.save_record(actor=org.rep_js, instance=Account(name="苏州精工"))
    first.city = "苏州"
    services.save_record(actor=org.rep_js, instance=first)
    other = services.save_record(actor=org.rep_js, instance=Account(name="杭州机电"))
    receiver.script = [500]  # the first record's creation fails once
    now = timezone.now()
    assert delivery.deliver_due(now=now) == 1  # the other record does not wait
    sent = [(json.loads(r.body)["id"], json.loads(r.body)["event"]) for r in receiver.requests]
    assert sent == [(first.pk, "created"), (other.pk, "created")]  # first's update held back
    assert delivery.deliver_due(now=now + dt.timedelta(minutes=1)) == 2
    sent = [(json.loads(r.body)["id"], json.loads(r.body)["event"]) for r in receiver.requests]
    assert sent[2:] == [(first.pk, "created"), (first.pk, "updated")]


def test_the_signature_verifies_with_the_secret(org, webhook, receiver):
    services.save_record(actor=org.rep_js, instance=Account(name="苏州精工"))
    assert delivery.deliver_due() == 1
    request = receiver.requests[0]
    expected = hmac.new(b"s3cret-for-tests", request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-lianke-signature"] == f"sha256={expected}"
    assert request.headers["content-type"].startswith("application/json")
    wrong = hmac.new(b"another secret", request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-lianke-signature"] != f"sha256={wrong}"


def test_a_redirect_is_not_followed(org, webhook, receiver):
    receiver.script = [(302, {"Location": "http://10.0.0.1/internal"})]
    services.save_record(actor=org.rep_js, instance=Account(name="苏州精工"))
    assert delivery.deliver_due() == 0
    message = OutboxMessage.objects.get()
    assert (
        message.status == S.PENDING
        and "redirect to http://10.0.0.1/internal not followed" in message.last_error
    )
    assert len(receiver.requests) == 1


def test_a_refused_url_is_not_requested(org, webhook, receiver, settings):
    settings.LIANKE_OUTGOING_ALLOW = []  # 127.0.0.1 is no longer allowed
    services.save_record(actor=org.rep_js, instance=Account(name="苏州精工"))
    assert delivery.deliver_due() == 0
    assert "loopback, private or reserved" in OutboxMessage.objects.get().last_error
    assert receiver.requests == []


def test_a_deleted_webhook_s_messages_die_at_once(org, webhook, receiver):
    services.save_record(actor=org.rep_js, instance=Account(name="苏州精工"))
    webhook.delete()
    assert delivery.deliver_due() == 0
    message = OutboxMessage.objects.get()
    assert message.status == S.DEAD and message.attempts == 1 and "deleted" in message.last_error


def test_replay_sends_a_delivered_message_again_with_its_key(org, webhook, receiver):
    services.save_record(actor=org.rep_js, instance=Account(name="苏州精工"))
    delivery.deliver_due()
    assert delivery.replay(OutboxMessage.objects.all()) == 1
    assert delivery.deliver_due() == 1
    keys = [r.headers["x-lianke-delivery"] for r in receiver.requests]
    assert len(keys) == 2 and keys[0] == keys[1]


def test_a_claimed_message_whose_worker_died_is_claimed_again_after_its_lease(org, webhook, receiver):
    services.save_record(actor=org.rep_js, instance=Account(name="苏州精工"))
    now = timezone.now()
    [claimed] = delivery.claim(10, now)  # … and the worker dies before sending
    assert delivery.claim(10, now) == []  # leased: nobody else takes it
    assert delivery.deliver_due(now=now + delivery.lease() + dt.timedelta(seconds=1)) == 1
    message = OutboxMessage.objects.get()
    assert message.status == S.DELIVERED and message.attempts == 2
    assert receiver.requests[0].headers["x-lianke-delivery"] == claimed.idempotency_key


def test_the_secret_is_sealed_at_rest(db):
    hook = Webhook(name="ERP", url="https://erp.example.com/hook", object_type="customers.account")
    hook.secret = "plain-secret-value"
    hook.save()
    stored = Webhook.objects.values_list("secret_sealed", flat=True).get()
    assert "plain-secret-value" not in stored and stored.startswith("v1:")
    assert Webhook.objects.get().secret == "plain-secret-value"
    hook.secret = "plain-secret-value"
    assert hook.secret_sealed != stored  # a fresh nonce on every seal


def test_two_workers_claiming_at_once_never_take_the_same_message(db):
    import threading

    from django.db import connections

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
        )
        for i in range(60)
    )
    barrier = threading.Barrier(3)
    claimed: list[list[int]] = []

    def worker():
        try:
            for _ in range(3):
                barrier.wait(10)
                claimed.append([m.pk for m in delivery.claim(15, now)])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ids = [pk for batch in claimed for pk in batch]
    assert len(ids) == len(set(ids)) == 60
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {S.DELIVERING}
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}


def test_failures_enqueue_one_job_at_the_earliest_retry(org, webhook, receiver):
    from django_tasks_db.models import DBTaskResult

    receiver.script = [500, 500]
    services.save_record(actor=org.rep_js, instance=Account(name="苏州精工"))
    services.save_record(actor=org.rep_js, instance=Account(name="杭州机电"))
    DBTaskResult.objects.all().delete()  # the jobs the writes enqueued
    assert delivery.deliver_due() == 0
    [job] = DBTaskResult.objects.all()
    earliest = min(OutboxMessage.objects.values_list("next_attempt_at", flat=True))
    assert job.task_path == "lianke.outbox.tasks.deliver_outbox" and job.run_after == earliest
    DBTaskResult.objects.all().delete()
    assert delivery.schedule_if_due() is False  # nothing due yet: the tick enqueues nothing
    assert not DBTaskResult.objects.exists()
