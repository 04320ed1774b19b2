"""Rows written in bulk, below the write pipeline: new instances without ``Model.__init__``'s
field walk (``new``), inserts that stream with binary ``COPY`` on PostgreSQL (``insert``), updates
sent together, and counts over many keys (through the ``pk__any_of`` lookup of
``core.fields``). It knows no object type, no permission and no history — the batch path
(``core.records.batch``) and history in bulk (``core.records.audit``) build on it.
"""

from __future__ import annotations

import functools
import json
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import orjson
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import signals
from django.db.models.base import ModelState

from ..fields import AnyOf  # noqa: F401 -- the lookup the counts use (pk__any_of)

CHUNK = 1000


class _New:
    """New instances of one model without ``Model.__init__``'s walk over its fields: the
    defaults are worked out once (callable ones called per instance). Only for models without
    ``pre_init`` / ``post_init`` receivers (which a plain ``__init__`` would call)."""

    def __init__(self, model: Any):
        self.model = model
        self.plain = not (signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model))
        self.static: dict[str, Any] = {}
        self.dynamic: list[tuple[str, models.Field]] = []
        for field in model._meta.concrete_fields:
            if field.has_default() and callable(field.default):
                self.dynamic.append((field.attname, field))
            else:
                self.static[field.attname] = field.get_default()

    def __call__(self, values: Mapping[str, Any] = {}) -> Any:  # noqa: B006 - read only
        if not self.plain:
            return self.model(**values)
        obj = self.model.__new__(self.model)
        # The instance's attributes as one copy of the defaults, set as its ``__dict__``: filling
        # the new instance's own (key-sharing) dict key by key converted and grew it each time.
        data = self.static.copy()
        for attname, field in self.dynamic:
            data[attname] = field.get_default()
        data["_state"] = ModelState()
        data.update(values)
        obj.__dict__ = data
        return obj


@functools.cache
def new(model: type[models.Model]) -> _New:
    return _New(model)


def insert(objs: list) -> list:
    """Insert new records of one model, their primary keys set: PostgreSQL streams them with
    binary ``COPY`` (ids drawn from the table's sequence in one query; the server parses no
    text but the JSON), other databases use ``bulk_create``. Field ``pre_save`` runs as on a
    save (timestamps, derived phone digits)."""
    if not objs:
        return objs
    model = type(objs[0])
    if connection.vendor != "postgresql":
        return model._base_manager.bulk_create(objs, batch_size=CHUNK)
    from psycopg.types.json import set_json_dumps

    opts = model._meta
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the proxy costs a lookup per value
    quote = db.ops.quote_name
    columns = _copy_columns(cast(type[models.Model], model))
    column_names = [opts.pk.column, *(f.column for f in columns.fields)]
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [opts.db_table, opts.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
        types = column_types(cursor, opts.db_table, column_names)
        # A timestamp field (auto_now / auto_now_add) takes one stamp for the whole insert.
        stamps = {f.attname: f.pre_save(objs[0], True) for f in columns.stamped}
        values_of, special = columns.values_of, columns.special
        set_json_dumps(json_bytes, context=cursor.cursor)  # this cursor's JSON columns only
        names = ", ".join(quote(c) for c in column_names)
        copying = cursor.cursor.copy(f"COPY {quote(opts.db_table)} ({names}) FROM STDIN (FORMAT BINARY)")
        with db.wrap_database_errors, copying as copy:  # the driver's errors as Django's
            copy.set_types(types)
            for obj in objs:
                values = obj.__dict__
                values.update(stamps)
                row = [obj.pk, *values_of(values)]
                for position, field, pre, prep in special:
                    value = field.pre_save(obj, True) if pre else row[position]
                    if prep is _PREP or (prep is _PREP_NAIVE and value is not None and value.tzinfo is None):
                        value = field.get_db_prep_save(value, db)
                    row[position] = value
                copy.write_row(row)
    alias = db.alias
    for obj in objs:
        obj._state.adding, obj._state.db = False, alias
    return objs


def column_types(cursor, table: str, columns: list[str]) -> list[int]:
    """PostgreSQL type oids of ``table``'s ``columns``, for binary ``COPY``."""
    cursor.execute(
        "SELECT attname, atttypid FROM pg_attribute"
        " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
        [table],
    )
    oids = dict(cursor.fetchall())
    return [oids[c] for c in columns]


# What ``json_bytes`` falls back to: the standard encoder, as compact and unescaped.
_standard_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def json_bytes(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON, as ``jsonb`` would store it anyway (no blanks; Chinese
    characters as they are, not ``\\uXXXX`` escapes for the server to decode again): ``orjson``
    where it takes the value — about eight times faster than the standard encoder on a history
    snapshot — else the standard library (integers beyond 64 bits, keys that are not text)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return _standard_json(value).encode()


def json_text(value: Any) -> str:
    """:func:`json_bytes` as text."""
    return json_bytes(value).decode()


# Field classes whose clean values PostgreSQL's driver takes as they are (``get_db_prep_save``
# would return them unchanged): the COPY skips the call — for a subclass too (a phone field)
# when it prepares values the way its base does.
_AS_IS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
    models.UUIDField,
)
_PREPARES = ("get_prep_value", "get_db_prep_value", "get_db_prep_save")


def _as_is(field: models.Field) -> bool:
    cls = type(field)
    base = next((c for c in cls.__mro__ if c in _AS_IS), None)
    return base is not None and all(getattr(cls, m) is getattr(base, m) for m in _PREPARES)


_AS_IS_VALUE, _PREP, _PREP_NAIVE = "as is", "prep", "prep naive"


@dataclass(frozen=True)
class _Columns:
    """How one model's rows are streamed: ``fields`` (every column but the key, in order);
    ``values_of(obj.__dict__)`` their stored values in one call; ``stamped`` the timestamp
    fields (one stamp per insert); ``special`` the ``(position in the row, field, calls
    pre_save, how its value is prepared)`` of the columns that need more than their value: a
    derived column's ``pre_save``, a date-time made aware when naive (as a save does), any
    field not taken as it is through ``get_db_prep_save``."""

    fields: tuple[models.Field, ...]
    values_of: Any
    stamped: tuple[models.Field, ...]
    special: tuple[tuple[int, models.Field, bool, str], ...]


@functools.cache
def _copy_columns(model: type[models.Model]) -> _Columns:
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    stamped, special = [], []
    for position, field in enumerate(fields, start=1):
        if isinstance(field, models.DateField):  # and DateTimeField: pre_save only stamps
            pre = False
            if field.auto_now or field.auto_now_add:
                stamped.append(field)
        else:
            pre = type(field).pre_save is not models.Field.pre_save
        if type(field) is models.DateTimeField:
            prep = _PREP_NAIVE
        elif type(field) is models.JSONField and field.encoder is None:
            prep = _AS_IS_VALUE  # the cursor's JSON dumper (``json_bytes``) encodes it
        else:
            prep = _AS_IS_VALUE if _as_is(field) else _PREP
        if pre or prep != _AS_IS_VALUE:
            special.append((position, field, pre, prep))
    getter = operator.itemgetter(*(f.attname for f in fields))
    values_of = getter if len(fields) > 1 else (lambda values: (getter(values),))
    return _Columns(fields, values_of, tuple(stamped), tuple(special))


def update(objs: list, fields: Iterable[str]) -> None:
    """Write ``fields`` of ``objs`` (records of one model) as the instances hold them: one
    ``UPDATE`` per row, sent together (``executemany``: one pipeline on PostgreSQL, a loop in C
    on SQLite). Django's ``bulk_update`` builds a ``CASE`` branch per row and field, which cost
    ~1.3 ms a row at 5,000 rows. No ``pre_save``: the caller stamps what it writes (and recomputes
    derived columns: ``core.fields.refresh_derived``)."""
    if not objs:
        return
    model = type(objs[0])
    opts = model._meta
    db = connections[DEFAULT_DB_ALIAS]
    quote = db.ops.quote_name
    columns = [opts.get_field(name) for name in dict.fromkeys(fields)]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    sql = f"UPDATE {quote(opts.db_table)} SET {assignments} WHERE {quote(opts.pk.column)} = %s"
    with db.cursor() as cursor:
        for start in range(0, len(objs), CHUNK):
            cursor.executemany(
                sql,
                [
                    [*(field.get_db_prep_save(getattr(obj, field.attname), db) for field in columns), obj.pk]
                    for obj in objs[start : start + CHUNK]
                ],
            )


def count_matching(model: Any, q: models.Q | None, ids: list[int]) -> int:
    """How many of the records ``ids`` satisfy ``q`` (``None``: none) — in one query that reaches
    the rows by their keys and judges ``q`` on each (a filtered count), so the plan does not
    depend on what the table's statistics say of ``q``'s columns (with stale statistics a plan
    that starts from an owner's index reads every record of the owner: seconds at a million)."""
    if q is None or not ids:
        return 0
    found = model.all_objects.filter(pk__any_of=ids).aggregate(n=models.Count("pk", filter=q, distinct=True))
    return found["n"]
