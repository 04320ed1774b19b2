"""Indexes for sorting by a custom field: built and dropped out of band, never in a request.

A custom field's value lives in the record's ``custom_data`` JSON, so sorting a list by it has no
index to walk: at a million accounts PostgreSQL reads and sorts every row in scope (~0.3 s). An
administrator marks a few fields per object type ``indexed`` (``CustomField.indexed``, at most
``MAX_INDEXED``); an operator then runs ``lianke customfield_indexes --apply`` (at deploy or
maintenance time), which builds for each such field an expression index whose expression is
exactly the list's sort expression (``CustomField.sort_expression``, compiled by Django so
the two cannot drift), on the records not in the recycle bin, and drops the indexes of fields no
longer marked. On PostgreSQL the indexes are built and dropped ``CONCURRENTLY`` (writes go on)
in both directions, since the list sorts empty values last either way; SQLite sorts empty values
first, so one descending index serves the descending sort (newest dates, largest amounts).

Indexes are named ``cf_<hash of table and field>_<a|d>``; anything else on the table is left
alone. On SQLite an index whose statement is no longer the one wanted (an expression compiled
another way) is built again, since SQLite uses an expression index only for the very same
expression."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import connection, models

from .fieldtypes import kinds
from .models.customfields import CustomField

PREFIX = "cf_"


@dataclass(frozen=True)
class Change:
    action: str  # "create", "rebuild" (SQLite: another expression under the name) or "drop"
    table: str
    index: str
    field: str  # the custom field's object type and name, or "" for an orphan


def steady_sqlite_json_sql() -> None:
    """Make Django write SQLite's JSON key expressions the same way in every process.

    Django spells a key transform on SQLite as ``CASE WHEN JSON_TYPE(…) IN ('null', 'false',
    'true') …`` with the values of a ``frozenset``, whose order follows the process's string
    hashing (randomised per process). The sort expression compiled by the process that built an
    index and the one compiled by a web worker then differed in that list in most pairs of
    processes, and SQLite — which matches an index's expression as written — sorted a million
    accounts instead of reading the index (2.3 s for the list sorted by a custom date). A tuple
    answers ``in`` as the set did, in one order. Called from ``CoreConfig.ready``."""
    from django.conf import settings

    if not any(db["ENGINE"].endswith("sqlite3") for db in settings.DATABASES.values()):
        return
    from django.db.backends.sqlite3 import base  # the backend first: its modules import each other

    base.DatabaseOperations.jsonfield_datatype_values = ("null", "false", "true")  # type: ignore[assignment]


def index_name(table: str, field: str, direction: str) -> str:
    digest = hashlib.sha256(f"{table}.{field}".encode()).hexdigest()[:12]
    return f"{PREFIX}{digest}_{direction}"


def wanted_indexes(ot, definition) -> list[models.Index]:
    """The indexes that serve sorting ``ot``'s list by ``definition``."""
    expr = definition.sort_expression()
    table = ot.model._meta.db_table
    indexes = []
    directions = ("d", "a") if connection.vendor == "postgresql" else ("d",)
    for direction in directions:
        if direction == "d":
            key = expr.desc(nulls_last=True) if connection.vendor == "postgresql" else expr.desc()
            tie = models.F("id").desc()
        else:
            key, tie = expr.asc(nulls_last=True), models.F("id").asc()
        indexes.append(
            models.Index(
                key,
                tie,
                name=index_name(table, definition.name, direction),
                condition=models.Q(is_deleted=False),
            )
        )
    return indexes


def plan() -> list[tuple[Change, object, models.Index | None]]:
    """What ``--apply`` would do: ``(change, model, index)`` for each index to create or drop."""
    from .objecttypes.registry import registry

    steps: list[tuple[Change, object, models.Index | None]] = []
    with connection.cursor() as cursor:
        for ot in registry:
            table = ot.model._meta.db_table
            if not hasattr(ot.model, "is_deleted") or "custom_data" not in {
                f.name for f in ot.model._meta.fields
            }:
                continue
            existing = {
                name
                for name in connection.introspection.get_constraints(cursor, table)
                if name.startswith(PREFIX)
            }
            stored = _sqlite_statements(cursor, table) if connection.vendor == "sqlite" else {}
            wanted: dict[str, tuple[str, models.Index]] = {}
            for d in CustomField.objects.filter(object_type=ot.key, indexed=True, is_active=True):
                if not getattr(kinds.get(d.type), "indexable", False):
                    continue
                for index in wanted_indexes(ot, d):
                    wanted[index.name] = (d.name, index)
            for name, (field, index) in sorted(wanted.items()):
                if name not in existing:
                    steps.append((Change("create", table, name, f"{ot.key}.{field}"), ot.model, index))
                elif name in stored and stored[name] != _statement(ot.model, index):
                    steps.append((Change("rebuild", table, name, f"{ot.key}.{field}"), ot.model, index))
            for name in sorted(existing - set(wanted)):
                steps.append((Change("drop", table, name, ""), ot.model, None))
    return steps


def _statement(model, index: models.Index) -> str:
    editor = connection.SchemaEditorClass(connection)  # only to compile the statement
    return " ".join(str(index.create_sql(model, editor)).split())


def _sqlite_statements(cursor, table: str) -> dict[str, str]:
    """``{index name: its CREATE statement}`` of ``table``'s custom-field indexes, as SQLite
    keeps them (blanks collapsed, as :func:`_statement` has them)."""
    cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND name LIKE %s",
        [table, f"{PREFIX}%"],
    )
    return {name: " ".join(sql.split()) for name, sql in cursor.fetchall() if sql}


def apply(steps) -> None:
    """Carry out ``steps`` (from :func:`plan`): each index on its own, concurrently on
    PostgreSQL, so a large table keeps taking writes while its index is built, then its
    statistics. SQLite keeps statistics per index: a new index without them, beside analysed
    ones, is misjudged and the list's sort collects and sorts the rows instead of reading it.
    PostgreSQL gathers an expression index's statistics with its table's."""
    concurrently = connection.vendor == "postgresql"
    how = "CONCURRENTLY " if concurrently else ""
    editor = connection.SchemaEditorClass(connection)  # only to compile the statement
    with connection.cursor() as cursor:
        for change, model, index in steps:
            # An interrupted concurrent build leaves an invalid index behind: drop it first.
            cursor.execute(f'DROP INDEX {how}IF EXISTS "{change.index}"')
            if change.action in ("create", "rebuild"):  # a rebuild: dropped just above
                extra = {"concurrently": True} if concurrently else {}
                cursor.execute(str(index.create_sql(model, editor, **extra)))
                target = change.index if connection.vendor == "sqlite" else change.table
                cursor.execute(f'ANALYZE "{target}"')
