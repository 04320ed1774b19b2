"""Webhooks: the outbox's first consumer.

A durable event subscriber (:func:`on_event`) writes, inside the write's transaction, one
outbox message per record and matching active webhook, with a snapshot of the record as
written. The sender POSTs it as JSON with ``X-Lianke-Event``, ``X-Lianke-Delivery`` (the
message's idempotency key, the same on every attempt) and ``X-Lianke-Signature:
sha256=<hex HMAC-SHA256 of the body with the webhook's secret>``; any 2xx answer delivers it.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from lianke.core import outgoing
from lianke.core.records import audit, sealing
from lianke.core.records.events import Event

from . import delivery
from .models import OutboxMessage, Webhook

PREFIX = "webhook"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def matching(event: Event) -> list[Webhook]:
    hooks = Webhook.objects.filter(is_active=True, object_type=event.object_type)
    return [h for h in hooks if not h.events or event.name in h.events]


def on_event(event: Event) -> None:
    """Durable: runs inside the write's transaction, so the messages commit or roll back with
    the change."""
    hooks = matching(event)
    if not hooks:
        return
    model = apps.get_model(event.object_type)
    rows = {r.pk: r for r in model._base_manager.filter(pk__in=event.ids)}
    now = timezone.now()
    messages = []
    for pk in event.ids:
        row = rows.get(pk)
        payload = {
            "event": event.name,
            "object_type": event.object_type,
            "id": pk,
            "version": getattr(row, "version", None),
            "actor_id": event.actor_id,
            "changed": list(event.changed),
            "data": event.data,
            "time": now.isoformat(),
            "record": audit.snapshot(row) if row is not None else None,
        }
        payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
        for hook in hooks:
            messages.append(
                OutboxMessage(
                    consumer=hook.consumer,
                    topic=event.name,
                    object_type=event.object_type,
                    object_id=pk,
                    aggregate_key=f"{event.object_type}:{pk}",
                    payload=payload,
                    next_attempt_at=now,
                )
            )
    OutboxMessage.objects.bulk_create(messages, batch_size=500)
    delivery.schedule_after_commit()


def body_of(message: OutboxMessage) -> bytes:
    return json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")).encode()


def send(message: OutboxMessage) -> None:
    hook = Webhook.objects.filter(pk=int(message.consumer.split(":", 1)[1])).first()
    if hook is None:
        raise delivery.PermanentFailure("the webhook was deleted")
    if not hook.is_active:
        raise delivery.PermanentFailure("the webhook is inactive")
    try:
        secret = hook.secret
    except sealing.UnsealError as exc:
        raise delivery.PermanentFailure("the webhook's secret cannot be read; enter it again") from exc
    body = body_of(message)
    response = outgoing.post(
        hook.url,
        body,
        {
            "Content-Type": "application/json; charset=utf-8",
            "X-Lianke-Event": f"{message.object_type}.{message.topic}",
            "X-Lianke-Delivery": message.idempotency_key,
            "X-Lianke-Signature": sign(secret, body),
        },
    )
    if 300 <= response.status < 400:
        location = response.headers.get("Location", "")
        raise RuntimeError(f"HTTP {response.status}: redirect to {location} not followed")
    if not 200 <= response.status < 300:
        raise RuntimeError(f"HTTP {response.status} {response.reason}".strip())


def register() -> None:
    delivery.register_consumer(PREFIX, send)
