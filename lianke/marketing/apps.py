from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "lianke.marketing"
    label = "marketing"
    verbose_name = _("Marketing")

    def ready(self):
        from lianke.console import pages
        from lianke.core import configcache
        from lianke.org import access
        from lianke.org.kinds import Config

        from .models import LeadStatusOption

        # A lead's statuses are configuration: administrators only; read by every lead list,
        # form and path, kept across requests (core.configcache).
        access.register_policy(LeadStatusOption, Config())
        configcache.watch(LeadStatusOption)
        pages.register(
            "lead_statuses",
            title=_("Lead statuses"),
            group=pages.OBJECTS,
            url_name="marketing_settings:lead_statuses",
            icon="funnel",
            description=_("Names, order and transitions of a lead's statuses; statuses of your own."),
            order=25,
        )
