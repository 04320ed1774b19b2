"""Throughput over HTTP: Lianke's account list page and API list beside a bare floor app, each
served by gunicorn with the same number of workers on the same database and loaded by ``wrk``
(not part of the test suite).

Usage (from the repository root; the database must hold the demo data, e.g. from run.py)::

    # SQLite, 100,000 accounts
    LIANKE_DATA_DIR=/tmp/lianke-sqlite-50 .venv/bin/python benchmarks/throughput.py --scale 50

    # PostgreSQL, 1,000,000 accounts
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lianke_bench_500 LIANKE_DATA_DIR=/tmp/b500 \\
        .venv/bin/python benchmarks/throughput.py --scale 500

Each server runs alone: ``gunicorn -w 2`` (sync workers, no access log), warmed up with a few
requests, then ``wrk -t2 -c8 -d10s --latency`` per URL, signed in as each user with a session
cookie. Reported per URL and user: requests/s and the median and p99 latency wrk measured. The
floor (``benchmarks/floor.py``) answers the first 50 accounts of the list's order as JSON with one
SQL query and no framework: the gap to it is what Lianke's own work costs. The markdown table
goes to ``benchmarks/results/http-<db>-<scale>.md`` and to stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# isort: split
from run import RESULTS, ROOT, USERS  # noqa: E402 -- run.py's set-up: the repository on the path, Django ready

# isort: split
from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection  # noqa: E402

from lianke.core.context import system_context  # noqa: E402

TARGETS = (
    ("floor: raw SQL, 50 accounts as JSON", "floor", "/"),
    ("account list page", "lianke", "/customers/account/"),
    ("API list /api/customers/accounts/", "lianke", "/api/customers/accounts/"),
)


def session_cookie(username: str) -> str:
    """A signed-in session for ``username``, as the login view would store it."""
    from lianke.org.models import User

    with system_context():
        user = User.objects.get(username=username)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``gunicorn`` serving ``app`` on a free port until the ``with`` block ends."""

    def __init__(self, app: str, workers: int):
        self.port = free_port()
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        command = [
            gunicorn,
            app,
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
        ]
        self.command = command

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(  # noqa: S603 -- a fixed command, no shell
            self.command,
            cwd=ROOT,
            env=os.environ | {"PYTHONPATH": str(ROOT / "benchmarks")},
            start_new_session=True,
        )
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/favicon.ico", timeout=1)  # noqa: S310
                break
            except OSError as error:
                if getattr(error, "code", None):  # an HTTP answer (even 404): the server is up
                    break
                time.sleep(0.2)
        return self

    def __exit__(self, *exc) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


def warm(url: str, cookie: str, n: int = 10) -> int:
    status = 0
    for _ in range(n):
        request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            status = response.status
            response.read()
    return status


def wrk(url: str, cookie: str, duration: int, connections: int) -> dict:
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "-H",
        f"Cookie: {cookie}",
        url,
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def latency(pct: str) -> float:
        value, unit = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return {
        "rps": rps,
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": int(errors.group(1)) if errors else 0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=int, required=True, help="demo scale the database was loaded at")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--users", default=",".join(USERS))
    parser.add_argument("--only", default="", help="run only targets whose name contains this")
    parser.add_argument("--no-write", action="store_true", help="print only, do not write the results file")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk).", file=sys.stderr)
        return 2

    users = args.users.split(",")
    cookies = {u: session_cookie(u) for u in users}
    connection.close()
    rows = []
    for label, app, path in TARGETS:
        if args.only and args.only not in label:
            continue
        module = "floor:application" if app == "floor" else "lianke.wsgi:application"
        with Server(module, args.workers) as server:
            for user in users if app == "lianke" else users[:1]:
                url = f"http://127.0.0.1:{server.port}{path}"
                status = warm(url, cookies[user])
                result = wrk(url, cookies[user], args.duration, args.connections)
                who = user if app == "lianke" else "—"
                print(
                    f"{label:40} {who:10} {result['rps']:8.1f} req/s  p50 {result['p50']:6.1f} ms  "
                    f"p99 {result['p99']:6.1f} ms  (HTTP {status}, non-2xx {result['errors']})",
                    flush=True,
                )
                rows.append((label, who, result))

    vendor = connection.vendor
    lines = [
        f"# HTTP throughput: {vendor}, demo scale {args.scale}",
        "",
        f"{dt.date.today().isoformat()} · {platform.processor() or platform.machine()} · {os.cpu_count()} cores · "
        f"gunicorn -w {args.workers} (sync) · wrk -t2 -c{args.connections} -d{args.duration}s, on the same machine",
        "",
        "| URL | user | req/s | median ms | p99 ms |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {label} | {who} | {r['rps']:.1f} | {r['p50']:.1f} | {r['p99']:.1f} |" for label, who, r in rows
    ]
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"http-{vendor}-{args.scale}.md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
