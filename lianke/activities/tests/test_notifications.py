"""The activities' notifications: "@mention" in a note (active users by @name or @username who
may read it, once per activity and person), and the daily task reminders (assignees of tasks due
today and overdue, once per task and day: the job run twice changes nothing more)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from lianke.activities import notifications as producers
from lianke.activities.models import Activity
from lianke.activities.services import log_activity
from lianke.core.records import services
from lianke.core.schedules import Run
from lianke.customers.models import Account
from lianke.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def acc(org):
    return Account.objects.create(name="苏州精工", owner=org.rep_js)


def note(org, acc, text, actor=None):
    return log_activity(
        actor=actor or org.rep_js, target=acc, activity=Activity(kind="note", subject="拜访纪要", body=text)
    )


def mentioned():
    return sorted(
        Notification.objects.filter(kind=producers.MENTION).values_list("recipient__username", flat=True)
    )


def test_a_note_mentioning_colleagues_by_name_and_username_tells_them(org, acc):
    # 赵强 (lead_js) by name glued to the text, manager_js by username; both may read the note
    note(org, acc, "@赵强请跟进报价，@manager_js 知悉")
    assert mentioned() == ["lead_js", "manager_js"]
    n = Notification.objects.filter(kind=producers.MENTION).first()
    assert n.actor_id == org.rep_js.pk and n.content_type.model == "activity"


def test_a_mention_of_someone_who_may_not_read_the_note_or_is_inactive_tells_nobody(org, acc):
    org.rep_js2.is_active = False
    org.rep_js2.save()
    note(org, acc, "@李娜 @孙丽 @rep_js 看一下")  # Zhejiang rep cannot see it; 孙丽 left; himself
    assert mentioned() == []


def test_a_name_two_users_share_is_refused_and_tells_neither(org, acc):
    from django.core.exceptions import ValidationError

    org.rep_zj.name = "赵强"
    org.rep_zj.save()
    with pytest.raises(ValidationError) as refused:
        note(org, acc, "@赵强 看一下")
    assert refused.value.error_dict["body"][0].code == "ambiguous_mention"
    assert mentioned() == [] and not Activity.all_objects.exists()


def test_editing_a_note_tells_only_whom_it_adds(org, acc):
    activity = note(org, acc, "@赵强 看一下")
    activity = Activity.all_objects.get(pk=activity.pk)
    activity.body = "@赵强 @王芳 看一下"
    services.save_record(actor=org.rep_js, instance=activity)
    activity = Activity.all_objects.get(pk=activity.pk)
    activity.body = "@赵强 @王芳 再看一下"
    services.save_record(actor=org.rep_js, instance=activity)
    assert mentioned() == ["lead_js", "manager_js"]


def test_tokens_stop_at_spaces_and_punctuation():
    assert producers.tokens("请@张伟，和 @li.na 看；邮件a@b.com") == ["张伟", "li.na"]


# ------------------------------------------------------------------------- tasks
def at(day, hour=10):
    return timezone.make_aware(dt.datetime(2026, 12, day, hour))


def task(org, acc, due, assignee=None, done=False):
    return log_activity(
        actor=org.manager_js if assignee else org.rep_js,
        target=acc,
        activity=Activity(
            kind="task",
            subject=f"回访 {due:%d %H}",
            due_at=due,
            assignee=assignee or org.rep_js,
            is_done=done,
        ),
    )


def test_the_task_reminders_tell_assignees_of_tasks_due_today_and_overdue_once_per_day(org, acc):
    due_today = task(org, acc, at(7, 17))
    overdue = task(org, acc, at(5))
    task(org, acc, at(8, 9))  # tomorrow
    task(org, acc, at(6), done=True)
    colleague = task(org, acc, at(7, 9), assignee=org.rep_js2)
    Notification.objects.all().delete()  # "assigned to you" of the colleague's task
    run = Run("task_reminders", period=at(7, 8))
    assert producers.send_task_reminders(run) == 3
    got = sorted(Notification.objects.values_list("recipient_id", "kind", "object_id"))
    assert got == sorted(
        [
            (org.rep_js.pk, producers.TASK_DUE, due_today.pk),
            (org.rep_js.pk, producers.TASK_OVERDUE, overdue.pk),
            (org.rep_js2.pk, producers.TASK_DUE, colleague.pk),
        ]
    )
    # run again for the same day: nothing more
    producers.send_task_reminders(Run("task_reminders", period=at(7, 8)))
    assert Notification.objects.count() == 3
    # the next day the still open ones are told again, with the one due that day
    producers.send_task_reminders(Run("task_reminders", period=at(8, 8)))
    assert Notification.objects.count() == 3 + 4


def test_a_dry_run_lists_the_reminders_and_writes_nothing(org, acc):
    task(org, acc, at(7, 17))
    Notification.objects.all().delete()
    run = Run("task_reminders", period=at(7, 8), dry_run=True)
    assert producers.send_task_reminders(run) == 1
    assert [a["message"] for a in run.actions] == ["task due"]
    assert not Notification.objects.exists()


def test_many_tasks_make_one_reminder_saying_how_many(org, acc):
    for hour in range(9, 14):
        task(org, acc, at(7, hour))
    producers.send_task_reminders(Run("task_reminders", period=at(7, 8)))
    producers.send_task_reminders(Run("task_reminders", period=at(7, 8)))
    [n] = Notification.objects.filter(kind=producers.TASKS_PENDING)
    assert n.params == {"count": 5}
    assert Notification.objects.filter(kind__in=[producers.TASK_DUE, producers.TASK_OVERDUE]).count() == 0
