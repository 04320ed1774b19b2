"""Write workflows shared by every business object: one transaction each, an explicit actor,
history in the same transaction, and a re-check that the actor still reaches the row."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import OperationalError, connection, models, transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from lianke.org import access, fieldaccess
from lianke.org import audit as security_audit
from lianke.org.choices import Action, AuditKind

from ..errors import BulkCode, FieldCode, RecordCode, code_of
from ..fields import refresh_derived
from ..fieldtypes import kinds, people
from ..models import BusinessModel, ObjectChange
from ..models.customfields import complete_custom_data
from ..objecttypes.registry import registry
from ..search.duplicates import identity_values, lock_identity
from . import audit, bulk, events

A = ObjectChange.ActionChoices


def _require(actor, model, action: str) -> None:
    if not access.has_action(actor, model, action):
        raise PermissionDenied(_("You do not have permission to do this."))


def recheck(actor, obj: models.Model, action: str = Action.VIEW) -> None:
    """Inside the transaction: the row must still be within the actor's reach (fail closed)."""
    if not access.can(actor, obj, action):
        raise PermissionDenied(
            _(
                "This change would put the record out of your reach (owner or department outside your data scope)."
            )
        )


class VersionConflict(Exception):
    """The record changed since the caller read it (``expected`` ≠ the stored version): nothing
    was written. ``changes`` are the history entries since, newest first (for the conflict
    message of a stale form; the API answers 412)."""

    code = "version_conflict"

    def __init__(self, record, expected: int):
        self.record, self.expected, self.current = record, expected, record.version
        super().__init__(
            _("“%(record)s” was changed by someone else since you opened it (version %(old)s → %(new)s).")
            % {"record": record, "old": expected, "new": record.version}
        )

    @property
    def changes(self) -> list[ObjectChange]:
        return list(audit.changes_of(self.record).filter(postchange_data__version__gt=self.expected)[:20])


def locked(model, pk):
    """The stored row, read inside the write transaction under a row lock (PostgreSQL; SQLite's
    IMMEDIATE transaction already holds the database's write lock): the state a write starts
    from, so parallel writes apply one after the other and never from a stale copy."""
    return model.all_objects.select_for_update().get(pk=pk)


def _intended(instance) -> tuple[dict, dict]:
    """What the caller changed on ``instance`` since it was read: ``({attname: value}, {custom
    field: value or MISSING})``. A record built in memory (no read) changes every field it holds."""
    loaded = instance.loaded_values()
    fields = [f for f in instance._meta.concrete_fields if not f.primary_key and f.attname != "custom_data"]
    if loaded is None:
        return {f.attname: getattr(instance, f.attname) for f in fields}, dict(instance.custom_data or {})
    columns = {
        f.attname: getattr(instance, f.attname)
        for f in fields
        if f.attname in loaded and getattr(instance, f.attname) != loaded[f.attname]
    }
    old, new = loaded.get("custom_data") or {}, instance.custom_data or {}
    custom = {k: new.get(k, MISSING) for k in {*old, *new} if old.get(k, MISSING) != new.get(k, MISSING)}
    return columns, custom


MISSING = object()


@dataclass
class Created:
    """A record created by ``create_record``: the record as written and ``message``, what its
    creator is told beside "Saved" (its type's own way of creating may have done more, e.g.
    submitted it for approval); ``""`` for nothing more."""

    record: BusinessModel
    message: str = ""


@transaction.atomic
def create_record(*, actor, instance: BusinessModel, then: Callable | None = None) -> Created:
    """Create ``instance`` as ``actor`` the way its type creates new records (the generic form
    and the API's POST call this): through its ``create_service`` when that applies, else
    ``save_record``. ``then(record) -> record`` is what the caller writes right after the
    record (its form's files), before the type's own service goes on (submits it for approval,
    which locks it). For a type declaring an ``Identity``, writers of one company or person go
    one after the other from here on (``search.duplicates.lock_identity``): a duplicate check or
    a uniqueness check that follows sees the other's record, never a race."""
    object_type = registry.get_for_model(type(instance))
    if object_type.identity is not None:
        lock_identity(**identity_values(instance))
    creator = object_type.creator()
    created = creator(actor, instance, then=then) if creator is not None else None
    if created is None:
        record = save_record(actor=actor, instance=instance)
        created = Created(then(record) if then is not None else record)
    return created


@transaction.atomic
def save_record(*, actor, instance: BusinessModel, expected_version: int | None = None) -> BusinessModel:
    """Create or update one record as ``actor`` (forms, the API, stage moves, tasks call this).

    An update writes only what the caller changed since reading the record — applied to the row
    as stored, read under a lock — so parallel edits of different fields all survive; with
    ``expected_version`` a stale copy is refused (``VersionConflict``). Permission is checked on
    the state before and after; history records the real before → after. Returns the record
    as written (for an update, not the caller's instance)."""
    model = type(instance)
    if instance._state.adding:
        return _create(actor, instance)
    _require(actor, model, Action.EDIT)
    columns, custom = _intended(instance)
    by_attname = {f.attname: f.name for f in model._meta.concrete_fields}
    check_fields(actor, model, [by_attname[a] for a in columns] + [f"cf_{k}" for k in custom])
    record = locked(model, instance.pk)
    if not access.can(actor, record, Action.EDIT):
        raise PermissionDenied(_("You do not have permission to edit “%(record)s”.") % {"record": record})
    if expected_version is not None and record.version != expected_version:
        raise VersionConflict(record, expected_version)
    before = audit.snapshot(record)
    for attname, value in columns.items():
        setattr(record, attname, value)
    if custom:
        data = dict(record.custom_data or {})
        for name, value in custom.items():
            if value is MISSING:
                data.pop(name, None)
            else:
                data[name] = value
        record.custom_data = data
    compute_custom(record)
    record.full_clean(exclude=["owner", "department", "created_by"])
    check_people(actor, record, Action.EDIT, before)
    events.check_rules(actor, record, events.EDIT, before)
    _write(actor, record, before)
    recheck(actor, record, Action.EDIT)
    return record


@transaction.atomic
def save_as_workflow(*, record: BusinessModel, values: dict, actor=None) -> BusinessModel:
    """A workflow's own change of a record — an approval's outcome moving its lifecycle, a
    registration approved —: the row read under its lock, ``values`` (``{field name or
    cf_<name>: value}``) applied and validated, the before-write rules run without an actor (the
    workflow decided: no permission is asked of anyone, and a lifecycle's workflow-only states
    may be entered), then written with history naming ``actor`` (who decided) and the event."""
    model = type(record)
    record = locked(model, record.pk)
    before = audit.snapshot(record)
    names = []
    for name, value in values.items():
        if name.startswith("cf_"):
            record.custom_data = {**(record.custom_data or {}), name[3:]: value}
            names.append("custom_data")
        else:
            field = model._meta.get_field(name)
            if not isinstance(field, models.Field):
                raise FieldDoesNotExist(f"{model.__name__} has no field {name}")
            setattr(record, field.attname, value)
            names.append(field.name)
    compute_custom(record)
    record.full_clean(exclude=[f.name for f in model._meta.concrete_fields if f.name not in names])
    ot = registry.get_for_model(model, None)
    path = ot.stage_path if ot is not None else None
    states = [str(v) for k, v in values.items() if path is not None and k == path.field]
    if path is not None and states:
        with path.workflow(*states):
            events.check_rules(None, record, events.EDIT, before)
    else:
        events.check_rules(None, record, events.EDIT, before)
    _write(actor, record, before)
    return record


def compute_custom(record) -> None:
    """Set the record's computed custom fields (formulas) from its values as they will be
    written, standard fields included: every write path calls it just before validating."""
    ot = registry.get_for_model(type(record), None)
    if ot is None or not hasattr(record, "custom_data"):
        return
    definitions = ot.custom_fields()
    if any(d.type in kinds and kinds[d.type].has_record_rules for d in definitions):
        data = dict(record.custom_data or {})
        record.custom_data = complete_custom_data(definitions, data, set(), record=record)


def check_fields(actor, model, names: Iterable[str]) -> None:
    """The final guard of field permissions (``org.fieldaccess``) for every write with an actor:
    a change to a field the actor may not edit (hidden, masked, read only) is refused with a
    ``ValidationError`` naming the field, code ``field_read_only``. ``names`` are model field
    names and ``cf_<name>`` for custom fields."""
    fieldaccess.field_access(actor, model).refuse(names)


def fields_set_on_create(actor, instance) -> list[str]:
    """The restricted fields a new record would be created with a value in (other than the
    field's default): what ``check_fields`` must refuse on create."""
    model = type(instance)
    fields = fieldaccess.field_access(actor, model)
    if not fields.restricted:
        return []
    ot = registry.get_for_model(model, None)
    defaults = {d.filter_name: d.default for d in ot.custom_fields()} if ot else {}
    computed = (
        {d.filter_name for d in ot.custom_fields() if getattr(kinds.get(d.type), "computed", False)}
        if ot
        else set()
    )
    custom = instance.custom_data or {}
    names = []
    for name in fields.locked_fields():
        if name in computed:  # set by the write pipeline, not by the actor
            continue
        if name.startswith("cf_"):
            value = custom.get(name[3:])
            if value not in (None, "", []) and value != defaults.get(name):
                names.append(name)
            continue
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        value = getattr(instance, field.attname, None)
        if value not in (None, "") and value != field.get_default():
            names.append(name)
    return names


def _create(actor, instance: BusinessModel) -> BusinessModel:
    _require(actor, type(instance), Action.CREATE)
    check_fields(actor, type(instance), fields_set_on_create(actor, instance))
    instance.created_by = actor
    if hasattr(instance, "owner_id"):
        if not instance.owner_id:
            instance.owner = actor
        instance.department_id = None  # follows the owner
    compute_custom(instance)
    instance.full_clean(exclude=["owner", "department", "created_by"])
    check_people(actor, instance, Action.CREATE)
    events.check_rules(actor, instance, events.CREATE)
    instance.version = 1
    instance.save()
    audit.record(A.CREATE, instance, None, audit.snapshot(instance), actor=actor)
    events.emit(events.CREATED, instance, [instance.pk], actor=actor)
    # The record must lie within the actor's scope for what they did — creating within the
    # create scope (a child: edit on its parent), never a view scope widened by collaborations
    # or a task's assignee.
    recheck(actor, instance, Action.CREATE)
    return instance


def _write(actor, record: BusinessModel, before: dict) -> bool:
    """Write the columns that differ from the row as read (``clean()`` may derive some, like a
    stage's probability), raise the version, and record the change. ``False``: nothing changed."""
    loaded = record.loaded_values() or {}
    names = [
        f.name
        for f in record._meta.concrete_fields
        if not f.primary_key and getattr(record, f.attname) != loaded.get(f.attname, MISSING)
    ]
    if not names:
        return False
    record.version += 1
    record.save(update_fields=[*names, "version", "updated_at"])
    after = audit.snapshot(record)
    audit.record(A.UPDATE, record, before, after, actor=actor)
    _announce(events.UPDATED, [(A.UPDATE, record, before, after)], actor)
    return True


def _announce(name: str, entries, actor, **data) -> None:
    """One event per model for what ``entries`` (``(action, record, before, after)``) wrote."""
    by_model: dict[type, list] = {}
    for entry in entries:
        by_model.setdefault(type(entry[1]), []).append(entry)
    for model, group in by_model.items():
        changed = sorted(
            {
                key
                for _action, _record, before, after in group
                if before is not None and isinstance(after, dict)
                for key in {*before, *after}
                if key != "version" and before.get(key) != after.get(key)
            }
        )
        events.emit(name, model, [entry[1].pk for entry in group], actor=actor, changed=changed, **data)
        ot = registry.get_for_model(model, None)
        path = ot.stage_path if ot is not None and name == events.UPDATED else None
        if path is not None:
            # A lifecycle's moves, once per (from, to) pair of the batch.
            for (old, new), ids in path.moves(group).items():
                events.emit(
                    events.TRANSITIONED, model, ids, actor=actor, field=path.field, **{"from": old, "to": new}
                )


def _user_field(model, name: str) -> models.ForeignKey:
    return cast(models.ForeignKey, model._meta.get_field(name))


def check_people(actor, instance: BusinessModel, action: str, before: dict | None = None) -> None:
    """Before writing: the owner and the assignment fields (a task's assignee) must be people
    the actor may assign to for ``action`` (``access.assignable_users``); on edit only the
    values that change are checked. A field error naming the field otherwise."""
    model = type(instance)
    ot = registry.get_for_model(model, None)
    names = (*(("owner",) if hasattr(instance, "owner_id") else ()), *(ot.assignment_fields if ot else ()))
    if action != Action.CREATE and before is None:
        attnames = [_user_field(model, n).attname for n in names]
        stored = model.all_objects.filter(pk=instance.pk).values(*attnames).first() or {}
        before = {n: stored.get(a) for n, a in zip(names, attnames, strict=True)}
    for name in names:
        field = _user_field(model, name)
        value = getattr(instance, field.attname)
        if value is None or (before is not None and before.get(name) == value):
            continue
        check_person(actor, model, action, name, value)


def check_person(actor, model, action: str, name: str, user_id: int) -> None:
    """``user_id`` may go into the user field ``name`` (owner, assignee) when the actor does
    ``action``; otherwise a ``ValidationError`` on that field, naming it."""
    label = capfirst(_user_field(model, name).verbose_name)
    try:
        people.refuse_unless_assignable(actor, model, action, label, user_id)
    except ValidationError as exc:
        raise ValidationError({name: exc}) from None


def _children(obj: BusinessModel, accessor: str, manager: str = "all_objects"):
    related = obj._meta.get_field(accessor)
    if not isinstance(related, models.ForeignObjectRel):
        raise TypeError(f"{accessor} is not a reverse relation of {type(obj).__name__}")
    return getattr(related.related_model, manager).filter(**{related.field.name: obj})


def _cascade(
    actor, obj: BusinessModel, accessors, action: str, *, check: bool = True, **filters
) -> list[BusinessModel]:
    """What goes along with ``obj`` (its contacts, opportunities…), locked, each checked against
    the actor's own permission on its type and row: a related record the actor may not touch
    refuses the whole write, naming it — never a half-done cascade, never someone else's record
    moved silently."""
    group = []
    for accessor in accessors:
        children = list(_children(obj, accessor).select_for_update().filter(**filters).order_by("pk"))
        if not children:
            continue
        child_model = type(children[0])
        if not check:
            group.extend(children)
            continue
        q = access.scope_q(actor, child_model, action)
        reachable = (
            set(
                child_model.all_objects.filter(q, pk__in=[c.pk for c in children]).values_list(
                    "pk", flat=True
                )
            )
            if q is not None
            else set()
        )
        blocked = [c for c in children if c.pk not in reachable]
        if blocked:
            raise PermissionDenied(
                CASCADE_REFUSALS[action]
                % {
                    "record": obj,
                    "type": child_model._meta.verbose_name_plural,
                    "child": blocked[0],
                    "more": len(blocked) - 1,
                }
            )
        group.extend(children)
    return group


CASCADE_REFUSALS: dict[str, StrOrPromise] = {
    Action.DELETE: gettext_lazy(
        "“%(record)s” cannot be deleted with its %(type)s: you may not delete “%(child)s”"
        " (and %(more)s more). Ask its owner or a manager."
    ),
    Action.TRANSFER: gettext_lazy(
        "“%(record)s” cannot be transferred with its %(type)s: you may not transfer “%(child)s”"
        " (and %(more)s more). Transfer it without its related records, or ask a manager."
    ),
}


# What moving a record into or out of the recycle bin writes.
RECYCLE_COLUMNS = ["is_deleted", "deleted_at", "deleted_by", "deletion_batch", "version", "updated_at"]


@transaction.atomic
def delete_records(
    *,
    actor,
    records: Sequence[BusinessModel],
    expected_version: int | None = None,
    batch: uuid.UUID | None = None,
) -> uuid.UUID:
    """Move records (and what hangs on them, per the registry) to the recycle bin. Each row is
    read locked; one already deleted by a parallel request is left as it is. ``batch`` names
    the deletion (chunks of one bulk delete share it)."""
    batch = batch or uuid.uuid4()
    now = timezone.now()
    entries = []
    for given in records:
        model = type(given)
        _require(actor, model, Action.DELETE)
        obj = locked(model, given.pk)
        if obj.is_deleted:
            continue
        if not access.can(actor, obj, Action.DELETE):
            raise PermissionDenied(_("You do not have permission to delete “%(record)s”.") % {"record": obj})
        if expected_version is not None and obj.version != expected_version:
            raise VersionConflict(obj, expected_version)
        accessors = registry.get_for_model(model).delete_cascade
        for item in [obj, *_cascade(actor, obj, accessors, Action.DELETE, is_deleted=False)]:
            before = audit.snapshot(item)
            events.check_rules(actor, item, events.DELETE, before)
            item.is_deleted, item.deleted_at, item.deleted_by, item.deletion_batch = True, now, actor, batch
            item.version += 1
            item.save(update_fields=RECYCLE_COLUMNS)
            entries.append((A.DELETE, item, before, None))
    audit.record_many(entries, actor=actor)
    _announce(events.DELETED, entries, actor, batch=str(batch))
    return batch


def _is_unique(model, field: str) -> bool:
    if model._meta.get_field(field).unique:
        return True
    return any(
        field in getattr(c, "fields", ())
        for c in model._meta.constraints
        if isinstance(c, models.UniqueConstraint)
    )


def deleted_queryset(actor, model):
    """The recycle bin of ``model`` as ``actor`` may see it (deleted rows in the actor's scope)."""
    return access.restrict(model.all_objects.filter(is_deleted=True), actor, Action.DELETE)


@transaction.atomic
def restore_records(*, actor, records: Iterable[BusinessModel]) -> int:
    """Bring records back from the recycle bin, with everything deleted together with them."""
    entries, count = [], 0
    for given in records:
        obj = locked(type(given), given.pk)
        if not obj.is_deleted:  # restored by a parallel request
            continue
        if not deleted_queryset(actor, type(obj)).filter(pk=obj.pk).exists():
            raise PermissionDenied(_("You do not have permission to restore “%(record)s”.") % {"record": obj})
        group = [obj]
        for accessor in registry.get_for_model(type(obj)).delete_cascade:
            group.extend(
                _children(obj, accessor)
                .select_for_update()
                .filter(is_deleted=True, deletion_batch=obj.deletion_batch)
                .order_by("pk")
            )
        for item in group:
            item.is_deleted, item.deleted_at, item.deleted_by, item.deletion_batch = False, None, None, None
            item.version += 1
            events.check_rules(actor, item, events.RESTORE)
            try:
                # A live record may have taken a unique value meanwhile (e.g. the credit code).
                item.validate_constraints()
            except ValidationError as exc:
                raise ValidationError(
                    _("“%(record)s” cannot be restored: %(reason)s")
                    % {"record": item, "reason": " ".join(exc.messages)},
                    code=RecordCode.NOT_RESTORABLE,
                ) from exc
            item.save(update_fields=RECYCLE_COLUMNS)
            entries.append((A.RESTORE, item, None, audit.snapshot(item)))
            count += 1
    audit.record_many(entries, actor=actor)
    _announce(events.RESTORED, entries, actor)
    return count


@transaction.atomic
def transfer_records(
    *, actor, records: Sequence[BusinessModel], new_owner, with_related: bool = True, workflow: bool = False
) -> int:
    """Give records (C6, K2, M6) to ``new_owner``; with their related records that the old owner
    owned (an account's contacts and opportunities…). Nothing else changes; history records it.

    With ``workflow`` a decision made elsewhere is the authority (an approved transfer request:
    the owner's manager said yes): ``actor`` is only named in history, none of his permissions
    or scopes is asked; the before-write rules still run."""
    if not new_owner.is_active:
        raise ValidationError(
            {
                "new_owner": ValidationError(
                    _("The new owner is not an active user."), code=FieldCode.INVALID_CHOICE
                )
            }
        )
    moved = 0
    checked: set[type] = set()
    for given in records:
        model = type(given)
        if not workflow:
            _require(actor, model, Action.TRANSFER)
        # The owner it has now, read under the lock: parallel transfers apply one after the other,
        # each from the owner the one before left (a true history chain, contacts alongside).
        obj = locked(model, given.pk)
        if obj.is_deleted or (not workflow and not access.can(actor, obj, Action.TRANSFER)):
            raise PermissionDenied(
                _("You do not have permission to transfer “%(record)s”.") % {"record": obj}
            )
        if model not in checked and not workflow:
            # Only to someone within the actor's transfer scope: records change hands only
            # between people the actor reaches.
            try:
                people.refuse_unless_assignable(actor, model, Action.TRANSFER, _("New owner"), new_owner.pk)
            except ValidationError as exc:
                raise ValidationError({"new_owner": exc}) from None
            checked.add(model)
        old_owner_id = obj.owner_id
        group = [obj]
        if with_related:
            accessors = registry.get_for_model(model).transfer_related
            group += _cascade(
                actor,
                obj,
                accessors,
                Action.TRANSFER,
                check=not workflow,
                is_deleted=False,
                owner_id=old_owner_id,
            )
        entries = []
        for item in group:
            if item.owner_id == new_owner.pk:
                continue
            before = audit.snapshot(item)
            item.owner, item.department_id = new_owner, new_owner.department_id
            events.check_rules(actor, item, events.TRANSFER, before)
            item.version += 1
            entries.append((A.TRANSFER, item, before, audit.snapshot(item)))
        by_model: dict[type[BusinessModel], list[BusinessModel]] = {}
        for _action, item, _b, _a in entries:
            by_model.setdefault(type(item), []).append(item)
        now = timezone.now()
        for items in by_model.values():
            for item in items:
                item.updated_at = now
            bulk.update(items, ["owner", "department", "version", "updated_at"])
        audit.record_many(entries, actor=actor)
        _announce(events.TRANSFERRED, entries, actor, **{"from": old_owner_id, "to": new_owner.pk})
        moved += len(entries)
    return moved


@transaction.atomic
def bulk_edit(*, actor, records: Sequence[BusinessModel], field: str, value, custom: bool = False) -> int:
    """Set one field (standard or custom) on many records, with a history entry per record.

    The value is checked first (``_bulk_value``: a custom field's definition cleans it; a
    standard field must be a form field). Each record is validated like a form save (field,
    model rules such as "a stage of the opportunity's stage set", uniqueness); any invalid
    record stops the whole batch.
    """
    entries = []
    if records:
        _refuse_unique_in_bulk(type(records[0]), field, len(records), custom)
        value = _bulk_value(type(records[0]), field, value, custom)
    if records and not custom and value is not None:
        model = type(records[0])
        if field in registry.get_for_model(model).assignment_fields:
            # A task's assignee set in bulk: someone the actor may assign to (checked once).
            attname, pk = _user_field(model, field).attname, getattr(value, "pk", value)
            if any(getattr(obj, attname) != pk for obj in records):
                check_person(actor, model, Action.EDIT, field, pk)
    if records:
        # The rows as stored, locked, in one query: a parallel edit is applied on, never overwritten.
        _require(actor, type(records[0]), Action.EDIT)
        check_fields(actor, type(records[0]), [f"cf_{field}" if custom else field])
        records = list(
            type(records[0])
            .all_objects.select_for_update()
            .filter(pk__in=[o.pk for o in records])
            .order_by("pk")
        )
    definitions = registry.get_for_model(type(records[0])).custom_fields() if custom and records else []
    for obj in records:
        before = audit.snapshot(obj)
        if custom:
            data = dict(obj.custom_data)
            if value is None:
                data.pop(field, None)
            else:
                data[field] = value
            try:  # the record's rules: a dependent option, formulas over the field
                obj.custom_data = complete_custom_data(definitions, data, {field}, record=obj)
            except ValidationError as exc:
                raise ValidationError(
                    _("“%(record)s”: %(reason)s") % {"record": obj, "reason": " ".join(exc.messages)},
                    code=next((e.code for es in exc.error_dict.values() for e in es if e.code), None),
                ) from exc
        else:
            setattr(obj, field, value)
            others = [f.name for f in obj._meta.concrete_fields if f.name != field]
            try:
                obj.full_clean(exclude=others)  # the field itself, clean() and its uniqueness
            except ValidationError as exc:
                raise ValidationError(
                    _("“%(record)s”: %(reason)s") % {"record": obj, "reason": " ".join(exc.messages)},
                    code=code_of(exc),  # the field's own refusal (unique, too_long…)
                ) from exc
            compute_custom(obj)  # formulas over the field
        events.check_rules(actor, obj, events.EDIT, before)
        after = audit.snapshot(obj)
        if before != after:
            obj.updated_at = timezone.now()
            obj.version += 1
            after["version"] = obj.version
            entries.append((A.UPDATE, obj, before, after))
    write_updates(actor, entries)
    return len(entries)


def write_updates(actor, entries) -> None:
    """The end of every bulk change of existing records (``bulk_edit``,
    ``batch.update_records``): the records of ``entries`` (``(UPDATE, record, before, after)``,
    each with its version raised) written with one bulk update of the columns they changed —
    ``clean()`` may have derived others (probability and close date follow the stage), and the
    derived columns are refreshed, as a bulk update skips ``pre_save`` —; one query checks that
    every row is still within the actor's edit scope; then the history and the event. Inside
    the caller's transaction: a refusal undoes the write."""
    if not entries:
        return
    changed = [entry[1] for entry in entries]
    model = type(changed[0])
    columns = sorted(
        {
            "custom_data" if key.startswith("cf.") else key
            for _action, _record, before, after in entries
            for key in {*before, *after}
            if before.get(key) != after.get(key)
        }
        - {"version"}
    )
    columns += refresh_derived(changed, columns)
    bulk.update(changed, [*columns, "version", "updated_at"])
    # Every edited row must still be within reach: count them in one query.
    q = access.scope_q(actor, model, Action.EDIT)
    if bulk.count_matching(model, q, [o.pk for o in changed]) != len(changed):
        raise PermissionDenied(_("This change would put records out of your reach."))
    audit.record_many(entries, actor=actor)
    _announce(events.UPDATED, entries, actor)


def _bulk_value(model, field: str, value, custom: bool):
    """What a bulk edit may set, checked here for every caller (the list's bulk bar, jobs,
    integrations): a custom field's value cleaned by its definition (unknown or inactive fields
    refused, a required one never cleared); a standard field only if it is one of the type's
    form fields (its value is validated per record by ``full_clean``)."""
    ot = registry.get_for_model(model)
    if custom:
        from ..models.customfields import clean_custom_data

        return clean_custom_data(ot.custom_fields(), {field: value}, partial=True, complete=False).get(field)
    if field not in ot.form_fields:
        raise ValidationError(
            {field: ValidationError(_("This field cannot be edited in bulk."), code=BulkCode.NOT_EDITABLE)}
        )
    return value


def _refuse_unique_in_bulk(model, field: str, count: int, custom: bool) -> None:
    if not custom and count > 1 and _is_unique(model, field):
        raise ValidationError(
            {
                field: ValidationError(
                    _("This value must be unique; it cannot be set on several records at once."),
                    code=FieldCode.UNIQUE,
                )
            }
        )


# ---------------------------------------------------------------------------------- bulk actions
# Between two chunks on SQLite: long enough for a writer waiting on the lock (SQLite's busy
# handler polls every 100 ms) to get its turn before the next chunk takes the lock again.
CHUNK_PAUSE = 0.1
# A chunk that met a database still locked after the busy timeout wrote nothing: it waits for
# the lock again this many times before the action stops (and says how far it got).
BUSY_RETRIES = 2


@dataclass(frozen=True)
class BulkResult:
    """What a bulk action did: ``done`` of ``total`` records were handled in committed chunks
    (``counted`` is what the action counts: records changed, moved, deleted, restored). With
    ``error`` the action stopped there: the records after ``done`` were not touched."""

    total: int
    done: int
    counted: int
    error: Exception | None = None

    @property
    def complete(self) -> bool:
        return self.error is None

    @property
    def left(self) -> int:
        return self.total - self.done

    @property
    def reason(self) -> str:
        if self.error is None:
            return ""
        messages = getattr(self.error, "messages", None)
        if messages:
            return " ".join(str(m) for m in messages)
        if isinstance(self.error, OperationalError):
            return str(_("The database stayed busy with other changes."))
        return str(self.error)


def run_in_chunks(records: Sequence, apply: Callable[[list], int], *, size: int | None = None) -> BulkResult:
    """Apply a write to ``records`` chunk by chunk, each chunk in its own transaction — all or
    nothing, with the service's own locked read, permission re-check, history and event — so a
    bulk action never holds SQLite's write lock for seconds (``LIANKE_BULK_CHUNK`` records per
    chunk; 0: one transaction). A chunk that finds the database still locked after the busy
    timeout is tried again (``BUSY_RETRIES``). A refusal in the first chunk is raised as it is
    (nothing was written); a later one stops the action and is reported in the result with what
    was done. ``records`` are taken in primary key order."""
    from ..middleware import is_database_busy

    # In primary key order: chunks are predictable, and parallel bulk actions lock rows in the
    # same order (no deadlock between them on PostgreSQL).
    records = sorted(records, key=lambda record: record.pk)
    size = settings.LIANKE_BULK_CHUNK if size is None else size
    size = size if size > 0 else max(len(records), 1)
    own_transactions = not connection.in_atomic_block
    turns = own_transactions and connection.vendor == "sqlite"
    done = counted = 0
    for start in range(0, len(records), size):
        chunk = records[start : start + size]
        if start and turns:
            time.sleep(CHUNK_PAUSE)
        for attempt in range(BUSY_RETRIES + 1):
            try:
                with transaction.atomic():
                    counted += apply(chunk)
                break
            except (ValidationError, PermissionDenied, VersionConflict) as exc:
                if not done:
                    raise
                return BulkResult(len(records), done, counted, exc)
            except OperationalError as exc:
                if not is_database_busy(exc):
                    raise
                if own_transactions and attempt < BUSY_RETRIES:
                    continue  # the chunk wrote nothing: wait for the lock again
                if not done:
                    raise
                return BulkResult(len(records), done, counted, exc)
        done += len(chunk)
    return BulkResult(len(records), done, counted)


def edit_in_bulk(
    *, actor, records: Sequence[BusinessModel], field: str, value, custom: bool = False
) -> BulkResult:
    """``bulk_edit`` in chunks; counts the records changed."""
    if records:
        _refuse_unique_in_bulk(type(records[0]), field, len(records), custom)
    return run_in_chunks(
        records, lambda chunk: bulk_edit(actor=actor, records=chunk, field=field, value=value, custom=custom)
    )


def delete_in_bulk(*, actor, records: Sequence[BusinessModel]) -> BulkResult:
    """``delete_records`` in chunks, one deletion batch; counts the records moved to the bin.
    What was deleted is an event of the data-protection audit."""
    batch = uuid.uuid4()

    def apply(chunk: list) -> int:
        delete_records(actor=actor, records=chunk, batch=batch)
        return len(chunk)

    result = run_in_chunks(records, apply)
    _audit_bulk(AuditKind.BULK_DELETE, actor, records, result, batch=str(batch))
    return result


def transfer_in_bulk(
    *, actor, records: Sequence[BusinessModel], new_owner, with_related: bool = True
) -> BulkResult:
    """``transfer_records`` in chunks (a record's related records go in its chunk); counts the
    records that changed hands. What moved is an event of the data-protection audit."""
    result = run_in_chunks(
        records,
        lambda chunk: transfer_records(
            actor=actor, records=chunk, new_owner=new_owner, with_related=with_related
        ),
    )
    _audit_bulk(
        AuditKind.BULK_TRANSFER,
        actor,
        records,
        result,
        to=new_owner.pk,
        to_name=new_owner.get_username(),
    )
    return result


# The ids an audit event of a bulk action lists (the count is always whole).
AUDITED_IDS = 1000


def _audit_bulk(kind: str, actor, records: Sequence[BusinessModel], result: BulkResult, **data) -> None:
    if not result.done:
        return
    model = type(records[0])
    ids = sorted(record.pk for record in records)[: result.done]
    summary = f"{result.counted} {model._meta.verbose_name_plural}"
    if "to_name" in data:
        summary += f" → {data['to_name']}"
    security_audit.record(
        kind,
        actor=actor,
        object_type=model._meta.label_lower,
        summary=summary,
        data={
            **data,
            "count": result.counted,
            "selected": result.total,
            "done": result.done,
            "ids": ids[:AUDITED_IDS],
            "stopped": result.reason,
        },
    )


def restore_in_bulk(*, actor, records: Sequence[BusinessModel]) -> BulkResult:
    """``restore_records`` in chunks; counts the records restored."""
    return run_in_chunks(records, lambda chunk: restore_records(actor=actor, records=chunk))


# ---------------------------------------------------------------------------------- collaborators
def _collaborator_state(record) -> list[str]:
    from django.contrib.contenttypes.models import ContentType

    from lianke.org.models import Collaborator

    shared = Collaborator.objects.filter(
        content_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk
    ).select_related("user")
    # The access level is stored as its key and named when shown (in the reader's language).
    return sorted(f"{c.user} ({c.access})" for c in shared)


@transaction.atomic
def share_record(*, actor, record, user, access_level: str, remove: bool = False):
    """Add ``user`` as a collaborator of ``record`` with ``access_level`` (or change their
    access), or with ``remove`` take them off: the actor must be able to edit the record (read
    locked); the owner is never a collaborator; history records the list before → after."""
    from django.contrib.contenttypes.models import ContentType

    from lianke.org.choices import CollaboratorAccess
    from lianke.org.models import Collaborator

    model = type(record)
    ot = registry.get_for_model(model, None)
    if ot is None or not ot.is_owned:
        raise PermissionDenied(_("This kind of record has no collaborators of its own."))
    record = locked(model, record.pk)
    if record.is_deleted or not access.can(actor, record, Action.EDIT):
        raise PermissionDenied(_("You do not have permission to edit “%(record)s”.") % {"record": record})
    ct = ContentType.objects.get_for_model(model)
    before = _collaborator_state(record)
    if remove:
        Collaborator.objects.filter(content_type=ct, object_id=record.pk, user=user).delete()
    else:
        if user.pk == record.owner_id:
            raise ValidationError(
                {
                    "user": ValidationError(
                        _("The owner already has full access."), code=FieldCode.INVALID_CHOICE
                    )
                }
            )
        if not user.is_active:
            raise ValidationError(
                {"user": ValidationError(_("Choose an active user."), code=FieldCode.INVALID_CHOICE)}
            )
        if access_level not in CollaboratorAccess.values:
            raise ValidationError(
                {"access": ValidationError(_("Choose an access level."), code=FieldCode.INVALID_CHOICE)}
            )
        Collaborator.objects.update_or_create(
            content_type=ct,
            object_id=record.pk,
            user=user,
            defaults={"access": access_level, "added_by": actor},
        )
    after = _collaborator_state(record)
    if after != before:
        audit.record(A.UPDATE, record, {"collaborators": before}, {"collaborators": after}, actor=actor)
        events.emit(events.UPDATED, record, [record.pk], actor=actor, changed=["collaborators"])
    return record
