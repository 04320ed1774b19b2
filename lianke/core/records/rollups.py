"""Roll-up custom fields kept in step with their children, inside the child's write transaction.

A durable event subscriber (``core.records.events``: it runs inside the transaction, before commit)
hears every create, change, delete, restore and transfer of any type that some active roll-up
counts, and recomputes those roll-ups for the parents concerned: the children's parents now, and
— for a change that moved a child to another parent — the parents they left, read from the
history rows the same write has just recorded (``ObjectChange.prechange_data``). The parents are
locked, their values computed in one aggregate query per roll-up and written into
``custom_data`` key by key. A roll-up is a derived value like a stage's probability: the
children's changes are in the parent's history already; the derived number is not logged again.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType

from ..fieldtypes import kinds
from ..models import CustomField, ObjectChange
from ..models.customfields import complete_custom_data
from ..objecttypes.registry import registry
from . import events


def rollups_of(child_type: str) -> list:
    """The active roll-up definitions counting records of ``child_type`` (cached per request)."""
    from .. import context

    ctx = context.current()
    key = ("rollups", child_type)
    if ctx is not None and key in ctx.cache:
        return ctx.cache[key]
    result = list(CustomField.objects.filter(type="rollup", target_object_type=child_type, is_active=True))
    if ctx is not None:
        ctx.cache[key] = result
    return result


def on_child_event(event: events.Event) -> None:
    definitions = rollups_of(event.object_type)
    if not definitions or event.object_type not in registry:
        return
    child_model = registry.get(event.object_type).model
    by_parent_type: dict[str, list] = {}
    for definition in definitions:
        kind = kinds.get(definition.type)
        if kind is None or definition.object_type not in registry or kind.link_field(definition) is None:
            continue
        by_parent_type.setdefault(definition.object_type, []).append(definition)
    for parent_type, group in by_parent_type.items():
        link = kinds["rollup"].link_field(group[0])
        if event.name == events.UPDATED:  # only a change of what a roll-up reads
            group = [d for d in group if _reads(d, link.name) & set(event.changed)]
            if not group:
                continue
        parents = set(
            child_model.all_objects.filter(pk__in=event.ids)
            .exclude(**{f"{link.attname}__isnull": True})
            .values_list(link.attname, flat=True)
        )
        if event.name == events.UPDATED and link.name in event.changed:
            parents |= _left(child_model, event.ids, link.name)
        if parents:
            refresh(parent_type, group, parents)


def _reads(definition, link_name: str) -> set[str]:
    """The changed-field names (``amount``, ``cf.<name>``) that move this roll-up's value."""
    names = {link_name}
    for _type, name in kinds["rollup"].foreign_inputs(definition):
        names.add(f"cf.{name[3:]}" if name.startswith("cf_") else name)
    return names


def _left(child_model, ids, link_name: str) -> set[int]:
    """The parents the children just moved away from: the latest history rows of the write."""
    content_type = ContentType.objects.get_for_model(child_model)
    latest: dict[int, dict] = {}
    rows = (
        ObjectChange.objects.filter(content_type=content_type, object_id__in=ids)
        .order_by("object_id", "-id")
        .values_list("object_id", "prechange_data")
    )
    for object_id, before in rows:
        latest.setdefault(object_id, before or {})
    return {b[link_name] for b in latest.values() if isinstance(b.get(link_name), int)}


def refresh(parent_type: str, definitions, parent_ids) -> None:
    """Recompute ``definitions`` (roll-ups of ``parent_type``) for ``parent_ids`` and write the
    values that changed, the parents locked in id order (no deadlock between two writers).

    The parents are locked *before* their children are counted: a writer adding a child to the
    same parent in parallel waits here until the other commits, and then counts that child too
    (counted first, it would write a total missing it over the other's)."""
    model = registry.get(parent_type).model
    parents = list(model.all_objects.select_for_update().filter(pk__in=list(parent_ids)).order_by("pk"))
    values = {d.name: kinds["rollup"].values(d, parent_ids) for d in definitions}
    everything = registry.get(parent_type).custom_fields()
    for parent in parents:
        data = dict(parent.custom_data or {})
        for name, by_parent in values.items():
            value = by_parent.get(parent.pk)
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
        # Formulas of the parent over its roll-ups follow them.
        data = complete_custom_data(everything, data, set(), record=parent)
        if data != (parent.custom_data or {}):
            model.all_objects.filter(pk=parent.pk).update(custom_data=data)


def connect() -> None:
    events.subscribe(
        on_child_event,
        events=(events.CREATED, events.UPDATED, events.DELETED, events.RESTORED, events.TRANSFERRED),
        durable=True,
    )
