"""Configuration that every request reads, kept across requests behind a token.

Grants, field rules, custom-field definitions, the department tree, pool memberships and the
reporting chain are read by every list page and API call, and change a few times a day. A loader
wrapped in :func:`cached` is run once per process and *configuration token*: a random value in
one row (``core_configversion``) that a trigger on every watched table replaces in the same
statement as any insert, update or delete of it (and any ``TRUNCATE`` on PostgreSQL). The trigger
runs whatever made the change: a settings page, the admin, ``QuerySet.update``, ``bulk_create``,
raw SQL, an import or a migration. A request reads the token once, with one primary-key lookup,
then takes each value from this process's store if it was loaded under that token. Otherwise it
loads the value and stores it.

Why a reader never sees configuration older than its token (the tests in
``core/tests/test_configcache.py`` try to break each point):

- A request reads the token before anything the token guards. A value loaded after a concurrent
  change is stored under the token read before it, so it is only ever newer than that token.
- A transaction that changes configuration sees its own new token at once (the trigger is not
  deferred), so its reads after the change miss the store. A rolled-back token is never seen
  again: it is random, not a counter that a rollback could bring back.
- Outside a web or API request (commands, jobs), or without the token row (a flushed table),
  nothing is kept across requests: every read loads.
- SQLite rebuilds a table that a migration alters, and drops its triggers with it.
  ``post_migrate`` installs them again, and the system check ``lianke.E004`` reports a watched
  table without its triggers.

Two rules for whoever adds a loader:

- A loader reads only watched tables (:func:`watch`; on ``org_user`` only the watched columns),
  and its key names every attribute of the objects it was given that it reads besides their ids
  (a user's department, say).
- What a loader returns is shared by the requests of a process, so callers must not change it.
- A table newly watched comes with a migration that installs the triggers (``post_migrate`` then
  runs on upgrade; e.g. ``sales.0011``): with no migration pending, the check E004 stops
  ``lianke migrate`` before it could install them.

A transaction that changes configuration holds the token's row until it commits. Two such
transactions therefore commit one after the other, which matters only for settings changes made
at the same moment.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Hashable
from typing import Any

from django.db import connections
from django.db.models import Model

from . import context

TABLE = "core_configversion"
PREFIX = "lianke_cfg_"
_KIND = object()  # marks the store of a kind of values kept up to a limit
_TOKEN_KEY = "config_token"  # noqa: S105 - a key of the context's shared cache, not a secret

# table -> the columns whose change counts (empty: any change of the row)
_watched: dict[str, tuple[str, ...]] = {}

_lock = threading.Lock()
_held: tuple[str | None, dict[Hashable, Any]] = (None, {})


def watch(model: type[Model], *, columns: tuple[str, ...] = ()) -> None:
    """Declare ``model``'s table configuration: a change of it (of ``columns`` only, if given,
    by field name) replaces the token. Apps call this from ``AppConfig.ready``. A save or delete
    through the ORM also makes the request that made it read the token again."""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    fields = [model._meta.get_field(name) for name in columns]
    _watched[model._meta.db_table] = tuple(str(field.column) for field in fields)  # type: ignore[union-attr]
    uid = f"lianke.core.configcache.{model._meta.label_lower}"
    for signal in (post_save, post_delete):
        signal.connect(forget, sender=model, dispatch_uid=uid, weak=False)
    if model._meta.auto_created:  # a many-to-many table: its changes are told by m2m_changed
        m2m_changed.connect(forget, sender=model, dispatch_uid=uid, weak=False)


def watched() -> dict[str, tuple[str, ...]]:
    return dict(_watched)


def token() -> str | None:
    """The token as the request read it first (``None``: nothing is kept; commands and jobs
    read configuration as they did, per context)."""
    ctx = context.current()
    if ctx is None or ctx.request is None:
        return None
    if _TOKEN_KEY not in ctx.shared:
        with connections["default"].cursor() as cursor:
            cursor.execute(f"SELECT token FROM {TABLE} WHERE id = 1")  # noqa: S608 - a constant
            row = cursor.fetchone()
        ctx.shared[_TOKEN_KEY] = row[0] if row else None
    return ctx.shared[_TOKEN_KEY]


def forget(**_signal_kwargs: Any) -> None:
    """Read the token again at the next use: the request changed configuration (a receiver of
    the watched models' ``post_save``, ``post_delete`` and ``m2m_changed``)."""
    ctx = context.current()
    if ctx is not None:
        ctx.shared.pop(_TOKEN_KEY, None)


def cached[T](
    key: Hashable, load: Callable[[], T], *, limit: int | None = None, if_watched: bool = False
) -> T:
    """``load()``, kept in this process for the current token under ``key``.

    With ``limit``, ``key`` is a tuple whose first item names a kind of value kept per user or
    per request state (large ones: a page's rendered filters), and at most ``limit`` values of
    that kind are kept; the oldest goes first.

    With ``if_watched``, for a loader that may or may not read other tables (a form shows a
    chosen record's name, say), the value is kept only if every query ``load`` ran read watched
    tables alone (told by its SQL); otherwise it is returned and not kept."""
    current = token()
    if current is None:
        return load()
    held, store = _held
    if limit is not None:
        store = store.get((_KIND, key[0]), {})  # type: ignore[index]
    if held == current and key in store:
        return store[key]
    if if_watched:
        value, keep = _reading_watched_only(load)
        if not keep:
            return value
    else:
        value = load()
    with _lock:
        store = _hold(current)
        if limit is not None:
            store = store.setdefault((_KIND, key[0]), {})  # type: ignore[index]
            while len(store) >= limit:
                del store[next(iter(store))]
        store[key] = value
    return value


# The tables a query names (Django quotes them; raw SQL may not). A query naming none is taken
# for one that may read anything.
_TABLE_RE = re.compile(r'\b(?:FROM|JOIN)\s+"?(\w+)', re.IGNORECASE)


def _reading_watched_only[T](load: Callable[[], T]) -> tuple[T, bool]:
    """``load()`` and whether each of its queries read watched tables only."""
    only_watched = True

    def observe(execute, sql, params, many, context):
        nonlocal only_watched
        tables = _TABLE_RE.findall(sql)
        if not tables or any(table not in _watched for table in tables):
            only_watched = False
        return execute(sql, params, many, context)

    with connections["default"].execute_wrapper(observe):
        value = load()
    return value, only_watched


def _hold(current: str) -> dict[Hashable, Any]:
    global _held
    if _held[0] != current:
        _held = (current, {})
    return _held[1]


def clear() -> None:
    """Drop everything kept (tests that compare a cold and a warm read)."""
    global _held
    with _lock:
        _held = (None, {})


# ------------------------------------------------------------------------------ triggers
def _new_token_sql(vendor: str) -> list[str]:
    """The statements that replace the token (and write its row if it is missing)."""
    if vendor == "postgresql":
        return [
            f"INSERT INTO {TABLE} (id, token) VALUES (1, md5(random()::text || clock_timestamp()::text)) "
            "ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token"
        ]
    # Not one ``INSERT OR REPLACE``: SQLite lets the statement that fired a trigger override the
    # conflict clause of the trigger's own statements, and ``INSERT OR IGNORE`` (how Django adds
    # many-to-many rows) would then keep the old token.
    return [
        f"UPDATE {TABLE} SET token = lower(hex(randomblob(16))) WHERE id = 1",
        f"INSERT INTO {TABLE} (id, token) SELECT 1, lower(hex(randomblob(16))) "
        f"WHERE NOT EXISTS (SELECT 1 FROM {TABLE} WHERE id = 1)",
    ]


def trigger_names(vendor: str, table: str) -> list[str]:
    suffixes = ("i", "u", "d", "t") if vendor == "postgresql" else ("i", "u", "d")
    return [f"{PREFIX}{table}_{s}" for s in suffixes]


def _ddl(vendor: str, table: str, columns: tuple[str, ...]) -> list[str]:
    i, u, d, *t = trigger_names(vendor, table)
    of = (" OF " + ", ".join(f'"{c}"' for c in columns)) if columns else ""
    if vendor == "postgresql":
        changed = " OR ".join(f'OLD."{c}" IS DISTINCT FROM NEW."{c}"' for c in columns)
        when = f" WHEN ({changed})" if columns else ""
        run = "EXECUTE FUNCTION lianke_config_changed()"
        return [
            f'CREATE OR REPLACE TRIGGER "{i}" AFTER INSERT ON "{table}" FOR EACH ROW {run}',
            f'CREATE OR REPLACE TRIGGER "{u}" AFTER UPDATE{of} ON "{table}" FOR EACH ROW{when} {run}',
            f'CREATE OR REPLACE TRIGGER "{d}" AFTER DELETE ON "{table}" FOR EACH ROW {run}',
            f'CREATE OR REPLACE TRIGGER "{t[0]}" AFTER TRUNCATE ON "{table}" FOR EACH STATEMENT {run}',
        ]
    changed = " OR ".join(f'OLD."{c}" IS NOT NEW."{c}"' for c in columns)
    when = f" WHEN {changed}" if columns else ""
    body = "BEGIN " + "".join(f"{statement}; " for statement in _new_token_sql(vendor)) + "END"
    statements = [f'DROP TRIGGER IF EXISTS "{name}"' for name in (i, u, d)]
    return statements + [
        f'CREATE TRIGGER "{i}" AFTER INSERT ON "{table}" {body}',
        f'CREATE TRIGGER "{u}" AFTER UPDATE{of} ON "{table}"{when} {body}',
        f'CREATE TRIGGER "{d}" AFTER DELETE ON "{table}" {body}',
    ]


def install(using: str = "default", **_signal_kwargs: Any) -> list[str]:
    """Create (or replace) the triggers of every watched table that exists, then replace the
    token: a ``post_migrate`` receiver (a migration may have changed configuration, or rebuilt a
    table without its triggers). Returns the tables it covered."""
    connection = connections[using]
    tables = set(connection.introspection.table_names())
    if TABLE not in tables:
        return []
    vendor = connection.vendor
    covered = []
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(
                "CREATE OR REPLACE FUNCTION lianke_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {_new_token_sql(vendor)[0]}; RETURN NULL; END $$"
            )
        for table, columns in sorted(_watched.items()):
            if table in tables:
                for statement in _ddl(vendor, table, columns):
                    cursor.execute(statement)
                covered.append(table)
        for statement in _new_token_sql(vendor):
            cursor.execute(statement)
    return covered


def missing_triggers(using: str = "default") -> list[str]:
    """The watched tables that lack one of their triggers."""
    connection = connections[using]
    tables = set(connection.introspection.table_names())
    if TABLE not in tables:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE %s", [PREFIX + "%"])
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s", [PREFIX + "%"]
            )
        present = {row[0] for row in cursor.fetchall()}
    return sorted(
        table
        for table in _watched
        if table in tables and not set(trigger_names(connection.vendor, table)) <= present
    )
