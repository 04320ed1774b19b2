from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "lianke.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.utils.module_loading import autodiscover_modules

        from . import checks  # noqa: F401  (registers the system checks)

        # Each business app declares its object types in ``objects.py`` and its home-page
        # widgets in ``home.py``.
        autodiscover_modules("objects")
        autodiscover_modules("home")
