from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "lianke.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from lianke.core.ui import panels

        from . import registration

        registration.declare()
        panels.register("registration", registration.registration_panel)
