"""Two saves of one user's notification settings at once (two tabs, a double tap): both are
answered, the settings end as one of them sent, and his history tells one chain — each entry
starting where the previous one ended (the user's row is locked while saving)."""

from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.test import Client

from lianke.core.models import ObjectChange
from lianke.notifications import preferences, types
from lianke.notifications.models import EmailSettings

pytestmark = pytest.mark.django_db(transaction=True)

CSRF = "c" * 32


def session_of(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def test_two_saves_at_once_leave_one_whole_and_one_history_chain(live_server, org, declared):
    grid = {}
    for key in types.declared():
        for channel in preferences.channels_for([org.rep_js.pk], key)[org.rep_js.pk]:
            grid[f"pref:{key}:{channel}"] = "1"
    quiet = {**grid, "mode": "digest", "quiet_start": "22:00", "quiet_end": "07:30"}
    loud = {k: v for k, v in grid.items() if k != f"pref:{declared}:email"} | {"mode": "immediate"}
    bodies = [quiet, loud] * 3
    barrier = threading.Barrier(len(bodies))
    answers: list[int] = []

    def post(data, session):
        request = urllib.request.Request(  # noqa: S310 - the live test server's http URL
            f"{live_server.url}/profile/notifications/",
            data=urllib.parse.urlencode(data).encode(),
            method="POST",
            headers={
                "Cookie": f"sessionid={session}; csrftoken={CSRF}",
                "X-CSRFToken": CSRF,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        barrier.wait()
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=60) as response:
                answers.append(response.status)
        except urllib.error.HTTPError as exc:
            answers.append(exc.code)

    threads = [threading.Thread(target=post, args=(b, session_of(org.rep_js))) for b in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert answers == [302] * len(bodies)
    mode = EmailSettings.objects.get(user=org.rep_js).mode
    assert mode in {"digest", "immediate"}
    changes = list(
        ObjectChange.objects.filter(object_id=org.rep_js.pk, content_type__model="user").order_by(
            "time", "pk"
        )
    )
    assert changes and changes[0].prechange_data == {"notification_preferences": {}, "notification_email": {}}
    for previous, following in zip(changes, changes[1:], strict=False):
        assert following.prechange_data == previous.postchange_data
    assert changes[-1].postchange_data == preferences.own_snapshot(org.rep_js)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None
