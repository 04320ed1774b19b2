from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "lianke.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self):
        from lianke.core import schedules
        from lianke.core.records import events

        from . import notifications
        from .follow_ups import on_activity_event

        # Inside each write's transaction: the last follow-up commits with the activity.
        events.subscribe(on_activity_event, object_type="activities.activity", durable=True)
        # "@mention": the notification commits with the activity that mentions someone.
        notifications.declare()
        # an "@name" several people answer to is refused on every write path, not only forms
        events.rule(
            notifications.refuse_ambiguous_mentions,
            object_type="activities.activity",
            actions=(events.CREATE, events.EDIT),
        )
        events.subscribe(
            notifications.on_activity_event,
            object_type="activities.activity",
            events=(events.CREATED, events.UPDATED),
            durable=True,
        )
        schedules.job(
            "task_reminders",
            notifications.send_task_reminders,
            label=_("Task reminders"),
            cron="0 8 * * *",
            description=_(
                "Notifies the assignees of open tasks due today or overdue, once per task and day."
            ),
        )
