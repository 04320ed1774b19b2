"""App start-up: the notification types, the lock rule, the re-approval subscriber, the
escalation job, the ``submit`` record action and the approval of large exports are
registered here."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "lianke.approvals"
    label = "approvals"
    verbose_name = _("Approvals")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import declarations, exports, panel

        declarations.register()
        exports.register()
        panel.register()

        from lianke.console import pages

        pages.register(
            "approvals",
            title=_("Approval flows"),
            group=pages.WORKFLOW,
            url_name="approval_flows:list",
            icon="check2-square",
            order=10,
        )
