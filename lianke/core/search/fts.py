"""Substring search on SQLite through FTS5 trigram tables — what pg_trgm is on PostgreSQL.

SQLite has no index for ``LIKE '%text%'``: without this module a search reads the whole table
(seconds at a million accounts). For each registered type whose search fields include columns of
its own table, :func:`sync` keeps one external-content FTS5 table, ``<table>_fts``, with the
``trigram`` tokenizer over those columns, and three triggers on the table that write every
insert, update and delete into it — whichever path wrote the row (the write pipeline, the batch
path, bulk updates, the recycle bin's purge, raw SQL). The declaration is the type's
``search_fields``: nothing repeats it, :func:`sync` runs after every ``migrate`` and rebuilds a
table whose columns or triggers differ from the declaration (a table Django re-creates to alter
it loses its triggers; the next ``migrate`` puts them back), and ``lianke reindex`` rebuilds
every table on demand (after a restore from a file copy, say).

:func:`match_q` is the condition a search of three or more characters becomes for such columns:
``pk IN (SELECT rowid FROM <table>_fts WHERE … MATCH '{columns} : "text"')``, a case-insensitive
substring match as ``icontains`` is. Trigrams cannot serve a text of one or two characters; the
search takes those as prefixes instead (``core.search.textsearch``).

PostgreSQL needs none of this (its trigram indexes come with the migrations), and every function
here does nothing there."""

from __future__ import annotations

import logging

from django.db import connection, models
from django.db.models.expressions import RawSQL

log = logging.getLogger("lianke.search")

MIN_LENGTH = 3  # a trigram needs three characters


def enabled() -> bool:
    return connection.vendor == "sqlite"


def table_name(model) -> str:
    return f"{model._meta.db_table}_fts"


def indexed_columns(ot) -> tuple[str, ...]:
    """The columns of ``ot``'s table its search reads: the search fields that are text columns
    of its own table, and their pinyin forms where a later token is searched as contained text
    (``contained_pinyin_fields``; a related name, such as an opportunity's ``account__name``, is
    found through the related type's table)."""
    from ..fields import contained_pinyin_fields

    columns: list[str] = []
    for name in ot.search_fields:
        if "__" in name:
            continue
        field = ot.model._meta.get_field(name)
        if isinstance(field, (models.CharField, models.TextField)) and not field.is_relation:
            columns.append(field.attname)
    columns += [f.attname for f in contained_pinyin_fields(ot.model) if f.source in ot.search_fields]
    return tuple(columns)


def indexed_columns_of(model) -> tuple[str, ...]:
    """:func:`indexed_columns` of ``model``'s registered type (none for another model)."""
    from ..objecttypes.registry import registry

    ot = registry.get_for_model(model, None)
    return indexed_columns(ot) if ot is not None and enabled() else ()


def _ddl(model, columns: tuple[str, ...]) -> list[str]:
    table, fts = model._meta.db_table, table_name(model)
    pk = model._meta.pk.column
    cols = ", ".join(f'"{c}"' for c in columns)
    new = ", ".join(f'new."{c}"' for c in columns)
    old = ", ".join(f'old."{c}"' for c in columns)
    delete = f'INSERT INTO "{fts}"("{fts}", rowid, {cols}) VALUES (\'delete\', old."{pk}", {old});'
    insert = f'INSERT INTO "{fts}"(rowid, {cols}) VALUES (new."{pk}", {new});'
    watched = ", ".join(f'"{c}"' for c in columns)
    return [
        f"CREATE VIRTUAL TABLE \"{fts}\" USING fts5({cols}, content='{table}', content_rowid='{pk}', "
        "tokenize='trigram')",
        f'CREATE TRIGGER "{fts}_ai" AFTER INSERT ON "{table}" BEGIN {insert} END',
        f'CREATE TRIGGER "{fts}_ad" AFTER DELETE ON "{table}" BEGIN {delete} END',
        f'CREATE TRIGGER "{fts}_au" AFTER UPDATE OF {watched} ON "{table}" BEGIN {delete} {insert} END',
    ]


def _installed(cursor, fts: str) -> set[str]:
    """The statements the table and its triggers were created by (SQLite keeps each one's
    text), to compare with what the declaration asks for now."""
    cursor.execute(
        "SELECT sql FROM sqlite_master WHERE (type = 'table' AND name = %s) OR "
        "(type = 'trigger' AND name IN (%s, %s, %s))",
        [fts, f"{fts}_ai", f"{fts}_ad", f"{fts}_au"],
    )
    return {row[0] for row in cursor.fetchall()}


def _drop(cursor, fts: str) -> None:
    for suffix in ("_ai", "_ad", "_au"):
        cursor.execute(f'DROP TRIGGER IF EXISTS "{fts}{suffix}"')
    cursor.execute(f'DROP TABLE IF EXISTS "{fts}"')


def drop(models_) -> None:
    """Drop the tables and triggers of ``models_`` before a bulk load (the demo loader): one
    :func:`sync` afterwards builds each in one pass, far faster than a trigger per row."""
    if not enabled():
        return
    with connection.cursor() as cursor:
        for model in models_:
            _drop(cursor, table_name(model))


def sync(*, force: bool = False, **_signal_kwargs) -> list[str]:
    """Create, re-create or (``force``) rebuild the FTS table and triggers of every registered
    type, so they match its declared search fields; a ``post_migrate`` receiver. Returns the
    tables built."""
    from ..objecttypes.registry import registry

    if not enabled():
        return []
    tables = set(connection.introspection.table_names())
    built = []
    with connection.cursor() as cursor:
        for ot in registry:
            columns = indexed_columns(ot)
            fts = table_name(ot.model)
            if not columns or ot.model._meta.db_table not in tables:
                if fts in tables:
                    _drop(cursor, fts)
                continue
            statements = _ddl(ot.model, columns)
            if not force and _installed(cursor, fts) == set(statements):
                continue
            _drop(cursor, fts)
            for statement in statements:
                cursor.execute(statement)
            cursor.execute(f'INSERT INTO "{fts}"("{fts}") VALUES (\'rebuild\')')
            built.append(fts)
            log.info("search index %s built", fts)
    return built


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _query(columns, text: str) -> str:
    return "{" + " ".join(columns) + "} : " + _phrase(text)


def more_matches_than(model, columns, text: str, limit: int) -> bool:
    """Whether more than ``limit`` rows of ``model`` have ``columns`` containing ``text``."""
    fts = table_name(model)
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT count(*) FROM (SELECT rowid FROM "{fts}" WHERE "{fts}" MATCH %s LIMIT %s)',
            [_query(columns, text), limit + 1],
        )
        return cursor.fetchone()[0] > limit


def match_q(model, columns, text: str, path: str = "pk") -> models.Q:
    """``path`` (the primary key, or a relation to ``model``) among the rows of ``model`` whose
    ``columns`` contain ``text`` (three or more characters), found through the FTS table."""
    fts = table_name(model)
    query = _query(columns, text)
    # The table is named by the model, the text is a parameter.
    rows = RawSQL(f'SELECT rowid FROM "{fts}" WHERE "{fts}" MATCH %s', [query])  # noqa: S611
    return models.Q(**{f"{path}__in": rows})
