"""Approvals under parallel requests against a live server: two approvers of an "any one"
step deciding at the same moment — one decision, the other a 409 ``already_decided``; an
approver and the submitter racing (approve against withdraw) — one of them wins whole."""

from __future__ import annotations

import json

import pytest

from lianke.approvals import services
from lianke.approvals.models import Approval, ApprovalEvent, ApprovalTask, TaskStatus
from lianke.approvals.tests.helpers import account, make_flow

from ..live import LiveSession, race

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_approvers_of_an_any_step_deciding_at_once_give_one_decision_and_a_409(live_server, org):
    make_flow(steps=[{"approver_kind": "users", "user_ids": [org.lead_js.pk, org.manager_js.pk]}])
    approval = services.submit(actor=org.rep_js, record=account(org.rep_js))
    a, b = LiveSession(live_server.url, org.lead_js), LiveSession(live_server.url, org.manager_js)
    url = f"/api/approvals/{approval.pk}/"
    answers = race(
        [
            lambda: a.request("POST", url + "approve/", json={"comment": "同意"}),
            lambda: b.request("POST", url + "reject/", json={"comment": "不同意"}),
        ]
    )
    statuses = sorted(x.status for x in answers)
    assert statuses == [200, 409], [x.body[:300] for x in answers]
    loser = json.loads(next(x.body for x in answers if x.status == 409))
    assert loser["code"] == "already_decided"
    approval = Approval.objects.get(pk=approval.pk)
    decided = ApprovalTask.objects.filter(
        approval=approval, status__in=[TaskStatus.APPROVED, TaskStatus.REJECTED]
    )
    assert decided.count() == 1
    assert approval.status == ("approved" if decided.get().status == TaskStatus.APPROVED else "rejected")
    assert ApprovalEvent.objects.filter(approval=approval, action="finished").count() == 1


def test_an_approval_and_a_withdrawal_at_once_leave_one_outcome(live_server, org):
    make_flow()
    approval = services.submit(actor=org.rep_js, record=account(org.rep_js))
    approver, submitter = LiveSession(live_server.url, org.lead_js), LiveSession(live_server.url, org.rep_js)
    url = f"/api/approvals/{approval.pk}/"
    answers = race(
        [
            lambda: approver.request("POST", url + "approve/", json={}),
            lambda: submitter.request("POST", url + "withdraw/", json={}),
        ]
    )
    assert sorted(x.status for x in answers) == [200, 409], [x.body[:300] for x in answers]
    approval = Approval.objects.get(pk=approval.pk)
    assert approval.status in ("approved", "withdrawn")
    assert ApprovalEvent.objects.filter(approval=approval, action__in=["finished", "withdrawn"]).count() == 1
