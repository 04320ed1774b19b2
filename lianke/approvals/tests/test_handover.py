"""The approval engine's part of a handover: a leaving approver's pending tasks go to the
receiver (delegated, logged, notified), the approvals he submitted stay his, a dry run moves
nothing and its count is what a run moves."""

from __future__ import annotations

import pytest

from lianke.approvals import services
from lianke.approvals.models import ApprovalEvent, ApprovalTask, Status, TaskStatus
from lianke.core.records.handover import handover
from lianke.notifications.models import Notification

from .helpers import account, make_flow
from .test_engine import approvers, refused

pytestmark = pytest.mark.django_db


def _item(report):
    return next(item for item in report.items if item.key == "approvals")


@pytest.fixture
def pending(org):
    """Two registrations waiting for lead_js, one he submitted himself waiting for his manager."""
    make_flow()
    waiting = [services.submit(actor=org.rep_js, record=account(org.rep_js)) for _ in range(2)]
    own = services.submit(actor=org.lead_js, record=account(org.lead_js))
    return waiting, own


def test_dry_run_counts_what_moves_and_changes_nothing(org, pending):
    waiting, own = pending
    tasks_before = list(ApprovalTask.objects.order_by("pk").values_list("pk", "approver_id", "status"))
    events_before = ApprovalEvent.objects.count()
    report = handover(org.admin, org.lead_js, org.manager_js, dry_run=True)
    assert _item(report).count == 2 and len(_item(report).sample) == 2
    assert (
        list(ApprovalTask.objects.order_by("pk").values_list("pk", "approver_id", "status")) == tasks_before
    )
    assert ApprovalEvent.objects.count() == events_before
    report = handover(org.admin, org.lead_js, org.manager_js)
    assert (_item(report).moved, _item(report).left) == (2, 0)


def test_after_the_handover_the_receiver_decides_and_the_leaver_cannot(org, pending):
    waiting, own = pending
    handover(org.admin, org.lead_js, org.manager_js)
    for approval in waiting:
        assert approvers(approval) == {"manager_js"}
        assert ApprovalTask.objects.filter(
            approval=approval, approver=org.lead_js, status=TaskStatus.DELEGATED
        ).exists()
        assert ApprovalEvent.objects.filter(approval=approval, action="delegated").exists()
    assert Notification.objects.filter(kind="approval.waiting", recipient=org.manager_js).count() >= 2
    services.approve(actor=org.manager_js, approval=waiting[0])
    waiting[0].refresh_from_db()
    assert waiting[0].status == Status.APPROVED
    # The engine answers a user who handed his part on (a delegated task) "decided already".
    refused("already_decided", services.approve, actor=org.lead_js, approval=waiting[1])
    # The request he submitted stays his.
    own.refresh_from_db()
    assert own.submitter_id == org.lead_js.pk and own.status == Status.PENDING


def test_a_user_who_never_was_an_approver_is_refused_after_a_handover(org, pending):
    waiting, own = pending
    handover(org.admin, org.lead_js, org.manager_js)
    refused("not_an_approver", services.approve, actor=org.rep_js2, approval=waiting[1])


def test_a_task_the_receiver_cannot_take_is_reported_as_left(org, pending):
    waiting, own = pending
    # rep_js submitted both: the flow forbids approving one's own request.
    report = handover(org.admin, org.lead_js, org.rep_js)
    assert (_item(report).count, _item(report).moved, _item(report).left) == (2, 0, 2)
    assert approvers(waiting[0]) == {"lead_js"}
