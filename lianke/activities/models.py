"""Activities (跟进记录): notes, calls, visits, meetings, emails, SMS and tasks on any record (A1)."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianke.core.errors import FieldCode
from lianke.core.models import BusinessModel
from lianke.core.models.base import scope_indexes, set_only_indexes
from lianke.org.choices import Action

from .choices import ActivityKind, Direction


class Activity(BusinessModel):
    kind = models.CharField(_("type"), max_length=10, choices=ActivityKind.choices, default=ActivityKind.NOTE)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("details"), blank=True)
    occurred_at = models.DateTimeField(_("time"), default=timezone.now)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices, blank=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    # What the activity is about: any registered record; ``account`` is kept for the 360 page.
    content_type = models.ForeignKey(
        ContentType,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,
    )
    object_id = models.BigIntegerField(null=True, blank=True, editable=False)
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
        editable=False,
        db_index=False,
    )
    # Tasks
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_activities",
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    is_done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True, editable=False)
    # Visits (check-in location; the mobile check-in flow builds on these)
    location = models.CharField(_("location"), max_length=255, blank=True)

    class Meta(BusinessModel.Meta):
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="act_upd"),
            *scope_indexes("act", key="occurred_at", suffix="time"),
            *set_only_indexes("act", "deleted_by"),
            models.Index(fields=["content_type", "object_id", "occurred_at"], name="act_target"),
            models.Index(fields=["account", "occurred_at"], name="act_account"),
            # Open tasks by assignee and due time (the home page's overdue / today / next seven
            # days, the team's overdue tasks), holding every column those queries read so that
            # the data-scope filter is answered from the index alone (in due order, stopped at
            # the limit) however many open tasks someone has. On SQLite too: it ignores
            # ``INCLUDE`` columns, and takes a partial index as covering only if the columns of
            # its condition are in it — without them it read every counted task's row (a
            # manager's team's overdue tasks: 24,485 rows, 147 ms at a million accounts).
            models.Index(
                fields=["assignee", "due_at", "id", "owner", "department", "kind", "is_done", "is_deleted"],
                condition=Q(kind="task", is_done=False, is_deleted=False),
                name="act_open_task_due",
            ),
        ]

    def __str__(self):
        return self.subject

    @classmethod
    def access_extra_q(cls, user, action):
        """Whoever a task is assigned to may see it and mark it done."""
        if action in (Action.VIEW, Action.EDIT):
            return Q(assignee_id=user.pk)
        return None

    def clean(self):
        if self.kind == ActivityKind.TASK:
            if not self.assignee_id:
                self.assignee_id = self.owner_id
            if not self.due_at:
                raise ValidationError(
                    {
                        "due_at": ValidationError(
                            _("A task needs a due date."), code=FieldCode.CONDITIONALLY_REQUIRED
                        )
                    }
                )
        if self.is_done and not self.done_at:
            self.done_at = timezone.now()
        if not self.is_done:
            self.done_at = None

    @property
    def is_overdue(self) -> bool:
        """An open task past its due time."""
        due = self.due_at
        return (
            self.kind == ActivityKind.TASK and not self.is_done and due is not None and due < timezone.now()
        )

    @property
    def target(self):
        if self.content_type_id and self.object_id:
            model = self.content_type.model_class()
            return model.objects.filter(pk=self.object_id).first() if model else None
        return None
