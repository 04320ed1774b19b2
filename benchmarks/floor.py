"""The floor beside Lianke in the HTTP benchmark: a bare WSGI app answering the first 50 accounts
of the default list order as JSON, one SQL query per request, no framework (not part of Lianke).

``benchmarks/throughput.py`` serves it with gunicorn next to Lianke, on the same database, so the gap
between the two is what Lianke's own work costs (sessions, the access scope, filters, templates).
The database comes from ``DATABASE_URL`` (PostgreSQL) or, if that is unset, the SQLite file in
``LIANKE_DATA_DIR`` — as Lianke's settings read them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

SQL = (
    "SELECT id, name, account_type, industry, level, province, city, owner_id, updated_at"
    " FROM customers_account"
    " WHERE NOT is_deleted ORDER BY updated_at DESC, id DESC LIMIT 50"
)
_connection = None


def _connect():
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        return psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True)
    import sqlite3

    path = Path(os.environ.get("LIANKE_DATA_DIR", "var")) / "lianke.sqlite3"
    connection = sqlite3.connect(path, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    return connection


def application(environ, start_response):
    global _connection
    if _connection is None:
        _connection = _connect()
    cursor = _connection.execute(SQL)  # sqlite3 and psycopg connections both execute()
    columns = [c[0] for c in cursor.description]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    body = json.dumps({"results": rows}, default=str, ensure_ascii=False).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
