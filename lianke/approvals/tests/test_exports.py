"""Approval of large exports: refused → request → approve → the export runs once; a rejected
request, another user and another query stay refused; the audit records every step."""

import datetime as dt
import html
import re

import pytest
from django.utils import timezone

from lianke.approvals import services
from lianke.approvals.models import Approval, ApprovalFlow, ExportRequest
from lianke.org.choices import AuditKind
from lianke.org.models import AuditEvent

from .helpers import account

pytestmark = pytest.mark.django_db

EXPORT_URL = "/customers/account/export/"


@pytest.fixture(autouse=True)
def _setup(english, settings, org):
    settings.LIANKE_EXPORT_APPROVAL_ROWS = 2
    # The requester is the Jiangsu manager (reps may not export); his superior approves.
    type(org.manager_js).objects.filter(pk=org.manager_js.pk).update(superior=org.ops)
    for owner in (org.rep_js, org.rep_zj):
        for i in range(3):
            account(owner, name=f"{owner.username}-a{i}", level="a").save()
        account(owner, name=f"{owner.username}-b", level="b").save()


def events(kind):
    return list(AuditEvent.objects.filter(kind=kind).order_by("id"))


def request_approval(client, query: dict, reason="客户资料年度核对") -> Approval:
    refused = client.get(EXPORT_URL, query)
    assert refused.status_code == 403
    link = re.search(r'href="([^"]+)" id="request-export-approval"', refused.content.decode())
    assert link, "the refusal page offers the request"
    url = html.unescape(link.group(1))
    form = client.get(url)
    assert form.status_code == 200 and "Reason" in form.content.decode()
    response = client.post(url, {"reason": reason})
    assert response.status_code == 302
    return Approval.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


def exported(client, query: dict) -> int:
    response = client.get(EXPORT_URL, {**query, "format": "csv"})
    if response.status_code == 200:
        b"".join(response.streaming_content)
    return response.status_code


def test_refused_then_requested_approved_and_exported_once(org, client_for):
    client = client_for(org.manager_js)
    approval = request_approval(client, {"level": "a"})
    request = ExportRequest.objects.get()
    assert request.owner == org.manager_js and request.rows == 3 and request.query == "level=a"
    assert request.state == ExportRequest.State.PENDING and approval.submitter == org.manager_js
    assert ApprovalFlow.objects.filter(object_type="approvals.exportrequest").count() == 1
    # His superior is the approver and sees who asks for which list and how many rows.
    exposed = {f["label"]: f["value"] for f in approval.exposed.values()}
    assert (
        exposed["Rows"] == "3" and exposed["Filter"] == "level=a" and exposed["Reason"] == "客户资料年度核对"
    )
    page = client_for(org.ops).get(f"/approvals/{approval.pk}/").content.decode()
    assert "客户资料年度核对" in page and "level=a" in page
    assert client_for(org.rep_zj).get(f"/approvals/{approval.pk}/").status_code == 404  # not involved
    assert exported(client, {"level": "a"}) == 403  # still pending

    services.approve(actor=org.ops, approval=approval)
    request.refresh_from_db()
    assert request.state == ExportRequest.State.APPROVED and request.expires_at > timezone.now()
    assert "run-approved-export" in client.get(f"/approvals/{approval.pk}/").content.decode()

    assert exported(client, {"level": "a"}) == 200
    assert exported(client, {"level": "a"}) == 403  # once only
    request.refresh_from_db()
    assert request.state == ExportRequest.State.USED
    [done] = events(AuditKind.EXPORT)
    assert (
        done.actor_id == org.manager_js.pk and done.data["approval"] == request.pk and done.data["rows"] == 3
    )
    [asked] = events(AuditKind.EXPORT_REQUESTED)
    [decided] = events(AuditKind.EXPORT_DECIDED)
    assert asked.data["request"] == request.pk and asked.data["rows"] == 3
    assert decided.actor_id == org.ops.pk and decided.data["decision"] == "approved"


def test_the_approved_export_applies_the_requesters_scope(org, client_for):
    client = client_for(org.manager_js)
    approval = request_approval(client, {"level": "a"})
    services.approve(actor=org.ops, approval=approval)
    response = client.get(EXPORT_URL, {"level": "a", "format": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "rep_js-a0" in body and "rep_zj-a0" not in body


def test_a_rejected_request_leaves_the_export_refused(org, client_for):
    client = client_for(org.manager_js)
    approval = request_approval(client, {"level": "a"})
    services.reject(actor=org.ops, approval=approval, comment="不需要")
    assert ExportRequest.objects.get().state == ExportRequest.State.REJECTED
    assert exported(client, {"level": "a"}) == 403
    [decided] = events(AuditKind.EXPORT_DECIDED)
    assert decided.data["decision"] == "rejected"


def test_another_user_cannot_use_someones_approval_nor_his_request_link(org, client_for):
    client = client_for(org.manager_js)
    refused = client.get(EXPORT_URL, {"level": "a"}).content.decode()
    url = html.unescape(re.search(r'href="([^"]+)" id="request-export-approval"', refused).group(1))
    assert client_for(org.ops).get(url).status_code == 404
    assert client_for(org.ops).post(url, {"reason": "x"}).status_code == 404
    approval = request_approval(client, {"level": "a"})
    services.approve(actor=org.ops, approval=approval)
    assert exported(client_for(org.ops), {"level": "a"}) == 403
    assert exported(client, {"level": "a"}) == 200  # still unused by the other one


def test_an_approval_for_one_query_does_not_open_another(org, client_for):
    client = client_for(org.manager_js)
    approval = request_approval(client, {"level": "a"})
    services.approve(actor=org.ops, approval=approval)
    assert exported(client, {}) == 403  # the whole list (4 rows)
    assert exported(client, {"level": "a", "q": "rep"}) == 403
    assert exported(client, {"level": "a"}) == 200


def test_an_approval_expires(org, client_for):
    client = client_for(org.manager_js)
    services.approve(actor=org.ops, approval=request_approval(client, {"level": "a"}))
    ExportRequest.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert exported(client, {"level": "a"}) == 403


def test_a_request_needs_a_reason_and_a_tampered_link_is_refused(org, client_for):
    client = client_for(org.manager_js)
    refused = client.get(EXPORT_URL, {"level": "a"}).content.decode()
    url = html.unescape(re.search(r'href="([^"]+)" id="request-export-approval"', refused).group(1))
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 400 and 'data-error-code="required"' in response.content.decode()
    assert not ExportRequest.objects.exists() and not Approval.objects.exists()
    assert client.get(url[:-3] + "abc").status_code == 404
