"""Keyset ("seek") pagination over one sort key plus the primary key.

Page N costs the same as page 1 at a million rows: no OFFSET, the next page starts where the
last one ended (``WHERE (key, id) > (last key, last id)``), so an index on (key, id) serves it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldError, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Expression, F, Q, QuerySet

SORT_ALIAS = "_sort_key"


class InvalidCursor(ValueError):
    pass


@dataclass
class SortSpec:
    expression: Expression | F
    descending: bool
    nullable: bool


class _CursorEncoder(DjangoJSONEncoder):
    def default(self, o):
        # Full precision: DjangoJSONEncoder cuts microseconds to milliseconds, and a cursor a
        # little before or after the last row repeats or skips rows with the same millisecond.
        if isinstance(o, dt.datetime | dt.time):
            return o.isoformat()
        return super().default(o)


def encode_cursor(value: Any, pk: int) -> str:
    raw = json.dumps([value, pk], cls=_CursorEncoder, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(pk, int) or isinstance(value, dict | list):
            raise InvalidCursor(cursor)
        # Numbers a 64-bit column cannot hold (or NaN/infinity) would fail in the database.
        if any(isinstance(v, int | float) and not abs(v) < 2**63 for v in (value, pk)):
            raise InvalidCursor(cursor)
        return value, pk
    except (ValueError, TypeError, RecursionError) as exc:  # RecursionError: "[[[[…" nested
        raise InvalidCursor(cursor) from exc


def order(queryset: QuerySet, spec: SortSpec) -> QuerySet:
    queryset = queryset.alias(**{SORT_ALIAS: spec.expression}) if spec.expression is not None else queryset
    key = F(SORT_ALIAS)
    # NULLS LAST only where NULLs exist: on a NOT NULL column it would stop PostgreSQL from
    # reading the (key, id) index backwards.
    if spec.descending:
        first = key.desc(nulls_last=True) if spec.nullable else key.desc()
        return queryset.order_by(first, "-pk")
    first = key.asc(nulls_last=True) if spec.nullable else key.asc()
    return queryset.order_by(first, "pk")


def _check_fits(spec: SortSpec, value: Any) -> None:
    """A forged value must fit the sort expression's type (e.g. numeric(30, 6)), or the
    database would fail on it."""
    if isinstance(spec.expression, F):  # a plain column: the filter itself converts the value
        return
    try:
        field = spec.expression.output_field
    except FieldError:
        return
    if value is not None:
        field.run_validators(field.to_python(value))


def _cursor_value(spec: SortSpec, value: Any) -> Any:
    """The last row's key as the database will compare it: a decimal rounded to the sort
    expression's places (SQLite hands back a float, e.g. 99.9000000000000)."""
    if isinstance(value, Decimal) and not isinstance(spec.expression, F):
        places = getattr(spec.expression.output_field, "decimal_places", None)
        if places is not None:
            return value.quantize(Decimal(1).scaleb(-places))
    return value


def after(queryset: QuerySet, spec: SortSpec, cursor: str) -> QuerySet:
    value, pk = decode_cursor(cursor)
    past = "lt" if spec.descending else "gt"
    if value is None:
        return queryset.filter(**{f"{SORT_ALIAS}__isnull": True, f"pk__{past}": pk})
    q = Q(**{f"{SORT_ALIAS}__{past}": value}) | Q(**{SORT_ALIAS: value, f"pk__{past}": pk})
    if spec.nullable:
        q |= Q(**{f"{SORT_ALIAS}__isnull": True})
    try:
        _check_fits(spec, value)
        return queryset.filter(q)
    except (ValueError, TypeError, OverflowError, ValidationError) as exc:  # forged value, wrong type
        raise InvalidCursor(cursor) from exc


@dataclass
class Page:
    rows: list
    next_cursor: str | None
    has_previous: bool


def paginate(queryset: QuerySet, spec: SortSpec, cursor: str | None, size: int) -> Page:
    ordered = order(queryset, spec)
    if cursor:
        ordered = after(ordered, spec, cursor)
    rows = list(ordered.annotate(**{f"{SORT_ALIAS}_value": F(SORT_ALIAS)})[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = encode_cursor(_cursor_value(spec, getattr(last, f"{SORT_ALIAS}_value")), last.pk)
    return Page(rows=rows, next_cursor=next_cursor, has_previous=bool(cursor))


def capped_count(queryset: QuerySet, cap: int = 10000) -> tuple[int, bool]:
    """Count up to ``cap`` rows (``SELECT count(*) FROM (… LIMIT cap+1)``): exact for small
    results, "10,000+" for large ones, and never a full scan of a million rows."""
    n = queryset.order_by()[: cap + 1].count()
    return min(n, cap), n > cap
