from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "lianke.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self):
        from lianke.core import configcache

        from .models import Stage, StageSet

        # The stage sets are configuration: the opportunity list's filter form, kept across
        # requests with the rest of it (core.configcache), offers their stages.
        for model in (StageSet, Stage):
            configcache.watch(model)

        from lianke.console import pages

        pages.register(
            "stage_sets",
            title=_("Stage sets"),
            group=pages.OBJECTS,
            url_name="admin:sales_stageset_changelist",
            icon="signpost-split",
            description=_("Opportunity stages (in the advanced settings)."),
            order=20,
        )
