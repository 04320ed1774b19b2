"""The bell and the list: the unread count in the top bar and the phone's bottom bar from one
indexed query per page, the list grouped by day (today / yesterday / date), opening a
notification marks it read and goes to its record, mark read / all read — one's own only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lianke.core.objecttypes.registry import registry
from lianke.notifications import service
from lianke.notifications.models import Notification

pytestmark = pytest.mark.django_db


def web(user) -> Client:
    c = Client(headers={"accept-language": "en"})
    c.force_login(user)
    return c


@pytest.fixture
def account(org):
    model = registry.get("customers.account").model
    return model.all_objects.create(name="苏州精工机械", owner=org.rep_js, department=org.js_team)


def test_the_bell_shows_the_unread_count_in_both_bars_from_one_query(org, declared):
    for _ in range(3):
        service.notify([org.rep_js], declared, actor=org.admin)
    client = web(org.rep_js)
    client.get("/notifications/")
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/notifications/").content.decode()
    assert page.count('data-unread="3"') == 2  # the top bar and the phone's bottom bar
    counts = [q for q in queries if "COUNT(" in q["sql"].upper() and "notifications_notification" in q["sql"]]
    assert len(counts) == 1


def test_the_list_is_grouped_by_day(org, declared, clock):
    now = clock(timezone.make_aware(dt.datetime(2026, 12, 7, 10)))
    for days in (0, 1, 3):
        [n] = service.notify([org.rep_js], declared, actor=org.admin)
        Notification.objects.filter(pk=n.pk).update(created_at=now - dt.timedelta(days=days))
    page = web(org.rep_js).get("/notifications/").content.decode()
    assert page.index(">Today<") < page.index(">Yesterday<") < page.index('data-day="2026-12-04"')


def test_opening_one_marks_it_read_and_goes_to_its_record(org, declared, account):
    [n] = service.notify([org.rep_js], declared, record=account, actor=org.admin)
    response = web(org.rep_js).get(f"/notifications/{n.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == registry.get("customers.account").record_url(account.pk)
    assert Notification.objects.get(pk=n.pk).read_at is not None


def test_another_users_notification_cannot_be_opened_or_marked(org, declared):
    [theirs] = service.notify([org.rep_zj], declared, actor=org.admin)
    client = web(org.rep_js)
    assert client.get(f"/notifications/{theirs.pk}/open/").status_code == 404
    client.post("/notifications/read/", {"ids": [theirs.pk]})
    client.post("/notifications/read/", {"all": "1"})
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_mark_all_read(org, declared):
    for _ in range(2):
        service.notify([org.rep_js], declared, actor=org.admin)
    client = web(org.rep_js)
    response = client.post("/notifications/read/", {"all": "1", "next": "/notifications/"})
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert service.unread_count(org.rep_js) == 0
    assert "No unread notifications." in client.get("/notifications/?unread=1").content.decode()


def test_a_foreign_next_address_is_not_followed(org):
    response = web(org.rep_js).post("/notifications/read/", {"all": "1", "next": "https://evil.example/"})
    assert response["Location"] == "/notifications/"


def test_the_pages_need_a_sign_in(db):
    for path in ("/notifications/", "/profile/notifications/", "/settings/notifications/"):
        assert Client().get(path).status_code == 302
    assert Client().get("/api/notifications/count/").status_code in (401, 403)


def test_the_list_pages_queries_do_not_grow_with_its_length(org, declared, account):
    client = web(org.rep_js)
    service.notify([org.rep_js], declared, record=account, actor=org.admin)
    client.get("/notifications/")
    with CaptureQueriesContext(connection) as one:
        client.get("/notifications/")
    model = type(account)
    for i in range(25):
        other = model.all_objects.create(name=f"扬州机电{i}", owner=org.rep_js, department=org.js_team)
        service.notify([org.rep_js], declared, record=other, actor=org.lead_js if i % 2 else org.manager_js)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/notifications/").content.decode()
    assert page.count('class="list-group-item d-flex') == 26
    assert len(many) == len(one)


def test_notifications_about_records_readable_through_their_parent_cost_the_same_queries(
    org, declared, account
):
    """Follow-ups a colleague wrote on the reader's account: the reader opens them through the
    account (``Owned(through=…)``), found for the whole page at once, not one lookup a row."""
    from lianke.core.objecttypes.registry import registry

    Activity = registry.get("activities.activity").model  # noqa: N806 (the platform imports no app)
    client = web(org.rep_js)

    def note(i):
        made = Activity.objects.create(kind="note", subject=f"跟进{i}", owner=org.rep_zj, account=account)
        service.notify([org.rep_js], declared, record=made, actor=org.rep_zj)

    note(0)
    client.get("/notifications/")
    with CaptureQueriesContext(connection) as one:
        page = client.get("/notifications/").content.decode()
    assert "跟进0" in page
    for i in range(1, 11):
        note(i)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/notifications/").content.decode()
    assert all(f"跟进{i}" in page for i in range(11))
    assert len(many) == len(one)
