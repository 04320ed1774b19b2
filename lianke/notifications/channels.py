"""The channels a notification goes out on, behind one interface and a registry.

- ``in_app``: the notification's row itself (the bell and the list).
- ``email``: through the outbox (``lianke.outbox``: retries, one delivery id, at least once):
  a notification sent on its own becomes one outbox message for the consumer ``email``, due at
  once or, inside the recipient's quiet hours, when they end; in digest mode it waits for the
  daily digest job (``digest.send_digests``), which sends one message per user and day. The
  sender (``emails.send``) renders it in the recipient's language with Django's mail settings.
- ``wecom``: the interface only. The WeCom integration registers an outbox sender for the
  consumer ``wecom`` (``outbox.delivery.register_consumer("wecom", send)``); from then on the
  channel is offered and each notification for it becomes an outbox message of that consumer
  (payload: the notification's id and recipient), rendered by the sender with
  ``render.render_for``.

A channel's ``deliver`` runs inside the producer's transaction: what it queues commits with the
change or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianke.outbox import delivery
from lianke.outbox.models import OutboxMessage

from . import preferences, types
from .models import EmailSettings, Notification


class Channel:
    """What a channel is: a key, a label, whether it can be used now, and ``deliver``."""

    key: str = ""
    label: Any = ""  # a lazy translation

    def available(self) -> bool:
        return True

    def deliver(self, notifications: Sequence[Notification]) -> None:
        """Queue ``notifications`` (rows already written, one recipient each) on this channel."""
        raise NotImplementedError


class InApp(Channel):
    key, label = types.IN_APP, _("In the app")

    def deliver(self, notifications: Sequence[Notification]) -> None:
        return None  # the row is the in-app notification


def outbox_message(consumer: str, key: str, notification: Notification, payload: dict, due) -> OutboxMessage:
    return OutboxMessage(
        consumer=consumer,
        topic=notification.kind[:50],
        object_type="notifications.notification",
        object_id=notification.pk,
        aggregate_key=f"user:{notification.recipient_id}",
        idempotency_key=key,
        payload=payload,
        next_attempt_at=due,
    )


class OutboxChannel(Channel):
    """A channel delivered by an outbox consumer of the same name, available once a sender is
    registered for it."""

    def available(self) -> bool:
        return delivery.sender_for(self.key) is not None

    def deliver(self, notifications: Sequence[Notification]) -> None:
        now = timezone.now()
        OutboxMessage.objects.bulk_create(
            [
                outbox_message(
                    self.key,
                    f"{self.key}:notification:{n.pk}",
                    n,
                    {"notification": n.pk, "recipient": n.recipient_id},
                    now,
                )
                for n in notifications
            ]
        )
        delivery.schedule_after_commit()


class Email(OutboxChannel):
    key, label = types.EMAIL, _("E-mail")

    def deliver(self, notifications: Sequence[Notification]) -> None:
        if not notifications:
            return
        now = timezone.now()
        recipients = {n.recipient_id for n in notifications}
        settings_of = preferences.email_settings_for(recipients)
        # Only to those with an address (an active user): the others have nothing to queue.
        reachable = set(
            get_user_model()
            .objects.filter(pk__in=recipients, is_active=True)
            .exclude(email="")
            .values_list("pk", flat=True)
        )
        messages, queued, digest = [], [], []
        for n in notifications:
            if n.recipient_id not in reachable:
                continue
            settings = settings_of[n.recipient_id]
            if settings.mode == EmailSettings.Mode.DIGEST:
                digest.append(n.pk)
                continue
            queued.append(n.pk)
            due = settings.quiet_until(now) or now
            messages.append(
                outbox_message(self.key, f"email:notification:{n.pk}", n, {"notification": n.pk}, due)
            )
        if digest:
            Notification.objects.filter(pk__in=digest).update(email=Notification.Email.DIGEST)
        if queued:
            Notification.objects.filter(pk__in=queued).update(email=Notification.Email.QUEUED)
            OutboxMessage.objects.bulk_create(messages)
            delivery.schedule_after_commit()


class WeCom(OutboxChannel):
    key, label = types.WECOM, _("WeCom")


_channels: dict[str, Channel] = {}


def register(channel: Channel) -> Channel:
    _channels[channel.key] = channel
    return channel


def get(key: str) -> Channel:
    return _channels[key]


def available() -> list[Channel]:
    return [c for c in _channels.values() if c.available()]


def registered() -> list[Channel]:
    return list(_channels.values())


for _channel in (InApp(), Email(), WeCom()):
    register(_channel)
