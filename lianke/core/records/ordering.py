"""Settings rows kept in an order people set — custom fields, lead statuses: the whole list put
in a new order (a drag), or one row moved a place (a phone's up/down buttons). The caller locks
the rows and saves and records what moved; here is only the arithmetic and its refusals."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError

from lianke.core.errors import BulkCode, RecordCode

from . import audit


def place[K: Hashable](rows: Mapping[K, Any], keys: Sequence[K], *, stale: str) -> list[tuple[Any, dict]]:
    """Give ``rows[key].order`` 10, 20, … in the order of ``keys``, which must name every row
    once (a list made before someone added or removed one is refused: ``version_conflict`` with
    the message ``stale``). Returns the rows whose place changed, each with its configuration
    snapshot from before; nothing is saved."""
    if len(keys) != len(set(keys)) or set(keys) != set(rows):
        raise ValidationError(stale, code=RecordCode.VERSION_CONFLICT)
    changed = []
    for position, key in enumerate(keys, start=1):
        row = rows[key]
        if row.order != position * 10:
            changed.append((row, audit.config_snapshot(row)))
            row.order = position * 10
    return changed


def moved[K: Hashable](keys: Sequence[K], key: K, step: int, *, missing: str, at_end: str) -> list[K]:
    """``keys`` with ``key`` moved ``step`` places (``-1`` up, ``+1`` down); ``missing`` when it
    is not among them (``not_found``), ``at_end`` when it cannot go further
    (``invalid_selection``)."""
    keys = list(keys)
    if key not in keys:
        raise ValidationError(missing, code=RecordCode.NOT_FOUND)
    i = keys.index(key)
    j = i + step
    if not 0 <= j < len(keys):
        raise ValidationError(at_end, code=BulkCode.INVALID_SELECTION)
    keys[i], keys[j] = keys[j], keys[i]
    return keys
