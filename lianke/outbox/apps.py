from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    name = "lianke.outbox"
    label = "outbox"
    verbose_name = _("Outbox")

    def ready(self):
        from lianke.console import pages
        from lianke.core import periodic
        from lianke.core.records import events

        from . import delivery, webhooks

        events.subscribe(webhooks.on_event, durable=True)
        webhooks.register()
        # Retries that fall due, and messages whose worker died mid-delivery, get a job.
        periodic.every(30, delivery.schedule_if_due)
        # Delivered messages are kept LIANKE_OUTBOX_KEEP_DAYS.
        periodic.every(3600, delivery.schedule_purge)
        pages.register(
            "webhooks",
            title=_("Webhooks"),
            group=pages.INTEGRATIONS,
            url_name="outbox:webhooks",
            icon="send",
            description=_("Outgoing events to other systems, and their deliveries."),
            order=10,
        )
