"""``lianke worker``: ``db_worker`` runs as a child, is restarted when it dies, and stops with
the worker; periodic ticks run on schedule and a failing one does not stop the others."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lianke.core import periodic


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def wait_for(predicate, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """A migrated SQLite file of its own for the processes of these tests."""
    data = tmp_path_factory.mktemp("worker")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{data / 'w.sqlite3'}", "LIANKE_DATA_DIR": str(data)}
    subprocess.run([sys.executable, "-m", "lianke", "migrate", "-v", "0"], env=env, check=True)  # noqa: S603
    return env


def test_the_job_worker_is_restarted_when_it_dies_and_stops_with_the_supervisor(env):
    supervisor = subprocess.Popen([sys.executable, "-m", "lianke", "worker", "--no-ticks"], env=env)  # noqa: S603
    try:
        [first] = wait_for(lambda: children(supervisor.pid))
        os.kill(first, signal.SIGKILL)
        [second] = wait_for(lambda: [c for c in children(supervisor.pid) if c != first])
        assert second != first
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(30) == 0
        assert not Path(f"/proc/{second}").exists() or "zombie" in Path(f"/proc/{second}/status").read_text()
    finally:
        if supervisor.poll() is None:
            supervisor.kill()


def test_periodic_ticks_run_on_schedule_and_survive_failures(monkeypatch):
    monkeypatch.setattr(periodic, "_ticks", [])
    ran: list[str] = []

    def broken():
        ran.append("broken")
        raise RuntimeError("boom")

    periodic.every(10, broken)
    periodic.every(30, lambda: ran.append("slow"))
    assert periodic.run_due(now=100) == 2
    assert periodic.run_due(now=105) == 0
    assert periodic.run_due(now=111) == 1
    assert periodic.run_due(now=131) == 2
    assert ran == ["broken", "slow", "broken", "broken", "slow"]


def test_serve_runs_the_worker_and_stops_it_with_the_server(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 's.sqlite3'}",
        "LIANKE_DATA_DIR": str(tmp_path),
    }
    subprocess.run([sys.executable, "-m", "lianke", "migrate", "-v", "0"], env=env, check=True)  # noqa: S603
    command = ["serve", "--port", str(port), "--workers", "1", "--no-collectstatic"]
    server = subprocess.Popen([sys.executable, "-m", "lianke", *command], env=env)  # noqa: S603
    try:

        def worker_and_job_worker():
            for pid in children(server.pid):
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                if b"worker" in cmdline and (grandchildren := children(pid)):
                    return pid, grandchildren[0]
            return None

        worker, job_worker = wait_for(worker_and_job_worker)
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0
        for pid in (worker, job_worker):
            wait_for(lambda pid=pid: not Path(f"/proc/{pid}").exists() or _zombie(pid), 30)
    finally:
        if server.poll() is None:
            server.kill()


def _zombie(pid: int) -> bool:
    try:
        return "zombie" in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
