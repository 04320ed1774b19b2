"""What a notification says, in the reader's language at the time it is read: the declared
type's title filled with its parameters, who caused it, the record's name and type — the name
only for a reader who may open the record (else "Restricted record", as everywhere) — and the
link to it. A kind no app declares (any more), or a title whose parameters do not fit, reads
as a neutral "Notification"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from lianke.core.objecttypes.registry import registry
from lianke.org import access
from lianke.org.choices import Action
from lianke.org.kinds import Owned

from . import types
from .models import Notification


@dataclass
class Item:
    id: int
    kind: str
    label: str  # the type's label ("Assigned to you")
    title: str
    actor: str
    record: str  # the record's name, "Restricted record", or ""
    record_type: str
    url: str  # the record's page (or the producer's link); "" when there is none to open
    created_at: dt.datetime
    read: bool
    actions: str = ""  # HTML of what the reader can do in the row (the type's ``actions``)


def _records(user, notifications: Sequence[Notification]) -> dict[tuple[int, int], tuple[str, str, str]]:
    """``{(content type id, id): (name, type label, url)}`` of the records ``user`` may open
    among those the notifications are about: one query per content type."""
    wanted: dict[int, set[int]] = {}
    for n in notifications:
        if n.content_type_id and n.object_id:
            wanted.setdefault(n.content_type_id, set()).add(n.object_id)
    found: dict[tuple[int, int], tuple[str, str, str]] = {}
    for ct_id, ids in wanted.items():
        model = _model(ct_id)
        ot = registry.get_for_model(model, None) if model is not None else None
        if ot is None:
            continue
        manager = getattr(model, "all_objects", model._default_manager)
        live = manager.filter(pk__in=ids)
        if any(f.name == "is_deleted" for f in model._meta.concrete_fields):
            live = live.filter(is_deleted=False)
        rows = {obj.pk: obj for obj in access.restrict(live, user, Action.VIEW)}
        policy = access.policy_for(model)
        missing = ids - set(rows)
        if missing and isinstance(policy, Owned) and policy.through:
            # Readable through a parent (an activity on an account the reader may see): the
            # parents of all of them read at once, then the records under the readable ones.
            parents: dict[str, list[int]] = {}
            for values in live.filter(pk__in=missing).values(*policy.through):
                for name, parent_id in values.items():
                    if parent_id:
                        parents.setdefault(name, []).append(parent_id)
            if parents:
                rows.update(
                    {obj.pk: obj for obj in live.filter(policy.through_q(user, parents), pk__in=missing)}
                )
        for pk, obj in rows.items():
            found[(ct_id, pk)] = (ot.title(obj), str(ot.label), ot.record_url(pk))
    return found


def _model(content_type_id: int):
    from django.contrib.contenttypes.models import ContentType

    try:
        return ContentType.objects.get_for_id(content_type_id).model_class()
    except ContentType.DoesNotExist:
        return None


def _type_label(content_type_id: int | None) -> str:
    if not content_type_id:
        return ""
    model = _model(content_type_id)
    ot = registry.get_for_model(model, None) if model is not None else None
    return str(ot.label) if ot is not None else ""


def render(user, notifications: Sequence[Notification]) -> list[Item]:
    """``notifications`` (the reader's, with ``actor`` selected) as the reader reads them now."""
    records = _records(user, notifications)
    items = []
    for n in notifications:
        declared = types.find(n.kind)
        actor = str(n.actor) if n.actor_id and n.actor is not None else ""
        record, record_type, url = "", "", n.url
        if n.content_type_id and n.object_id:
            known = records.get((n.content_type_id, n.object_id))
            if known is not None:
                record, record_type, link = known
                url = url or link
            else:
                record, record_type = _("Restricted record"), _type_label(n.content_type_id)
        params = {
            "count": 1,
            **(n.params if isinstance(n.params, dict) else {}),
            "actor": actor or _("Someone"),
            "record": record,
            "type": record_type,
        }
        if declared is None:
            label = title = _("Notification")
        else:
            label = str(declared.label)
            try:
                title = str(declared.title) % params
            except (KeyError, ValueError, TypeError):
                title = label
        items.append(
            Item(
                id=n.pk,
                kind=n.kind,
                label=label,
                title=title,
                actor=actor,
                record=record,
                record_type=record_type,
                url=url,
                created_at=n.created_at,
                read=n.read_at is not None,
            )
        )
    return items


def render_for(notification: Notification) -> Item:
    """One notification as its recipient reads it (for channels that send it elsewhere)."""
    [item] = render(notification.recipient, [notification])
    return item
