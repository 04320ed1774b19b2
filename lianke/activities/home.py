"""Home-page widgets of the activities app: my tasks (overdue, today, next seven days) and, for
someone who leads people, the team's overdue tasks per person and today's visits."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianke.core.objecttypes.registry import registry
from lianke.core.pagination import capped_count
from lianke.core.ui.home import Tile, Widget, register
from lianke.org import access
from lianke.org.choices import Action

from .choices import ActivityKind
from .models import Activity

SHOWN = 20  # rows shown per group
SHOWN_AHEAD = 10  # tasks of the next seven days shown
COUNT_CAP = 999  # a count above shows as "999+"


def day_bounds(days_ahead: int = 0) -> tuple[dt.datetime, dt.datetime]:
    """Today's local midnight and the midnight ``days_ahead + 1`` days later."""
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(days=days_ahead + 1)


def first_in_due_order(tasks, limit: int) -> list[Activity]:
    """The first ``limit`` of ``tasks`` by due time, with their accounts. The ids come first,
    from the covering open-task index alone (in order, stopped at the limit); asked for whole
    rows at once, PostgreSQL misjudges how many tasks match and reads and sorts them all."""
    ids = list(tasks.order_by("due_at", "pk").values_list("pk", flat=True)[:limit])
    return list(Activity.objects.filter(pk__in=ids).select_related("account").order_by("due_at", "pk"))


def shown_count(context, key: str) -> str | int:
    count = context["counts"][key]
    return f"{count}+" if context["more"][key] else count


@register
class MyTasks(Widget):
    key = "my_tasks"
    order = 10
    template = "activities/home/my_tasks.html"

    def context(self, request):
        user = request.user
        if not access.has_action(user, Activity, Action.VIEW):
            return None
        now = timezone.now()
        _start, today_end = day_bounds()
        groups = {
            "overdue": Q(due_at__lt=now),
            "today": Q(due_at__gte=now, due_at__lt=today_end),
            "week": Q(due_at__gte=today_end, due_at__lt=today_end + dt.timedelta(days=7)),
        }
        open_tasks = Activity.objects.filter(kind=ActivityKind.TASK, assignee=user, is_done=False)
        # Each group is read in due order from the open-task index and cut off, and each count
        # is capped: bounded work for someone with ten open tasks or ten thousand.
        shown = {
            key: first_in_due_order(open_tasks.filter(q), SHOWN_AHEAD if key == "week" else SHOWN)
            for key, q in groups.items()
        }
        counts = {key: capped_count(open_tasks.filter(q), cap=COUNT_CAP) for key, q in groups.items()}
        all_open = (
            registry.get_for_model(Activity).url_list
            + "?"
            + urlencode(
                {"kind": ActivityKind.TASK, "assignee": user.pk, "is_done": "false", "sort": "due_at"}
            )
        )
        return {
            **shown,
            "counts": {key: count for key, (count, _more) in counts.items()},
            "more": {key: more for key, (_count, more) in counts.items()},
            "all_url": all_open,
        }

    def tiles(self, request, context):
        url = "#my-tasks"
        return [
            Tile("overdue", _("Overdue tasks"), shown_count(context, "overdue"), url, "danger"),
            Tile("due_today", _("Due today"), shown_count(context, "today"), url, "primary"),
        ]


@register
class TeamToday(Widget):
    """For whoever leads people (a superior, a department manager): overdue tasks per person
    and today's visits of the team — within what the user may see."""

    key = "team_today"
    order = 30
    template = "activities/home/team_today.html"

    def context(self, request):
        user = request.user
        team = access.team_user_ids(user)
        if len(team) < 2 or not access.has_action(user, Activity, Action.VIEW):
            return None
        now = timezone.now()
        start, end = day_bounds()
        per_person = list(
            Activity.objects.filter(
                kind=ActivityKind.TASK, is_done=False, due_at__lt=now, assignee_id__in=team
            )
            .values("assignee")
            .annotate(n=Count("pk"))
            .order_by("-n", "assignee")[:SHOWN]
        )
        names = get_user_model().objects.in_bulk([row["assignee"] for row in per_person])
        visits = list(
            Activity.objects.filter(
                kind=ActivityKind.VISIT, owner_id__in=team, occurred_at__gte=start, occurred_at__lt=end
            )
            .select_related("owner", "account")
            .order_by("occurred_at", "pk")[:SHOWN]
        )
        return {
            "overdue_by_person": [(names.get(row["assignee"]), row["n"]) for row in per_person],
            "visits": visits,
        }

    def tiles(self, request, context):
        overdue = sum(n for _user, n in context["overdue_by_person"])
        return [
            Tile("team_overdue", _("Team's overdue tasks"), overdue, "#team-today", "warning"),
            Tile("team_visits", _("Team's visits today"), len(context["visits"]), "#team-today", "info"),
        ]
