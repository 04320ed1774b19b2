"""Server-side response times of the main pages on the demo dataset (not part of the test suite).

Usage (from the repository root)::

    # PostgreSQL, 1,000,000 accounts (loads the demo data first if the database is empty)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lianke_bench_500 LIANKE_DATA_DIR=/tmp/b500 \\
        .venv/bin/python benchmarks/run.py --scale 500

    # SQLite, 100,000 accounts
    LIANKE_DATA_DIR=/tmp/lianke-sqlite-50 .venv/bin/python benchmarks/run.py --scale 50

Every scenario is requested in-process with Django's test ``Client`` (``force_login``): 3 warm-up
requests, then N=30 timed ones; the median and p95 (nearest rank) are reported in milliseconds,
with the number of SQL queries per request. The markdown table goes to
``benchmarks/results/<db>-<scale>.md`` and to stdout. ``--explain NAME`` prints EXPLAIN
(ANALYZE, BUFFERS) of the slowest queries of the scenarios whose name contains NAME.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianke.settings")
os.environ.setdefault("LIANKE_DEBUG", "0")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from lianke.core.context import system_context  # noqa: E402

USERS = ("admin", "zhang.wei", "wang.fang")
RESULTS = Path(__file__).resolve().parent / "results"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def timed(fn, n: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def ensure_data(scale: int) -> None:
    from lianke.org.models import User

    call_command("migrate", interactive=False, verbosity=0)
    with system_context():
        loaded = User.objects.filter(username="zhang.wei").exists()
    if loaded:
        print(f"Reusing the loaded database ({connection.vendor}).", flush=True)
        return
    started = time.monotonic()
    call_command("demo", scale=scale, no_migrate=True)
    print(f"Loaded scale {scale} in {time.monotonic() - started:.0f} s.", flush=True)


def index_the_sorted_custom_field() -> None:
    """Scenario 2 sorts by ``first_deal_date``: mark it *indexed for sorting* and build its
    index as an operator would (``lianke customfield_indexes --apply``), if not done yet."""
    from lianke.core.models import CustomField

    with system_context():
        marked = CustomField.objects.filter(
            object_type="customers.account", name="first_deal_date", indexed=False
        ).update(indexed=True)
    if marked:
        print("Marked first_deal_date indexed for sorting.", flush=True)
    call_command("customfield_indexes", apply=True)


def row_counts() -> dict[str, int]:
    from lianke.activities.models import Activity
    from lianke.customers.models import Account, Contact
    from lianke.marketing.models import Lead
    from lianke.sales.models import Opportunity

    return {
        m._meta.model_name: m.all_objects.count() for m in (Account, Contact, Lead, Opportunity, Activity)
    }


def pick_targets(user) -> dict[str, object]:
    """Per user: an account they own (or else one they may see), and a mobile and a landline from
    the data they may see."""
    from lianke.customers.models import Account, Contact
    from lianke.org import access

    visible = access.restrict(Account.all_objects.filter(is_deleted=False), user)
    account = visible.filter(owner=user).order_by("id").first() or visible.order_by("id").first()
    contact = access.restrict(Contact.all_objects.filter(is_deleted=False), user).order_by("id").first()
    landline = visible.exclude(phone="").order_by("id").values_list("phone", flat=True).first()
    from lianke.sales.models import Opportunity

    opportunities = access.restrict(Opportunity.all_objects.filter(is_deleted=False), user)
    opportunity = (
        opportunities.filter(owner=user).order_by("id").first() or opportunities.order_by("id").first()
    )
    name = account.name if account else "宝山钢铁有限公司"
    return {
        "account": account,
        "name_middle": name[1:5],
        "surname": (contact.name if contact else "张伟")[:2],
        "initials": (account.name_pinyin.split() if account else ["bsgt"])[-1][:4],
        "mobile": contact.mobile if contact else "1380",
        "landline": landline or "",
        "opportunity": opportunity,
    }


def scenarios(targets, ct_id: int) -> list[tuple[str, str]]:
    account = targets["account"]
    mobile = targets["mobile"]
    return [
        ("1 account list", "/customers/account/"),
        (
            "2 list cf_grade=key, sort -cf_first_deal_date",
            "/customers/account/?cf_grade=key&sort=-cf_first_deal_date",
        ),
        (f"3 search phone prefix ({mobile[:4]})", f"/search/?q={mobile[:4]}"),
        ("3b search full mobile", f"/search/?q={mobile}"),
        # As typed without the stored dashes (``0939-58521981`` → ``093958521981``), and a mobile
        # with dashes on the contact list: found only through the phone numbers' digits columns.
        ("3c search landline without dashes", f"/search/?q={re.sub(r'[^0-9]', '', targets['landline'])}"),
        (
            "3d contact list search 139-1234-5678",
            f"/customers/contact/?search={mobile[:3]}-{mobile[3:7]}-{mobile[7:]}",
        ),
        ("4 account 360 page", f"/customers/account/{account.pk}/"),
        ("4b account timeline fragment", f"/activities/timeline/{ct_id}/{account.pk}/"),
        ("5 API list /api/customers/accounts/", "/api/customers/accounts/"),
        # The workbench: tasks (overdue/today/7 days), follow up today, the team's overdue tasks
        # and visits, closing soon, recent records.
        ("6 home page (workbench)", "/"),
        ("7 account list, my team tab", "/customers/account/?scope=team"),
        (
            "7b account list sorted by name, as the htmx fragment",
            ("/customers/account/?sort=name", {"HX-Request": "true", "HX-Target": "object-list"}),
        ),
        ("8 opportunity 360 page with its stage path", f"/sales/opportunity/{targets['opportunity'].pk}/"),
        # Text search: three characters or more are contained (trigram indexes: pg_trgm, FTS5 on
        # SQLite), one or two a prefix of names (b-trees), letters also pinyin (b-tree ranges).
        (
            f"9 search a name's middle ({targets['name_middle']})",
            f"/search/?q={quote(targets['name_middle'])}",
        ),
        ("9b search a frequent word (有限公司)", f"/search/?q={quote('有限公司')}"),
        (f"9c search two characters ({targets['surname']})", f"/search/?q={quote(targets['surname'])}"),
        (f"9d search pinyin initials ({targets['initials']})", f"/search/?q={targets['initials']}"),
        (
            f"9e account list search ({targets['name_middle']})",
            f"/customers/account/?search={quote(targets['name_middle'])}",
        ),
        # A frequent word (in most company names) on the list: the ordered scan, in every scope.
        ("9g account list search 有限公司", f"/customers/account/?search={quote('有限公司')}"),
        (
            f"9f API account search ({targets['name_middle']})",
            f"/api/customers/accounts/?search={quote(targets['name_middle'])}",
        ),
    ]


def explain(sql: str, params) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=int, required=True, help="demo scale (500 = 1,000,000 accounts)")
    parser.add_argument("-n", type=int, default=30, help="timed requests per scenario")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--users", default=",".join(USERS))
    parser.add_argument("--only", default="", help="run only scenarios whose name contains this")
    parser.add_argument("--explain", default="", help="EXPLAIN the slowest queries of matching scenarios")
    parser.add_argument("--no-write", action="store_true", help="print only, do not write the results file")
    parser.add_argument("--load-time", default="", help="load time to note in the results (e.g. '7 min')")
    args = parser.parse_args()

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.DEBUG = False
    # As in the tests: static files from the finders (no collectstatic manifest needed).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    ensure_data(args.scale)
    index_the_sorted_custom_field()

    from lianke.customers.models import Account
    from lianke.org.models import User

    with system_context():
        counts = row_counts()
        ct_id = ContentType.objects.get_for_model(Account).pk
        users = {u.username: u for u in User.objects.filter(username__in=args.users.split(","))}
        targets = {name: pick_targets(user) for name, user in users.items()}
    vendor = connection.vendor
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if vendor == "postgresql" else "SELECT sqlite_version()")
        db_version = cursor.fetchone()[0].split(" on ")[0]

    results: dict[tuple[str, str], tuple[float, float, int]] = {}
    order: list[str] = []

    # The floor: the list query alone, no view, no template, no scope.
    floor = "0 bare floor: Account.all_objects…[:50].values()"
    if args.only in floor:
        samples = timed(
            lambda: list(Account.all_objects.order_by("-updated_at", "-id")[:50].values()),
            args.n,
            args.warmup,
        )
        results[(floor, "—")] = (statistics.median(samples), percentile(samples, 95), 1)
        order.append(floor)
        print(
            f"{floor:<55} {'—':<10} {results[(floor, '—')][0]:8.1f} {results[(floor, '—')][1]:8.1f}",
            flush=True,
        )

    for username in args.users.split(","):
        user = users[username]
        client = Client()
        client.force_login(user)
        for name, url in scenarios(targets[username], ct_id):
            if args.only not in name:
                continue
            key = name.split(" (")[0] if name.startswith("3 ") else name

            url, headers = url if isinstance(url, tuple) else (url, {})

            def get(url=url, client=client, username=username, headers=headers):
                response = client.get(url, headers=headers)
                if response.status_code != 200:
                    raise SystemExit(f"{username} {url}: HTTP {response.status_code}")
                return response

            with CaptureQueriesContext(connection) as captured:
                get()
            queries = list(captured.captured_queries)  # the next requests clear the log
            samples = timed(get, args.n, args.warmup)
            results[(key, username)] = (
                statistics.median(samples),
                percentile(samples, 95),
                len(queries),
            )
            if key not in order:
                order.append(key)
            median, p95, nq = results[(key, username)]
            print(f"{name:<55} {username:<10} {median:8.1f} {p95:8.1f}  ({nq} queries)  {url}", flush=True)
            if args.explain and args.explain in name:
                slowest = sorted(queries, key=lambda q: -float(q["time"]))[:3]
                for q in slowest:
                    print(f"\n--- {q['time']} s: {q['sql'][:3000]}")
                    # Re-run with the logged SQL (parameters are inlined by Django's logging).
                    try:
                        print(explain(q["sql"], None))
                    except Exception as exc:  # noqa: BLE001 - best effort
                        print(f"(cannot EXPLAIN: {exc})")
                        connection.close()

    header = [
        f"# {vendor} — scale {args.scale}",
        "",
        f"- Database: {vendor} {db_version}"
        + (f" (`{settings.DATABASES['default']['NAME']}`)" if vendor == "postgresql" else ""),
        f"- Rows: {', '.join(f'{v:,} {k}' for k, v in counts.items())}",
        f"- Date: {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; Django {django.get_version()},"
        f" Python {platform.python_version()}, {os.cpu_count()} cores",
        f"- Method: in-process Django test Client (force_login), {args.warmup} warm-ups then"
        f" N={args.n} requests per cell; server time in ms, median / p95 (nearest rank);"
        " q = SQL queries per request",
    ]
    if args.load_time:
        header.append(f"- Load time (`lianke demo --scale {args.scale}`): {args.load_time}")
    names = args.users.split(",")
    table = [
        "",
        "| Scenario | " + " | ".join(f"{u} median / p95 (q)" for u in names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for key in order:
        cells = []
        for u in names:
            value = results.get((key, u)) or results.get((key, "—"))
            cells.append(f"{value[0]:.1f} / {value[1]:.1f} ({value[2]})" if value else "")
        if key == floor:
            cells = [cells[0], *[""] * (len(names) - 1)]
        table.append(f"| {key} | " + " | ".join(cells) + " |")
    text = "\n".join(header + table) + "\n"
    print("\n" + text)
    if not args.no_write and not args.only:
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{vendor}-{args.scale}.md"
        path.write_text(text)
        print(f"Written to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
