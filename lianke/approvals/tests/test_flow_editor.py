"""Settings › Approval flows: administrators only; a flow saved with its steps lands in history
and gets a new version; bad settings are refused naming the rule, nothing changed; the test run
shows the matching flow and whom each step resolves to, writing nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lianke.approvals.forms import parse_condition, show_condition
from lianke.approvals.models import Approval, ApprovalFlow, ApprovalStep, FlowVersion
from lianke.core.models import ObjectChange
from lianke.notifications.models import Notification

from .helpers import account, make_flow

pytestmark = pytest.mark.django_db


def flow_post(steps, **values):
    data = {
        "name": "大客户报备",
        "position": "1",
        "is_active": "on",
        "trigger": "condition",
        "condition": "name != 测试",
        "exposed_fields": ["name", "city"],
        "editable_fields": ["description"],
        "on_approve": "",
        "on_reject": "",
        "amount_tolerance": "0",
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "20",
    }
    for i, step in enumerate(steps):
        for key, value in {"mode": "any", "levels": "1", **step}.items():
            data[f"steps-{i}-{key}"] = value
    data.update(values)
    return data


def new_flow_url():
    return reverse("approval_flows:create") + "?type=customers.account"


@pytest.mark.parametrize("who", ["manager_js", "rep_js", "ops"])
def test_only_administrators_reach_the_flow_editor(org, client_for, who):
    flow = make_flow()
    client = client_for(getattr(org, who))
    for url in (
        reverse("approval_flows:list"),
        new_flow_url(),
        reverse("approval_flows:edit", args=[flow.pk]),
        reverse("approval_flows:test_run") + "?type=customers.account&record=1",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(new_flow_url(), flow_post([{"approver_kind": "superior"}])).status_code == 403
    assert client.post(reverse("approval_flows:toggle", args=[flow.pk])).status_code == 403
    assert ApprovalFlow.objects.count() == 1 and ApprovalFlow.objects.get().is_active


def test_an_administrator_creates_a_flow_with_steps_in_history_and_a_version(org, client_for):
    client = client_for(org.admin)
    answer = client.post(
        new_flow_url(),
        flow_post(
            [
                {"name": "主管", "approver_kind": "superior", "levels": "1", "time_limit_hours": "24"},
                {
                    "name": "经理",
                    "approver_kind": "users",
                    "user_ids": [str(org.manager_js.pk)],
                    "mode": "all",
                },
            ]
        ),
    )
    flow = ApprovalFlow.objects.get()
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert flow.condition == [{"field": "name", "op": "ne", "value": "测试"}]
    assert flow.exposed_fields == ["name", "city"]
    assert list(flow.steps.values_list("name", "approver_kind", "mode", "time_limit_hours")) == [
        ("主管", "superior", "any", 24),
        ("经理", "users", "all", None),
    ]
    assert FlowVersion.objects.get(flow=flow).steps[1]["user_ids"] == [org.manager_js.pk]
    change = ObjectChange.objects.get(object_id=flow.pk, content_type__model="approvalflow")
    assert change.action == ObjectChange.ActionChoices.CREATE and change.user_id == org.admin.pk
    assert "大客户报备" in client.get(reverse("approval_flows:list")).content.decode()


def test_changing_a_flow_records_old_and_new_and_adds_a_version_running_approvals_keep_theirs(
    org, client_for
):
    flow = make_flow(exposed_fields=["name"])
    running = __import__("lianke.approvals.services", fromlist=["submit"]).submit(
        actor=org.rep_js, record=account(org.rep_js)
    )
    client = client_for(org.admin)
    answer = client.post(
        reverse("approval_flows:edit", args=[flow.pk]),
        flow_post([{"name": "经理审批", "approver_kind": "superior", "levels": "2"}], name="改过的"),
    )
    assert answer.status_code == 302
    assert FlowVersion.objects.filter(flow=flow).count() == 2
    change = ObjectChange.objects.filter(object_id=flow.pk, content_type__model="approvalflow").latest("id")
    assert change.action == ObjectChange.ActionChoices.UPDATE
    running.refresh_from_db()
    assert running.version.number == 1 and running.version.steps[0]["approver_kind"] == "superior"
    assert running.version.steps[0]["levels"] == 1


@pytest.mark.parametrize(
    ("steps", "values", "code"),
    [
        ([], {}, "no_approver"),
        ([{"approver_kind": "role"}], {}, "required"),
        ([{"approver_kind": "users"}], {}, "required"),
        ([{"approver_kind": "superior", "condition": "nosuchfield > 3"}], {}, "unknown_field"),
        ([{"approver_kind": "superior"}], {"condition": "amount is big"}, "invalid"),
        ([{"approver_kind": "superior"}], {"condition": "nosuch = 1"}, "unknown_field"),
        ([{"approver_kind": "superior"}], {"on_approve": "nosuch = 1"}, "unknown_field"),
    ],
)
def test_bad_flow_settings_are_refused_naming_the_rule_and_nothing_is_saved(
    org, client_for, steps, values, code
):
    answer = client_for(org.admin).post(new_flow_url(), flow_post(steps, **values))
    assert answer.status_code == 400
    assert f'data-error-code="{code}"' in answer.content.decode()
    assert not ApprovalFlow.objects.exists() and not ApprovalStep.objects.exists()
    assert not ObjectChange.objects.filter(content_type__model="approvalflow").exists()


def test_switching_a_flow_off_is_recorded(org, client_for):
    flow = make_flow()
    client_for(org.admin).post(reverse("approval_flows:toggle", args=[flow.pk]))
    flow.refresh_from_db()
    assert not flow.is_active
    assert ObjectChange.objects.filter(object_id=flow.pk, content_type__model="approvalflow").exists()


def test_the_test_run_shows_the_matching_flow_and_its_approvers_and_writes_nothing(org, client_for):
    make_flow(
        name="不适用",
        position=0,
        trigger="condition",
        condition=[{"field": "city", "op": "eq", "value": "杭州"}],
    )
    flow = make_flow(
        name="报备",
        position=1,
        steps=[
            {"name": "主管", "approver_kind": "superior"},
            {
                "name": "苏州才审",
                "approver_kind": "users",
                "user_ids": [org.ops.pk],
                "condition": [{"field": "city", "op": "eq", "value": "苏州"}],
            },
        ],
    )
    record = account(org.rep_js, city="南京")
    counts = (Approval.objects.count(), ObjectChange.objects.count(), Notification.objects.count())
    page = client_for(org.admin).get(
        reverse("approval_flows:test_run"), {"type": "customers.account", "record": record.pk}
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert f'data-run-flow="{flow.pk}" data-matches="1"' in html
    assert str(org.lead_js) in html  # rep_js's superior
    assert "苏州才审" in html and str(org.ops) not in html.split("苏州才审")[1].split("</li>")[0]
    assert (Approval.objects.count(), ObjectChange.objects.count(), Notification.objects.count()) == counts


def test_the_test_run_of_an_unknown_record_says_so(org, client_for):
    make_flow()
    page = client_for(org.admin).get(
        reverse("approval_flows:test_run"),
        {"type": "customers.account", "record": 999999},
        HTTP_HX_REQUEST="true",
    )
    assert 'data-error-code="does_not_exist"' in page.content.decode()


def test_conditions_are_written_and_shown_one_rule_a_line():
    rules = parse_condition("amount >= 1000000\nindustry in steel, auto\ncf_region != 华东")
    assert rules == [
        {"field": "amount", "op": "gte", "value": 1000000},
        {"field": "industry", "op": "in", "value": ["steel", "auto"]},
        {"field": "cf_region", "op": "ne", "value": "华东"},
    ]
    assert parse_condition(show_condition(rules)) == rules


def test_a_flow_is_made_for_customer_registration_in_the_editor_and_only_where_that_fits(org, client_for):
    client = client_for(org.admin)
    page = client.get(new_flow_url()).content.decode()
    assert 'value="customers.registration"' in page and 'value="customers.transfer_request"' in page
    lead_page = client.get(reverse("approval_flows:create") + "?type=marketing.lead").content.decode()
    assert 'value="customers.registration"' not in lead_page
    answer = client.post(
        new_flow_url(), flow_post([{"approver_kind": "superior"}], purpose="customers.registration")
    )
    assert answer.status_code == 302
    flow = ApprovalFlow.objects.get()
    assert flow.purpose == "customers.registration"
    listed = client.get(reverse("approval_flows:list")).content.decode()
    assert 'data-purpose="customers.registration"' in listed
    # a rep's registration now goes through it
    from lianke.approvals import services

    approval = services.submit(
        actor=org.rep_js, record=account(org.rep_js, name="常州新材料"), purpose="customers.registration"
    )
    assert approval.flow_id == flow.pk


def test_a_purpose_of_another_type_is_refused_and_nothing_is_saved(org, client_for):
    answer = client_for(org.admin).post(
        reverse("approval_flows:create") + "?type=marketing.lead",
        flow_post(
            [{"approver_kind": "superior"}],
            purpose="customers.registration",
            exposed_fields=[],
            editable_fields=[],
            condition="",
        ),
    )
    assert answer.status_code == 400
    assert 'data-error-code="invalid_choice"' in answer.content.decode()
    assert not ApprovalFlow.objects.exists()
    from django.core.exceptions import ValidationError

    from lianke.approvals import flows

    with pytest.raises(ValidationError) as info:
        flows.save_flow(
            actor=org.admin,
            flow=None,
            object_type="marketing.lead",
            values={"name": "线索", "purpose": "customers.registration", "trigger": "on_submit"},
            steps=[{"approver_kind": "superior"}],
        )
    assert info.value.error_dict["purpose"][0].code == "invalid_choice"
    assert not ApprovalFlow.objects.exists()


def test_the_large_export_flow_is_edited_in_the_product(org, client_for):
    from lianke.approvals import exports

    exports.default_flow()
    flow = ApprovalFlow.objects.get(object_type=exports.OBJECT_TYPE)
    client = client_for(org.admin)
    listed = client.get(reverse("approval_flows:list")).content.decode()
    assert f'data-type="{exports.OBJECT_TYPE}"' in listed and f'data-flow="{flow.pk}"' in listed
    page = client.get(reverse("approval_flows:edit", args=[flow.pk])).content.decode()
    assert 'value="rows"' in page  # the request's row count is a field conditions can use
    answer = client.post(
        reverse("approval_flows:edit", args=[flow.pk]),
        flow_post(
            [{"approver_kind": "users", "user_ids": [str(org.ops.pk)]}],
            name="大批量导出",
            purpose=exports.PURPOSE,
            trigger="on_submit",
            condition="rows >= 1000",
            exposed_fields=["rows", "reason"],
            editable_fields=["*"],
        ),
    )
    assert answer.status_code == 302, (
        answer.context["form"].errors,
        answer.context["formset"].errors,
        answer.context["steps_errors"],
    )
    flow.refresh_from_db()
    assert flow.purpose == exports.PURPOSE and flow.condition == [
        {"field": "rows", "op": "gte", "value": 1000}
    ]
    assert list(flow.steps.values_list("approver_kind", "user_ids")) == [("users", [org.ops.pk])]
