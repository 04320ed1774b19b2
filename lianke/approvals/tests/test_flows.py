"""Flow settings: bad input is refused with a code naming the setting (a step without
approvers, a condition on an unknown field, an unknown type), and a change saved on the
settings page is history and a new version."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from lianke.approvals.models import ApprovalFlow, ApprovalStep, FlowVersion
from lianke.core.records import audit

pytestmark = pytest.mark.django_db


def codes(exc) -> dict:
    return {name: [e.code for e in errors] for name, errors in exc.error_dict.items()}


def test_a_flow_naming_what_its_type_does_not_have_is_refused(org):
    flow = ApprovalFlow(
        object_type="customers.account",
        name="x",
        condition=[{"field": "nonexistent", "op": "eq", "value": 1}],
    )
    with pytest.raises(ValidationError) as info:
        flow.full_clean()
    assert codes(info.value) == {"condition": ["unknown_field"]}
    flow.condition = [{"field": "name", "op": "like", "value": 1}]
    with pytest.raises(ValidationError) as info:
        flow.full_clean()
    assert codes(info.value) == {"condition": ["invalid_choice"]}
    flow = ApprovalFlow(object_type="no.such", name="x")
    with pytest.raises(ValidationError) as info:
        flow.full_clean()
    assert codes(info.value) == {"object_type": ["unknown_type"]}
    flow = ApprovalFlow(object_type="customers.account", name="x", exposed_fields=["name", "bogus"])
    with pytest.raises(ValidationError) as info:
        flow.full_clean()
    assert codes(info.value) == {"exposed_fields": ["unknown_field"]}


@pytest.mark.parametrize(
    ("kind", "field"), [("role", "role"), ("users", "user_ids"), ("user_field", "user_field")]
)
def test_a_step_without_its_approvers_is_refused(org, kind, field):
    flow = ApprovalFlow.objects.create(object_type="customers.account", name="x")
    with pytest.raises(ValidationError) as info:
        ApprovalStep(flow=flow, name="s", approver_kind=kind).full_clean()
    assert codes(info.value) == {field: ["no_approver"]}


def management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_the_settings_page_records_history_and_freezes_a_version(org, client_for):
    client = client_for(org.admin)
    data = {
        "object_type": "customers.account",
        "name": "客户报备",
        "position": "0",
        "is_active": "on",
        "trigger": "on_submit",
        "condition": "[]",
        "editable_fields": "[]",
        "exposed_fields": '["name"]',
        "on_approve": "{}",
        "on_reject": "{}",
        "amount_tolerance": "0",
        **management("steps", 1),
        "steps-0-position": "0",
        "steps-0-name": "上级审批",
        "steps-0-approver_kind": "superior",
        "steps-0-levels": "1",
        "steps-0-user_ids": "[]",
        "steps-0-mode": "any",
        "steps-0-condition": "[]",
    }
    without_steps = {**data, **management("steps", 0)}
    response = client.post("/admin/approvals/approvalflow/add/", without_steps)
    assert response.status_code == 200 and not ApprovalFlow.objects.exists()
    assert 'data-error-code="no_approver"' in response.content.decode()
    response = client.post("/admin/approvals/approvalflow/add/", data)
    assert response.status_code == 302
    flow = ApprovalFlow.objects.get()
    version = FlowVersion.objects.get(flow=flow)
    assert version.number == 1 and version.steps[0]["approver_kind"] == "superior"
    assert audit.changes_of(flow).count() == 1
    assert audit.changes_of(flow).first().postchange_data["steps"][0]["name"] == "上级审批"
