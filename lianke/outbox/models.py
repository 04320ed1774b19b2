"""The outbox table and the webhooks that fill it."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from lianke.core.records import events, sealing


def new_key() -> str:
    return uuid.uuid4().hex


class OutboxMessage(models.Model):
    """One delivery owed to one consumer: written with the change, sent after commit, retried
    until delivered or dead. A consumer's messages of one aggregate (record) go out in order."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERING = "delivering", _("Delivering")
        DELIVERED = "delivered", _("Delivered")
        DEAD = "dead", _("Dead")

    consumer = models.CharField(_("consumer"), max_length=100)  # "webhook:3"
    topic = models.CharField(_("event"), max_length=50)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.BigIntegerField(_("object ID"))
    aggregate_key = models.CharField(_("aggregate"), max_length=130)  # "customers.account:42"
    idempotency_key = models.CharField(_("delivery ID"), max_length=64, unique=True, default=new_key)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            # The worker: what is due.
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            # Order within an aggregate: is an older message of it still undelivered?
            models.Index(fields=["consumer", "aggregate_key", "status", "id"], name="outbox_aggregate"),
            models.Index(fields=["status", "delivered_at"], name="outbox_delivered"),
        ]

    def __str__(self):
        return f"{self.consumer} {self.topic} {self.aggregate_key}"


def object_type_choices():
    from lianke.core.objecttypes.registry import registry

    return registry.choices()


EVENT_CHOICES = [
    (events.CREATED, _("Created")),
    (events.UPDATED, _("Updated")),
    (events.DELETED, _("Deleted")),
    (events.RESTORED, _("Restored")),
    (events.TRANSFERRED, _("Transferred")),
    (events.TRANSITIONED, _("Stage changed")),
]


class Webhook(models.Model):
    """POST a signed JSON message to ``url`` for each record of ``object_type`` that has one of
    ``events``. Settings: administrators only."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    object_type = models.CharField(_("object type"), max_length=100, choices=object_type_choices)
    events = models.JSONField(_("events"), default=list)
    secret_sealed = models.TextField(editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self):
        return self.name

    @property
    def secret(self) -> str:
        return sealing.unseal(self.secret_sealed)

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_sealed = sealing.seal(value)

    @property
    def event_labels(self) -> list:
        labels = dict(EVENT_CHOICES)
        return [labels.get(e, e) for e in self.events]

    @property
    def consumer(self) -> str:
        return f"webhook:{self.pk}"
