"""Deciding from a notification: an approval waiting for me shows Approve / Reject in its
notification's row on ``/notifications/`` while I am a current approver; deciding answers the
row (read now, the bell's count with it) through the inbox's own ``act`` view; a refusal is
shown in the row with its code, nothing changed; someone else's decision says
``already_decided``; another user's notification is a 404."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianke.approvals import services
from lianke.approvals.models import Status
from lianke.notifications.models import Notification

from .helpers import account, make_flow

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = "/notifications/"


def waiting(org, user_ids=None):
    """An approval of rep_js's account waiting for lead_js (or ``user_ids``, any one decides),
    and lead_js's notification of it."""
    if user_ids:
        make_flow(steps=[{"approver_kind": "users", "user_ids": user_ids}])
    else:
        make_flow()
    approval = services.submit(actor=org.rep_js, record=account(org.rep_js))
    return approval, Notification.objects.get(recipient=org.lead_js, kind="approval.waiting")


def decide(client, approval, action, notification, **data):
    return client.post(
        reverse("approvals:act", args=[approval.pk, action]),
        {"from": "notification", "notification": notification.pk, **data},
        **HTMX,
    )


def row_of(page: str, notification) -> str:
    """The notification's row in the list page (up to the next row)."""
    start = page.index(f'id="notification-{notification.pk}"')
    end = page.find('id="notification-', start + 1)
    return page[start : end if end != -1 else len(page)]


def test_the_approvers_notification_offers_approve_and_reject(org, client_for):
    approval, notification = waiting(org)
    page = client_for(org.lead_js).get(LIST).content.decode()
    row = row_of(page, notification)
    assert 'data-action="approve"' in row and 'data-action="reject-open"' in row
    assert f'hx-target="#notification-{notification.pk}"' in row
    # the submitter's own notifications offer no decision
    services.approve(actor=org.lead_js, approval=approval)
    mine = client_for(org.rep_js).get(LIST).content.decode()
    assert 'data-kind="approval.decided"' in mine
    assert 'data-action="approve"' not in mine


def test_approving_from_the_notification_decides_and_marks_it_read(org, client_for):
    approval, notification = waiting(org)
    answer = decide(client_for(org.lead_js), approval, "approve", notification)
    assert answer.status_code == 200
    body = answer.content.decode()
    assert f'id="notification-{notification.pk}"' in body and 'data-read="1"' in body
    assert "data-done" in body and 'data-action="approve"' not in body
    assert 'hx-swap-oob="innerHTML:#nav-bell"' in body
    approval.refresh_from_db()
    notification.refresh_from_db()
    assert approval.status == Status.APPROVED and notification.read_at is not None


def test_rejecting_needs_a_reason_and_a_refusal_changes_nothing(org, client_for):
    approval, notification = waiting(org)
    client = client_for(org.lead_js)
    refused = decide(client, approval, "reject", notification, comment="  ")
    assert refused.status_code == 200 and refused["X-Refusal-Code"] == "required"
    assert 'data-error-code="required"' in refused.content.decode()
    approval.refresh_from_db()
    notification.refresh_from_db()
    assert approval.status == Status.PENDING and notification.read_at is None
    done = decide(client, approval, "reject", notification, comment="价格过低")
    assert done.status_code == 200 and "X-Refusal-Code" not in done
    approval.refresh_from_db()
    assert approval.status == Status.REJECTED


def test_decided_by_someone_else_says_so_with_its_code(org, client_for):
    # given an "any one approves" step of lead_js and manager_js, and manager_js was quicker
    approval, notification = waiting(org, [org.lead_js.pk, org.manager_js.pk])
    services.approve(actor=org.manager_js, approval=approval)
    client = client_for(org.lead_js)
    # then lead_js's notification offers nothing and says it is decided
    row = row_of(client.get(LIST).content.decode(), notification)
    assert 'data-code="already_decided"' in row and 'data-action="approve"' not in row
    # and a decision sent from a page opened before is refused with already_decided, nothing
    # changes, and the notification is read (nothing is left to do)
    answer = decide(client, approval, "reject", notification, comment="不同意")
    assert answer["X-Refusal-Code"] == "already_decided" and answer["X-Refusal-Status"] == "409"
    assert 'data-error-code="already_decided"' in answer.content.decode()
    approval.refresh_from_db()
    notification.refresh_from_db()
    assert approval.status == Status.APPROVED and notification.read_at is not None


def test_another_users_notification_is_a_404_and_nothing_changes(org, client_for):
    approval, notification = waiting(org)
    answer = decide(client_for(org.rep_js2), approval, "approve", notification)
    assert answer.status_code == 404
    approval.refresh_from_db()
    notification.refresh_from_db()
    assert approval.status == Status.PENDING and notification.read_at is None


def test_someone_who_is_not_an_approver_is_refused_in_his_own_row(org, client_for):
    # rep_js2 is copied (he gets a notification he may keep), not an approver
    approval, _notification = waiting(org)
    services.cc(actor=org.rep_js, approval=approval, users=[org.rep_js2.pk])
    copied = Notification.objects.get(recipient=org.rep_js2, kind="approval.cc")
    page = client_for(org.rep_js2).get(LIST).content.decode()
    assert 'data-action="approve"' not in page
    answer = decide(client_for(org.rep_js2), approval, "approve", copied)
    assert answer["X-Refusal-Code"] == "not_an_approver"
    approval.refresh_from_db()
    copied.refresh_from_db()
    assert approval.status == Status.PENDING and copied.read_at is None


def test_the_list_asks_the_same_queries_for_two_or_eight_waiting_approvals(org, client_for):
    make_flow()
    client = client_for(org.lead_js)

    def count(n):
        for _ in range(n):
            services.submit(actor=org.rep_js, record=account(org.rep_js))
        with CaptureQueriesContext(connection) as queries:
            page = client.get(LIST).content.decode()
        return len(queries), page.count('data-action="approve"')

    count(1)  # caches warmed (content types, the session)
    two, shown_two = count(1)
    eight, shown_eight = count(6)
    assert (shown_two, shown_eight) == (2, 8)
    assert eight == two


def test_without_scripts_the_decision_goes_to_the_approvals_page_and_the_notification_is_read(
    org, client_for
):
    approval, notification = waiting(org)
    answer = client_for(org.lead_js).post(
        reverse("approvals:act", args=[approval.pk, "approve"]),
        {"from": "notification", "notification": notification.pk},
    )
    assert answer.status_code == 302 and answer["Location"] == reverse("approvals:detail", args=[approval.pk])
    approval.refresh_from_db()
    notification.refresh_from_db()
    assert approval.status == Status.APPROVED and notification.read_at is not None
