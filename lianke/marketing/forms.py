"""The lead form (``LeadObject.form_base``): its status list offers the active statuses in
their configured order, and the one the lead is in (``statuses.active_choices``)."""

from __future__ import annotations

from lianke.core.ui.forms import BusinessForm

from . import statuses


class LeadForm(BusinessForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("status")
        if field is not None and hasattr(field, "choices"):
            field.choices = statuses.active_choices(self.instance.status if self.instance.pk else None)
