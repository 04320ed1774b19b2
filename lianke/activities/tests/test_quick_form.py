"""The quick follow-up form under the timeline: labelled fields per kind, a placeholder per kind,
and the server keeps only what the chosen kind has."""

import datetime as dt
import json
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from lianke.activities.forms import KIND_FIELDS
from lianke.activities.models import Activity
from lianke.customers.models import Account

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english):
    """Labels and messages are asserted in English, the source language (see conftest)."""


@pytest.fixture
def acc(org):
    return Account.objects.create(name="苏州精工", owner=org.rep_js)


def add_url(obj):
    ct = ContentType.objects.get_for_model(type(obj))
    return f"/activities/timeline/{ct.pk}/{obj.pk}/add/"


def shown_fields(html: str) -> dict[str, str]:
    """``{field name: label}`` of the quick form's inputs a person sees (not in a hidden part)."""
    form = html.split('id="activity-form"', 1)[1].split("</form>", 1)[0]
    visible = re.sub(r'<div class="col-6"[^>]*\shidden>.*?</div>', "", form, flags=re.S)
    labels = dict(re.findall(r'<label[^>]*for="id_(\w+)"[^>]*>([^<]+)</label>', visible))
    names = re.findall(r'<(?:input|select|textarea)[^>]*name="(\w+)"', visible)
    return {name: labels.get(name, "") for name in names if name != "csrfmiddlewaretoken"}


def test_a_note_shows_subject_and_details_with_labels_and_a_placeholder(org, acc, client_for):
    # when the rep opens the account's timeline
    ct = ContentType.objects.get_for_model(Account)
    html = client_for(org.rep_js).get(f"/activities/timeline/{ct.pk}/{acc.pk}/").content.decode()
    # then the form, set to "note", shows type, subject and details, each labelled
    assert shown_fields(html) == {"kind": "Type", "subject": "Subject", "body": "Details"}
    assert 'placeholder="e.g. the customer plans to expand production"' in html
    # and the fields of other kinds are there for the page script, hidden and disabled
    for name in ("direction", "duration_minutes", "location", "occurred_at", "assignee", "due_at"):
        assert re.search(rf'<(input|select)[^>]*name="{name}"[^>]*disabled', html), name


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("call", {"direction": "Direction", "duration_minutes": "Duration (minutes)"}),
        ("visit", {"location": "Location", "occurred_at": "Time"}),
        (
            "meeting",
            {"occurred_at": "Time", "duration_minutes": "Duration (minutes)", "location": "Location"},
        ),
        ("email", {"direction": "Direction"}),
        ("sms", {"direction": "Direction"}),
        ("task", {"assignee": "Assigned to", "due_at": "Due"}),
    ],
)
def test_each_kind_shows_the_fields_it_needs(org, acc, client_for, kind, fields):
    # given a rep who chose a kind and sent the form without a subject
    response = client_for(org.rep_js).post(add_url(acc), {"kind": kind, "subject": ""})
    # when the form comes back with the error
    html = response.content.decode()
    assert response.context["form"].errors["subject"]
    # then it shows exactly that kind's fields, labelled, and the kind's placeholder
    assert shown_fields(html) == {"kind": "Type", "subject": "Subject", "body": "Details", **fields}
    placeholders = json.loads(response.context["form"].fields["subject"].widget.attrs["data-placeholders"])
    assert f'placeholder="{placeholders[kind]}"' in html
    assert not Activity.objects.exists()


def test_every_kind_has_a_placeholder_and_a_field_list():
    # (the page script toggles by these lists; a new kind must declare its own)
    from lianke.activities.choices import ActivityKind
    from lianke.activities.forms import KIND_PLACEHOLDERS

    assert set(KIND_FIELDS) == set(ActivityKind.values) == set(KIND_PLACEHOLDERS)


def test_a_visit_is_saved_with_its_location_and_time(org, acc, client_for):
    # when the rep logs a visit with a location and the time it took place
    response = client_for(org.rep_js).post(
        add_url(acc),
        {
            "kind": "visit",
            "subject": "上门拜访采购部",
            "body": "",
            "location": "苏州工业园区星湖街328号",
            "occurred_at": "2024-03-05T10:30",
        },
    )
    # then the visit keeps both and the timeline shows the location
    assert response.status_code == 200
    visit = Activity.objects.get()
    assert visit.location == "苏州工业园区星湖街328号"
    assert timezone.localtime(visit.occurred_at).strftime("%Y-%m-%d %H:%M") == "2024-03-05 10:30"
    assert "苏州工业园区星湖街328号" in response.content.decode()


def test_a_call_keeps_its_direction_and_duration_and_happened_now(org, acc, client_for):
    # when the rep logs an outbound 15-minute call (a time sent along is not the call's field)
    before = timezone.now()
    response = client_for(org.rep_js).post(
        add_url(acc),
        {
            "kind": "call",
            "subject": "电话沟通采购计划",
            "direction": "out",
            "duration_minutes": "15",
            "occurred_at": "2020-01-01T08:00",
        },
    )
    # then it is saved with them, timed now
    assert response.status_code == 200
    call = Activity.objects.get()
    assert (call.direction, call.duration_minutes) == ("out", 15)
    assert call.occurred_at >= before - dt.timedelta(seconds=1)


def test_fields_that_do_not_belong_to_the_kind_are_ignored(org, acc, client_for):
    # when a note is posted with a task's assignee and due time, a visit's location and a bad duration
    response = client_for(org.rep_js).post(
        add_url(acc),
        {
            "kind": "note",
            "subject": "客户计划扩产",
            "assignee": org.rep_js2.pk,
            "due_at": "not a date",
            "location": "苏州",
            "duration_minutes": "-5",
            "direction": "in",
        },
    )
    # then the note is saved without any of them, and no error is raised about them
    assert response.status_code == 200
    note = Activity.objects.get()
    assert (note.kind, note.subject) == ("note", "客户计划扩产")
    assert (note.assignee, note.due_at, note.location, note.duration_minutes, note.direction) == (
        None,
        None,
        "",
        None,
        "",
    )


def test_a_task_with_a_due_date_is_assigned_to_the_rep_by_default(org, acc, client_for):
    # when the rep adds a task due tomorrow without choosing anyone
    due = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT17:00")
    response = client_for(org.rep_js).post(
        add_url(acc), {"kind": "task", "subject": "准备报价单", "due_at": due, "assignee": ""}
    )
    # then the task is the rep's own, due then
    assert response.status_code == 200
    task = Activity.objects.get()
    assert task.assignee == org.rep_js
    assert timezone.localtime(task.due_at).strftime("%Y-%m-%dT%H:%M") == due


def test_a_task_without_a_due_date_is_refused_with_its_fields_still_shown(org, acc, client_for):
    # when a task is posted without a due date
    response = client_for(org.rep_js).post(add_url(acc), {"kind": "task", "subject": "准备报价单"})
    # then nothing is saved, and the form comes back as a task form naming the due date
    assert not Activity.objects.exists()
    html = response.content.decode()
    assert response.context["form"].errors == {"due_at": ["A task needs a due date."]}
    assert shown_fields(html) == {
        "kind": "Type",
        "subject": "Subject",
        "body": "Details",
        "assignee": "Assigned to",
        "due_at": "Due",
    }
    assert "A task needs a due date." in html


def test_no_follow_up_is_logged_on_a_type_without_a_timeline(org, client_for):
    # given a competitor (a catalogue entry: its type declares no timeline)
    from lianke.core.objecttypes.registry import registry

    competitor = registry.get("sales.competitor").factory_class()()
    c = client_for(org.admin)
    # when its timeline is asked for, or a follow-up posted to it, then neither exists
    ct = ContentType.objects.get_for_model(type(competitor))
    assert c.get(f"/activities/timeline/{ct.pk}/{competitor.pk}/").status_code == 404
    r = c.post(add_url(competitor), {"kind": "note", "subject": "竞品降价"})
    assert r.status_code == 404
    assert not Activity.all_objects.filter(object_id=competitor.pk, content_type=ct).exists()


def test_a_name_several_people_share_is_refused_naming_the_field_and_the_name(org, acc, client_for):
    # given two active colleagues called 赵强
    org.rep_zj.name = "赵强"
    org.rep_zj.save()
    # when the rep mentions @赵强 in the details
    response = client_for(org.rep_js).post(
        add_url(acc), {"kind": "note", "subject": "拜访纪要", "body": "@赵强 请跟进报价"}
    )
    # then nothing is saved and the details say who is meant by the name, asking for @username
    html = response.content.decode()
    assert not Activity.objects.exists()
    body = html.split('name="body"', 1)[1]
    assert 'data-error-code="ambiguous_mention"' in body.split("</div>", 1)[0]
    assert "Details: “@赵强” matches several people (@lead_js, @rep_zj)" in html
    # and written with the username, it is saved and tells the one meant
    response = client_for(org.rep_js).post(
        add_url(acc), {"kind": "note", "subject": "拜访纪要", "body": "@lead_js 请跟进报价"}
    )
    assert Activity.objects.count() == 1
    assert "ambiguous_mention" not in response.content.decode()


def test_the_activitys_own_form_refuses_an_ambiguous_name_in_the_subject(org, acc, client_for):
    from lianke.core.objecttypes.registry import registry

    org.rep_zj.name = "赵强"
    org.rep_zj.save()
    ot = registry.get("activities.activity")
    activity = Activity.objects.create(kind="note", subject="拜访纪要", owner=org.rep_js, account=acc)
    page = client_for(org.rep_js).get(ot.record_url(activity.pk, "edit"))
    assert page.status_code == 200
    response = client_for(org.rep_js).post(
        ot.record_url(activity.pk, "edit"),
        {"kind": "note", "subject": "请@赵强 跟进", "owner": org.rep_js.pk},
    )
    assert response.status_code in (200, 400)
    assert 'data-error-code="ambiguous_mention"' in response.content.decode()
    activity.refresh_from_db()
    assert activity.subject == "拜访纪要"


def test_the_api_refuses_an_ambiguous_name_too_and_an_old_one_does_not_stop_other_edits(org, acc, api_for):
    """The refusal is a before-write rule, so every write path has it, not only the forms."""
    org.rep_zj.name = "赵强"
    org.rep_zj.save()
    api = api_for(org.rep_js)
    response = api.post(
        "/api/activities/activities/",
        {"kind": "note", "subject": "请@赵强 跟进", "account": acc.pk, "owner": org.rep_js.pk},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert {(e["field"], e["code"]) for e in response.json()["errors"]} == {("subject", "ambiguous_mention")}
    assert not Activity.objects.exists()
    # a text written before the name was shared stays; changing something else goes through
    old = Activity.objects.create(kind="note", subject="请@赵强 跟进", owner=org.rep_js, account=acc)
    response = api.patch(f"/api/activities/activities/{old.pk}/", {"body": "已电话联系"}, format="json")
    assert response.status_code == 200, response.content
