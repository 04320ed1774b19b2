"""Home-page widget of the sales app: my open pipeline and the opportunities closing soon."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianke.core.objecttypes.registry import registry
from lianke.core.ui.home import Tile, Widget, register
from lianke.org import access, fieldaccess
from lianke.org.choices import Action

from .choices import StageKind
from .models import Opportunity, Stage


@register
class ClosingSoon(Widget):
    key = "closing_soon"
    order = 40
    template = "sales/home/closing_soon.html"
    DAYS = 30

    def context(self, request):
        user = request.user
        if not access.has_action(user, Opportunity, Action.VIEW):
            return None
        # Open stages by id (a handful): the owner / close-date index then answers the count,
        # the amount and the first few in date order without reading the table.
        open_stages = list(Stage.objects.filter(kind=StageKind.OPEN).values_list("pk", flat=True))
        mine = Opportunity.objects.filter(owner=user, stage_id__in=open_stages)
        totals = mine.aggregate(n=Count("pk"), amount=Sum("amount"))
        soon = timezone.localdate() + dt.timedelta(days=self.DAYS)
        ids = list(
            mine.filter(expected_close_date__lte=soon)
            .order_by("expected_close_date", "pk")
            .values_list("pk", flat=True)[:10]
        )
        rows = list(
            Opportunity.objects.filter(pk__in=ids)
            .select_related("account", "stage")
            .order_by("expected_close_date", "pk")
        )
        return {
            "rows": rows,
            "open": totals["n"],
            # an amount hidden from the reader (field permissions) is not summed up either
            "amount": totals["amount"] or 0
            if fieldaccess.field_access(user, Opportunity).visible("amount")
            else None,
            "days": self.DAYS,
            "today": timezone.localdate(),
        }

    def tiles(self, request, context):
        url = registry.get_for_model(Opportunity).url_list + "?scope=mine"
        return [Tile("open_opportunities", _("My open opportunities"), context["open"], url, "success")]
