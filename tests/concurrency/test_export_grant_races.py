"""An approved large export downloaded twice at the same moment: one file, one refusal — the
approval is consumed by one conditional update."""

from __future__ import annotations

import pytest

from lianke.approvals import exports, services
from lianke.approvals.models import ExportRequest
from lianke.approvals.tests.helpers import account
from lianke.org.choices import AuditKind
from lianke.org.models import AuditEvent

from ..live import LiveSession, race

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_parallel_downloads_of_one_approved_export_give_one_file(live_server, org, settings):
    settings.LIANKE_EXPORT_APPROVAL_ROWS = 2
    for i in range(3):
        account(org.rep_js, name=f"苏州{i}", level="a").save()
    made = exports.create_request(
        actor=org.manager_js, object_type="customers.account", query="level=a", rows=3, reason="核对"
    )
    services.approve(actor=org.admin, approval=made.approval)
    a, b = LiveSession(live_server.url, org.manager_js), LiveSession(live_server.url, org.manager_js)
    url = "/customers/account/export/?level=a&format=csv"
    answers = race([lambda: a.request("GET", url), lambda: b.request("GET", url)])
    assert sorted(x.status for x in answers) == [200, 403], [x.body[:200] for x in answers]
    assert ExportRequest.objects.get().state == ExportRequest.State.USED
    assert AuditEvent.objects.filter(kind=AuditKind.EXPORT).count() == 1
