"""A webhook receiver for the tests: a local ``http.server`` on 127.0.0.1 (allow-listed for the
test through ``LIANKE_OUTGOING_ALLOW``) that answers from a script and records every request."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str = ""
    requests: list[Received] = field(default_factory=list)
    # The answers to give, in order (then 200): a status, (status, headers), or "hang" (no
    # answer until the test ends).
    script: list = field(default_factory=list)
    received: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def receiver(settings):
    settings.LIANKE_OUTGOING_ALLOW = ["127.0.0.1/32"]
    settings.LIANKE_OUTGOING_TIMEOUT = 5
    rec = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                rec.requests.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                answer = rec.script.pop(0) if rec.script else 200
            rec.received.set()
            if answer == "hang":
                rec.release.wait(60)
                return
            status, headers = answer if isinstance(answer, tuple) else (answer, {})
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield rec
    rec.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def webhook(receiver):
    """An active webhook for every event of accounts, to the receiver."""
    from lianke.outbox.models import Webhook

    hook = Webhook(name="ERP", url=receiver.url, object_type="customers.account", events=[])
    hook.secret = "s3cret-for-tests"
    hook.save()
    return hook
