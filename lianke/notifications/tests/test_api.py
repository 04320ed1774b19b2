"""The notifications API: one's own only — another user's ids are neither listed, nor marked,
nor told apart from ids that do not exist —, newest first in keyset pages, the unread count,
clear coded errors for bad input, and a list whose queries do not grow with its length."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianke.core.objecttypes.registry import registry
from lianke.notifications import service
from lianke.notifications.models import Notification

pytestmark = pytest.mark.django_db

LIST, READ, COUNT = "/api/notifications/", "/api/notifications/read/", "/api/notifications/count/"


@pytest.fixture
def account(org):
    model = registry.get("customers.account").model
    return model.all_objects.create(name="苏州精工机械", owner=org.rep_js, department=org.js_team)


def test_each_user_lists_and_counts_only_his_own(org, declared, api_for, account):
    mine = service.notify([org.rep_js], declared, record=account, actor=org.admin)
    theirs = service.notify([org.rep_zj], declared, actor=org.admin)
    api = api_for(org.rep_js)
    body = api.get(LIST, HTTP_ACCEPT_LANGUAGE="en").json()
    assert [n["id"] for n in body["results"]] == [mine[0].pk]
    assert body["results"][0]["title"] == "管理员 assigned Account “苏州精工机械” to you"
    assert body["results"][0]["read"] is False
    assert api.get(COUNT).json() == {"unread": 1, "more": False}
    assert api_for(org.rep_zj).get(COUNT).json() == {"unread": 1, "more": False}
    assert theirs[0].pk not in [n["id"] for n in body["results"]]


def test_marking_another_users_ids_changes_nothing_and_tells_nothing(org, declared, api_for):
    [mine] = service.notify([org.rep_js], declared, actor=org.admin)
    [theirs] = service.notify([org.rep_zj], declared, actor=org.admin)
    api = api_for(org.rep_js)
    before = list(Notification.objects.order_by("pk").values_list("pk", "read_at"))
    r = api.post(READ, {"ids": [theirs.pk]}, format="json")
    assert r.status_code == 200 and r.json() == {"marked": 0, "unread": 1}
    # the same answer as an id that does not exist
    assert api.post(READ, {"ids": [theirs.pk + 1000]}, format="json").json() == {"marked": 0, "unread": 1}
    assert list(Notification.objects.order_by("pk").values_list("pk", "read_at")) == before
    # "all" marks only one's own
    assert api.post(READ, {"all": True}, format="json").json() == {"marked": 1, "unread": 0}
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert Notification.objects.get(pk=mine.pk).read_at is not None


def test_mark_some_read_and_list_the_unread(org, declared, api_for):
    rows = [service.notify([org.rep_js], declared, actor=org.admin)[0] for _ in range(3)]
    api = api_for(org.rep_js)
    assert api.post(READ, {"ids": [rows[0].pk]}, format="json").json() == {"marked": 1, "unread": 2}
    unread = api.get(LIST, {"unread": "1"}).json()["results"]
    assert [n["id"] for n in unread] == [rows[2].pk, rows[1].pk]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "ids", "nothing_to_mark"),
        ({"ids": []}, "ids", "nothing_to_mark"),
        ({"ids": ["x"]}, "ids.0", "invalid"),
        ({"ids": [2**70]}, "ids.0", "out_of_range"),
        ({"ids": "1"}, "ids", "invalid"),
        ({"all": "maybe"}, "all", "invalid"),
    ],
)
def test_bad_input_is_a_coded_400(org, api_for, body, field, code):
    r = api_for(org.rep_js).post(READ, body, format="json")
    assert r.status_code == 400
    assert {"field": field, "code": code} in [
        {k: e[k] for k in ("field", "code")} for e in r.json()["errors"]
    ]


def test_a_read_only_token_cannot_mark_read(org, declared, api_for):
    service.notify([org.rep_js], declared, actor=org.admin)
    assert api_for(org.rep_js, scope="read").post(READ, {"all": True}, format="json").status_code == 403
    assert Notification.objects.get().read_at is None


def test_the_list_pages_newest_first_with_a_cursor(org, declared, api_for):
    ids = [service.notify([org.rep_js], declared, actor=org.admin)[0].pk for _ in range(5)]
    api = api_for(org.rep_js)
    first = api.get(LIST, {"page_size": 2}).json()
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()
    got = [n["id"] for page in (first, second, third) for n in page["results"]]
    assert got == ids[::-1]
    assert third["next"] is None
    bad = api.get(LIST, {"cursor": "nonsense"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "invalid_cursor"


def test_the_lists_queries_do_not_grow_with_its_length(org, declared, api_for, account):
    api = api_for(org.rep_js)
    service.notify([org.rep_js], declared, record=account, actor=org.admin)
    api.get(LIST)  # the token's and the grants' caches
    with CaptureQueriesContext(connection) as one:
        assert api.get(LIST).status_code == 200
    for i in range(20):
        other = type(account).all_objects.create(
            name=f"扬州机电{i}", owner=org.rep_js, department=org.js_team
        )
        service.notify([org.rep_js], declared, record=other, actor=org.lead_js)
    with CaptureQueriesContext(connection) as many:
        body = api.get(LIST).json()
    assert len(body["results"]) == 21
    assert len(many) == len(one)


def test_the_count_is_one_query(org, declared, api_for):
    service.notify([org.rep_js], declared, actor=org.admin)
    api = api_for(org.rep_js)
    api.get(COUNT)  # warm the token's cache
    with CaptureQueriesContext(connection) as queries:
        assert api.get(COUNT).json() == {"unread": 1, "more": False}
    counts = [q["sql"] for q in queries if "notifications_notification" in q["sql"]]
    assert len(counts) == 1


def test_the_endpoints_are_in_the_schema(org, client_for):
    schema = client_for(org.rep_js).get("/api/schema/?format=json").json()
    assert {"/api/notifications/", "/api/notifications/read/", "/api/notifications/count/"} <= set(
        schema["paths"]
    )


def test_the_count_stops_at_the_cap_and_says_there_are_more(org, declared, api_for, monkeypatch):
    monkeypatch.setattr(service, "COUNT_CAP", 3)
    for _ in range(3):
        service.notify([org.rep_js], declared, actor=org.admin)
    api = api_for(org.rep_js)
    assert api.get(COUNT).json() == {"unread": 3, "more": False}
    service.notify([org.rep_js], declared, actor=org.admin)
    assert api.get(COUNT).json() == {"unread": 3, "more": True}
