"""Fixtures shared by core's tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def demo_rows(org):
    """``write(n, *models)``: stream ``n`` demo records of each of ``models`` (accounts first)
    for the test organisation's Jiangsu rep, as ``lianke demo`` does (``COPY`` / bulk rows),
    with the generators the apps contribute (``<app>/demo.py``); returns the columns each
    generator fills, by object type."""
    from lianke.core.demo import base
    from lianke.core.demo.loader import DemoLoader, _RowWriter

    def write(n: int, *models) -> dict[str, tuple[str, ...]]:
        loader = DemoLoader(progress=lambda _message: None)
        loader.owner_ids, loader.owner_depts = [org.rep_js.pk], [org.rep_js.department_id]
        loader.owner_provinces = ["江苏省"]
        loader.contributions = {cls.app: cls(loader) for cls in base.contributions()}
        accounts = loader.data("customers")
        accounts.count, accounts.ages = n, accounts.ages[:n]
        tables = {t.label: t for data in loader.contributions.values() for t in data.tables()}
        writer = _RowWriter(progress=lambda _message: None)
        first = tables["customers.account"]
        loader.first_ids = {first.label: writer.write(first.model, n, first.rows, generated=first.columns)}
        for model in models:
            table = tables[model._meta.label_lower]
            if table is not first:
                writer.write(model, n, table.rows, generated=table.columns)
        return {label: table.columns for label, table in tables.items()}

    return write
