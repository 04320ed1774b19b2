"""``lianke serve``: gunicorn (threads) with WhiteNoise serving static files, and — unless
``--no-worker`` — the job worker (``lianke worker``: ``db_worker`` restarted if it dies, plus the
periodic ticks) as a child process that stops with the server."""

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

# A Unix socket path must fit in ``sun_path`` (108 bytes on Linux, 104 on macOS, with the NUL).
MAX_SOCKET_PATH = 100


def gunicorn_config(*, host: str, port: int, workers: int, threads: int) -> dict:
    """gunicorn's settings. Its control socket (for ``gunicornc``) lives in the data directory,
    not at gunicorn's default shared path (``~/.gunicorn/gunicorn.ctl``), so two instances on one
    machine never take each other's; where that path would be too long for a socket, it is off."""
    config = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "accesslog": "-",
        "timeout": 60,
        "graceful_timeout": 20,
    }
    socket = Path(settings.DATA_DIR) / "gunicorn.ctl"
    if len(str(socket).encode()) <= MAX_SOCKET_PATH:
        config["control_socket"] = str(socket)
    else:
        config["control_socket_disable"] = True
    return config


class Command(BaseCommand):
    help = "Serve Lianke with gunicorn (production grade; static files through WhiteNoise)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=min(4, multiprocessing.cpu_count() + 1))
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--no-collectstatic", action="store_true")
        parser.add_argument(
            "--no-worker", action="store_true", help="do not run the job worker (it runs as its own service)"
        )

    def handle(self, *args, **options):
        from gunicorn.app.base import BaseApplication

        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        from lianke.wsgi import application

        config = gunicorn_config(
            host=options["host"], port=options["port"], workers=options["workers"], threads=options["threads"]
        )

        class Server(BaseApplication):
            def load_config(self):
                for key, value in config.items():
                    self.cfg.set(key, value)

            def load(self):
                return application

        self.stdout.write(
            f"Lianke at http://{options['host']}:{options['port']}/  (data: {settings.DATA_DIR})"
        )
        worker = None if options["no_worker"] else start_worker()
        try:
            Server().run()
        finally:
            if worker is not None:
                stop_worker(worker)


def start_worker() -> subprocess.Popen:
    """``lianke worker`` as a child: it supervises ``db_worker`` and exits when this process does."""
    command = [sys.executable, "-m", "lianke", "worker", "--parent-pid", str(os.getpid())]
    return subprocess.Popen(command)  # noqa: S603 -- a fixed command, no shell


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
