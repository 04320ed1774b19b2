"""The demo dataset (``lianke demo``): a steel and metal-products group, deterministic.

Core loads the organisation (departments, users, the standard roles) and streams the rows each
business app contributes in its ``demo.py`` (``core.demo.base``: declared, discovered, run in
dependency order), so it names no app.

Scale 1: ~40 users, 2,000 accounts, 5,000 contacts, 5,000 leads, 1,500 opportunities and
20,000 activities. ``scale`` multiplies the business records (500 → 1,000,000 accounts). The
records are generated as plain tuples (no model instances) and streamed in batches: ``COPY``
on PostgreSQL, ``executemany`` of one prepared ``INSERT`` per batch on SQLite, with secondary
indexes (and PostgreSQL foreign keys) rebuilt once at the end, so a million accounts (~17M
rows in all) load in minutes.

Dates: everything that happened (created, updated, occurred, closed, done, first deal) is in the
past and in causal order — an account, then its contacts, opportunities and activities, each
updated after it was created; planned dates (due, expected close, next contact) may be ahead.
Each account's creation time is drawn once into a compact array (``customers.demo``: ``ages``)
that the generators of its children read.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import islice

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from lianke.core.context import Source, system_context
from lianke.core.records.bulk import column_types
from lianke.core.search import fts
from lianke.org.defaults import ensure_default_roles
from lianke.org.models import Department, User

from . import base as demo
from . import names
from .base import SEED, Adapt, DemoData, dumps

DEMO_PASSWORD = "Lianke-demo-2026"  # noqa: S105 - the documented demo password
BATCH = 20000  # rows per COPY / per SQLite transaction

# (username, name, company key, team index or None, title, role, superior username)
KEY_USERS = [
    ("admin", "系统管理员", None, None, "系统管理员", None, None),
    ("wang.fang", "王芳", "js", None, "江苏公司总经理", "sales_manager", None),
    ("zhang.wei", "张伟", "js", 0, "销售代表", "sales_rep", "wang.fang"),
    ("li.na", "李娜", "zj", 0, "销售代表", "sales_rep", None),
]
COMPANIES = [
    ("js", "江苏大明金属制品有限公司", "江苏省"),
    ("zj", "浙江大明钢材销售有限公司", "浙江省"),
    ("sh", "上海大明国际贸易有限公司", "上海市"),
    ("sd", "山东大明金属科技有限公司", "山东省"),
    ("ah", "安徽大明钢铁物资有限公司", "安徽省"),
]
TEAMS = ["销售一部", "销售二部", "大客户部"]


class DemoLoader:
    def __init__(self, scale: int = 1, progress: Callable[[str], None] = print):
        self.scale = max(1, int(scale))
        self.progress = progress
        self.rng = random.Random(SEED)
        self.now = timezone.now().replace(microsecond=0)
        self.contributions: dict[str, DemoData] = {}  # app label → its share, in load order
        self.first_ids: dict[str, int] = {}  # "customers.account" → the first id written

    # ------------------------------------------------------------------ helpers
    def person_name(self, rng) -> str:
        return rng.choice(names.SURNAMES) + rng.choice(names.GIVEN)

    def mobile(self, i: int) -> str:
        prefixes = [
            "138",
            "139",
            "136",
            "137",
            "150",
            "151",
            "158",
            "186",
            "187",
            "189",
            "133",
            "177",
            "180",
            "199",
        ]
        return prefixes[i % len(prefixes)] + f"{(i * 7919 + 1234567) % 100000000:08d}"

    def past(self, start: dt.datetime, offset: dt.timedelta, window: dt.timedelta) -> dt.datetime:
        """``start + offset`` (an ``offset`` drawn below ``window``), kept in the past: where that
        would be after now, the same fraction of the time from ``start`` to now instead."""
        end = start + offset
        return end if end <= self.now else start + (self.now - start) * (offset / window)

    # ------------------------------------------------------------------ organisation
    def load_org(self):
        roles = ensure_default_roles()
        group = Department.objects.create(name="大明集团", code="DM")
        hq_sales = Department.objects.create(
            name="集团销售运营中心", parent=group, code="DM-OPS", sort_order=90
        )
        marketing = Department.objects.create(name="集团市场部", parent=group, code="DM-MKT", sort_order=91)
        companies, teams = {}, {}
        for index, (key, name, _province) in enumerate(COMPANIES):
            company = Department.objects.create(
                name=name, parent=group, code=f"DM-{key.upper()}", sort_order=index
            )
            companies[key] = company
            teams[key] = [
                Department.objects.create(
                    name=t, parent=company, code=f"DM-{key.upper()}-{i + 1}", sort_order=i
                )
                for i, t in enumerate(TEAMS)
            ]
        users: dict[str, User] = {}

        def make_user(username, name, department, title, role, superior=None, **extra):
            user = User(
                username=username,
                name=name,
                department=department,
                title=title,
                superior=superior,
                email=f"{username}@daming-metal.example",
                mobile=self.mobile(len(users) + 1),
                **extra,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            if role:
                user.roles.add(roles[role])
            users[username] = user
            return user

        for username, name, company, team, title, role, superior in KEY_USERS:
            dept = (
                group if company is None else (companies[company] if team is None else teams[company][team])
            )
            extra = {"is_superuser": True, "is_staff": True} if username == "admin" else {}
            make_user(username, name, dept, title, role, users.get(superior) if superior else None, **extra)
        companies["js"].manager = users["wang.fang"]
        companies["js"].save()
        rng = random.Random(SEED + 1)
        make_user("zhao.min", "赵敏", hq_sales, "销售运营经理", "sales_ops")
        make_user("chen.jie", "陈杰", group, "集团副总裁", "executive")
        make_user("liu.yang", "刘洋", marketing, "市场专员", "marketing")
        # A manager for the other companies, a team lead and reps per team.
        serial = 0
        for key, _name, _province in COMPANIES:
            manager = (
                users["wang.fang"]
                if key == "js"
                else make_user(
                    f"manager.{key}", self.person_name(rng), companies[key], "分公司总经理", "sales_manager"
                )
            )
            if key != "js":
                companies[key].manager = manager
                companies[key].save()
            for t_index, team in enumerate(teams[key]):
                lead = make_user(
                    f"lead.{key}{t_index + 1}", self.person_name(rng), team, "销售主管", "team_lead", manager
                )
                for _r in range(2 if key in ("js", "zj") else 1):
                    serial += 1
                    make_user(f"rep{serial:02d}", self.person_name(rng), team, "销售代表", "sales_rep", lead)
        users["zhang.wei"].superior = users["wang.fang"]
        users["zhang.wei"].save()
        return users

    # ------------------------------------------------------------------ the apps' records
    def data(self, app: str) -> DemoData:
        """The contribution of ``app`` to this load (what a dependent app reads: the accounts'
        count and ages from ``customers``)."""
        return self.contributions[app]

    def load(self):
        self.contributions = {cls.app: cls(self) for cls in demo.contributions()}
        with system_context(source=Source.COMMAND):
            self.progress("Organisation, roles and settings…")
            with transaction.atomic():
                users = self.load_org()
                for data in self.contributions.values():
                    data.settings()
            owners = [
                u
                for u in users.values()
                if u.roles.filter(name__in=["销售代表", "销售主管", "销售经理"]).exists()
            ]
            owners.sort(key=lambda u: u.username)
            province_of_dept = {}
            for u in owners:
                company = (
                    u.department
                    if u.department.parent and u.department.parent.parent is None
                    else u.department.parent
                )
                province_of_dept[u.department_id] = next(
                    (p for _k, n, p in COMPANIES if n == company.name), "江苏省"
                )
            self.owner_ids = [u.pk for u in owners]
            self.owner_depts = [u.department_id for u in owners]
            self.owner_provinces = [province_of_dept[u.department_id] for u in owners]
            tables = [table for data in self.contributions.values() for table in data.tables()]
            models_ = [table.model for table in tables]
            writer = _RowWriter(self.progress)
            with writer.bulk_mode(*models_):
                for table in tables:
                    self.first_ids[table.label] = writer.write(
                        table.model, table.count, table.rows, generated=table.columns
                    )
                for data in self.contributions.values():
                    data.finish(writer)
            writer.analyze(*models_)
            self.progress("Approvals and notifications…")
            for data in self.contributions.values():
                data.workflow(users)
        return users


def _sqlite_datetime(value: dt.datetime) -> str:
    # What Django stores on SQLite: naive UTC text.
    return str(value.astimezone(dt.UTC).replace(tzinfo=None))


def _same(value):
    return value


class _RowWriter:
    """Streams generated tuples into a table in batches, without model instances: ``COPY …
    FROM STDIN`` on PostgreSQL, a prepared ``INSERT`` run with ``executemany`` in one
    transaction per batch on SQLite. Ids are given explicitly (contiguous from ``next_id``)."""

    def __init__(self, progress: Callable[[str], None]):
        self.progress = progress
        self.vendor = connection.vendor
        if self.vendor == "postgresql":
            self.adapt = Adapt(ts=_same, day=_same, money=_same)
        else:
            self.adapt = Adapt(ts=_sqlite_datetime, day=dt.date.isoformat, money=str)

    @staticmethod
    def table(model) -> str:
        return model._meta.db_table

    def next_id(self, model) -> int:
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(self.table(model))
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608 - model meta
            return cursor.fetchone()[0]

    def columns(self, model, generated: tuple[str, ...]) -> tuple[list[str], tuple]:
        """All column names (id, the ``generated`` ones, defaulted ones) and the defaulted values."""
        defaults, names_ = [], []
        for field in model._meta.concrete_fields:
            if field.primary_key or field.column in generated:
                continue
            value = field.get_default()
            if isinstance(field, models.JSONField):
                value = dumps(value)
            else:
                value = field.get_db_prep_save(value, connection)
            names_.append(field.column)
            defaults.append(value)
        missing = set(generated) - {f.column for f in model._meta.concrete_fields}
        if missing:
            raise ValueError(f"{model.__name__}: unknown columns {sorted(missing)}")
        return ["id", *generated, *names_], tuple(defaults)

    def column_types(self, model, columns) -> list[int]:
        """PostgreSQL type oids of ``columns``, for binary ``COPY``."""
        with connection.cursor() as cursor:
            return column_types(cursor, self.table(model), columns)

    def write(
        self,
        model,
        count: int,
        rows: Callable[..., Iterator[tuple]],
        first_id: int | None = None,
        *,
        generated: tuple[str, ...],
    ) -> int:
        label = model._meta.verbose_name_plural
        self.progress(f"{str(label).capitalize()} ({count:,})…")
        first_id = self.next_id(model) if first_id is None else first_id
        columns, defaults = self.columns(model, generated)
        quote = connection.ops.quote_name
        table, cols = quote(self.table(model)), ", ".join(quote(c) for c in columns)
        copy_sql = f"COPY {table} ({cols}) FROM STDIN (FORMAT BINARY)"
        marks = ", ".join("?" * len(columns))
        insert_sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"  # noqa: S608 - names from model meta
        types = None
        if self.vendor == "postgresql":
            from psycopg.types.json import set_json_dumps

            types = self.column_types(model, columns)
        started = time.monotonic()
        done = 0
        source = rows(count, first_id, self.adapt)
        while done < count:
            n = min(BATCH, count - done)
            batch = (row + defaults for row in islice(source, n))  # generated while it is sent
            with transaction.atomic():
                if self.vendor == "postgresql":
                    # Binary COPY: the server parses no text (several times faster than text).
                    with connection.cursor() as cursor:
                        # custom_data already is JSON text: send it as is.
                        set_json_dumps(_same, context=cursor.cursor)
                        with cursor.cursor.copy(copy_sql) as copy:
                            copy.set_types(types)
                            for row in batch:
                                copy.write_row(row)
                else:
                    connection.connection.executemany(insert_sql, batch)
            done += n
            if done == count or (done // BATCH) % 10 == 0:
                elapsed = time.monotonic() - started
                self.progress(f"  {label}: {done:,}/{count:,} ({done / max(elapsed, 1e-6):,.0f} rows/s)")
        if self.vendor == "postgresql":
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
                    cursor.execute(sql)
        return first_id

    @contextmanager
    def bulk_mode(self, *models_):
        """Load without secondary indexes (and, on PostgreSQL, foreign keys), then rebuild them
        in one pass each (and validate the foreign keys): far faster than maintaining them row
        by row. SQLite also skips fsyncs (``synchronous=OFF``) for the duration of the load."""
        tables = [self.table(m) for m in models_]
        dropped_indexes: list[tuple[str, str]] = []
        dropped_fks: list[tuple[str, str, str]] = []
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                cursor.execute("SET synchronous_commit = off")
                for table in tables:
                    cursor.execute(
                        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
                        " JOIN pg_class c ON c.oid = i.indexrelid"
                        " WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND NOT EXISTS"
                        " (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid"
                        "  AND k.conrelid = i.indrelid)",
                        [table],
                    )
                    dropped_indexes += cursor.fetchall()
                    cursor.execute(
                        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                        " WHERE conrelid = %s::regclass AND contype = 'f'",
                        [table],
                    )
                    dropped_fks += [(table, name, definition) for name, definition in cursor.fetchall()]
                for table, name, _definition in dropped_fks:
                    cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                for name, _sql in dropped_indexes:
                    cursor.execute(f'DROP INDEX "{name}"')
            else:
                cursor.execute("PRAGMA synchronous")
                synchronous = cursor.fetchone()[0]
                cursor.execute("PRAGMA synchronous=OFF")
                for table in tables:
                    cursor.execute(
                        "SELECT name, sql FROM sqlite_master"
                        " WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                        [table],
                    )
                    dropped_indexes += cursor.fetchall()
                for name, _sql in dropped_indexes:
                    cursor.execute(f'DROP INDEX "{name}"')
        fts.drop(models_)  # and its search tables (SQLite), built again below
        try:
            yield
        finally:
            started = time.monotonic()
            self.progress(f"Indexes ({len(dropped_indexes)}) and foreign keys ({len(dropped_fks)})…")
            with connection.cursor() as cursor:
                if self.vendor == "postgresql":
                    cursor.execute("SET maintenance_work_mem = '512MB'")
                for _name, sql in dropped_indexes:
                    cursor.execute(sql)
                for table, name, definition in dropped_fks:
                    cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
                if self.vendor == "postgresql":
                    cursor.execute("RESET maintenance_work_mem")
                    cursor.execute("RESET synchronous_commit")
                else:
                    cursor.execute(f"PRAGMA synchronous={int(synchronous)}")
            built = fts.sync()
            self.progress(f"  rebuilt in {time.monotonic() - started:.0f} s ({len(built)} search tables)")

    def analyze(self, *models_):
        """Fresh planner statistics (and, on PostgreSQL, the visibility map that index-only
        scans need, which autovacuum would otherwise build later, mid-benchmark)."""
        self.progress("ANALYZE…")
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                for model in models_:
                    cursor.execute(f'VACUUM (ANALYZE) "{self.table(model)}"')
            cursor.execute("ANALYZE")


def demo_logins() -> Iterator[tuple[str, str]]:
    yield "admin", "administrator — sees everything"
    yield "wang.fang", "manager of the Jiangsu company — department and sub-departments"
    yield "zhang.wei", "sales rep, Jiangsu — own records (reports to wang.fang)"
    yield "li.na", "sales rep, Zhejiang — own records"
