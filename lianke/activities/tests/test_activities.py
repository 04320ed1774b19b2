"""Activities on the timeline, tasks with due dates, "my tasks today" and the 360 timeline."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from lianke.activities.models import Activity
from lianke.activities.services import log_activity
from lianke.core.context import acting_as
from lianke.customers.models import Account, Contact
from lianke.sales.models import Opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english):
    """Messages and labels are asserted in English, the source language (see conftest)."""


def timeline_url(obj, add=False):
    ct = ContentType.objects.get_for_model(type(obj))
    return f"/activities/timeline/{ct.pk}/{obj.pk}/" + ("add/" if add else "")


@pytest.fixture
def acc(org):
    return Account.objects.create(name="苏州精工", owner=org.rep_js)


def local(days=0, hour=10):
    today = timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0)
    return today + dt.timedelta(days=days)


def task(owner, subject, due, assignee=None, done=False, target=None):
    with acting_as(owner, source="web"):
        return log_activity(
            actor=owner,
            target=target,
            activity=Activity(
                kind="task",
                subject=subject,
                owner=owner,
                assignee=assignee or owner,
                due_at=due,
                is_done=done,
            ),
        )


def test_an_activity_added_on_the_timeline_is_saved_on_the_record(org, acc, client_for):
    # when the rep logs a call on the account's timeline
    response = client_for(org.rep_js).post(
        timeline_url(acc, add=True),
        {
            "kind": "call",
            "subject": "电话沟通报价",
            "body": "客户要求下周回复",
            "occurred_at": "2024-03-05T10:30",
        },
    )
    # then it is saved on the account, owned by the rep, and shown on the timeline
    assert response.status_code == 200
    activity = Activity.objects.get()
    assert (activity.kind, activity.owner, activity.account, activity.object_id) == (
        "call",
        org.rep_js,
        acc,
        acc.pk,
    )
    assert "电话沟通报价" in response.content.decode()
    assert Account.all_objects.get(pk=acc.pk).last_activity_at == activity.occurred_at


def test_a_task_needs_a_due_date(org, acc, client_for):
    # when a task is added without a due date
    response = client_for(org.rep_js).post(
        timeline_url(acc, add=True),
        {"kind": "task", "subject": "发送报价单", "occurred_at": "2024-03-05T10:30"},
    )
    # then the due date field says so and nothing is saved
    assert response.status_code == 200
    assert response.context["form"].errors["due_at"] == ["A task needs a due date."]
    assert "A task needs a due date." in response.content.decode()
    assert not Activity.objects.exists()


def test_adding_to_a_record_the_user_cannot_see_is_404(org, acc, client_for):
    response = client_for(org.rep_zj).post(
        timeline_url(acc, add=True), {"kind": "note", "subject": "x", "occurred_at": "2024-03-05T10:30"}
    )
    assert response.status_code == 404
    assert not Activity.objects.exists()


def test_my_tasks_on_the_home_page_are_the_users_open_tasks_overdue_today_and_ahead(org, acc, client_for):
    # given tasks of the rep: overdue, due today, due tomorrow, done; and a colleague's task
    overdue = task(org.rep_js, "逾期任务", local(-2), target=acc)
    today = task(org.rep_js, "今天的任务", local(0, hour=18), target=acc)
    task(org.rep_js, "明天的任务", local(1), target=acc)
    task(org.rep_js, "已完成任务", local(0), done=True, target=acc)
    task(
        org.rep_js2, "同事的任务", local(0), target=Account.objects.create(name="同事客户", owner=org.rep_js2)
    )
    assigned = task(
        org.manager_js,
        "经理分给我的",
        local(0, hour=9),
        assignee=org.rep_js,
        target=Account.objects.create(name="同事客户2", owner=org.rep_js2),
    )
    # when the rep opens the home page
    response = client_for(org.rep_js).get("/")
    mine = {w.key: c for w, c in response.context["widgets"]}["my_tasks"]
    # then the open tasks assigned to the rep due by today come first, oldest first, then tomorrow's
    assert [t.pk for t in mine["overdue"] + mine["today"]] == [overdue.pk, assigned.pk, today.pk]
    assert [t.subject for t in mine["week"]] == ["明天的任务"]
    html = response.content.decode()
    assert "已完成任务" not in html and "同事的任务" not in html


def test_the_assignee_may_mark_a_task_done_and_undo_it(org, client_for):
    # given a task the manager assigned to the rep on a colleague's account
    theirs = Account.objects.create(name="同事客户", owner=org.rep_js2)
    item = task(org.manager_js, "帮忙回访", local(0), assignee=org.rep_js, target=theirs)
    client = client_for(org.rep_js)
    # when the rep ticks it
    response = client.post(f"/activities/task/{item.pk}/toggle/", {"done": "1"})
    # then it is done, with the time
    assert response.status_code == 200
    done = Activity.objects.get(pk=item.pk)
    assert done.is_done and done.done_at is not None
    # and unticking reopens it
    assert client.post(f"/activities/task/{item.pk}/toggle/", {"done": "0"}).status_code == 200
    reopened = Activity.objects.get(pk=item.pk)
    assert (reopened.is_done, reopened.done_at) == (False, None)


def test_the_owner_may_toggle_but_a_stranger_may_not(org, acc, client_for):
    item = task(org.rep_js, "回访", local(0), target=acc)
    assert (
        client_for(org.rep_js2).post(f"/activities/task/{item.pk}/toggle/", {"done": "1"}).status_code == 404
    )
    assert not Activity.objects.get(pk=item.pk).is_done
    assert (
        client_for(org.rep_js).post(f"/activities/task/{item.pk}/toggle/", {"done": "1"}).status_code == 200
    )
    assert Activity.objects.get(pk=item.pk).is_done


def test_the_account_timeline_includes_activities_on_its_contacts_and_opportunities(
    org, stages, acc, client_for
):
    # given activities on the account's contact and opportunity, and on another account
    contact = Contact.objects.create(name="王磊", account=acc, owner=org.rep_js)
    opp = Opportunity.objects.create(
        name="二期项目", account=acc, owner=org.rep_js, stage_set=stages["set"], stage=stages["first"]
    )
    other = Account.objects.create(name="别的客户", owner=org.rep_js)
    client = client_for(org.rep_js)
    for target, subject in ((contact, "拜访王磊"), (opp, "项目方案评审"), (other, "别的客户的电话")):
        assert (
            client.post(
                timeline_url(target, add=True),
                {"kind": "visit", "subject": subject, "occurred_at": "2024-03-05T10:30"},
            ).status_code
            == 200
        )
    # when the account's timeline is opened
    html = client.get(timeline_url(acc)).content.decode()
    # then it shows the contact's and the opportunity's activities, not the other account's
    assert "拜访王磊" in html
    assert "项目方案评审" in html
    assert "别的客户的电话" not in html
    # and the contact's own timeline shows only its own
    contact_html = client.get(timeline_url(contact)).content.decode()
    assert "拜访王磊" in contact_html and "项目方案评审" not in contact_html


def test_the_home_pages_task_counts_read_the_open_task_index_alone(org, acc, client_for):
    """The team's overdue tasks per person (a manager's home page) are counted from the open-task
    index alone — its scope columns and condition included — on both databases: SQLite ignores
    ``INCLUDE`` columns and takes a partial index as covering only with its condition's columns
    in it; without them it read each counted task's row (147 ms for 24,485 tasks at a million
    accounts)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    other = Account.objects.create(name="无锡精工", owner=org.rep_js2)
    for days in (-3, -2, -1):
        task(org.rep_js, f"逾期{days}", local(days), target=acc)
        task(org.rep_js2, f"逾期{days}", local(days), target=other)
    with CaptureQueriesContext(connection) as queries:
        response = client_for(org.manager_js).get("/")
    assert response.status_code == 200
    [per_person] = [
        q["sql"]
        for q in queries.captured_queries
        if "GROUP BY" in q["sql"] and "activities_activity" in q["sql"]
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET enable_seqscan = off")  # a dozen rows: make the plan show the index
            cursor.execute("SET enable_bitmapscan = off")
            cursor.execute(f"EXPLAIN {per_person}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_bitmapscan")
            assert "Index Only Scan using act_open_task_due" in plan, plan
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {per_person}")
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
            assert "COVERING INDEX act_open_task_due" in plan, plan
