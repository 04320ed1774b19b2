"""History: snapshots of records and the ``ObjectChange`` rows that compare them.

Written in the same transaction as the change, by the services (never by signals), so bulk
work is recorded too. Who/where comes from the active context (web, API, command, job…).
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import uuid
from decimal import Decimal
from typing import cast

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from .. import context
from ..models import ObjectChange
from ..models.base import Record
from . import bulk

SKIP_FIELDS = {
    "id",
    "custom_data",
    "created_at",
    "updated_at",
    "deleted_at",
    "deleted_by",
    "deletion_batch",
    "created_by",
}


def _jsonable(value):
    if isinstance(value, str):  # a choices enum member: its plain value
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        # One instant, one text: a value read back from the database (UTC) and the same value
        # from a form (local time) must compare equal, or an unchanged save looks like a change.
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.timedelta):  # an interval (a schedule's): its seconds
        return value.total_seconds()
    return value


def snapshot(obj: models.Model) -> dict:
    """Every field's stored value, custom fields as ``cf.<name>``; foreign keys as ids."""
    values = obj.__dict__
    names, getter = _snapshot_fields(type(obj))
    try:
        read = getter(values)
    except KeyError:  # a deferred field: read it from the database
        read = [getattr(obj, attname) for attname in _snapshot_attnames(type(obj))]
    data = {
        name: value if type(value) in _PLAIN else _jsonable(value)
        for name, value in zip(names, read, strict=True)
    }
    for name, value in (getattr(obj, "custom_data", None) or {}).items():
        data[f"cf.{name}"] = value
    return data


_PLAIN = {str, int, bool, float, type(None)}


@functools.cache
def _snapshot_attnames(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(attname for _name, attname in _snapshot_pairs(model))


@functools.cache
def _snapshot_fields(model: type[models.Model]):
    """``(names, getter)``: the names of the fields a snapshot holds (not bookkeeping, not
    derived columns like a phone's digits), and one ``itemgetter`` of their values from an
    instance's ``__dict__``, once per model."""
    pairs = _snapshot_pairs(model)
    attnames = [attname for _name, attname in pairs]
    getter = operator.itemgetter(*attnames) if len(attnames) > 1 else (lambda values: (values[attnames[0]],))
    return tuple(name for name, _attname in pairs), getter


def _snapshot_pairs(model: type[models.Model]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (f.name, f.attname)
        for f in model._meta.concrete_fields
        if f.name not in SKIP_FIELDS and not getattr(f, "derived", False)
    )


# Never copied into history: secrets and bookkeeping of settings records (a user's password hash).
SECRET_FIELDS = {"password", "last_login"}


def config_snapshot(obj: models.Model, related: tuple[str, ...] = ()) -> dict:
    """A settings record's state for history: its fields (no secrets), its many-to-many ids and
    the rows of the ``related`` reverse relations (a role's permissions), so a change made in
    the settings — the admin pages included — is told old → new like a business record's."""
    data = {k: v for k, v in snapshot(obj).items() if k not in SECRET_FIELDS}
    for field in obj._meta.many_to_many:
        data[field.name] = sorted(getattr(obj, field.name).values_list("pk", flat=True))
    for name in related:
        rel = obj._meta.get_field(name)
        assert isinstance(rel, models.ForeignObjectRel)
        rows = getattr(obj, rel.get_accessor_name() or name).order_by("pk")
        data[name] = [
            {k: _jsonable(v) for k, v in row.items() if k not in ("id", rel.field.attname)}
            for row in rows.values()
        ]
    return data


def _who(actor) -> dict:
    """Who made a change and from where: ``actor`` (the services name who acts) or else the
    context's user."""
    ctx = context.current()
    user = actor if actor is not None else (ctx.user if ctx else None)
    return {
        "user_id": user.pk if user else None,
        "user_name": (str(user) if user else "")[:150],
        "request_id": ctx.request_id if ctx else "",
        "source": ctx.source if ctx else context.Source.SYSTEM,
    }


def _where(model: type[models.Model]) -> tuple[int, str | None, int | None]:
    """``(content type id, parent attname, parent content type id)``: a child's changes are also
    its parent's history."""
    from ..objecttypes.registry import registry

    object_type = registry.get_for_model(model, None)
    parent_field = object_type.parent_field if object_type else None
    ct = ContentType.objects.get_for_model(model).pk
    if not parent_field:
        return ct, None, None
    field = model._meta.get_field(parent_field)
    assert isinstance(field, models.ForeignKey)
    parent_model = cast(type[models.Model], field.related_model)
    return ct, field.attname, ContentType.objects.get_for_model(parent_model).pk


def change_rows(action: str, entries, *, actor=None) -> list[dict]:
    """History rows (``{attname: value}`` of ``ObjectChange``) for ``entries`` — ``(record,
    before, after)`` of one model —, who and where worked out once for them all."""
    entries = list(entries)
    if not entries:
        return []
    who = _who(actor)
    ct, parent_attname, parent_ct = _where(type(entries[0][0]))
    rows = []
    for obj, before, after in entries:
        parent_id = getattr(obj, parent_attname) if parent_attname else None
        rows.append(
            {
                **who,
                "action": action,
                "content_type_id": ct,
                "object_id": obj.pk,
                "object_repr": str(obj)[:200],
                "related_content_type_id": parent_ct if parent_id else None,
                "related_object_id": parent_id or None,
                "prechange_data": before,
                "postchange_data": after,
            }
        )
    return rows


def build_change(
    action: str, obj: models.Model, before: dict | None, after: dict | None, *, actor=None
) -> ObjectChange:
    """One history entry, by ``actor`` (the services name who acts) or else the context's user."""
    [row] = change_rows(action, [(obj, before, after)], actor=actor)
    return ObjectChange(**row)


def record(
    action: str, obj: models.Model, before: dict | None, after: dict | None, *, actor=None
) -> ObjectChange | None:
    if action == ObjectChange.ActionChoices.UPDATE and before == after:
        return None
    change = build_change(action, obj, before, after, actor=actor)
    change.save()
    if not isinstance(obj, Record):
        # A settings record: a change of roles, grants, field rules or a user's roles is also
        # an event of the data-protection audit (``org.audit`` decides which are).
        from lianke.org import audit as security_audit

        security_audit.config_changed(action, obj, before, after, actor=actor)
    return change


def record_many(entries, *, actor=None) -> None:
    """Bulk form of :func:`record`: ``entries`` yields ``(action, obj, before, after)``. Who and
    where are worked out once per action and model, the rows streamed in one insert (``COPY`` on
    PostgreSQL), in the order of the entries' first appearance per action and model."""
    groups: dict[tuple[str, type], list] = {}
    for action, obj, before, after in entries:
        if action == ObjectChange.ActionChoices.UPDATE and before == after:
            continue
        groups.setdefault((action, type(obj)), []).append((obj, before, after))
    history = bulk.new(ObjectChange)
    bulk.insert(
        [
            history(row)
            for (action, _model), items in groups.items()
            for row in change_rows(action, items, actor=actor)
        ]
    )


def changes_of(obj: models.Model):
    """The record's own changes, newest first."""
    return ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(type(obj)), object_id=obj.pk
    ).order_by("-time", "-id")


def history_for(obj: models.Model, *, user=None):
    """Changes of the record and of the records that hang on it (e.g. an account's contacts).

    The caller has already established that the user may see ``obj``. With ``user``, a child's
    changes are listed only if the user may read that child (its own kind decides: a contact
    the reader cannot open — a colleague's, or one left behind by a transfer — keeps its
    changes to itself); deleted children count as what they were. Without ``user``: all
    (system use).
    """
    from lianke.org import access
    from lianke.org.choices import Action

    from ..objecttypes.registry import registry

    ct = ContentType.objects.get_for_model(type(obj))
    own = models.Q(content_type=ct, object_id=obj.pk)
    if user is None:
        return ObjectChange.objects.filter(
            own | models.Q(related_content_type=ct, related_object_id=obj.pk)
        ).select_related("content_type")
    q = own
    for child in registry:
        if not child.parent_field or child.field(child.parent_field).related_model is not type(obj):
            continue
        scope = access.scope_q(user, child.model, Action.VIEW)
        if scope is None:
            continue
        readable = child.model.all_objects.filter(scope, **{child.parent_field: obj.pk}).values("pk")
        q |= models.Q(
            related_content_type=ct,
            related_object_id=obj.pk,
            content_type=ContentType.objects.get_for_model(child.model),
            object_id__in=readable,
        )
    return ObjectChange.objects.filter(q).select_related("content_type")
