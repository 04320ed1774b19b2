"""The approvals' pages: the inbox and its counts, deciding from the list, an approval's page
(what an approver who may not read the record sees), every refusal shown with its code, the
printable sheet, "Submit for approval" and the lock banner on a record's page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianke.approvals import services
from lianke.approvals.models import Approval, ApprovalTask, Status
from lianke.core.objecttypes.registry import registry

from .helpers import account, make_flow

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def inbox(client, box="pending"):
    return client.get(reverse("approvals:inbox"), {"box": box})


def submitted(org, n=1, **flow):
    """``n`` accounts of rep_js submitted to his lead (a superior flow)."""
    if not Approval.objects.exists() and "flow" not in flow:
        make_flow(**flow)
    return [services.submit(actor=org.rep_js, record=account(org.rep_js)) for _ in range(n)]


# ---------------------------------------------------------------------------------- inbox
def test_the_approver_finds_the_request_pending_and_the_submitter_under_submitted(org, client_for):
    # given
    (approval,) = submitted(org)
    # when
    lead = inbox(client_for(org.lead_js))
    rep = inbox(client_for(org.rep_js), "submitted")
    rep_pending = inbox(client_for(org.rep_js))
    # then
    assert f'id="approval-{approval.pk}"' in lead.content.decode()
    assert 'data-action="approve"' in lead.content.decode()
    assert f'id="approval-{approval.pk}"' in rep.content.decode()
    assert 'data-action="approve"' not in rep.content.decode()
    assert f'id="approval-{approval.pk}"' not in rep_pending.content.decode()


def test_the_navigation_shows_the_pending_count_in_the_top_and_bottom_bars(org, client_for):
    submitted(org, 2)
    page = client_for(org.lead_js).get(reverse("home")).content.decode()
    assert page.count("data-approvals-pending>2<") == 2
    other = client_for(org.rep_zj).get(reverse("home")).content.decode()
    assert "data-approvals-pending" not in other


def test_the_pending_count_is_one_query_per_page_however_often_it_is_shown(org, client_for):
    submitted(org, 1)
    client = client_for(org.lead_js)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("home"))
    counts = [q["sql"] for q in queries.captured_queries if "approvals_approvaltask" in q["sql"]]
    assert len(counts) == 1, counts


def test_the_inbox_costs_the_same_queries_for_two_requests_as_for_twenty(org, client_for):
    submitted(org, 2)
    client = client_for(org.lead_js)
    inbox(client)
    with CaptureQueriesContext(connection) as few:
        inbox(client)
    for _ in range(18):
        services.submit(actor=org.rep_js, record=account(org.rep_js))
    with CaptureQueriesContext(connection) as many:
        page = inbox(client)
    assert page.content.decode().count('class="list-group-item approval-row"') == 20
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_the_inbox_pages_newest_first_by_keyset(org, client_for):
    approvals = submitted(org, 27)
    client = client_for(org.lead_js)
    first = inbox(client).content.decode()
    assert first.index(f'id="approval-{approvals[-1].pk}"') < first.index(f'id="approval-{approvals[-2].pk}"')
    assert f'id="approval-{approvals[0].pk}"' not in first
    cursor = first.split("after=")[1].split('"')[0].replace("&amp;", "&")
    rest = client.get(
        reverse("approvals:inbox"), {"box": "pending", "after": cursor}, **HTMX
    ).content.decode()
    assert f'id="approval-{approvals[0].pk}"' in rest and f'id="approval-{approvals[-1].pk}"' not in rest
    assert client.get(reverse("approvals:inbox"), {"after": "garbage"}).status_code == 302


def test_approving_from_the_list_answers_the_row_decided(org, client_for):
    (approval,) = submitted(org)
    url = reverse("approvals:act", args=[approval.pk, "approve"])
    answer = client_for(org.lead_js).post(url, {"from": "list", "box": "pending"}, **HTMX)
    assert answer.status_code == 200
    assert 'data-status="approved"' in answer.content.decode()
    approval.refresh_from_db()
    assert approval.status == Status.APPROVED


def test_deciding_twice_from_the_list_shows_already_decided_and_changes_nothing(org, client_for):
    (approval,) = submitted(org)
    client = client_for(org.lead_js)
    url = reverse("approvals:act", args=[approval.pk, "approve"])
    client.post(url, {"from": "list"}, **HTMX)
    again = client.post(
        reverse("approvals:act", args=[approval.pk, "reject"]), {"from": "list", "comment": "x"}, **HTMX
    )
    assert 'data-error-code="already_decided"' in again.content.decode()
    assert again["X-Refusal-Status"] == "409"
    approval.refresh_from_db()
    assert approval.status == Status.APPROVED


def test_rejecting_without_a_reason_is_refused_naming_it(org, client_for):
    (approval,) = submitted(org)
    answer = client_for(org.lead_js).post(
        reverse("approvals:act", args=[approval.pk, "reject"]), {"from": "list", "comment": "  "}, **HTMX
    )
    assert 'data-error-code="required"' in answer.content.decode()
    approval.refresh_from_db()
    assert approval.status == Status.PENDING


# ---------------------------------------------------------------------------------- detail
def test_an_approver_who_may_not_read_the_record_sees_only_the_exposed_fields(org, client_for):
    # given: rep_js2 approves rep_js's account, which his scope (own records) does not reach
    make_flow(
        steps=[{"approver_kind": "users", "user_ids": [org.rep_js2.pk]}], exposed_fields=["name", "city"]
    )
    record = account(org.rep_js, name="苏州精工", city="苏州", address="工业园区星湖街 328 号")
    approval = services.submit(actor=org.rep_js, record=record)
    # when
    page = client_for(org.rep_js2).get(reverse("approvals:detail", args=[approval.pk]))
    # then
    html = page.content.decode()
    assert page.status_code == 200
    assert "苏州精工" in html and "苏州" in html
    assert "星湖街" not in html
    assert 'id="open-record"' not in html
    assert (
        client_for(org.rep_js2).get(registry.get("customers.account").record_url(record.pk)).status_code
        == 404
    )
    # the submitter, who may read it, gets the link
    assert (
        'id="open-record"'
        in client_for(org.rep_js).get(reverse("approvals:detail", args=[approval.pk])).content.decode()
    )


def test_someone_outside_the_approval_gets_404_and_cannot_act(org, client_for):
    (approval,) = submitted(org)
    client = client_for(org.rep_zj)
    assert client.get(reverse("approvals:detail", args=[approval.pk])).status_code == 404
    assert client.get(reverse("approvals:sheet", args=[approval.pk])).status_code == 404
    assert client.post(reverse("approvals:act", args=[approval.pk, "approve"])).status_code == 404
    approval.refresh_from_db()
    assert approval.status == Status.PENDING


def test_the_page_offers_each_person_his_actions(org, client_for):
    (approval,) = submitted(org)
    url = reverse("approvals:detail", args=[approval.pk])
    lead = client_for(org.lead_js).get(url).content.decode()
    rep = client_for(org.rep_js).get(url).content.decode()
    for button in ("do-approve", "do-reject", "do-return", "do-delegate", "do-add-approver"):
        assert button in lead and button not in rep
    for button in ("do-withdraw", "do-urge"):
        assert button in rep and button not in lead


@pytest.mark.parametrize(
    ("who", "action", "data", "code", "status"),
    [
        ("lead_js", "withdraw", {}, "not_the_submitter", 403),
        ("rep_js", "approve", {}, "not_an_approver", 403),
        ("lead_js", "reject", {"comment": ""}, "required", 400),
        ("lead_js", "delegate", {"to": "lead_js"}, "delegation_cycle", 400),
        ("lead_js", "delegate", {"to": "999999"}, "invalid_choice", 400),
        # digits that are no id: a superscript, Arabic-Indic, too large for a key
        ("lead_js", "delegate", {"to": "²"}, "invalid_choice", 400),
        ("lead_js", "add_approver", {"user": "٣"}, "invalid_choice", 400),
        ("lead_js", "delegate", {"to": "9" * 25}, "invalid_choice", 400),
        ("rep_js", "resubmit", {}, "not_open", 409),
        ("rep_js", "comment", {"comment": ""}, "required", 400),
    ],
)
def test_a_refused_action_shows_its_code_and_changes_nothing(
    org, client_for, who, action, data, code, status
):
    (approval,) = submitted(org)
    data = {k: str(getattr(org, v).pk) if v == "lead_js" else v for k, v in data.items()}
    tasks = list(ApprovalTask.objects.values_list("pk", "status", "approver_id"))
    answer = client_for(getattr(org, who)).post(reverse("approvals:act", args=[approval.pk, action]), data)
    assert answer.status_code == status
    assert f'data-error-code="{code}"' in answer.content.decode()
    approval.refresh_from_db()
    assert approval.status == Status.PENDING
    assert list(ApprovalTask.objects.values_list("pk", "status", "approver_id")) == tasks


def test_a_notification_or_flow_number_that_is_no_id_is_a_404_or_ignored(org, client_for):
    (approval,) = submitted(org)
    lead = client_for(org.lead_js)
    answer = lead.post(
        reverse("approvals:act", args=[approval.pk, "approve"]), {"from": "notification", "notification": "²"}
    )
    assert answer.status_code == 404
    approval.refresh_from_db()
    assert approval.status == Status.PENDING
    admin = client_for(org.admin)
    test_run = reverse("approval_flows:test_run") + "?type=customers.account&flow=²&record=1"
    assert admin.get(test_run).status_code == 200


def test_urging_twice_is_rate_limited(org, client_for):
    (approval,) = submitted(org)
    client = client_for(org.rep_js)
    url = reverse("approvals:act", args=[approval.pk, "urge"])
    assert client.post(url).status_code == 302
    again = client.post(url)
    assert again.status_code == 429 and 'data-error-code="rate_limited"' in again.content.decode()


def test_delegating_comment_copy_and_withdraw_through_the_page(org, client_for):
    (approval,) = submitted(org)
    lead = client_for(org.lead_js)
    act = lambda client, action, data: client.post(reverse("approvals:act", args=[approval.pk, action]), data)  # noqa: E731
    assert act(lead, "cc", {"users": [org.ops.pk]}).status_code == 302
    assert act(lead, "comment", {"comment": "看一下信用"}).status_code == 302
    assert act(lead, "delegate", {"to": org.manager_js.pk, "comment": "我出差"}).status_code == 302
    assert ApprovalTask.objects.filter(approval=approval, approver=org.manager_js, status="pending").exists()
    page = client_for(org.ops).get(reverse("approvals:detail", args=[approval.pk])).content.decode()
    assert "看一下信用" in page and "我出差" in page
    assert act(client_for(org.rep_js), "withdraw", {}).status_code == 302
    approval.refresh_from_db()
    assert approval.status == Status.WITHDRAWN


def test_the_sheet_shows_the_company_and_each_decision(org, client_for):
    (approval,) = submitted(org, exposed_fields=["name"])
    services.approve(actor=org.lead_js, approval=approval, comment="同意报备")
    page = client_for(org.rep_js).get(reverse("approvals:sheet", args=[approval.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "大明集团" in html and "同意报备" in html and str(org.lead_js) in html
    assert "data-print" in html


# ---------------------------------------------------------------------------------- record page
def test_a_record_of_a_type_with_a_flow_offers_submit_and_then_shows_the_lock(org, client_for):
    make_flow()
    record = account(org.rep_js)
    client = client_for(org.rep_js)
    url = registry.get("customers.account").record_url(record.pk)
    assert 'id="submit-approval"' in client.get(url).content.decode()
    ct = record.__class__
    from django.contrib.contenttypes.models import ContentType

    answer = client.post(
        reverse("approvals:submit", args=[ContentType.objects.get_for_model(ct).pk, record.pk])
    )
    approval = Approval.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse("approvals:detail", args=[approval.pk])
    page = client.get(url).content.decode()
    assert 'id="approval-banner"' in page and 'id="submit-approval"' not in page
    # the flow switched off meanwhile: the record stays locked, and its page still says so
    from lianke.approvals import flows

    flows.set_active(actor=org.admin, flow=approval.flow, active=False)
    assert 'id="approval-banner"' in client.get(url).content.decode()


def test_a_type_without_a_flow_shows_no_approval_panel(org, client_for):
    record = account(org.rep_js)
    page = (
        client_for(org.rep_js).get(registry.get("customers.account").record_url(record.pk)).content.decode()
    )
    assert 'id="approval-panel"' not in page


def test_someone_who_may_not_edit_the_record_is_not_offered_submit_and_cannot_submit(org, client_for):
    from django.contrib.contenttypes.models import ContentType

    make_flow()
    record = account(org.rep_js)
    client = client_for(org.rep_zj)
    ct = ContentType.objects.get_for_model(type(record)).pk
    assert client.post(reverse("approvals:submit", args=[ct, record.pk])).status_code == 404
    assert not Approval.objects.exists()


def test_the_tabs_count_each_box(org, client_for):
    first, second, third = submitted(org, 3)
    services.approve(actor=org.lead_js, approval=first)
    services.cc(actor=org.rep_js, approval=second, users=[org.ops.pk])
    lead = inbox(client_for(org.lead_js)).content.decode()
    assert 'data-count="pending">2<' in lead and 'data-count="decided">1<' in lead
    assert 'data-count="submitted"' not in lead
    rep = inbox(client_for(org.rep_js), "submitted").content.decode()
    assert 'data-count="submitted">3<' in rep and 'data-count="pending"' not in rep
    ops = inbox(client_for(org.ops), "copied").content.decode()
    assert 'data-count="copied">1<' in ops and f'id="approval-{second.pk}"' in ops
