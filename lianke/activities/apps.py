from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "lianke.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self):
        from lianke.core.records import events

        from .follow_ups import on_activity_event

        # Inside each write's transaction: the last follow-up commits with the activity.
        events.subscribe(on_activity_event, object_type="activities.activity", durable=True)
