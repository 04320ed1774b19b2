from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

KEEP = 50  # recent records kept per user


class RecentRecord(models.Model):
    """A record a user opened, for "recent records" on the home page (one row per user and
    record, moved to the top on every visit; only the newest ``KEEP`` are kept)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.BigIntegerField()
    viewed_at = models.DateTimeField(_("viewed at"), default=timezone.now)

    class Meta:
        ordering = ["-viewed_at", "-id"]
        verbose_name = _("recent record")
        verbose_name_plural = _("recent records")
        constraints = [
            models.UniqueConstraint(fields=["user", "content_type", "object_id"], name="core_recent_unique")
        ]
        indexes = [models.Index(fields=["user", "-viewed_at"], name="core_recent_user")]

    def __str__(self):
        return f"{self.content_type_id}:{self.object_id}"

    @classmethod
    def touch(cls, user, obj) -> None:
        """Note that ``user`` opened ``obj`` (not business data: no history)."""
        ct = ContentType.objects.get_for_model(type(obj))
        _row, created = cls.objects.update_or_create(
            user=user, content_type=ct, object_id=obj.pk, defaults={"viewed_at": timezone.now()}
        )
        if created:
            stale = (
                cls.objects.filter(user=user)
                .order_by("-viewed_at", "-id")
                .values_list("pk", flat=True)[KEEP:]
            )
            cls.objects.filter(pk__in=list(stale)).delete()
