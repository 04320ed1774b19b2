"""Lifecycles declared once (``core.records.stages``): every write path refuses an undeclared transition
with its code, transitions are announced and recorded, workflow-only states need their
workflow, declared permissions and guards hold, and any type with a lifecycle gets a board."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from lianke.activities.models import Activity
from lianke.core.context import acting_as
from lianke.core.models import ObjectChange
from lianke.core.objecttypes.registry import registry
from lianke.core.records import batch, events, services
from lianke.marketing.models import Lead

pytestmark = pytest.mark.django_db

LEAD_PATH = registry.get("marketing.lead").stage_path
TASK_PATH = registry.get("activities.activity").stage_path


@pytest.fixture(autouse=True)
def _english(english):
    """Messages are asserted in English, the source language."""


@pytest.fixture
def heard():
    got: list = []

    def listen(event):
        got.append((event.name, event.ids, event.data))

    events.subscribe(listen, durable=True)  # inside the transaction: the test's never commits
    yield got
    events.unsubscribe(listen)


def lead(org, status="new", owner=None, name="陈静"):
    return Lead.objects.create(name=name, company="无锡重工", owner=owner or org.rep_js, status=status)


def task(owner, subject="回访", done=False, assignee=None):
    return Activity.objects.create(
        kind="task",
        subject=subject,
        owner=owner,
        assignee=assignee or owner,
        due_at=timezone.now() + dt.timedelta(days=1),
        is_done=done,
    )


def codes(exc: ValidationError, field: str) -> list[str]:
    return [e.code for e in exc.error_dict[field]]


# ---------------------------------------------------------------------------------- every path
def test_the_service_refuses_an_undeclared_transition_with_its_code_and_writes_nothing(org):
    obj = lead(org, "converted")
    history = ObjectChange.objects.count()
    obj.status = "new"
    with acting_as(org.rep_js), pytest.raises(ValidationError) as refused:
        services.save_record(actor=org.rep_js, instance=obj)
    assert codes(refused.value, "status") == ["transition_not_allowed"]
    assert Lead.objects.get(pk=obj.pk).status == "converted"
    assert ObjectChange.objects.count() == history


def test_bulk_edit_refuses_an_undeclared_transition_for_the_whole_batch(org, client_for):
    # given two new leads and one unqualified (which may not become qualified directly)
    ok = [lead(org, "new", name=f"可行{i}") for i in range(2)]
    stuck = lead(org, "unqualified", name="不行")
    Lead.all_objects.filter(pk=stuck.pk).update(unqualified_reason="预算不足")
    # when the rep bulk-moves all three to qualified
    response = client_for(org.rep_js).post(
        "/marketing/lead/bulk/",
        {"bulk_action": "edit", "pk": [o.pk for o in [*ok, stuck]], "field": "status", "value": "qualified"},
        follow=True,
    )
    # then nothing moved, and the page says which record and why
    assert "cannot move from “Unqualified” to “Qualified”" in response.content.decode()
    assert set(Lead.objects.values_list("status", flat=True)) == {"new", "unqualified"}


def test_the_batch_path_refuses_an_undeclared_transition_naming_the_row(org):
    a, b = lead(org, "new", name="甲"), lead(org, "converted", name="乙")
    with acting_as(org.rep_js), pytest.raises(batch.BatchError) as refused:
        batch.update_records(
            actor=org.rep_js, model=Lead, changes={a.pk: {"status": "contacted"}, b.pk: {"status": "new"}}
        )
    assert list(refused.value.rows) == [1]
    assert "status" in refused.value.rows[1]
    assert dict(Lead.objects.values_list("name", "status")) == {"甲": "new", "乙": "converted"}


def test_a_workflow_only_state_is_reached_inside_its_workflow_only(org):
    obj = lead(org, "qualified")
    obj.status = "converted"
    with acting_as(org.rep_js), pytest.raises(ValidationError):
        services.save_record(actor=org.rep_js, instance=obj)
    # the conversion wraps its save in the path's workflow
    with acting_as(org.rep_js), LEAD_PATH.workflow("converted"):
        services.save_record(actor=org.rep_js, instance=Lead.objects.get(pk=obj.pk) | _status("converted"))
    assert Lead.objects.get(pk=obj.pk).status == "converted"
    # and even there, only from a state the lifecycle declares
    fresh = lead(org, "new", name="新的")
    with acting_as(org.rep_js), LEAD_PATH.workflow("converted"), pytest.raises(ValidationError) as refused:
        services.save_record(actor=org.rep_js, instance=fresh | _status("converted"))
    assert codes(refused.value, "status") == ["transition_not_allowed"]


class _status:
    """``record | _status(value)``: the record with its status set (reads as one step)."""

    def __init__(self, value):
        self.value = value

    def __ror__(self, record):
        record.status = self.value
        return record


# ---------------------------------------------------------------------------------- announced
def test_transitions_are_announced_once_per_batch_and_recorded_in_history(org, client_for, heard):
    leads = [lead(org, "new", name=f"线索{i}") for i in range(3)]
    heard.clear()
    client_for(org.rep_js).post(
        "/marketing/lead/bulk/",
        {"bulk_action": "edit", "pk": [o.pk for o in leads], "field": "status", "value": "contacted"},
    )
    moves = [(ids, data) for name, ids, data in heard if name == events.TRANSITIONED]
    assert moves == [
        (tuple(sorted(o.pk for o in leads)), {"field": "status", "from": "new", "to": "contacted"})
    ]
    change = ObjectChange.objects.filter(object_id=leads[0].pk, action="update").latest("pk")
    assert (change.prechange_data["status"], change.postchange_data["status"]) == ("new", "contacted")


def test_a_created_record_is_not_a_transition_and_an_unchanged_state_neither(org, api_for, heard):
    obj = lead(org, "new")
    api_for(org.rep_js).patch(f"/api/marketing/leads/{obj.pk}/", {"city": "无锡"}, format="json")
    assert [name for name, _ids, _data in heard if name == events.TRANSITIONED] == []


def test_the_timeline_shows_the_transition(org, client_for):
    from lianke.activities.services import timeline

    obj = lead(org, "new")
    client_for(org.rep_js).post(f"/marketing/lead/{obj.pk}/move/", {"status": "contacted"})
    with acting_as(org.rep_js):
        items = timeline(Lead.objects.get(pk=obj.pk), user=org.rep_js)
    changes = [change for kind, _time, entry in items if kind == "change" for change in entry.diff]
    assert ("Status", "New", "Contacted") in [tuple(c) for c in changes]


# ---------------------------------------------------------------------------------- declared rules
def test_a_state_may_need_its_own_permission(org, api_for, monkeypatch):
    # given a lifecycle where marking a lead unqualified needs an action reps are not granted
    monkeypatch.setattr(LEAD_PATH, "actions", {"unqualified": "disqualify"})
    obj = lead(org, "contacted")
    # when the rep tries, then it is refused and nothing changes
    r = api_for(org.rep_js).patch(
        f"/api/marketing/leads/{obj.pk}/",
        {"status": "unqualified", "unqualified_reason": "无预算"},
        format="json",
    )
    assert r.status_code == 403
    assert Lead.objects.get(pk=obj.pk).status == "contacted"
    # an administrator (every action) may
    with acting_as(org.admin):
        LEAD_PATH.move(actor=org.admin, obj=obj, value="unqualified", reason={"unqualified_reason": "无预算"})
    assert Lead.objects.get(pk=obj.pk).status == "unqualified"


def test_a_state_that_needs_its_own_permission_is_refused_on_create_too(org, api_for, monkeypatch):
    monkeypatch.setattr(LEAD_PATH, "actions", {"unqualified": "disqualify"})
    r = api_for(org.rep_js).post(
        "/api/marketing/leads/",
        {"name": "陈静", "status": "unqualified", "unqualified_reason": "无预算"},
        format="json",
    )
    assert r.status_code == 403
    assert not Lead.objects.exists()


def test_a_guard_refuses_a_move_with_its_message(org, client_for, monkeypatch):
    def no_phone_no_qualifying(record, state):
        if state.value == "qualified" and not record.mobile:
            return "Qualify a lead only once its mobile is known."
        return None

    monkeypatch.setattr(LEAD_PATH, "guards", (no_phone_no_qualifying,))
    obj = lead(org, "contacted")
    r = client_for(org.rep_js).post(f"/marketing/lead/{obj.pk}/move/", {"status": "qualified"})
    assert r.status_code == 400
    assert "Qualify a lead only once its mobile is known." in r.content.decode()
    assert Lead.objects.get(pk=obj.pk).status == "contacted"
    with acting_as(org.rep_js), pytest.raises(ValidationError) as refused:
        services.save_record(actor=org.rep_js, instance=Lead.objects.get(pk=obj.pk) | _status("qualified"))
    assert codes(refused.value, "status") == ["transition_guarded"]


# ---------------------------------------------------------------------------------- tasks
def test_a_task_is_done_through_its_lifecycle_and_other_activities_have_none(org, client_for, heard):
    item = task(org.rep_js)
    # the task's page shows its path; tapping "Done" completes it, with the time and an event
    page = client_for(org.rep_js).get(f"/activities/activity/{item.pk}/").content.decode()
    assert 'id="stage-path"' in page
    r = client_for(org.rep_js).post(f"/activities/activity/{item.pk}/move/", {"is_done": "True"})
    assert r.status_code in (200, 302)
    done = Activity.objects.get(pk=item.pk)
    assert done.is_done and done.done_at is not None
    assert ("transitioned", (item.pk,), {"field": "is_done", "from": "False", "to": "True"}) in heard
    # a note has no lifecycle: no path on its page, and a move is refused
    note = Activity.objects.create(kind="note", subject="记录", owner=org.rep_js)
    assert (
        'id="stage-path"'
        not in client_for(org.rep_js).get(f"/activities/activity/{note.pk}/").content.decode()
    )
    assert (
        client_for(org.rep_js).post(f"/activities/activity/{note.pk}/move/", {"is_done": "True"}).status_code
        == 400
    )
    assert not Activity.objects.get(pk=note.pk).is_done


def test_nobody_else_completes_someone_elses_task(org, client_for, api_for):
    item = task(org.rep_js)
    for user in (org.rep_js2, org.rep_zj):
        assert (
            client_for(user).post(f"/activities/activity/{item.pk}/move/", {"is_done": "True"}).status_code
            == 404
        )
        assert (
            api_for(user)
            .patch(f"/api/activities/activities/{item.pk}/", {"is_done": True}, format="json")
            .status_code
            == 404
        )
        with acting_as(user), pytest.raises((PermissionDenied, Activity.DoesNotExist)):
            TASK_PATH.move(actor=user, obj=item, value="True")
    assert not Activity.objects.get(pk=item.pk).is_done


# ---------------------------------------------------------------------------------- boards
def test_any_type_with_a_lifecycle_has_a_board_of_the_records_one_may_see(org, client_for):
    lead(org, "new", name="新线索")
    lead(org, "contacted", name="已联系")
    lead(org, "new", owner=org.rep_zj, name="别家的")
    r = client_for(org.rep_js).get("/marketing/lead/board/")
    assert r.status_code == 200
    columns = {c["state"].value: c["count"] for c in r.context["columns"]}
    assert columns == {"new": 1, "contacted": 1, "qualified": 0, "converted": 0, "unqualified": 0}
    html = r.content.decode()
    assert "新线索" in html and "已联系" in html and "别家的" not in html
    # the list links to it
    assert 'href="/marketing/lead/board/"' in client_for(org.rep_js).get("/marketing/lead/").content.decode()


def test_the_activity_board_shows_tasks_only_by_done(org, client_for):
    task(org.rep_js, "待办一")
    task(org.rep_js, "已完成一", done=True)
    Activity.objects.create(kind="call", subject="一个电话", owner=org.rep_js)
    r = client_for(org.rep_js).get("/activities/activity/board/")
    assert {c["state"].label: c["count"] for c in r.context["columns"]} == {"To do": 1, "Done": 1}
    assert "一个电话" not in r.content.decode()


def test_a_board_filter_narrows_the_columns(org, client_for):
    lead(org, "new", name="展会来的")
    Lead.objects.filter(name="展会来的").update(source="exhibition")
    lead(org, "new", name="官网来的")
    r = client_for(org.rep_js).get("/marketing/lead/board/", {"source": "exhibition"})
    assert {c["state"].value: c["count"] for c in r.context["columns"]}["new"] == 1
    assert "官网来的" not in r.content.decode()


def test_the_board_needs_the_view_permission(org, client_for):
    assert client_for(org.nobody).get("/marketing/lead/board/").status_code == 403
