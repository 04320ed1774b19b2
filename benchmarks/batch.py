"""Throughput of the batch write path (``lianke.core.records.batch.create_in_batches`` /
``create_records``), not part of the test suite: accounts created per second with validation,
history and the scope check, in batches of ``--batch`` rows (one transaction each), as a sales
manager — with the CPU time the run cost this process and, when PostgreSQL runs on this
machine, its server processes (read from /proc), per row.

Usage (from the repository root)::

    # into an empty PostgreSQL database (migrated, users only)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lianke_batch LIANKE_DATA_DIR=/tmp/lb \\
        .venv/bin/python benchmarks/batch.py --rows 50000

    # into the 1,000,000-account demo database of benchmarks/run.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lianke_bench_500 LIANKE_DATA_DIR=/tmp/b500 \\
        .venv/bin/python benchmarks/batch.py --rows 50000

    # one batch after another, each timed
    ... benchmarks/batch.py --rows 50000 --workers 0

The rows carry what an import of customers carries: name, short name, city, address, phone,
level, e-mail and two custom fields (created if missing). The markdown table goes to
``benchmarks/results/batch-<db>-<empty | 1000k (a million or more) | thousands before>[-sequential].md``
and to stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianke.settings")
os.environ.setdefault("LIANKE_DEBUG", "0")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from lianke.core.context import acting_as, system_context  # noqa: E402
from lianke.core.models import CustomField, ObjectChange  # noqa: E402
from lianke.core.records.batch import create_in_batches, create_records  # noqa: E402
from lianke.customers.models import Account  # noqa: E402
from lianke.org.defaults import ensure_default_roles  # noqa: E402
from lianke.org.models import Department, User  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def server_pids() -> set[str]:
    return {stat.parent.name for stat in _server_stats()}


def _server_stats() -> list[Path]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if "(postgres)" in stat.read_text():
                found.append(stat)
        except OSError:
            continue
    return found


def settled(before: set[str], timeout: float = 10.0) -> None:
    """Wait until the server processes the run started have exited and been reaped, so that
    their CPU time is counted in the server's (a process's own time leaves ``/proc`` with it and
    reaches its parent's ``cutime`` only once reaped)."""
    deadline = time.monotonic() + timeout
    while server_pids() - before and time.monotonic() < deadline:
        time.sleep(0.05)


def server_cpu() -> float | None:
    """CPU seconds spent so far by the PostgreSQL server processes on this machine, or ``None``
    (another machine's server, or no /proc)."""
    total, seen = 0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if "(postgres)" not in text:
            continue
        fields = text.rsplit(")", 1)[1].split()
        total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
        seen = True
    return total / os.sysconf("SC_CLK_TCK") if seen else None


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def manager() -> User:
    """The demo's Jiangsu manager, or one made here in an empty database."""
    user = User.objects.filter(username="wang.fang").first()
    if user is not None:
        return user
    roles = ensure_default_roles()
    dept = Department.objects.create(name="江苏公司")
    user = User.objects.create_user("wang.fang", password="x", name="王芳", department=dept)
    user.roles.add(roles["sales_manager"])
    return user


def custom_fields() -> None:
    CustomField.objects.get_or_create(
        object_type="customers.account", name="staff", defaults={"label": "员工人数", "type": "integer"}
    )
    CustomField.objects.get_or_create(
        object_type="customers.account",
        name="annual_tonnage",
        defaults={"label": "年采购量（吨）", "type": "decimal"},
    )


def rows(n: int, tag: str) -> list[dict]:
    return [
        {
            "name": f"批量客户 {tag} {i:07d} 机械制造有限公司",
            "short_name": f"批量{i}",
            "city": "苏州",
            "address": f"工业园区星湖街 {i} 号",
            "phone": f"0512-6{i % 10_000_000:07d}",
            "level": ("key", "a", "b", "c")[i % 4],
            "email": f"buyer{i}@example.cn",
            "custom_fields": {"staff": str(i % 5000), "annual_tonnage": f"{i % 9000}.5"},
        }
        for i in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="batches at once on their own connections (create_in_batches); 0 = create_records "
        "one batch after another, each timed",
    )
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    with system_context():
        user = manager()
        custom_fields()
        before = Account.all_objects.count()
    tag = uuid.uuid4().hex[:6]
    data = rows(args.rows, tag)
    rates = []
    pids_before = server_pids()
    cpu_before, server_before = own_cpu(), server_cpu() if connection.vendor == "postgresql" else None
    started = time.perf_counter()
    with acting_as(user, source="import"):
        if args.workers:
            results = create_in_batches(
                actor=user, model=Account, rows=data, size=args.batch, workers=args.workers
            )
            assert not [r.error for r in results if r.error], [r.error for r in results if r.error][:1]
        else:  # one batch after another, each timed
            for start in range(0, len(data), args.batch):
                chunk = data[start : start + args.batch]
                t = time.perf_counter()
                create_records(actor=user, model=Account, rows=chunk)
                rates.append(len(chunk) / (time.perf_counter() - t))
    total = time.perf_counter() - started
    app_us = (own_cpu() - cpu_before) / args.rows * 1e6
    settled(pids_before)
    server_after = server_cpu() if server_before is not None else None
    server_us = (server_after - server_before) / args.rows * 1e6 if server_after is not None else None
    with system_context():
        created = Account.all_objects.filter(name__startswith=f"批量客户 {tag}").count()
        history = ObjectChange.objects.filter(object_repr__startswith=f"批量客户 {tag}").count()
    assert created == history == args.rows, (created, history)
    db = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    lines = [
        f"# Batch create — {db}, {before:,} accounts before",
        "",
        f"{dt.date.today().isoformat()}, {platform.node()}, Python {platform.python_version()}; "
        f"{args.rows:,} accounts in batches of {args.batch:,} as a sales manager (department tree), "
        "with validation, custom fields, history and the scope check.",
        "",
        "| accounts before | rows | batches | workers | total s | rows/s overall | "
        "rows/s per batch (median / min) | CPU µs per row: app / database |",
        "|---|---|---|---|---|---|---|---|",
        f"| {before:,} | {args.rows:,} | {-(-args.rows // args.batch)} | {args.workers or 1} | "
        f"{total:.1f} | {args.rows / total:,.0f} | "
        + (f"{statistics.median(rates):,.0f} / {min(rates):,.0f} | " if rates else "— | ")
        + f"{app_us:.0f} / {'—' if server_us is None else f'{server_us:.0f}'} |",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    # One file per condition the target names: an empty table, one holding a million or more.
    size = "empty" if before == 0 else "1000k" if before >= 1_000_000 else f"{before // 1000}k"
    out = RESULTS / f"batch-{db}-{size}{'' if args.workers else '-sequential'}.md"
    out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
