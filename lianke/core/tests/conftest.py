"""Fixtures shared by core's tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def demo_rows(org):
    """``write(n, *models)``: stream ``n`` demo records of each of ``models`` (accounts first)
    for the test organisation's Jiangsu rep, as ``lianke demo`` does (``COPY`` / bulk rows)."""
    from lianke.core.demo.loader import DemoLoader, _RowWriter
    from lianke.customers.models import Account

    def write(n: int, *models) -> None:
        loader = DemoLoader(progress=lambda _message: None)
        loader.owner_ids, loader.owner_depts = [org.rep_js.pk], [org.rep_js.department_id]
        loader.owner_provinces, loader.n_accounts = ["江苏省"], n
        loader.account_ages = loader.draw_account_ages(n)
        writer = _RowWriter(progress=lambda _message: None)
        loader.a_first = writer.write(Account, n, loader.account_rows)
        rows = {"contact": loader.contact_rows, "lead": loader.lead_rows}
        for model in models:
            if model is not Account:
                writer.write(model, n, rows[model._meta.model_name])

    return write
