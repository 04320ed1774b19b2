"""Home widget of customers: my accounts with no activity for LIANKE_FOLLOW_UP_DAYS days."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from lianke.customers.models import Account

pytestmark = pytest.mark.django_db


def test_follow_up_today_lists_my_accounts_without_recent_activity_oldest_first(org, client_for, settings):
    settings.LIANKE_FOLLOW_UP_DAYS = 10
    now = timezone.now()

    def account(name, owner, last, created_days_ago=100):
        a = Account.objects.create(name=name, owner=owner)
        Account.all_objects.filter(pk=a.pk).update(
            last_activity_at=last, created_at=now - dt.timedelta(days=created_days_ago)
        )

    account("二十天没联系", org.rep_js, now - dt.timedelta(days=20))
    account("从未联系", org.rep_js, None)
    account("昨天刚联系", org.rep_js, now - dt.timedelta(days=1))
    account("新客户", org.rep_js, None, created_days_ago=2)
    account("同事的", org.rep_js2, now - dt.timedelta(days=30))
    response = client_for(org.rep_js).get("/")
    ctx = {w.key: c for w, c in response.context["widgets"]}["follow_up"]
    assert [a.name for a in ctx["rows"]] == ["从未联系", "二十天没联系"]
    assert {t.key: t.value for t in response.context["tiles"]}["follow_up"] == 2
