"""Home widget of sales: my open pipeline and what is expected to close in the next 30 days."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from lianke.customers.models import Account
from lianke.sales.models import Opportunity

pytestmark = pytest.mark.django_db


def test_closing_soon_lists_my_open_opportunities_by_expected_close_date(org, stages, client_for):
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    today = timezone.localdate()

    def opportunity(name, days, stage="first", owner=None, amount=1000):
        Opportunity.objects.create(
            name=name,
            account=account,
            owner=owner or org.rep_js,
            stage_set=stages["set"],
            stage=stages[stage],
            amount=amount,
            loss_reason="price" if stage == "lost" else "",
            expected_close_date=today + dt.timedelta(days=days),
        )

    opportunity("下周", 7)
    opportunity("已过期", -3)
    opportunity("明年", 200)
    opportunity("已赢", 2, stage="won")
    opportunity("同事的", 1, owner=org.rep_js2)
    response = client_for(org.rep_js).get("/")
    ctx = {w.key: c for w, c in response.context["widgets"]}["closing_soon"]
    assert [o.name for o in ctx["rows"]] == ["已过期", "下周"]
    assert ctx["open"] == 3 and ctx["amount"] == 3000
    assert {t.key: t.value for t in response.context["tiles"]}["open_opportunities"] == 3
