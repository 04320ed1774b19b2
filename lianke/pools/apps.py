from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoolsConfig(AppConfig):
    name = "lianke.pools"
    label = "pools"
    verbose_name = _("Pools")

    def ready(self):
        from lianke.console import pages
        from lianke.core import configcache

        from .context_processors import offers_pools
        from .models import Pool

        # Settings › Pools: administrators, and each pool's own administrators (its delegates).
        pages.register(
            "pools",
            title=_("Pools"),
            group=pages.OBJECTS,
            url_name="pools:list",
            icon="inboxes",
            description=_("Who belongs to each pool of leads or accounts."),
            visible=offers_pools,
            order=30,
        )

        # Who belongs to which pool is read on every list of a pooled type (core.configcache).
        for model in (Pool, Pool.members.through, Pool.member_departments.through, Pool.admins.through):
            configcache.watch(model)
