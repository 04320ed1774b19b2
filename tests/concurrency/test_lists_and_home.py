"""Parallel writes of the list and home features: saving a view under one name, opening one
record in many tabs. (A bulk edit racing single edits loses updates today: the edit form
rewrites every column — Platform A's write pipeline fixes that and brings its race tests.)"""

from __future__ import annotations

import pytest

from lianke.core.models import RecentRecord, SavedView
from lianke.customers.models import Account

from ..live import LiveSession, race

N = 8


@pytest.fixture
def sessions(live_server, org):
    return lambda user, n=N: [LiveSession(live_server.url, user) for _ in range(n)]


def test_parallel_saves_of_a_view_under_one_name_leave_exactly_one_view(org, sessions):
    # given eight tabs of the same manager saving a view called "重点" at the same moment
    tabs = sessions(org.manager_js)
    answers = race(
        [
            lambda s=s, i=i: s.post(
                "/views/customers.account/save/", {"name": "重点", "query": f"level=key&page_hint={i}"}
            )
            for i, s in enumerate(tabs)
        ]
    )
    # then every request answered with a redirect (no 500), and one view exists
    assert [a.status for a in answers] == [302] * N
    views = SavedView.objects.filter(user=org.manager_js, name="重点")
    assert views.count() == 1
    assert views.get().query.startswith("level=key&page_hint=")


def test_opening_one_record_in_parallel_tabs_keeps_one_recent_entry(org, sessions):
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    tabs = sessions(org.rep_js)
    answers = race([lambda s=s: s.get(f"/customers/account/{account.pk}/") for s in tabs])
    assert [a.status for a in answers] == [200] * N
    assert RecentRecord.objects.filter(user=org.rep_js).count() == 1
