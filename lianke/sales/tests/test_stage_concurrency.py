"""Parallel stage moves of one opportunity against a live server: every request is answered
(no 500), the moves apply one after the other (the row is locked), and history tells one
consistent story — one entry per applied move, each starting where the previous one ended."""

from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from lianke.core.models import ObjectChange
from lianke.customers.models import Account
from lianke.sales.models import Opportunity

pytestmark = pytest.mark.django_db(transaction=True)

CSRF = "c" * 32  # any 32-character secret, sent as cookie and header alike


def session_of(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def post_move(url: str, session: str, data: dict, barrier: threading.Barrier) -> tuple[int, str]:
    request = urllib.request.Request(  # noqa: S310 - the live test server's http URL
        url,
        data=urllib.parse.urlencode(data).encode(),
        method="POST",
        headers={
            "Cookie": f"sessionid={session}; csrftoken={CSRF}",
            "X-CSRFToken": CSRF,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    barrier.wait()  # every thread sends at the same moment
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - same URL
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_parallel_moves_of_one_opportunity_apply_one_after_the_other(live_server, org, stages):
    # given an opportunity in its first stage, and eight taps on different stages at once,
    # each from its own browser session (the server answers each in its own thread and connection)
    account = Account.objects.create(name="苏州精工", owner=org.rep_js)
    opp = Opportunity.objects.create(
        name="二期项目", account=account, owner=org.rep_js, stage_set=stages["set"], stage=stages["first"]
    )
    requested = [stages[k] for k in ("quote", "won", "lost", "first")] * 2
    url = f"{live_server.url}/sales/opportunity/{opp.pk}/move/"
    barrier = threading.Barrier(len(requested))
    answers: list[tuple[int, int, str]] = []

    def tap(stage, session):
        # (no database access in these client threads: only HTTP)
        data = {"stage": stage.pk, "render": "card", "loss_reason": "price"}
        status, body = post_move(url, session, data, barrier)
        answers.append((stage.pk, status, body))

    threads = [threading.Thread(target=tap, args=(stage, session_of(org.rep_js))) for stage in requested]
    # when they are all sent together
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # then every one is answered, none with a server error
    assert sorted(status for _pk, status, _body in answers) == [200] * len(requested), answers
    # and the opportunity ends in one of the requested stages, with that stage's probability
    final = Opportunity.all_objects.get(pk=opp.pk)
    assert final.stage_id in {s.pk for s in requested}
    assert final.probability == final.stage.probability
    # and history has one entry per applied move (an answer that says it moved), in a chain:
    # each move starts from the stage the previous one left, the last one ends in the final stage
    applied = [pk for pk, _status, body in answers if 'class="text-success"' in body]
    changes = ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Opportunity), object_id=opp.pk, action="update"
    ).order_by("pk")
    moves = [next((old, new) for key, old, new in c.diff() if key == "stage") for c in changes]
    assert len(moves) == len(applied) >= 1
    assert sorted(to for _from, to in moves) == sorted(applied)
    assert moves[0][0] == stages["first"].pk
    for (_from, to), (next_from, _to) in zip(moves, moves[1:], strict=False):
        assert next_from == to, f"a move was judged on a stale stage: {moves}"
    assert moves[-1][1] == final.stage_id
