from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoolsConfig(AppConfig):
    name = "lianke.pools"
    label = "pools"
    verbose_name = _("Pools")

    def ready(self):
        from lianke.core import configcache

        from .models import Pool

        # Who belongs to which pool is read on every list of a pooled type (core.configcache).
        for model in (Pool, Pool.members.through, Pool.member_departments.through, Pool.admins.through):
            configcache.watch(model)
