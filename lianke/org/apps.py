from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "lianke.org"
    label = "org"
    verbose_name = _("Organisation and permissions")

    def ready(self):
        from lianke.core import configcache

        from .models import Collaborator, Department, FieldPermission, Role, RolePermission, User

        # What the access checks keep across requests (core.configcache): roles, their grants
        # and field rules, who holds which role, the department tree and its heads, the records
        # shared with each user, of each user what places them in it, and the names the people
        # pickers show (not their last login or password).
        for model in (Role, RolePermission, FieldPermission, Department, User.roles.through, Collaborator):
            configcache.watch(model)
        configcache.watch(
            User,
            columns=(
                "is_active", "is_superuser", "department", "superior",
                "name", "first_name", "last_name", "username",
            ),
        )  # fmt: skip

        # The data-protection audit's sign-ins and failed sign-ins (org.audit).
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from . import audit

        user_logged_in.connect(audit.signed_in, dispatch_uid="lianke.org.audit.signed_in")
        user_login_failed.connect(audit.sign_in_failed, dispatch_uid="lianke.org.audit.sign_in_failed")

        from lianke.console import pages

        pages.register(
            "audit",
            title=_("Audit"),
            group=pages.ORGANISATION,
            url_name="audit:log",
            icon="journal-check",
            description=_("Sign-ins, exports, bulk changes, permission changes."),
            order=40,
        )
        pages.register(
            "api_tokens",
            title=_("API tokens"),
            group=pages.INTEGRATIONS,
            url_name="api_token_admin:list",
            icon="key",
            description=_("Every user's API tokens: who has which, when last used; revoke."),
            order=20,
        )
