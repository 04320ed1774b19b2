from django.db import models
from django.utils.translation import gettext_lazy as _


class MoneyField(models.DecimalField):
    """An exact CNY amount (two decimal places); shown as ¥1,234.50."""

    money = True
    description = _("Money")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "lianke.core.fields.MoneyField", args, kwargs
