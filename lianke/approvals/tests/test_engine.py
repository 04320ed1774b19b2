"""The approval engine's flow matrix and actions, through ``approvals.services``: who approves
(role, superior n levels up, department heads, named users, a user field; out of office; a
departed approver's stand-ins), any / all, step conditions, versions, every action and every
bad input (a clear code, nothing changed)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from lianke.approvals import services
from lianke.approvals.models import (
    Approval,
    ApprovalEvent,
    ApprovalStep,
    ApprovalTask,
    OutOfOffice,
    Status,
    TaskStatus,
)
from lianke.approvals.services import ApprovalRefused
from lianke.core.records import audit
from lianke.notifications.models import Notification

from .helpers import account, make_flow, opportunity

pytestmark = pytest.mark.django_db


def approvers(approval) -> set:
    return set(
        ApprovalTask.objects.filter(
            approval=approval, step=approval.step, status=TaskStatus.PENDING
        ).values_list("approver__username", flat=True)
    )


def state(approval):
    approval.refresh_from_db()
    return (
        approval.status,
        approval.step,
        sorted(ApprovalTask.objects.filter(approval=approval).values_list("approver_id", "status")),
        ApprovalEvent.objects.filter(approval=approval).count(),
    )


def refused(code, call, *args, **kwargs):
    with pytest.raises((ApprovalRefused, ValidationError, PermissionDenied)) as info:
        call(*args, **kwargs)
    exc = info.value
    if isinstance(exc, ValidationError):
        got = (
            {e.code for es in exc.error_dict.values() for e in es}
            if hasattr(exc, "error_dict")
            else {e.code for e in exc.error_list}
        )
        assert code in got, got
    elif isinstance(exc, ApprovalRefused):
        assert exc.code == code
    return exc


# ---------------------------------------------------------------------------------- submit
def test_submitting_a_record_of_a_type_without_flow_is_refused_and_creates_nothing(org):
    record = account(org.rep_js)
    refused("no_flow", services.submit, actor=org.rep_js, record=record)
    assert not Approval.objects.exists()


def test_the_first_matching_flow_of_the_type_applies(org, stages):
    make_flow(
        "sales.opportunity",
        name="大单",
        position=1,
        trigger="condition",
        condition=[{"field": "amount", "op": "gte", "value": 1000000}],
        steps=[{"approver_kind": "superior", "levels": 2}],
    )
    make_flow("sales.opportunity", name="普通", position=2)
    big = opportunity(org.rep_js, amount=Decimal("2000000"))
    small = opportunity(org.rep_js, amount=Decimal("5000"))
    a = services.submit(actor=org.rep_js, record=big)
    b = services.submit(actor=org.rep_js, record=small)
    assert a.version.settings["name"] == "大单" and approvers(a) == {"manager_js"}
    assert b.version.settings["name"] == "普通" and approvers(b) == {"lead_js"}


def test_an_inactive_flow_is_not_used(org):
    make_flow(is_active=False)
    refused("no_flow", services.submit, actor=org.rep_js, record=account(org.rep_js))


def test_only_someone_who_may_edit_the_record_submits_it(org):
    make_flow()
    record = account(org.rep_js)
    with pytest.raises(PermissionDenied):
        services.submit(actor=org.rep_zj, record=record)
    assert not Approval.objects.exists()


def test_a_record_cannot_have_two_open_approvals(org):
    make_flow()
    record = account(org.rep_js)
    services.submit(actor=org.rep_js, record=record)
    refused("approval_open", services.submit, actor=org.rep_js, record=record)
    assert Approval.objects.count() == 1


# ---------------------------------------------------------------------------------- who approves
@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ({"approver_kind": "superior", "levels": 1}, {"lead_js"}),
        ({"approver_kind": "superior", "levels": 2}, {"manager_js"}),
        ({"approver_kind": "role"}, {"manager_js"}),
        ({"approver_kind": "submitter_department_head"}, {"lead_js"}),
        ({"approver_kind": "record_department_head"}, {"lead_js"}),
        ({"approver_kind": "users"}, {"rep_js2", "ops"}),
        (
            {"approver_kind": "user_field", "user_field": "owner"},
            {"lead_js"},
        ),  # the owner himself → his superior
    ],
)
def test_the_step_approvers_are_resolved_by_the_step_kind(org, step, expected):
    org.js_team.manager = org.lead_js
    org.js_team.save()
    if step["approver_kind"] == "role":
        step["role"] = org.roles["sales_manager"]
    if step["approver_kind"] == "users":
        step["user_ids"] = [org.rep_js2.pk, org.ops.pk]
    make_flow(steps=[step])
    approval = services.submit(actor=org.rep_js, record=account(org.rep_js))
    assert approvers(approval) == expected
    # Each approver is told.
    assert (
        set(
            Notification.objects.filter(kind="approval.waiting").values_list("recipient__username", flat=True)
        )
        == expected
    )


def test_the_department_head_is_found_up_the_tree(org):
    org.js.manager = org.manager_js
    org.js.save()
    make_flow(steps=[{"approver_kind": "submitter_department_head"}])
    approval = services.submit(actor=org.rep_js, record=account(org.rep_js))
    assert approvers(approval) == {"manager_js"}


def test_a_departed_approver_falls_back_to_his_superior_then_the_fallback_then_the_administrators(org):
    make_flow(steps=[{"approver_kind": "users", "user_ids": [org.lead_js.pk]}])
    org.lead_js.is_active = False
    org.lead_js.save()
    first = services.submit(actor=org.rep_js2, record=account(org.rep_js2))
    assert approvers(first) == {"manager_js"}  # lead_js's superior
    assert ApprovalEvent.objects.filter(approval=first, action="fallback").exists()

    org.manager_js.is_active = False
    org.manager_js.save()
    flow = make_flow(
        "customers.contact",
        name="联系人",
        steps=[{"approver_kind": "users", "user_ids": [org.lead_js.pk]}],
        fallback_approver=org.ops,
    )
    from lianke.core.objecttypes.registry import registry

    contact = registry.get("customers.contact").factory_class()(owner=org.rep_js2)
    second = services.submit(actor=org.rep_js2, record=contact)
    assert approvers(second) == {"ops"}
    flow.fallback_approver = None
    flow.save()
    services.withdraw(actor=org.rep_js2, approval=second)
    from lianke.approvals import versions

    versions.freeze(flow)
    third = services.submit(actor=org.rep_js2, record=contact)
    assert approvers(third) == {"admin"}


def test_a_step_nobody_can_approve_is_refused_and_nothing_is_written(org):
    org.admin.is_active = False
    org.admin.save()
    make_flow(steps=[{"approver_kind": "superior", "levels": 5}])
    record = account(org.rep_js)
    refused("no_approver", services.submit, actor=org.rep_js, record=record)
    assert not Approval.objects.exists() and not ApprovalTask.objects.exists()


def test_an_approver_out_of_office_has_his_tasks_go_to_his_delegate(org):
    from django.utils import timezone

    services.set_out_of_office(
        actor=org.lead_js,
        user=org.lead_js,
        delegate=org.rep_js2,
        starts_at=timezone.now() - timezone.timedelta(hours=1),
        ends_at=timezone.now() + timezone.timedelta(days=1),
    )
    make_flow()
    approval = services.submit(actor=org.rep_js, record=account(org.rep_js))
    assert approvers(approval) == {"rep_js2"}


def test_an_out_of_office_delegation_round_a_circle_is_refused(org):
    from django.utils import timezone

    now = timezone.now()
    services.set_out_of_office(
        actor=org.lead_js,
        user=org.lead_js,
        delegate=org.rep_js2,
        starts_at=now,
        ends_at=now + timezone.timedelta(days=2),
    )
    refused(
        "delegation_cycle",
        services.set_out_of_office,
        actor=org.rep_js2,
        user=org.rep_js2,
        delegate=org.lead_js,
        starts_at=now,
        ends_at=now + timezone.timedelta(days=1),
    )
    assert OutOfOffice.objects.count() == 1


# ---------------------------------------------------------------------------------- any / all
def test_under_any_the_first_decision_decides_the_step_and_the_others_are_told_it_is_decided(org):
    make_flow(steps=[{"approver_kind": "users", "user_ids": [org.lead_js.pk, org.manager_js.pk]}])
    record = account(org.rep_js)
    approval = services.submit(actor=org.rep_js, record=record)
    services.approve(actor=org.lead_js, approval=approval)
    approval.refresh_from_db()
    assert approval.status == Status.APPROVED
    before = state(approval)
    refused("already_decided", services.approve, actor=org.manager_js, approval=approval)
    refused("already_decided", services.approve, actor=org.lead_js, approval=approval)
    assert state(approval) == before
    assert Notification.objects.filter(kind="approval.decided", recipient=org.rep_js).exists()


def test_under_all_every_approver_must_approve(org):
    make_flow(
        steps=[
            {"approver_kind": "users", "user_ids": [org.lead_js.pk, org.manager_js.pk], "mode": "all"},
            {"approver_kind": "users", "user_ids": [org.ops.pk]},
        ]
    )
    approval = services.submit(actor=org.rep_js, record=account(org.rep_js))
    services.approve(actor=org.lead_js, approval=approval)
    approval.refresh_from_db()
    assert approval.step == 0 and approvers(approval) == {"manager_js"}
    services.approve(actor=org.manager_js, approval=approval)
    approval.refresh_from_db()
    assert approval.step == 1 and approvers(approval) == {"ops"}
    services.approve(actor=org.ops, approval=approval)
    approval.refresh_from_db()
    assert approval.status == Status.APPROVED


def test_under_all_one_rejection_rejects_the_approval(org):
    make_flow(
        steps=[{"approver_kind": "users", "user_ids": [org.lead_js.pk, org.manager_js.pk], "mode": "all"}]
    )
    approval = services.submit(actor=org.rep_js, record=account(org.rep_js))
    services.approve(actor=org.lead_js, approval=approval)
    services.reject(actor=org.manager_js, approval=approval, comment="客户信用不足")
    approval.refresh_from_db()
    assert approval.status == Status.REJECTED
    assert not ApprovalTask.objects.filter(approval=approval, status=TaskStatus.PENDING).exists()


def test_a_step_whose_condition_does_not_hold_is_skipped(org, stages):
    make_flow(
        "sales.opportunity",
        steps=[
            {"approver_kind": "superior", "levels": 1},
            {
                "approver_kind": "superior",
                "levels": 2,
                "condition": [{"field": "amount", "op": "gte", "value": "1000000"}],
            },
        ],
    )
    small = services.submit(actor=org.rep_js, record=opportunity(org.rep_js, amount=Decimal("100")))
    services.approve(actor=org.lead_js, approval=small)
    small.refresh_from_db()
    assert small.status == Status.APPROVED
    assert ApprovalEvent.objects.filter(approval=small, action="step_skipped").count() == 1
    big = services.submit(actor=org.rep_js, record=opportunity(org.rep_js, amount=Decimal("1000000")))
    services.approve(actor=org.lead_js, approval=big)
    big.refresh_from_db()
    assert big.status == Status.PENDING and approvers(big) == {"manager_js"}


def test_a_running_approval_keeps_its_version_when_the_flow_changes(org):
    from lianke.approvals import versions

    flow = make_flow()
    approval = services.submit(actor=org.rep_js, record=account(org.rep_js))
    ApprovalStep.objects.create(
        flow=flow, position=5, name="再审", approver_kind="users", user_ids=[org.ops.pk]
    )
    assert versions.freeze(flow).number == 2
    services.approve(actor=org.lead_js, approval=approval)
    approval.refresh_from_db()
    assert approval.status == Status.APPROVED and approval.version.number == 1


# ---------------------------------------------------------------------------------- actions and bad input
def test_rejecting_needs_a_reason_and_without_one_nothing_changes(org):
    make_flow()
    approval = services.submit(actor=org.rep_js, record=account(org.rep_js))
    before = state(approval)
    refused("required", services.reject, actor=org.lead_js, approval=approval, comment="  ")
    assert state(approval) == before


def test_someone_who_is_not_an_approver_cannot_decide(org):
    make_flow()
    approval = services.submit(actor=org.rep_js, record=account(org.rep_js))
    before = state(approval)
    exc = refused("not_an_approver", services.approve, actor=org.rep_zj, approval=approval)
    assert exc.status_code == 403
    assert state(approval) == before


def test_approving_ones_own_request_is_refused_where_the_flow_forbids_it(org):
    make_flow(steps=[{"approver_kind": "users", "user_ids": [org.rep_js.pk, org.lead_js.pk]}])
    approval = services.submit(actor=org.rep_js, record=account(org.rep_js))
    # The submitter was replaced by his superior when the step was resolved.
    assert approvers(approval) == {"lead_js"}
    refused("not_an_approver", services.approve, actor=org.rep_js, approval=approval)
    refused("self_approval", services.add_approver, actor=org.lead_js, approval=approval, user=org.rep_js)
    make_flow(
        "customers.contact",
        steps=[{"approver_kind": "users", "user_ids": [org.rep_js.pk]}],
        allow_self_approval=True,
    )
    from lianke.core.objecttypes.registry import registry

    contact = registry.get("customers.contact").factory_class()(owner=org.rep_js)
    own = services.submit(actor=org.rep_js, record=contact)
    services.approve(actor=org.rep_js, approval=own)
    own.refresh_from_db()
    assert own.status == Status.APPROVED


def test_withdraw_is_the_submitters_and_a_withdrawn_approval_cannot_be_decided(org):
    make_flow()
    approval = services.submit(actor=org.rep_js, record=account(org.rep_js))
    refused("not_the_submitter", services.withdraw, actor=org.lead_js, approval=approval)
    services.withdraw(actor=org.rep_js, approval=approval)
    before = state(approval)
    assert before[0] == Status.WITHDRAWN
    refused("already_decided", services.approve, actor=org.lead_js, approval=approval)
    refused("already_decided", services.withdraw, actor=org.rep_js, approval=approval)
    assert state(approval) == before


def test_return_for_changes_then_resubmit_starts_over(org):
    make_flow(steps=[{"approver_kind": "superior"}, {"approver_kind": "users", "user_ids": [org.ops.pk]}])
    record = account(org.rep_js)
    approval = services.submit(actor=org.rep_js, record=record)
    services.approve(actor=org.lead_js, approval=approval)
    services.return_(actor=org.ops, approval=approval, comment="请补充信用代码")
    approval.refresh_from_db()
    assert approval.status == Status.RETURNED
    assert Notification.objects.filter(kind="approval.returned", recipient=org.rep_js).exists()
    services.resubmit(actor=org.rep_js, approval=approval)
    approval.refresh_from_db()
    assert approval.status == Status.PENDING and approval.step == 0 and approvers(approval) == {"lead_js"}
    refused("not_open", services.resubmit, actor=org.rep_js, approval=approval)


def test_delegating_hands_the_task_on_and_a_circle_is_refused(org):
    make_flow()
    approval = services.submit(actor=org.rep_js, record=account(org.rep_js))
    refused("delegation_cycle", services.delegate, actor=org.lead_js, approval=approval, to=org.lead_js)
    services.delegate(actor=org.lead_js, approval=approval, to=org.manager_js, note="我出差")
    assert approvers(approval) == {"manager_js"}
    before = state(approval)
    refused("delegation_cycle", services.delegate, actor=org.manager_js, approval=approval, to=org.lead_js)
    assert state(approval) == before
    refused("already_decided", services.approve, actor=org.lead_js, approval=approval)
    services.approve(actor=org.manager_js, approval=approval)
    approval.refresh_from_db()
    assert approval.status == Status.APPROVED


def test_adding_an_approver_under_all_waits_for_him_too(org):
    make_flow(steps=[{"approver_kind": "superior", "mode": "all"}])
    approval = services.submit(actor=org.rep_js, record=account(org.rep_js))
    services.add_approver(actor=org.lead_js, approval=approval, user=org.ops)
    services.approve(actor=org.lead_js, approval=approval)
    approval.refresh_from_db()
    assert approval.status == Status.PENDING and approvers(approval) == {"ops"}
    services.approve(actor=org.ops, approval=approval)
    approval.refresh_from_db()
    assert approval.status == Status.APPROVED


def test_copied_people_are_told_and_may_see_the_approval(org):
    make_flow()
    approval = services.submit(actor=org.rep_js, record=account(org.rep_js))
    assert not services.may_see(org.rep_zj, approval)
    services.cc(actor=org.rep_js, approval=approval, users=[org.rep_zj])
    assert services.may_see(org.rep_zj, approval)
    assert Notification.objects.filter(kind="approval.cc", recipient=org.rep_zj).exists()
    refused("not_an_approver", services.cc, actor=org.rep_zj, approval=approval, users=[org.ops])


def test_urging_is_the_submitters_and_rate_limited(org):
    make_flow()
    approval = services.submit(actor=org.rep_js, record=account(org.rep_js))
    refused("not_the_submitter", services.urge, actor=org.rep_zj, approval=approval)
    services.urge(actor=org.rep_js, approval=approval)
    assert Notification.objects.filter(kind="approval.urged", recipient=org.lead_js).count() == 1
    exc = refused("rate_limited", services.urge, actor=org.rep_js, approval=approval)
    assert exc.status_code == 429
    assert Notification.objects.filter(kind="approval.urged").count() == 1


def test_comments_need_text_and_a_reader(org):
    make_flow()
    approval = services.submit(actor=org.rep_js, record=account(org.rep_js))
    refused("required", services.comment, actor=org.lead_js, approval=approval, comment="")
    refused("not_an_approver", services.comment, actor=org.rep_zj, approval=approval, comment="看看")
    services.comment(actor=org.lead_js, approval=approval, comment="请补充资料")
    assert Notification.objects.filter(kind="approval.commented", recipient=org.rep_js).exists()


def test_every_step_is_in_the_records_history(org):
    make_flow()
    record = account(org.rep_js)
    approval = services.submit(actor=org.rep_js, record=record, comment="请审批")
    services.approve(actor=org.lead_js, approval=approval, comment="同意")
    actions = [
        c.postchange_data["approval"]["action"]
        for c in audit.changes_of(record)
        if "approval" in (c.postchange_data or {})
    ]
    assert actions == ["approved", "submitted"]  # newest first
    assert {c.user_id for c in audit.changes_of(record) if "approval" in (c.postchange_data or {})} == {
        org.rep_js.pk,
        org.lead_js.pk,
    }
