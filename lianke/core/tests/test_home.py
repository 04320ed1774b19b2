"""The home page is a workbench of widgets the apps register: tiles at the top, widgets below,
each computed once, hidden when it has nothing for this user; recent records respect scopes."""

from __future__ import annotations

import pytest
from django.test import Client

from lianke.core.models import RecentRecord
from lianke.core.records.services import transfer_records
from lianke.core.ui import home
from lianke.customers.models import Account

pytestmark = pytest.mark.django_db


def widget_contexts(response) -> dict:
    return {widget.key: context for widget, context in response.context["widgets"]}


def test_apps_register_their_widgets_and_core_orders_them():
    keys = [w.key for w in home.widgets()]
    # the activities, customers, sales and core widgets, tasks first, recent records last
    assert keys[0] == "my_tasks"
    assert keys[-1] == "recent"
    assert {"follow_up", "team_today", "closing_soon"} <= set(keys)


def test_a_widget_without_a_context_is_hidden_and_gives_no_tiles(rf, org):
    class Silent(home.Widget):
        key, template = "silent", "x.html"

        def context(self, request):
            return None

        def tiles(self, request, context):  # pragma: no cover - never called
            raise AssertionError

    home.register(Silent)
    try:
        request = rf.get("/")
        request.user = org.rep_js
        _tiles, shown = home.workbench(request)
        assert "silent" not in [w.key for w, _c in shown]
    finally:
        home._widgets.pop("silent")


def test_home_shows_the_records_i_opened_last_newest_first(org, client_for):
    a = Account.objects.create(name="甲公司", owner=org.rep_js)
    b = Account.objects.create(name="乙公司", owner=org.rep_js)
    c = client_for(org.rep_js)
    c.get(f"/customers/account/{a.pk}/")
    c.get(f"/customers/account/{b.pk}/")
    c.get(f"/customers/account/{a.pk}/")
    items = widget_contexts(c.get("/"))["recent"]["items"]
    assert [i["title"] for i in items] == ["甲公司", "乙公司"]
    assert RecentRecord.objects.filter(user=org.rep_js).count() == 2


def test_a_record_transferred_away_drops_out_of_my_recent_records(org, client_for):
    a = Account.objects.create(name="甲公司", owner=org.rep_js)
    c = client_for(org.rep_js)
    c.get(f"/customers/account/{a.pk}/")
    transfer_records(actor=org.admin, records=[a], new_owner=org.rep_zj)
    page = c.get("/")
    assert "甲公司" not in page.content.decode()


def test_only_the_newest_fifty_recent_records_are_kept(org):
    for i in range(55):
        RecentRecord.touch(org.rep_js, Account.objects.create(name=f"公司{i}", owner=org.rep_js))
    assert RecentRecord.objects.filter(user=org.rep_js).count() == 50


def test_the_home_page_answers_for_every_kind_of_user(org):
    for user in (org.admin, org.manager_js, org.rep_js, org.ops, org.nobody):
        c = Client()
        c.force_login(user)
        assert c.get("/").status_code == 200
