"""The activities' notifications: "@mention in a note" and "task due / overdue".

- **Mentions** (``activities.mention``): a durable subscriber to the activities' events finds
  ``@name`` or ``@username`` in a new or edited activity's subject and text (notes are
  activities; a call's or visit's record may mention someone too) and notifies each active user
  mentioned who may read the activity — inside the write's transaction, once per activity and
  person (an edit notifies only whoever it adds). A name is matched as the longest active
  user's name right after the ``@`` (``@张伟请跟进`` mentions 张伟); a name two active users
  share mentions neither (``@username`` tells them apart), and the activity forms refuse it
  naming the field and the name (``ambiguous_mention``, ``ambiguous_mentions``).
- **Tasks** (``activities.task_due`` / ``activities.task_overdue``): the scheduled job
  ``task_reminders`` (daily) notifies the assignee of each open task due on the run's day or
  overdue, once per task and day (the notification's dedupe key): running it twice for a day
  changes nothing more. An assignee with more than ``GROUP_ABOVE`` such tasks gets one
  notification saying how many (``activities.tasks_pending``), linked to the home page's task
  lists, instead of one each.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from lianke.core.errors import NotificationCode
from lianke.core.records import events
from lianke.core.schedules import Run
from lianke.notifications import service, types
from lianke.org import access
from lianke.org.users import active_users

from .choices import ActivityKind
from .models import Activity

MENTION, TASK_DUE, TASK_OVERDUE, TASKS_PENDING = (
    "activities.mention",
    "activities.task_due",
    "activities.task_overdue",
    "activities.tasks_pending",
)
GROUP_ABOVE = 3
# What follows an @ up to a space or punctuation; a name is a prefix of it.
# Not inside an e-mail address (a@b.com); a username may hold dots, not end with one.
MENTION_RE = re.compile(r"(?<![A-Za-z0-9._%+-])@([^\s@,，、。;；:：!！?？()（）\[\]【】<>《》\"'“”‘’]{1,50})")
WATCHED = frozenset({"subject", "body"})


def declare() -> None:
    types.declare(
        MENTION,
        label=_("Mentioned in an activity"),
        title=_("%(actor)s mentioned you in “%(record)s”"),
        channels=(types.IN_APP, types.EMAIL),
    )
    types.declare(TASK_DUE, label=_("Task due today"), title=_("Task “%(record)s” is due today"))
    types.declare(TASK_OVERDUE, label=_("Task overdue"), title=_("Task “%(record)s” is overdue"))
    types.declare(
        TASKS_PENDING,
        label=_("Tasks due or overdue (several)"),
        title=_("%(count)s of your tasks are due today or overdue"),
    )


# ------------------------------------------------------------------------- mentions
def tokens(text: str) -> list[str]:
    return [t.rstrip(".") for t in MENTION_RE.findall(text or "") if t.rstrip(".")]


def _resolve(text: str) -> tuple[list, dict[str, list]]:
    """``(the active users text mentions, {a name two or more active users share: them})``
    (one query)."""
    found = tokens(text)
    if not found:
        return [], {}
    prefixes = {t[:n] for t in found for n in range(1, len(t) + 1)}
    users = list(
        active_users()
        .filter(Q(username__in=found) | Q(name__in=prefixes))
        .only("pk", "username", "name")
        .order_by("username")
    )
    by_username = {u.username: u for u in users}
    by_name: dict[str, list] = {}
    for u in users:
        if u.name:
            by_name.setdefault(u.name, []).append(u)
    chosen: dict[int, object] = {}
    ambiguous: dict[str, list] = {}
    for token in found:
        user = by_username.get(token)
        if user is None:
            for n in range(len(token), 0, -1):
                named = by_name.get(token[:n])
                if named:
                    if len(named) == 1:
                        user = named[0]
                    else:  # shared by two: nobody, and the form says so
                        ambiguous[token[:n]] = named
                    break
        if user is not None:
            chosen[user.pk] = user
    return list(chosen.values()), ambiguous


def mentioned_users(text: str) -> list:
    """The active users ``text`` mentions (one query)."""
    return _resolve(text)[0]


def ambiguous_mentions(text: str) -> dict[str, list]:
    """``{name: the active users of that name}`` for each ``@name`` in ``text`` that several
    people answer to (none of them would be told): the activity form asks for ``@username``."""
    return _resolve(text)[1]


#: The fields whose ``@name`` mentions tell people.
MENTION_FIELDS = ("subject", "body")


def ambiguity_errors(texts: dict[str, tuple[str, str]]) -> dict[str, ValidationError]:
    """``{field: error}`` for each of ``texts`` (``{field: (its label, its text)}``) with an
    ``@name`` that several active people answer to (``ambiguous_mention``, asking for
    ``@username``)."""
    errors: dict[str, ValidationError] = {}
    for name, (label, text) in texts.items():
        if not text or "@" not in text:
            continue
        for mentioned, people in ambiguous_mentions(text).items():
            errors[name] = ValidationError(
                gettext(
                    "%(field)s: “@%(name)s” matches several people (%(people)s), so nobody would be "
                    "told. Write @ and the username of the one you mean, e.g. @%(username)s."
                )
                % {
                    "field": label,
                    "name": mentioned,
                    "people": ", ".join(f"@{p.username}" for p in people),
                    "username": people[0].username,
                },
                code=NotificationCode.AMBIGUOUS_MENTION,
            )
            break
    return errors


def refuse_ambiguous_mentions(actor, record, action: str, before: dict | None) -> None:
    """The before-write rule: an activity written (a form, the API, a batch) whose new subject
    or details mention an ``@name`` several people answer to is refused on that field; an old
    text left as it was does not stop other changes."""
    texts = {
        name: (str(capfirst(record._meta.get_field(name).verbose_name)), getattr(record, name) or "")
        for name in MENTION_FIELDS
        if "@" in (getattr(record, name) or "")
        and (before is None or before.get(name) != getattr(record, name))
    }
    errors = ambiguity_errors(texts) if texts else {}
    if errors:
        raise ValidationError(errors)


def on_activity_event(event: events.Event) -> None:
    if event.name == events.UPDATED and not WATCHED.intersection(event.changed):
        return
    if event.name not in (events.CREATED, events.UPDATED):
        return
    activities = Activity.all_objects.filter(pk__in=event.ids, is_deleted=False).filter(
        Q(subject__contains="@") | Q(body__contains="@")
    )
    for activity in activities:
        people = [
            user
            for user in mentioned_users(f"{activity.subject}\n{activity.body}")
            if user.pk != event.actor_id and access.readable_record(user, Activity, activity.pk) is not None
        ]
        if people:
            service.notify(
                people, MENTION, record=activity, actor=event.actor_id, dedupe_key=f"mention:{activity.pk}"
            )


# ------------------------------------------------------------------------- task reminders
def send_task_reminders(run: Run) -> int:
    """Notify the assignees of open tasks due on the run's day or before it (idempotent per
    task and day). Returns how many tasks it reminded of."""
    day = timezone.localtime(run.period).date()
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min), tz)
    end = start + dt.timedelta(days=1)
    open_tasks = (
        Activity.all_objects.filter(
            kind=ActivityKind.TASK, is_done=False, is_deleted=False, due_at__lt=end, assignee__isnull=False
        )
        .filter(assignee__is_active=True)
        .only("pk", "subject", "assignee_id", "due_at", "owner_id")
        .order_by("assignee_id", "due_at", "pk")
    )
    by_user: dict[int, list[Activity]] = {}
    for task in open_tasks.iterator(chunk_size=2000):
        by_user.setdefault(task.assignee_id, []).append(task)
    reminded = 0
    for user_id, tasks in by_user.items():
        reminded += len(tasks)
        if len(tasks) > GROUP_ABOVE:
            run.did("tasks pending", user=user_id, tasks=len(tasks))
            if not run.dry_run:
                service.notify(
                    [user_id],
                    TASKS_PENDING,
                    url=reverse("home"),
                    dedupe_key=f"tasks:{day.isoformat()}",
                    count=len(tasks),
                )
            continue
        for task in tasks:
            overdue = task.due_at < start
            run.did("task overdue" if overdue else "task due", user=user_id, task=task.pk)
            if not run.dry_run:
                service.notify(
                    [user_id],
                    TASK_OVERDUE if overdue else TASK_DUE,
                    record=task,
                    dedupe_key=f"task:{task.pk}:{day.isoformat()}",
                )
    return reminded
