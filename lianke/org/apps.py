from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "lianke.org"
    label = "org"
    verbose_name = _("Organisation and permissions")

    def ready(self):
        from lianke.core import configcache

        from .models import Department, FieldPermission, Role, RolePermission, User

        # What the access checks keep across requests (core.configcache): roles, their grants
        # and field rules, who holds which role, the department tree and its heads, and of each
        # user what places them in it (not their name, last login or password).
        for model in (Role, RolePermission, FieldPermission, Department, User.roles.through):
            configcache.watch(model)
        configcache.watch(User, columns=("is_active", "is_superuser", "department", "superior"))
