"""A notification: one row per recipient, read or not."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # the composite indexes lead with it
    )
    kind = models.CharField(_("type"), max_length=64)  # a declared type's key
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), null=True, blank=True, on_delete=models.CASCADE
    )
    object_id = models.BigIntegerField(_("object ID"), null=True, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The list, newest first (keyset paging).
            models.Index(fields=["recipient", "-created_at", "-id"], name="notif_recipient_new"),
            # The bell: the unread count is one index range.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notif_unread"),
        ]

    def __str__(self):
        return f"{self.kind} → {self.recipient_id}"
