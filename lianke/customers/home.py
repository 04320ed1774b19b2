"""Home-page widget of the customers app: my accounts to follow up today (no activity for the
number of days set by ``LIANKE_FOLLOW_UP_DAYS``)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianke.core.home import Tile, Widget, register
from lianke.core.pagination import capped_count
from lianke.org import access
from lianke.org.choices import Action

from .models import Account


@register
class FollowUpToday(Widget):
    key = "follow_up"
    order = 20
    template = "customers/home/follow_up.html"
    SHOWN = 10

    def context(self, request):
        user = request.user
        if not access.has_action(user, Account, Action.VIEW):
            return None
        days = settings.LIANKE_FOLLOW_UP_DAYS
        cutoff = timezone.now() - dt.timedelta(days=days)
        due = Account.objects.filter(owner=user).filter(
            Q(last_activity_at__lt=cutoff) | Q(last_activity_at__isnull=True, created_at__lt=cutoff)
        )
        count, more = capped_count(due, cap=999)
        rows = list(due.order_by(F("last_activity_at").asc(nulls_first=True), "pk")[: self.SHOWN])
        return {"days": days, "rows": rows, "count": count, "more": more}

    def tiles(self, request, context):
        return [Tile("follow_up", _("Accounts to follow up"), context["count"], "#follow-up", "warning")]
