"""Real HTTP against pytest-django's live server, for tests that race parallel requests: each
session has its own connection (and so its own database connection in the server), and
``race`` releases the requests together through a barrier."""

from __future__ import annotations

import json as jsonlib
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.test import Client
from django.utils.crypto import get_random_string


@dataclass
class Answer:
    status: int
    body: str


class LiveSession:
    """A signed-in user talking HTTP to the live server (session cookie and a CSRF secret)."""

    def __init__(self, base_url: str, user):
        client = Client()
        client.force_login(user)
        self.base_url = base_url
        self.csrf = get_random_string(32)
        self.cookie = f"sessionid={client.cookies['sessionid'].value}; csrftoken={self.csrf}"

    def request(
        self,
        method: str,
        path: str,
        data: dict | None = None,
        headers: dict | None = None,
        json: dict | None = None,
    ) -> Answer:
        body = urllib.parse.urlencode(data or {}, doseq=True).encode() if data is not None else None
        headers = {"Cookie": self.cookie, "X-CSRFToken": self.csrf, **(headers or {})}
        if json is not None:
            body = jsonlib.dumps(json).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(  # noqa: S310 - the live server's own http:// URL
            self.base_url + path, data=body, method=method, headers=headers
        )
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=60) as response:
                return Answer(response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read().decode())

    def get(self, path: str, **kwargs) -> Answer:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict, **kwargs) -> Answer:
        return self.request("POST", path, data, **kwargs)

    def patch(self, path: str, json: dict, **kwargs) -> Answer:
        """A JSON PATCH (the API: the session authenticates it, the CSRF header passes it)."""
        return self.request("PATCH", path, json=json, **kwargs)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is an answer, not something to follow


def race(calls) -> list:
    """Run the callables in parallel threads released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - reported to the test as a result
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results
