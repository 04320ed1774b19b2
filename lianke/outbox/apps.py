from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    name = "lianke.outbox"
    label = "outbox"
    verbose_name = _("Outbox")

    def ready(self):
        from lianke.core import events

        from . import webhooks

        events.subscribe(webhooks.on_event, durable=True)
        webhooks.register()
