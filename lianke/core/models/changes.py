from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class ObjectChange(models.Model):
    """One change of one record: who, when, from where, and every field's old → new value."""

    class ActionChoices(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")
        RESTORE = "restore", _("Restored")
        TRANSFER = "transfer", _("Transferred")
        PURGE = "purge", _("Purged")

    time = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    user_name = models.CharField(_("user name"), max_length=150, blank=True)
    request_id = models.CharField(_("request ID"), max_length=64, blank=True)
    source = models.CharField(_("source"), max_length=20)
    action = models.CharField(_("action"), max_length=20, choices=ActionChoices.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", db_index=False)
    object_id = models.BigIntegerField()
    object_repr = models.CharField(_("record"), max_length=200)
    related_content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    related_object_id = models.BigIntegerField(null=True, blank=True)
    prechange_data = models.JSONField(null=True, blank=True)
    postchange_data = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-time", "-id"]
        verbose_name = _("change")
        verbose_name_plural = _("history")
        indexes = [
            models.Index(fields=["content_type", "object_id", "-time"]),
            # Only changes of a record beneath another (a contact's, an opportunity line's) have a
            # related record: the others write nothing to this index.
            models.Index(
                fields=["related_content_type", "related_object_id", "-time"],
                condition=models.Q(related_content_type__isnull=False),
                name="core_change_related",
            ),
        ]

    def __str__(self):
        return f"{self.object_repr} {self.get_action_display()}"

    def diff(self) -> list[tuple[str, object, object]]:
        """``[(field, old, new)]`` for every field whose value differs (the record's version, kept
        in the data to find the changes since a version, is no field of its own)."""
        before, after = self.prechange_data or {}, self.postchange_data or {}
        keys = [k for k in dict.fromkeys([*after.keys(), *before.keys()]) if k != "version"]
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]
