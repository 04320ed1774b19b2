from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    name = "lianke.console"
    label = "console"
    verbose_name = _("Settings console")

    def ready(self):
        from . import pages

        pages.register_builtin()
