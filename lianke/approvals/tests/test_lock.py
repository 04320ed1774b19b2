"""The lock of a record under approval through every write channel (the form's and the API's
service, bulk edit, the batch path, delete, transfer, the lifecycle move), the editable fields
that stay open, the flow's lifecycle moves on the outcome, re-approval of a changed amount, and
escalation by a frozen clock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from lianke.approvals import escalation, services
from lianke.approvals.models import Approval, ApprovalTask, Status, TaskStatus
from lianke.core.objecttypes.registry import registry
from lianke.core.records import batch
from lianke.core.records import services as records
from lianke.core.schedules import Run
from lianke.notifications.models import Notification

from .helpers import account, make_flow, opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(org):
    make_flow(editable_fields=["description"])
    record = account(org.rep_js, name="江苏沙钢集团")
    approval = services.submit(actor=org.rep_js, record=record)
    return record, approval


def fresh(record):
    return type(record).all_objects.get(pk=record.pk)


def test_an_edit_of_a_record_under_approval_is_refused_naming_the_approval(org, pending, english):
    record, approval = pending
    record = fresh(record)
    record.phone = "0512-55551234"
    with pytest.raises(ValidationError) as info:
        records.save_record(actor=org.rep_js, instance=record)
    assert info.value.code == "record_locked"
    assert f"#{approval.pk}" in info.value.messages[0] and "测试审批" in info.value.messages[0]
    assert fresh(record).phone == ""


def test_the_flows_editable_fields_stay_open(org, pending):
    record, _ = pending
    record = fresh(record)
    record.description = "补充说明"
    records.save_record(actor=org.rep_js, instance=record)
    assert fresh(record).description == "补充说明"


def test_bulk_edit_batch_delete_and_transfer_are_refused_too(org, pending):
    record, _ = pending
    version = fresh(record).version
    with pytest.raises(ValidationError) as info:
        records.bulk_edit(actor=org.rep_js, records=[fresh(record)], field="level", value="a")
    assert info.value.code == "record_locked"
    with pytest.raises(ValidationError) as info:
        batch.update_records(actor=org.rep_js, model=type(record), changes={record.pk: {"city": "苏州"}})
    assert info.value.code == "invalid_rows" and list(info.value.rows) == [0]
    with pytest.raises(ValidationError):
        records.delete_records(actor=org.rep_js, records=[fresh(record)])
    with pytest.raises(ValidationError):
        records.transfer_records(actor=org.manager_js, records=[fresh(record)], new_owner=org.rep_js2)
    stored = fresh(record)
    assert (stored.version, stored.level, stored.city, stored.is_deleted, stored.owner_id) == (
        version,
        "",
        "",
        False,
        org.rep_js.pk,
    )


def test_a_batch_checks_its_rows_locks_with_one_query_whatever_its_size(org, pending):
    """An import's updates or a bulk edit of many accounts of a type with a flow: the lock is
    read once for the batch (not once per row), and still refuses exactly the row under
    approval."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    record, _ = pending

    def update(count: int):
        others = [account(org.rep_js, name=f"批量客户{count}-{i}") for i in range(count)]
        changes = {other.pk: {"city": "无锡"} for other in others}
        with CaptureQueriesContext(connection) as queries:
            batch.update_records(actor=org.rep_js, model=type(record), changes=changes)
        assert {o.city for o in type(record).objects.filter(pk__in=changes)} == {"无锡"}
        return sum('"approvals_approval"' in q["sql"] for q in queries.captured_queries)

    # the lock's one query, and the one of the re-approval check on approved amounts
    assert update(3) == update(30) == 2
    with pytest.raises(ValidationError) as info:
        batch.update_records(
            actor=org.rep_js,
            model=type(record),
            changes={record.pk: {"city": "苏州"}, account(org.rep_js, name="另一家").pk: {"city": "苏州"}},
        )
    assert list(info.value.rows) == [0]
    assert fresh(record).city == ""


def test_the_lifecycle_move_waits_for_the_approval(org):
    make_flow("marketing.lead")
    lead = registry.get("marketing.lead").factory_class()(owner=org.rep_js)
    services.submit(actor=org.rep_js, record=lead)
    path = registry.get("marketing.lead").stage_path
    with pytest.raises(ValidationError) as info:
        path.move(actor=org.rep_js, obj=lead, value="contacted")
    assert info.value.code == "record_locked"
    assert fresh(lead).status == "new"


def test_the_record_is_open_again_once_decided_and_the_flows_move_is_applied(org):
    make_flow(
        "marketing.lead",
        on_approve={"status": "qualified"},
        on_reject={"status": "unqualified", "unqualified_reason": "$comment"},
    )
    lead = registry.get("marketing.lead").factory_class()(owner=org.rep_js)
    approval = services.submit(actor=org.rep_js, record=lead)
    services.approve(actor=org.lead_js, approval=approval)
    stored = fresh(lead)
    assert stored.status == "qualified"
    stored.company = "新名称"
    records.save_record(actor=org.rep_js, instance=stored)  # unlocked
    other = registry.get("marketing.lead").factory_class()(owner=org.rep_js)
    rejected = services.submit(actor=org.rep_js, record=other)
    services.reject(actor=org.lead_js, approval=rejected, comment="不合格")
    assert (fresh(other).status, fresh(other).unqualified_reason) == ("unqualified", "不合格")


def test_a_returned_record_is_open_for_changes(org, pending):
    record, approval = pending
    services.return_(actor=org.lead_js, approval=approval, comment="请修改")
    stored = fresh(record)
    stored.phone = "0512-55551234"
    records.save_record(actor=org.rep_js, instance=stored)
    assert fresh(record).phone


def test_an_approved_amount_changed_beyond_the_tolerance_goes_through_approval_again(org, stages):
    make_flow("sales.opportunity", amount_field="amount", amount_tolerance=Decimal("10"))
    opp = opportunity(org.rep_js, amount=Decimal("100000"))
    first = services.submit(actor=org.rep_js, record=opp)
    services.approve(actor=org.lead_js, approval=first)
    first.refresh_from_db()
    assert first.approved_amount == Decimal("100000")
    stored = fresh(opp)
    stored.amount = Decimal("105000")  # within 10 %
    records.save_record(actor=org.rep_js, instance=stored)
    assert Approval.objects.filter(status=Status.PENDING).count() == 0
    stored = fresh(opp)
    stored.amount = Decimal("150000")
    records.save_record(actor=org.rep_js, instance=stored)
    again = Approval.objects.get(status=Status.PENDING)
    assert again.submitter == org.rep_js and again.data["reapproval_of"] == first.pk
    assert {t.approver for t in again.tasks.all()} == {org.lead_js}


# ---------------------------------------------------------------------------------- escalation
def at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_an_overdue_task_escalates_to_the_approvers_superior_once(org):
    make_flow(steps=[{"approver_kind": "superior", "time_limit_hours": 24}])
    start = timezone.now()
    with at(start):
        approval = services.submit(actor=org.rep_js, record=account(org.rep_js))
    with at(start + dt.timedelta(hours=23)):
        assert escalation.run(Run("approvals.escalate", start)) == 0
    with at(start + dt.timedelta(hours=25)):
        dry = Run("approvals.escalate", start, dry_run=True)
        assert escalation.run(dry) == 1 and len(dry.actions) == 1
        assert ApprovalTask.objects.filter(approval=approval).count() == 1  # the dry run changed nothing
        assert escalation.run(Run("approvals.escalate", start)) == 1
        tasks = sorted(
            ApprovalTask.objects.filter(approval=approval).values_list("approver__username", "status")
        )
        assert tasks == [("lead_js", TaskStatus.PENDING), ("manager_js", TaskStatus.PENDING)]
        assert Notification.objects.filter(kind="approval.escalated", recipient=org.manager_js).count() == 1
        # Run again: the same state.
        assert escalation.run(Run("approvals.escalate", start)) == 0
        assert ApprovalTask.objects.filter(approval=approval).count() == 2
        assert Notification.objects.filter(kind="approval.escalated").count() == 1
    services.approve(actor=org.manager_js, approval=approval)
    approval.refresh_from_db()
    assert approval.status == Status.APPROVED


def test_under_all_the_escalated_superior_decides_for_the_late_approver(org):
    make_flow(
        steps=[
            {
                "approver_kind": "users",
                "user_ids": [org.lead_js.pk, org.ops.pk],
                "mode": "all",
                "time_limit_hours": 1,
            }
        ]
    )
    start = timezone.now()
    with at(start):
        approval = services.submit(actor=org.rep_js, record=account(org.rep_js))
    services.approve(actor=org.ops, approval=approval)
    with at(start + dt.timedelta(hours=2)):
        escalation.run(Run("approvals.escalate", start))
    services.approve(actor=org.manager_js, approval=approval)
    approval.refresh_from_db()
    assert approval.status == Status.APPROVED


def test_a_pending_task_of_an_approver_who_left_goes_to_his_superior(org):
    make_flow()
    approval = services.submit(actor=org.rep_js, record=account(org.rep_js))
    org.lead_js.is_active = False
    org.lead_js.save()
    assert escalation.run(Run("approvals.escalate", timezone.now())) == 1
    assert escalation.run(Run("approvals.escalate", timezone.now())) == 0
    services.approve(actor=org.manager_js, approval=approval)
    approval.refresh_from_db()
    assert approval.status == Status.APPROVED
