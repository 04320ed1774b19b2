"""Home widgets of activities: my tasks (overdue first, with how late; today; next seven days)
and, for someone who leads people, the team's overdue tasks per person and today's visits."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from lianke.activities.models import Activity

pytestmark = pytest.mark.django_db


def widgets(client) -> dict:
    response = client.get("/")
    assert response.status_code == 200
    return (
        {w.key: ctx for w, ctx in response.context["widgets"]},
        {t.key: t.value for t in response.context["tiles"]},
        response,
    )


def task(owner, subject, due, assignee=None, done=False):
    return Activity.objects.create(
        kind="task", subject=subject, owner=owner, assignee=assignee or owner, due_at=due, is_done=done
    )


def test_my_tasks_are_grouped_overdue_first_then_today_then_the_next_seven_days(org, client_for, english):
    now = timezone.now()
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    task(org.rep_js, "三天前", now - dt.timedelta(days=3))
    task(org.rep_js, "一小时前", now - dt.timedelta(hours=1))
    later_today = min(now + dt.timedelta(minutes=30), midnight + dt.timedelta(days=1, seconds=-1))
    task(org.rep_js, "今天稍后", later_today)
    task(org.rep_js, "后天", midnight + dt.timedelta(days=2, hours=10))
    task(org.rep_js, "下个月", midnight + dt.timedelta(days=30))
    task(org.rep_js, "已完成", now - dt.timedelta(days=1), done=True)
    task(org.rep_js2, "别人的", now - dt.timedelta(days=1))
    ctx, tiles, response = widgets(client_for(org.rep_js))
    mine = ctx["my_tasks"]
    assert [t.subject for t in mine["overdue"]] == ["三天前", "一小时前"]
    assert [t.subject for t in mine["today"]] == ["今天稍后"]
    assert [t.subject for t in mine["week"]] == ["后天"]
    assert tiles["overdue"] == 2 and tiles["due_today"] == 1
    html = response.content.decode()
    # overdue rows are marked and say how late they are
    assert html.count("task-overdue") == 2
    assert "3\xa0days late" in html or "3 days late" in html


def test_the_team_widget_is_for_those_who_lead_people(org, client_for):
    now = timezone.now()
    task(org.rep_js, "张伟逾期", now - dt.timedelta(days=1))
    task(org.rep_js, "张伟逾期2", now - dt.timedelta(days=2))
    task(org.rep_zj, "浙江逾期", now - dt.timedelta(days=1))
    Activity.objects.create(kind="visit", subject="拜访苏州精工", owner=org.rep_js2, occurred_at=now)
    Activity.objects.create(
        kind="visit", subject="昨天的拜访", owner=org.rep_js2, occurred_at=now - dt.timedelta(days=1)
    )
    # a rep leads nobody: no team widget
    rep_ctx, _tiles, _r = widgets(client_for(org.rep_js))
    assert "team_today" not in rep_ctx
    # the Jiangsu manager (superior of rep_js2 and, through lead_js, of rep_js)
    ctx, tiles, _r = widgets(client_for(org.manager_js))
    team = ctx["team_today"]
    assert [(u.username, n) for u, n in team["overdue_by_person"]] == [("rep_js", 2)]
    assert [v.subject for v in team["visits"]] == ["拜访苏州精工"]
    assert tiles["team_overdue"] == 2 and tiles["team_visits"] == 1
