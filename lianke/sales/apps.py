from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "lianke.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self):
        from lianke.console import pages
        from lianke.core import configcache
        from lianke.org import access
        from lianke.org.kinds import Config

        from .models import Stage, StageSet

        # Stage sets are configuration: administrators only, whatever page or service writes them.
        for model in (StageSet, Stage):
            access.register_policy(model, Config())
        pages.register(
            "stage_sets",
            title=_("Stage sets"),
            group=pages.OBJECTS,
            url_name="sales_settings:stage_sets",
            icon="signpost-split",
            description=_("The stages opportunities go through: order, probability, won and lost."),
            order=20,
        )

        # The stage sets are configuration: the opportunity list's filter form, kept across
        # requests with the rest of it (core.configcache), offers their stages.
        for model in (StageSet, Stage):
            configcache.watch(model)
