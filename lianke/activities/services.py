from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from lianke.core.records import services
from lianke.org import access
from lianke.org.choices import Action

from .models import Activity


@transaction.atomic
def log_activity(*, actor, target, activity: Activity) -> Activity:
    """Attach ``activity`` to ``target`` (any record the actor can see) and save it."""
    if not access.can(actor, target, Action.VIEW):
        raise PermissionDenied(_("You cannot add activities to this record."))
    activity.content_type = ContentType.objects.get_for_model(type(target))
    activity.object_id = target.pk
    from lianke.customers.models import Account

    if isinstance(target, Account):
        activity.account_id = target.pk
    else:
        activity.account_id = getattr(target, "account_id", None)
    # The target's last follow-up follows from the write's event (``follow_ups``).
    return services.save_record(actor=actor, instance=activity)


def timeline(target, *, user, limit: int = 50):
    """Activities on the record (an account's include those on its contacts and opportunities)
    merged with its history (readable entries, ``lianke.core.ui.history``), newest first. The
    caller has checked the user may see ``target``. The activities are those the user may read:
    in their scope, or through the account the activity is on (the activity type's kind,
    ``Owned(through=("account",))``) — the account's page shows every follow-up on it."""
    from django.db.models import Q

    from lianke.core.records import audit
    from lianke.core.ui import history
    from lianke.customers.models import Account

    ct = ContentType.objects.get_for_model(type(target))
    on_target = Q(content_type=ct, object_id=target.pk)
    if isinstance(target, Account):
        on_target |= Q(account_id=target.pk)
    account_id = target.pk if isinstance(target, Account) else getattr(target, "account_id", None)
    readable = access.scope_q(user, Activity, Action.VIEW)
    readable = (readable if readable is not None else Q(pk__in=[])) | access.policy_for(Activity).through_q(
        user, {"account": [account_id] if account_id else []}
    )
    activities = list(
        Activity.all_objects.filter(on_target, readable, is_deleted=False)
        .select_related("owner", "assignee")
        .order_by("-occurred_at", "-pk")[:limit]
    )
    changes = history.entries(list(audit.history_for(target, user=user)[:limit]), target=target)
    items = [("activity", a.occurred_at, a) for a in activities] + [
        ("change", e.change.time, e) for e in changes
    ]
    items.sort(key=lambda item: item[1], reverse=True)
    return items[:limit]


def complete_task(*, actor, task: Activity, done: bool = True) -> Activity:
    """Mark a task done (or open again) along its lifecycle (the activity type's path)."""
    from lianke.core.objecttypes.registry import registry

    record, _moved = registry.get_for_model(Activity).stage_path.move(actor=actor, obj=task, value=str(done))
    return record
