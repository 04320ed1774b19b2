"""The "last follow-up" of accounts and leads (``last_activity_at``): the time of the latest
activity on the record that is not a task and not in the recycle bin — an account's counts the
activities on its contacts and opportunities too (``Activity.account``), a lead's those logged
on it. It drives the home page's "follow up" list and the pools' recycling.

Kept by one durable subscriber to the activities' events (``core.records.events``), so it holds on
every path that writes an activity — the quick form, the API, ``save_record``, the batch path,
bulk edits, delete to the recycle bin and restore, transfer — inside the write's transaction:
one ``UPDATE … SET last_activity_at = (SELECT MAX(occurred_at) …)`` per target type and chunk,
recomputed rather than bumped, so a deleted or re-dated activity is handled like a new one. A
denormalised timestamp, not business data: no history entry, no version."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db.models import Max, OuterRef, Subquery

from lianke.core.records import events

from .choices import ActivityKind
from .models import Activity

# An update changes the last follow-up only through these fields.
RELEVANT = frozenset({"occurred_at", "kind", "is_deleted"})
CHUNK = 500


def on_activity_event(event: events.Event) -> None:
    if event.name == events.UPDATED and not RELEVANT.intersection(event.changed):
        return
    refresh(event.ids)


def refresh(activity_ids: Iterable[int]) -> None:
    """Recompute the last follow-up of every record the activities ``activity_ids`` are on."""
    ids = list(activity_ids)
    account_model = Activity._meta.get_field("account").related_model
    for start in range(0, len(ids), CHUNK):
        rows = (
            Activity.all_objects.filter(pk__in=ids[start : start + CHUNK])
            .order_by()
            .values_list("content_type_id", "object_id", "account_id")
            .distinct()
        )
        accounts: set[int] = set()
        targets: dict[int, set[int]] = {}
        for content_type_id, object_id, account_id in rows:
            if account_id:
                accounts.add(account_id)
            if content_type_id and object_id:
                targets.setdefault(content_type_id, set()).add(object_id)
        if accounts:
            _recompute(account_model, accounts, account_id=OuterRef("pk"))
        for content_type_id, object_ids in targets.items():
            model = ContentType.objects.get_for_id(content_type_id).model_class()
            if model is None or model is account_model or not _keeps_follow_ups(model):
                continue
            _recompute(model, object_ids, content_type_id=content_type_id, object_id=OuterRef("pk"))


def _keeps_follow_ups(model) -> bool:
    return any(f.name == "last_activity_at" for f in model._meta.concrete_fields)


def _recompute(model, pks: set[int], **on_record) -> None:
    latest = (
        Activity.all_objects.filter(is_deleted=False, **on_record)
        .exclude(kind=ActivityKind.TASK)
        .order_by()
        .values("is_deleted")  # one group per record
        .annotate(last=Max("occurred_at"))
        .values("last")
    )
    model.all_objects.filter(pk__in=sorted(pks)).update(last_activity_at=Subquery(latest[:1]))
