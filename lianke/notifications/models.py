"""The notification centre's tables: a notification (one row per recipient, read or not), the
users' choices per type and channel, the administrators' defaults per role, and each user's
e-mail settings (quiet hours, immediate mail or a daily digest)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianke.core.errors import FieldCode

CHANNEL_CHOICES = [("in_app", _("In the app")), ("email", _("E-mail")), ("wecom", _("WeCom"))]


class Notification(models.Model):
    class Email(models.TextChoices):
        NONE = "", _("Not by e-mail")
        QUEUED = "queued", _("Sent on its own")
        DIGEST = "digest", _("In the daily digest")

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
    # A producer that may run twice for the same thing (a job, a re-saved note) names it: one
    # notification per recipient and key, whatever happens.
    dedupe_key = models.CharField(_("deduplication key"), max_length=150, blank=True)
    # Shown in the bell and the list; off when the recipient turned the in-app channel off for
    # the type but still gets it by e-mail (the row is what the mail is made of).
    in_app = models.BooleanField(_("in the app"), default=True)
    email = models.CharField(_("e-mail"), max_length=10, choices=Email.choices, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The list, newest first (keyset paging).
            models.Index(fields=["recipient", "-created_at", "-id"], name="notif_recipient_new"),
            # The bell: the unread count is one index range (read no further than the cap); and
            # the unread list, newest first, walks it in order (with only ``recipient`` in it,
            # SQLite sorted all of 100,000 unread rows for a page: 380 ms).
            models.Index(
                fields=["recipient", "-created_at", "-id"],
                condition=Q(read_at__isnull=True),
                name="notif_unread_new",
            ),
            # The daily digest: the day's notifications waiting for it, and nothing else.
            models.Index(fields=["created_at"], condition=Q(email="digest"), name="notif_digest"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], condition=~Q(dedupe_key=""), name="notif_dedupe"
            )
        ]

    def __str__(self):
        return f"{self.kind} → {self.recipient_id}"


class Preference(models.Model):
    """A user's own choice for one type and channel (no row: the role's default, then the
    type's)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        db_index=False,  # the unique constraint leads with it
    )
    kind = models.CharField(_("type"), max_length=64)
    channel = models.CharField(_("channel"), max_length=20, choices=CHANNEL_CHOICES)
    enabled = models.BooleanField(_("on"))

    class Meta:
        ordering = ["user", "kind", "channel"]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind", "channel"], name="notif_pref_unique")]

    def __str__(self):
        return f"{self.user_id} {self.kind} {self.channel}: {self.enabled}"


class RoleDefault(models.Model):
    """An administrator's default for the holders of a role, one type and channel."""

    role = models.ForeignKey(
        "org.Role",
        verbose_name=_("role"),
        on_delete=models.CASCADE,
        related_name="notification_defaults",
        db_index=False,  # the unique constraint leads with it
    )
    kind = models.CharField(_("type"), max_length=64)
    channel = models.CharField(_("channel"), max_length=20, choices=CHANNEL_CHOICES)
    enabled = models.BooleanField(_("on"))

    class Meta:
        ordering = ["role", "kind", "channel"]
        verbose_name = _("notification default")
        verbose_name_plural = _("notification defaults")
        constraints = [
            models.UniqueConstraint(fields=["role", "kind", "channel"], name="notif_role_default_unique")
        ]

    def __str__(self):
        return f"{self.role_id} {self.kind} {self.channel}: {self.enabled}"


class EmailSettings(models.Model):
    """How a user gets notifications by e-mail: at once (but not during the quiet hours: those
    wait for their end) or once a day in a digest; in which language."""

    class Mode(models.TextChoices):
        IMMEDIATE = "immediate", _("At once")
        DIGEST = "digest", _("Once a day (digest)")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_email",
    )
    mode = models.CharField(_("e-mail"), max_length=10, choices=Mode.choices, default=Mode.IMMEDIATE)
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True)

    class Meta:
        ordering = ["user"]
        verbose_name = _("notification e-mail settings")
        verbose_name_plural = _("notification e-mail settings")

    def __str__(self):
        return f"{self.user_id}: {self.mode}"

    def clean(self):
        if (self.quiet_start is None) != (self.quiet_end is None):
            missing = "quiet_end" if self.quiet_end is None else "quiet_start"
            raise ValidationError(
                {
                    missing: ValidationError(
                        _("Give both the start and the end of the quiet hours, or neither."),
                        code=FieldCode.CONDITIONALLY_REQUIRED,
                    )
                }
            )
        if self.quiet_start is not None and self.quiet_start == self.quiet_end:
            raise ValidationError(
                {
                    "quiet_end": ValidationError(
                        _("The quiet hours must end at another time than they start."),
                        code=FieldCode.INVALID,
                    )
                }
            )

    def quiet_until(self, now: dt.datetime) -> dt.datetime | None:
        """When the quiet hours around ``now`` end (aware, in the server's time zone), or
        ``None`` outside them. Hours that span midnight (22:00–07:00) are understood."""
        return quiet_until(now, self.quiet_start, self.quiet_end)


def quiet_until(now: dt.datetime, start: dt.time | None, end: dt.time | None) -> dt.datetime | None:
    if start is None or end is None or start == end:
        return None
    local = timezone.localtime(now)
    clock = local.time().replace(tzinfo=None)
    # Hours across midnight (start after end) are inside before the end or after the start.
    inside = start <= clock < end if start < end else clock >= start or clock < end
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, end), local.tzinfo)
