"""The out-of-office delegation in the profile (``/profile/out-of-office/``) and the API
(``/api/approvals/out-of-office/``): setting, changing and ending it early, every change in
history, the refusals with their codes (nothing written), the inbox's banner for the one away
and the mark on the tasks his delegate receives, and two saves at once."""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.error
import urllib.request

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lianke.approvals import services
from lianke.approvals.models import ApprovalTask, OutOfOffice
from lianke.core.models import ObjectChange

from .helpers import account, make_flow

pytestmark = pytest.mark.django_db

PAGE = "/profile/out-of-office/"
API = "/api/approvals/out-of-office/"


def local(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def history():
    ct = ContentType.objects.get_for_model(OutOfOffice)
    return list(ObjectChange.objects.filter(content_type=ct).order_by("time", "pk"))


def state():
    return sorted(OutOfOffice.objects.values_list("user_id", "delegate_id", "starts_at", "ends_at", "note"))


def away(org, delegate=None, **times):
    now = timezone.now()
    return services.set_out_of_office(
        actor=org.lead_js,
        user=org.lead_js,
        delegate=delegate or org.rep_js2,
        starts_at=times.get("starts_at", now - dt.timedelta(hours=1)),
        ends_at=times.get("ends_at", now + dt.timedelta(days=3)),
        note=times.get("note", "年假"),
    )


# ---------------------------------------------------------------------------------- the page
def test_the_user_menu_leads_to_the_page(org, client_for):
    page = client_for(org.rep_js).get(reverse("approvals:inbox")).content.decode()
    assert f'href="{PAGE}"' in page and 'id="nav-out-of-office"' in page


def test_setting_it_in_the_profile_saves_it_and_records_it_in_history(org, client_for):
    # given lead_js on his profile page, with no delegation
    client = client_for(org.lead_js)
    assert 'id="away-now"' not in client.get(PAGE).content.decode()
    now = timezone.now()
    # when he sends his tasks to rep_js2 for three days
    response = client.post(
        PAGE,
        {
            "delegate": org.rep_js2.pk,
            "starts_at": local(now),
            "ends_at": local(now + dt.timedelta(days=3)),
            "note": "出差",
        },
    )
    # then it is saved, shown, and in history with who did it
    assert response.status_code == 302
    row = OutOfOffice.objects.get()
    assert (row.user, row.delegate, row.note) == (org.lead_js, org.rep_js2, "出差")
    page = client.get(PAGE).content.decode()
    assert 'id="away-now"' in page and 'data-delegate="rep_js2"' in page
    [change] = history()
    assert change.action == "create" and change.user_id == org.lead_js.pk
    assert change.postchange_data["delegate"] == org.rep_js2.pk


def test_changing_it_changes_the_one_delegation_and_history_tells_old_and_new(org, client_for):
    row = away(org)
    client = client_for(org.lead_js)
    response = client.post(
        PAGE,
        {
            "delegate": org.manager_js.pk,
            "starts_at": local(row.starts_at),
            "ends_at": local(row.ends_at + dt.timedelta(days=1)),
            "note": "延长",
        },
    )
    assert response.status_code == 302
    assert OutOfOffice.objects.count() == 1
    assert OutOfOffice.objects.get().delegate == org.manager_js
    change = history()[-1]
    assert change.action == "update"
    assert change.prechange_data["delegate"] == org.rep_js2.pk
    assert change.postchange_data["delegate"] == org.manager_js.pk


def test_ending_it_early_ends_it_now_and_the_tasks_stay_with_the_user_again(org, client_for):
    row = away(org)
    client = client_for(org.lead_js)
    response = client.post(PAGE, {"end": "1"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.ends_at <= timezone.now()
    assert services.current_out_of_office(org.lead_js) is None
    change = history()[-1]
    assert change.action == "update" and change.prechange_data["ends_at"] != change.postchange_data["ends_at"]
    make_flow()
    approval = services.submit(actor=org.rep_js, record=account(org.rep_js))
    assert set(approval.tasks.values_list("approver__username", flat=True)) == {"lead_js"}


def test_ending_one_still_to_come_removes_it(org, client_for):
    now = timezone.now()
    away(org, starts_at=now + dt.timedelta(days=1), ends_at=now + dt.timedelta(days=2))
    client_for(org.lead_js).post(PAGE, {"end": "1"})
    assert not OutOfOffice.objects.exists()
    assert history()[-1].action == "delete"


@pytest.mark.parametrize(
    "case, field, code",
    [
        ("self", "delegate", "delegation_cycle"),
        ("inactive", "delegate", "invalid_choice"),
        ("circle", "delegate", "delegation_cycle"),
        ("until_before_from", "ends_at", "out_of_range"),
        ("until_in_the_past", "ends_at", "out_of_range"),
        ("no_until", "ends_at", "required"),
    ],
)
def test_bad_input_on_the_page_is_named_with_its_code_and_nothing_is_written(
    org, client_for, english, case, field, code
):
    now = timezone.now()
    # rep_js2 is away himself, handing his tasks to lead_js: lead_js → rep_js2 would be a circle.
    services.set_out_of_office(
        actor=org.rep_js2,
        user=org.rep_js2,
        delegate=org.lead_js,
        starts_at=now,
        ends_at=now + dt.timedelta(days=5),
    )
    org.nobody.is_active = False
    org.nobody.save()
    before, changes = state(), len(history())
    data = {
        "delegate": org.manager_js.pk,
        "starts_at": local(now),
        "ends_at": local(now + dt.timedelta(days=1)),
    }
    if case == "self":
        data["delegate"] = org.lead_js.pk
    elif case == "inactive":
        data["delegate"] = org.nobody.pk
    elif case == "circle":
        data["delegate"] = org.rep_js2.pk
    elif case == "until_before_from":
        data["ends_at"] = local(now - dt.timedelta(days=1))
    elif case == "until_in_the_past":
        data["starts_at"] = local(now - dt.timedelta(days=3))
        data["ends_at"] = local(now - dt.timedelta(days=1))
    else:
        data["ends_at"] = ""
    response = client_for(org.lead_js).post(PAGE, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert f'data-error-code="{code}"' in page
    assert f'name="{field}"' in page
    assert state() == before and len(history()) == changes


# ---------------------------------------------------------------------------------- the inbox
def test_the_inbox_of_the_one_away_says_where_his_approvals_go(org, client_for):
    away(org)
    page = client_for(org.lead_js).get(reverse("approvals:inbox")).content.decode()
    assert 'id="away-banner"' in page and 'data-delegate="rep_js2"' in page
    other = client_for(org.rep_js2).get(reverse("approvals:inbox")).content.decode()
    assert 'id="away-banner"' not in other


def test_the_delegates_inbox_marks_the_tasks_received_by_delegation(org, client_for):
    away(org)
    make_flow()
    approval = services.submit(actor=org.rep_js, record=account(org.rep_js))
    task = ApprovalTask.objects.get(approval=approval)
    assert (task.approver, task.delegated_from) == (org.rep_js2, org.lead_js)
    page = client_for(org.rep_js2).get(reverse("approvals:inbox")).content.decode()
    assert f'id="approval-{approval.pk}"' in page and 'data-delegated-from="lead_js"' in page
    # and approving from the list keeps saying whose task it was until it is decided
    response = client_for(org.rep_js2).post(
        reverse("approvals:act", args=[approval.pk, "approve"]),
        {"from": "list", "box": "pending"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and 'data-action="approve"' not in response.content.decode()


# ---------------------------------------------------------------------------------- the API
def test_the_api_sets_reads_and_ends_the_callers_delegation(org, api_for):
    api = api_for(org.lead_js)
    assert api.get(API).status_code == 204
    ends = timezone.now() + dt.timedelta(days=2)
    response = api.put(
        API, {"delegate": org.rep_js2.pk, "ends_at": ends.isoformat(), "note": "培训"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["delegate"] == {"id": org.rep_js2.pk, "name": str(org.rep_js2)}
    assert body["active"] is True and body["note"] == "培训"
    assert api.get(API).json()["id"] == body["id"]
    # another user sees only his own (none)
    assert api_for(org.rep_js2).get(API).status_code == 204
    assert api.delete(API).status_code == 204
    assert api.get(API).status_code == 204
    assert [c.action for c in history()] == ["create", "update"]


def test_another_users_delete_leaves_the_delegation_alone(org, api_for):
    row = away(org)
    assert api_for(org.rep_js2).delete(API).status_code == 204
    row.refresh_from_db()
    assert services.current_out_of_office(org.lead_js) == row


@pytest.mark.parametrize(
    "body, field, code",
    [
        ({"delegate": "SELF", "ends_at": "+1"}, "delegate", "delegation_cycle"),
        ({"delegate": 999999, "ends_at": "+1"}, "delegate", "invalid_choice"),
        ({"delegate": "OTHER", "starts_at": "+2", "ends_at": "+1"}, "ends_at", "out_of_range"),
        ({"delegate": "OTHER"}, "ends_at", "required"),
        ({"delegate": "OTHER", "ends_at": "next week"}, "ends_at", "invalid"),
        ({"ends_at": "+1"}, "delegate", "required"),
    ],
)
def test_bad_input_through_the_api_is_a_400_naming_the_field(org, api_for, body, field, code):
    now = timezone.now()
    values = {
        "SELF": org.lead_js.pk,
        "OTHER": org.rep_js2.pk,
        "+1": (now + dt.timedelta(days=1)).isoformat(),
        "+2": (now + dt.timedelta(days=2)).isoformat(),
    }
    sent = {k: values.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    response = api_for(org.lead_js).put(API, sent, format="json")
    assert response.status_code == 400, response.content
    assert {"field": field, "code": code} in [
        {"field": e["field"], "code": e["code"]} for e in response.json()["errors"]
    ]
    assert not OutOfOffice.objects.exists() and not history()


def test_the_endpoint_is_in_the_schema(org, client_for):
    schema = client_for(org.rep_js).get("/api/schema/?format=json").json()
    assert set(schema["paths"][API]) >= {"get", "put", "delete"}


# ---------------------------------------------------------------------------------- two at once
CSRF = "c" * 32


def _session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def put_at_once(live_server, requests: list[tuple]) -> list[tuple[int, str]]:
    """``(user, body)`` PUT together, each from its own session (the server answers each in its
    own thread and connection): ``[(status, body)]`` in the order given."""
    barrier = threading.Barrier(len(requests))
    answers: list[tuple[int, str]] = [(0, "")] * len(requests)

    def put(index, body, session):
        request = urllib.request.Request(  # noqa: S310 - the live test server's http URL
            f"{live_server.url}{API}",
            data=json.dumps(body).encode(),
            method="PUT",
            headers={
                "Cookie": f"sessionid={session}; csrftoken={CSRF}",
                "X-CSRFToken": CSRF,
                "Content-Type": "application/json",
                "Referer": live_server.url,
            },
        )
        barrier.wait()  # every thread sends at the same moment
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - same URL
                answers[index] = (response.status, response.read().decode())
        except urllib.error.HTTPError as exc:
            answers[index] = (exc.code, exc.read().decode())

    threads = [
        threading.Thread(target=put, args=(i, body, _session(user)))
        for i, (user, body) in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


@pytest.mark.django_db(transaction=True)
def test_two_saves_at_once_leave_one_of_them_whole(live_server, org):
    # given lead_js saving two different delegations at the same moment (twice each)
    now = timezone.now()
    bodies = [
        {"delegate": org.rep_js2.pk, "ends_at": (now + dt.timedelta(days=1)).isoformat(), "note": "一"},
        {"delegate": org.manager_js.pk, "ends_at": (now + dt.timedelta(days=9)).isoformat(), "note": "二"},
    ] * 2
    answers = put_at_once(live_server, [(org.lead_js, body) for body in bodies])
    # then every save is answered, and one delegation is left: exactly one of the two sent
    assert [status for status, _body in answers] == [200] * len(bodies), answers
    [row] = OutOfOffice.objects.all()
    assert (row.delegate_id, row.note) in {(b["delegate"], b["note"]) for b in bodies}
    expected_end = next(b["ends_at"] for b in bodies if b["note"] == row.note)
    assert row.ends_at == dt.datetime.fromisoformat(expected_end)
    # and history tells one chain: each entry starts where the previous one ended
    changes = history()
    assert [c.action for c in changes] == ["create"] + ["update"] * (len(changes) - 1)
    for previous, following in zip(changes, changes[1:], strict=False):
        assert following.prechange_data == previous.postchange_data
    assert changes[-1].postchange_data["note"] == row.note


@pytest.mark.django_db(transaction=True)
def test_two_colleagues_naming_each_other_at_once_get_one_delegation_and_one_circle(live_server, org):
    # given lead_js and rep_js2 each sending his approvals to the other at the same moment
    ends = (timezone.now() + dt.timedelta(days=2)).isoformat()
    answers = put_at_once(
        live_server,
        [
            (org.lead_js, {"delegate": org.rep_js2.pk, "ends_at": ends}),
            (org.rep_js2, {"delegate": org.lead_js.pk, "ends_at": ends}),
        ],
    )
    # then one is saved and the other refused as a circle: never both
    assert sorted(status for status, _body in answers) == [200, 400], answers
    refused = next(json.loads(body) for status, body in answers if status == 400)
    assert [e["code"] for e in refused["errors"]] == ["delegation_cycle"]
    assert OutOfOffice.objects.count() == 1 and len(history()) == 1
