"""Home-page widget of the customers app: my accounts to follow up today (no activity for the
number of days set by ``LIANKE_FOLLOW_UP_DAYS``) — my customers only: an account pending
registration, or rejected, is not counted."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianke.core.pagination import capped_count
from lianke.core.ui.home import Tile, Widget, register
from lianke.org import access
from lianke.org.choices import Action

from .choices import Registration
from .models import Account

COUNT_CAP = 999


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
        # Only his customers: an account pending registration, or rejected, is not (yet) his.
        mine = Account.objects.filter(owner=user, registration=Registration.REGISTERED)
        # Never followed up (and older than the cutoff) first, then the longest silent. Each part
        # comes from the owner / last-follow-up index in order, cut off, its count capped.
        never = mine.filter(last_activity_at__isnull=True, created_at__lt=cutoff).order_by("pk")
        silent = mine.filter(last_activity_at__lt=cutoff).order_by("last_activity_at", "pk")
        ids = list(never.values_list("pk", flat=True)[: self.SHOWN])
        ids += list(silent.values_list("pk", flat=True)[: self.SHOWN - len(ids)])
        by_pk = Account.objects.in_bulk(ids)
        rows = [by_pk[pk] for pk in ids if pk in by_pk]
        counts = [capped_count(part, cap=COUNT_CAP) for part in (never, silent)]
        count = min(sum(n for n, _more in counts), COUNT_CAP)
        more = any(more for _n, more in counts) or sum(n for n, _more in counts) > COUNT_CAP
        return {"days": days, "rows": rows, "count": count, "more": more}

    def tiles(self, request, context):
        count = f"{context['count']}+" if context["more"] else context["count"]
        return [Tile("follow_up", _("Accounts to follow up"), count, "#follow-up", "warning")]
