"""``lianke worker``: the job worker, supervised — ``lianke db_worker`` (Django's tasks, database
backend) as a child process restarted when it dies, plus the periodic ticks apps register
(``core.periodic``). ``lianke serve`` starts one with ``--parent-pid`` so it stops with the
server; in production run it (or several ``db_worker``s and one ``worker``) as its own service."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from lianke.core import periodic

logger = logging.getLogger("lianke.worker")


def worker_command(*extra: str) -> list[str]:
    return [sys.executable, "-m", "lianke", "db_worker", "--no-reload", *extra]


class Command(BaseCommand):
    help = "Run the job worker (db_worker, restarted if it dies) and the periodic ticks."

    def add_arguments(self, parser):
        parser.add_argument("--parent-pid", type=int, help="stop when this process is gone")
        parser.add_argument("--no-ticks", action="store_true", help="run no periodic ticks")

    def handle(self, *args, parent_pid=None, no_ticks=False, **options):
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        child: subprocess.Popen | None = None
        failures = 0
        restart_at = started = 0.0
        try:
            while not stopping:
                if parent_pid and os.getppid() != parent_pid:
                    break  # the server is gone
                now = time.monotonic()
                if child is not None and child.poll() is not None:
                    failures += 1
                    restart_at = now + min(2 ** (failures - 1), 60)  # 1 s, 2 s, 4 s … a minute
                    logger.warning("the job worker exited (%s); restarting", child.returncode)
                    child = None
                if child is None and now >= restart_at:
                    child = subprocess.Popen(worker_command())  # noqa: S603 -- a fixed command
                    started = now
                if child is not None and failures and now - started > 300:
                    failures = 0  # it has been running for a while
                if not no_ticks:
                    close_old_connections()
                    periodic.run_due()
                time.sleep(1)
        finally:
            if child is not None and child.poll() is None:
                child.terminate()
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
