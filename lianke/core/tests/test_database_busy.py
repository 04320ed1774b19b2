"""SQLite under write load: a write that still finds the database locked after the busy timeout
is a clear "try again" (503 with Retry-After), HTML for pages and JSON for the API — never a 500,
and nothing is written."""

import sqlite3

import pytest
from django.db import OperationalError, connection

from lianke.core.api.views import BusinessViewSet
from lianke.core.views.objects import ObjectListView
from lianke.customers.models import Account

pytestmark = pytest.mark.django_db


def locked(*args, **kwargs):
    raise OperationalError("database is locked")


def test_a_locked_database_is_a_503_page_with_retry_after(org, client_for, monkeypatch, english):
    monkeypatch.setattr(ObjectListView, "get", locked)
    response = client_for(org.rep_js).get("/customers/account/")
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response["Content-Type"].startswith("text/html")
    assert "busy" in response.content.decode()


def test_a_locked_database_is_a_503_json_error_on_the_api(org, api_for, monkeypatch, english):
    monkeypatch.setattr(BusinessViewSet, "create", locked)
    response = api_for(org.rep_js).post("/api/customers/accounts/", {"name": "新客户"}, format="json")
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert body["code"] == "database_busy"
    assert "try again" in body["detail"]


def test_other_database_errors_are_not_disguised_as_busy(org, client_for, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("no such table: nowhere")

    monkeypatch.setattr(ObjectListView, "get", broken)
    client = client_for(org.rep_js)
    client.raise_request_exception = False
    assert client.get("/customers/account/").status_code == 500


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's file lock")
def test_a_real_write_lock_held_elsewhere_gives_a_503_and_writes_nothing(org, api_for):
    api = api_for(org.rep_js)
    # given another process holding SQLite's write lock, and a short busy timeout here
    other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0.1, isolation_level=None)
    connection.ensure_connection()
    connection.connection.execute("PRAGMA busy_timeout = 100")
    other.execute("BEGIN IMMEDIATE")
    try:
        response = api.post("/api/customers/accounts/", {"name": "锁住的客户"}, format="json")
    finally:
        other.execute("ROLLBACK")
        other.close()
    # then the write is refused with "try again", and nothing was written
    assert response.status_code == 503
    assert response.json()["code"] == "database_busy"
    assert not Account.objects.filter(name="锁住的客户").exists()
