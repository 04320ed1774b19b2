"""The notification centre (通知中心): one ``Notification`` model and one service.

Owns the notification types the apps declare (``types.declare``: a key, a label, the title
template, the default channels), ``service.notify`` (what producers call, inside the write's
transaction, so a notification exists if and only if its change committed), the users'
preferences per type and channel (``preferences``), the channels (``channels``: in-app, e-mail,
and the interface the WeCom integration implements, delivered through the outbox), what a
notification says (``render``), the bell, the list and the settings pages (``views``), and the
API (``/api/notifications/``, ``api``). The generic producers ("assigned to you", "transferred
to you") are here (``producers``); the others live in the apps that own their events.
A platform app: it imports core, org and the outbox, never a business app.
"""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "lianke.notifications"
    label = "notifications"
    verbose_name = _("Notifications")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from lianke.console import pages
        from lianke.core import schedules

        from . import digest, emails, producers

        producers.declare()
        producers.subscribe()
        emails.register()
        pages.register(
            "notifications",
            title=_("Notification defaults"),
            group=pages.WORKFLOW,
            url_name="notifications:role_defaults",
            icon="bell",
            order=20,
        )
        schedules.job(
            "notification_digest",
            digest.send_digests,
            label=_("Daily notification digest by e-mail"),
            cron="0 8 * * *",
            description=_(
                "Sends each user who chose the daily digest one e-mail with the notifications of the past 24 hours."
            ),
        )
