"""Configuration kept across requests (``core.configcache``) against a live server: a grant
revoked on another database connection while the server answers parallel requests refuses
every request sent after the revocation committed — none is answered from what the server kept."""

from __future__ import annotations

import threading

import pytest

from lianke.customers.models import Account
from lianke.org.models import RolePermission

from ..live import LiveSession, race

URL = "/api/customers/accounts/"


@pytest.mark.django_db(transaction=True)
def test_a_grant_revoked_while_requests_run_refuses_every_request_sent_after_it(live_server, org):
    Account.objects.create(name="张伟的客户", owner=org.rep_js)
    sessions = [LiveSession(live_server.url, org.rep_js) for _ in range(3)]
    # the server has read and kept the rep's grants
    assert [s.get(URL).status for s in sessions] == [200, 200, 200]
    revoked = threading.Event()

    def read(session) -> list[int]:
        after = []
        for _ in range(12):
            sent_after = revoked.is_set()
            status = session.get(URL).status
            if sent_after:
                after.append(status)
        return after

    def revoke() -> list[int]:
        # on the test's own connection, committed when update() returns
        RolePermission.objects.filter(object_type="customers.account", role__users=org.rep_js).update(
            actions=[]
        )
        revoked.set()
        return []

    results = race([lambda s=s: read(s) for s in sessions] + [revoke])
    assert not [r for r in results if isinstance(r, Exception)], results
    after = [status for statuses in results for status in statuses]
    assert after, "no request was sent after the revocation"
    assert set(after) == {403}, after
