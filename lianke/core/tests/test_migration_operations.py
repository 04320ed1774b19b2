"""Migration operations that run on one database only: the statistics a migration writes after
re-creating indexes on SQLite (``analyze``), and nothing on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection

from lianke.core.migration_operations import analyze
from lianke.customers.models import Account

pytestmark = pytest.mark.django_db


class Editor:
    """What ``RunSQL`` needs of a schema editor (a real one cannot open inside a test's
    transaction on SQLite)."""

    connection = connection

    def __init__(self):
        self.executed: list[str] = []

    def execute(self, sql, params=None):
        self.executed.append(sql)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def test_analyze_writes_the_statistics_of_the_recreated_indexes_on_sqlite_only(org):
    Account.objects.bulk_create(
        [Account(name=f"客户{i}", owner=org.rep_js, department=org.js_team) for i in range(30)]
    )
    editor = Editor()
    analyze("customers_account").database_forwards("customers", editor, None, None)
    if connection.vendor != "sqlite":
        assert editor.executed == []  # PostgreSQL keeps its statistics per column
        return
    assert editor.executed == ['ANALYZE "customers_account"']
    with connection.cursor() as cursor:
        cursor.execute("SELECT idx FROM sqlite_stat1 WHERE tbl = 'customers_account'")
        indexes = {row[0] for row in cursor.fetchall()}
    assert {"cust_account_own_upd", "cust_account_dep_upd"} <= indexes
