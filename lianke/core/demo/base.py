"""What an app contributes to the demo dataset, and how the loader finds it.

Each business app that has demo data declares it in its own ``demo.py``: a :class:`DemoData`
subclass registered with :func:`register`, naming the apps whose demo data it reads
(``after``). The loader (``core.demo.loader``) discovers those modules through Django's app
registry (``autodiscover_modules("demo")``) and runs the contributions in dependency order — an
app after those it names, otherwise in ``INSTALLED_APPS`` order — so core names no app: the
organisation and roles are core's, accounts and contacts the customers app's, leads
marketing's, stage sets and opportunities sales', follow-ups activities'.

A contribution's records are generated as plain tuples (``Table.rows``) and streamed by the
loader's writer; its random draws must not depend on any other app's (each generator seeds its
own ``random.Random``), which keeps the dataset deterministic whatever the order of the apps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import models

from lianke.core.records.bulk import json_text

SEED = 20261127  # every generator seeds its own ``random.Random(SEED + n)``


def dumps(value) -> str:
    """JSON text as the loader writes it (``custom_data``): compact, as the batch path writes."""
    return json_text(value)


@dataclass(frozen=True)
class Adapt:
    """Value adapters for the database driver (identity on PostgreSQL: psycopg takes them)."""

    ts: Callable[[dt.datetime], object]
    day: Callable[[dt.date], object]
    money: Callable[[Decimal], object]


@dataclass(frozen=True)
class Table:
    """One table an app fills: ``rows(count, first_id, adapt)`` yields ``count`` tuples whose
    first item is the id (contiguous from ``first_id``) and the rest ``columns``, in order;
    every other column gets its default. ``count`` is the number of rows at the loader's scale."""

    model: type[models.Model]
    count: int
    rows: Callable[[int, int, Adapt], Iterator[tuple]]
    columns: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


class DemoData:
    """One app's share of the demo dataset. The loader makes one per load and calls, in this
    order: ``settings()`` for every app (in the transaction that creates the organisation),
    ``tables()`` for every app, writes the tables in the order given, then ``finish(writer)``,
    and once the indexes are back, ``workflow(users)``."""

    #: The app (its label) whose data this is.
    app: str
    #: The apps whose demo data this one reads (their records exist first).
    after: tuple[str, ...] = ()

    def __init__(self, loader: Any):  # a ``loader.DemoLoader`` (which imports this module)
        self.loader = loader

    def settings(self) -> None:
        """Create the settings the records need (custom fields, stage sets)."""

    def tables(self) -> Sequence[Table]:
        """The tables this app fills, in the order they are written."""
        return ()

    def finish(self, writer: Any) -> None:
        """Run after every app's tables are written (still without secondary indexes): derived
        values computed over the loaded rows."""

    def workflow(self, users: dict[str, Any]) -> None:
        """Run last, after the indexes are rebuilt, with the demo's key users by username: work
        done through the write services as a user would (pending approvals, notifications), so
        its history, events and notifications are those of the product. Keep it small: it is
        row by row, and ``lianke demo`` is the quick start."""

    def first_id(self, label: str) -> int:
        """The first id written to the table of ``label`` (``customers.account``): the rows of a
        table are numbered from it, so a child row points at ``first_id + n``."""
        return self.loader.first_ids[label]


_registered: dict[str, type[DemoData]] = {}


def register(cls: type[DemoData]) -> type[DemoData]:
    """Class decorator of an app's ``demo.py``."""
    _registered[cls.app] = cls
    return cls


def contributions() -> list[type[DemoData]]:
    """The registered contributions, each after those it names in ``after`` (an unknown or
    circular dependency is an error), otherwise in ``INSTALLED_APPS`` order."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("demo")
    position = {config.label: i for i, config in enumerate(apps.get_app_configs())}
    pending = sorted(_registered.values(), key=lambda c: position.get(c.app, len(position)))
    for cls in pending:
        unknown = set(cls.after) - set(_registered)
        if unknown:
            raise LookupError(
                f"{cls.__name__} needs the demo data of {sorted(unknown)}, which no app declares"
            )
    ordered: list[type[DemoData]] = []
    done: set[str] = set()
    while pending:
        ready = next((c for c in pending if set(c.after) <= done), None)
        if ready is None:
            raise ValueError(f"The demo data of {[c.app for c in pending]} depend on each other in a circle")
        ordered.append(ready)
        done.add(ready.app)
        pending.remove(ready)
    return ordered
