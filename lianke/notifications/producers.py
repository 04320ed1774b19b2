"""The generic producers, for every type whose records have an owner or assignment fields
(a task's assignee): durable subscribers to the write pipeline's events, so a notification
commits with its change.

- ``record.assigned`` — "assigned to you": a record created with an owner or assignee who is
  not the actor, or whose owner or assignee changed to someone other than the actor;
- ``record.transferred`` — "transferred to you": the ``transferred`` event's new owner.

One event names one record, or many (a batch, an import, a bulk transfer): a recipient of more
than ``GROUP_ABOVE`` records of one event gets one notification saying how many, linked to the
type's list, instead of one each."""

from __future__ import annotations

from django.apps import apps
from django.utils.translation import gettext_lazy as _

from lianke.core.objecttypes.registry import registry
from lianke.core.records import events

from . import service, types

ASSIGNED, TRANSFERRED = "record.assigned", "record.transferred"
ASSIGNED_MANY, TRANSFERRED_MANY = "record.assigned_many", "record.transferred_many"
GROUP_ABOVE = 3


def declare() -> None:
    types.declare(
        ASSIGNED,
        label=_("Assigned to you"),
        title=_("%(actor)s assigned %(type)s “%(record)s” to you"),
        channels=(types.IN_APP, types.EMAIL),
    )
    types.declare(
        ASSIGNED_MANY,
        label=_("Assigned to you (several)"),
        title=_("%(actor)s assigned %(count)s %(type_plural)s to you"),
        channels=(types.IN_APP,),
    )
    types.declare(
        TRANSFERRED,
        label=_("Transferred to you"),
        title=_("%(actor)s transferred %(type)s “%(record)s” to you"),
        channels=(types.IN_APP, types.EMAIL),
    )
    types.declare(
        TRANSFERRED_MANY,
        label=_("Transferred to you (several)"),
        title=_("%(actor)s transferred %(count)s %(type_plural)s to you"),
        channels=(types.IN_APP,),
    )


def _people_fields(ot) -> tuple[str, ...]:
    return (*(("owner",) if ot.is_owned else ()), *ot.assignment_fields)


def _send(kind: str, many_kind: str, ot, by_user: dict[int, list], actor_id) -> None:
    for user_id, records in by_user.items():
        if len(records) > GROUP_ABOVE:
            service.notify(
                [user_id],
                many_kind,
                actor=actor_id,
                url=ot.url_list,
                count=len(records),
                type_plural=str(ot.label_plural),
            )
        else:
            for record in records:
                service.notify([user_id], kind, record=record, actor=actor_id)


def on_event(event: events.Event) -> None:
    ot = registry.get_for_model(apps.get_model(event.object_type), None)
    if ot is None:
        return
    fields = _people_fields(ot)
    if event.name == events.TRANSFERRED:
        to = event.data.get("to")
        if not to or to == event.actor_id:
            return
        records = list(ot.model._base_manager.filter(pk__in=event.ids, owner_id=to).only("pk").order_by("pk"))
        _send(TRANSFERRED, TRANSFERRED_MANY, ot, {to: records} if records else {}, event.actor_id)
        return
    if event.name == events.CREATED:
        watched = fields
    elif event.name == events.UPDATED:
        watched = tuple(f for f in fields if f in event.changed)
    else:
        return
    if not watched:
        return
    by_user: dict[int, list] = {}
    columns = [ot.model._meta.get_field(name).attname for name in watched]
    for record in ot.model._base_manager.filter(pk__in=event.ids).only("pk", *columns).order_by("pk"):
        people = {getattr(record, f"{name}_id", None) for name in watched} - {None, event.actor_id}
        for user_id in people:
            by_user.setdefault(user_id, []).append(record)
    _send(ASSIGNED, ASSIGNED_MANY, ot, by_user, event.actor_id)


def subscribe() -> None:
    events.subscribe(on_event, events=(events.CREATED, events.UPDATED, events.TRANSFERRED), durable=True)
