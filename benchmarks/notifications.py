"""The bell's server time for a user with 100,000 notifications, not part of the test suite:
the unread count (``notifications.service.unread``: one count over the partial index
``notif_unread_new``, stopped after ``COUNT_CAP`` + 1 = 1,001 entries) and the count endpoint ``GET /api/notifications/count/`` in-process with
Django's test ``Client`` (``force_login``), plus the first page of the list API — each with
3 warm-ups, then N timed runs; median and p95 (nearest rank) in ms. The target: ≤ 10 ms.

Two shapes of the same 100,000 rows: 1,000 unread (a user who reads his notifications) and all
100,000 unread (one who never does: the worst case of the count).

Usage (from the repository root)::

    # PostgreSQL (an empty or any migrated database; the user ``bench_bell`` is created once)
    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE lianke_bench_bell"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lianke_bench_bell LIANKE_DATA_DIR=/tmp/lbell \\
        .venv/bin/python benchmarks/notifications.py

    # SQLite (the database lives in LIANKE_DATA_DIR)
    LIANKE_DATA_DIR=/tmp/lbell-sqlite .venv/bin/python benchmarks/notifications.py

The markdown table goes to ``benchmarks/results/notifications-<db>.md`` and to stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianke.settings")
os.environ.setdefault("LIANKE_DEBUG", "0")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from lianke.core.context import system_context  # noqa: E402
from lianke.core.records import bulk  # noqa: E402
from lianke.notifications import service  # noqa: E402
from lianke.notifications.models import Notification  # noqa: E402
from lianke.org.models import User  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
KIND = "record.assigned"


def prepare(total: int) -> User:
    """The user ``bench_bell`` with ``total`` notifications (added once), and a colleague with
    as many, so the count has other users' rows beside his."""
    user, _ = User.objects.get_or_create(username="bench_bell", defaults={"name": "铃声测试"})
    other, _ = User.objects.get_or_create(username="bench_bell_other", defaults={"name": "同事"})
    now = timezone.now()
    for who in (user, other):
        missing = total - Notification.objects.filter(recipient=who).count()
        if missing <= 0:
            continue
        new = bulk.new(Notification)
        rows = []
        for i in range(missing):
            rows.append(
                new(
                    {
                        "recipient_id": who.pk,
                        "kind": KIND,
                        "actor_id": None,
                        "content_type_id": None,
                        "object_id": None,
                        "params": {},
                        "url": "",
                        "created_at": now - dt.timedelta(minutes=i),
                        "read_at": now,
                        "dedupe_key": "",
                        "in_app": True,
                        "email": "",
                    }
                )
            )
            if len(rows) == 10_000:
                bulk.insert(rows)
                rows = []
        bulk.insert(rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE notifications_notification")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE notifications_notification")
    return user


def set_unread(user: User, unread: int) -> None:
    """The newest ``unread`` of the user's notifications unread, the others read."""
    mine = Notification.objects.filter(recipient=user)
    mine.update(read_at=timezone.now())
    ids = list(mine.order_by("-created_at", "-id").values_list("pk", flat=True)[:unread])
    for start in range(0, len(ids), 10_000):
        Notification.objects.filter(pk__in=ids[start : start + 10_000]).update(read_at=None)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE notifications_notification")


def timed(fn, n: int, warmup: int = 3) -> tuple[float, float, int]:
    for _ in range(warmup):
        fn()
    times = []
    queries = 0
    for i in range(n):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
        if i == 0:
            queries = len(captured)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * len(times) + 0.5)) - 1)]
    return statistics.median(times), p95, queries


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--total", type=int, default=100_000)
    parser.add_argument("-n", type=int, default=50)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", interactive=False, verbosity=0)
    with system_context():
        user = prepare(args.total)
    client = Client()
    client.force_login(user)
    db = connection.vendor
    lines = [
        f"# The bell with {args.total:,} notifications — {db}",
        "",
        f"- {platform.node()}, Python {platform.python_version()}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- {args.n} timed runs after 3 warm-ups; ms (median / p95); queries of one run",
        "",
        "| unread | scenario | median | p95 | queries |",
        "|---|---|---|---|---|",
    ]
    for unread in (1_000, args.total):
        with system_context():
            set_unread(user, unread)
        cases = [
            ("unread_count() (the query)", lambda: service.unread_count(user)),
            ("GET /api/notifications/count/", lambda: client.get("/api/notifications/count/")),
            (
                "GET /api/notifications/?unread=1 (first page)",
                lambda: client.get("/api/notifications/?unread=1"),
            ),
        ]
        for label, fn in cases:
            with system_context():
                median, p95, queries = timed(fn, args.n)
            line = f"| {unread:,} | {label} | {median:.2f} | {p95:.2f} | {queries} |"
            print(line, flush=True)
            lines.append(line)
    with system_context():
        assert client.get("/api/notifications/count/").json() == {"unread": 1000, "more": True}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"notifications-{db}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
