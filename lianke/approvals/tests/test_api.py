"""The approvals API: the inbox boxes, the detail, every action's answer and refusal codes, the
``submit`` record action, and who sees what — in the style of the permission matrix: each
outsider is refused (404) and nothing changes; an approver who may not read the record sees
the flow's exposed fields and nothing more."""

from __future__ import annotations

import pytest

from lianke.approvals import services
from lianke.approvals.models import Approval, ApprovalTask, Status

from .helpers import account, make_flow

pytestmark = pytest.mark.django_db


@pytest.fixture
def flow(org):
    return make_flow(
        exposed_fields=["name", "level"],
        steps=[{"approver_kind": "users", "user_ids": [org.rep_zj.pk, org.lead_js.pk]}],
    )


@pytest.fixture
def pending(org, flow):
    record = account(org.rep_js, name="江苏沙钢集团", level="a", phone="0512-55550000")
    return record, services.submit(actor=org.rep_js, record=record)


def snapshot(approval):
    approval.refresh_from_db()
    return (
        approval.status,
        approval.step,
        sorted(ApprovalTask.objects.filter(approval=approval).values_list("pk", "status")),
    )


def test_submit_through_the_record_api_opens_an_approval(org, flow, api_for):
    record = account(org.rep_js)
    response = api_for(org.rep_js).post(
        f"/api/customers/accounts/{record.pk}/submit/", {"comment": "请审批"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending" and body["readable"] is True and body["record_url"]
    assert {t["approver"]["id"] for t in body["tasks"]} == {org.rep_zj.pk, org.lead_js.pk}


def test_submit_without_a_flow_is_a_400_with_its_code(org, api_for):
    record = account(org.rep_js)
    response = api_for(org.rep_js).post(f"/api/customers/accounts/{record.pk}/submit/", {}, format="json")
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]] == ["no_flow"]
    assert not Approval.objects.exists()


def test_submit_is_refused_to_someone_who_may_not_edit_the_record(org, flow, api_for):
    record = account(org.rep_js)
    assert (
        api_for(org.rep_zj)
        .post(f"/api/customers/accounts/{record.pk}/submit/", {}, format="json")
        .status_code
        == 404
    )
    assert (
        api_for(org.ops).post(f"/api/customers/accounts/{record.pk}/submit/", {}, format="json").status_code
        == 403
    )
    assert not Approval.objects.exists()


def test_the_boxes(org, pending, api_for):
    _record, approval = pending

    def ids(user, box):
        return [row["id"] for row in api_for(user).get(f"/api/approvals/?box={box}").json()["results"]]

    assert ids(org.rep_zj, "pending") == [approval.pk]
    assert ids(org.rep_js, "submitted") == [approval.pk]
    assert ids(org.rep_js, "pending") == []
    assert ids(org.rep_zj, "decided") == []
    services.approve(actor=org.rep_zj, approval=approval)
    assert ids(org.rep_zj, "pending") == [] and ids(org.lead_js, "pending") == []
    assert ids(org.rep_zj, "decided") == [approval.pk]
    bad = api_for(org.rep_js).get("/api/approvals/?box=nonsense")
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "invalid_choice"


def test_the_pending_count_for_the_navigation(org, pending, api_for):
    assert api_for(org.rep_zj).get("/api/approvals/count/").json() == {"pending": 1}
    assert api_for(org.rep_js).get("/api/approvals/count/").json() == {"pending": 0}


def test_an_approver_who_may_not_read_the_record_sees_only_the_exposed_fields(org, pending, api_for):
    record, approval = pending
    body = api_for(org.rep_zj).get(f"/api/approvals/{approval.pk}/").json()
    assert body["readable"] is False and body["record_url"] == ""
    assert set(body["fields"]) == {"name", "level"}
    assert body["fields"]["name"]["value"] == "江苏沙钢集团"
    assert "0512" not in str(body)  # the phone is not exposed
    assert body["my_task"] is not None
    # … and the record itself stays out of his reach.
    assert api_for(org.rep_zj).get(f"/api/customers/accounts/{record.pk}/").status_code == 404
    manager = api_for(org.manager_js).get(f"/api/approvals/{approval.pk}/").json()
    assert manager["readable"] is True and manager["my_task"] is None


@pytest.mark.parametrize("outsider", ["rep_js2", "nobody"])  # a colleague with his own scope; no role
def test_outsiders_neither_see_nor_decide_an_approval(org, pending, api_for, outsider):
    _record, approval = pending
    client = api_for(getattr(org, outsider))
    before = snapshot(approval)
    assert approval.pk not in [r["id"] for r in client.get("/api/approvals/").json()["results"]]
    assert client.get(f"/api/approvals/{approval.pk}/").status_code == 404
    for verb in ("approve", "reject", "return", "withdraw", "comment", "delegate", "urge"):
        response = client.post(
            f"/api/approvals/{approval.pk}/{verb}/", {"comment": "x", "to": org.ops.pk}, format="json"
        )
        assert response.status_code == 404, (verb, response.status_code)
    assert snapshot(approval) == before


def test_readers_of_the_record_see_its_approval_but_cannot_decide(org, pending, api_for):
    _record, approval = pending
    client = api_for(org.ops)  # scope all: reads every account
    assert client.get(f"/api/approvals/{approval.pk}/").status_code == 200
    before = snapshot(approval)
    response = client.post(f"/api/approvals/{approval.pk}/approve/", {}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "not_an_approver"
    assert snapshot(approval) == before


def test_deciding_twice_and_losing_an_any_step_are_409(org, pending, api_for):
    _record, approval = pending
    assert (
        api_for(org.rep_zj)
        .post(f"/api/approvals/{approval.pk}/approve/", {"comment": "同意"}, format="json")
        .status_code
        == 200
    )
    for user in (org.rep_zj, org.lead_js):
        response = api_for(user).post(f"/api/approvals/{approval.pk}/approve/", {}, format="json")
        assert response.status_code == 409 and response.json()["code"] == "already_decided", user


def test_reject_needs_a_reason(org, pending, api_for):
    _record, approval = pending
    before = snapshot(approval)
    response = api_for(org.rep_zj).post(
        f"/api/approvals/{approval.pk}/reject/", {"comment": ""}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "comment", "code": "required", "message": response.json()["errors"][0]["message"]}
    ]
    assert snapshot(approval) == before
    ok = api_for(org.rep_zj).post(
        f"/api/approvals/{approval.pk}/reject/", {"comment": "重复客户"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["status"] == Status.REJECTED


def test_withdraw_comment_delegate_and_urge(org, pending, api_for):
    _record, approval = pending
    submitter, approver = api_for(org.rep_js), api_for(org.lead_js)
    assert (
        approver.post(f"/api/approvals/{approval.pk}/withdraw/", {}, format="json").json()["code"]
        == "not_the_submitter"
    )
    assert (
        approver.post(
            f"/api/approvals/{approval.pk}/comment/", {"comment": "请补充"}, format="json"
        ).status_code
        == 200
    )
    cycle = approver.post(f"/api/approvals/{approval.pk}/delegate/", {"to": org.lead_js.pk}, format="json")
    assert cycle.status_code == 400 and cycle.json()["errors"][0]["code"] == "delegation_cycle"
    moved = approver.post(
        f"/api/approvals/{approval.pk}/delegate/", {"to": org.manager_js.pk, "note": "出差"}, format="json"
    )
    assert moved.status_code == 200
    assert submitter.post(f"/api/approvals/{approval.pk}/urge/", format="json").status_code == 200
    limited = submitter.post(f"/api/approvals/{approval.pk}/urge/", format="json")
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    done = submitter.post(f"/api/approvals/{approval.pk}/withdraw/", {}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "withdrawn"
    again = api_for(org.manager_js).post(f"/api/approvals/{approval.pk}/approve/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_decided"


def test_an_api_edit_of_a_locked_record_is_refused_with_record_locked(org, pending, api_for):
    record, _approval = pending
    response = api_for(org.rep_js).patch(
        f"/api/customers/accounts/{record.pk}/", {"city": "苏州"}, format="json"
    )
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]] == ["record_locked"]
    response = api_for(org.rep_js).post(
        "/api/customers/accounts/bulk-update/",
        {"ids": [record.pk], "field": "city", "value": "苏州"},
        format="json",
    )
    assert response.status_code == 400
    assert "record_locked" in str(response.json())
    record.refresh_from_db()
    assert record.city == ""


def test_the_records_history_tells_each_step_in_the_readers_language(org, pending, api_for):
    record, approval = pending
    services.reject(actor=org.rep_zj, approval=approval, comment="信用不足")
    client = api_for(org.rep_js)
    english = client.get(f"/api/customers/accounts/{record.pk}/history/", HTTP_ACCEPT_LANGUAGE="en").json()
    events = [e for entry in english["results"] if entry["badge"] == "Approval" for e in entry["events"]]
    assert events == ["Rejected (测试审批): 信用不足", "Submitted (测试审批)"]
    chinese = client.get(
        f"/api/customers/accounts/{record.pk}/history/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).json()
    assert "已提交（测试审批）" in [e for entry in chinese["results"] for e in entry["events"]]


def test_the_inbox_reads_a_page_in_the_same_queries_whatever_its_length(org, flow, api_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_for(org.rep_zj)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/approvals/?box=pending").status_code == 200
        return len(captured)

    services.submit(actor=org.rep_js, record=account(org.rep_js))
    queries()  # the first request reads the token's user and the configuration
    one = queries()
    for _ in range(9):
        services.submit(actor=org.rep_js, record=account(org.rep_js))
    assert queries() == one


def test_a_pending_approval_is_told_as_waiting_for_approval_not_as_an_unsent_message(org, pending):
    """ "Pending" means two things in the product: an approval waiting for a decision (待审批)
    and a message the outbox has not sent yet (待发送); each says its own."""
    from django.utils import translation

    from lianke.outbox.models import OutboxMessage

    _record, approval = pending
    with translation.override("zh-hans"):
        assert approval.get_status_display() == "待审批"
        assert approval.tasks.first().get_status_display() == "待审批"
        assert OutboxMessage(status=OutboxMessage.Status.PENDING).get_status_display() == "待发送"
