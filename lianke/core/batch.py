"""The batch write path: many records of one type created or changed in one transaction by the
same rules as a form save — each model field's own validation (type, length, choices, required,
validators), custom-field ``clean``, the model's ``clean()``, uniqueness, the people one may
give records to, the apps' before-write rules — but compiled once per batch and applied to plain
values: relations are resolved with one query per field, uniqueness with one query per unique
field, owners with one query, then bulk inserts / updates, history in bulk, one event per batch
and one scope re-check per batch. All or nothing: any invalid row refuses the batch with the
errors of every row (``BatchError``). Imports, jobs and integrations build on it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models import signals
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext as _

from lianke.org import access
from lianke.org.choices import Action

from . import audit, events
from .models import ObjectChange
from .models.customfields import clean_custom_data
from .registry import registry

A = ObjectChange.ActionChoices
CHUNK = 1000


class BatchError(ValidationError):
    """Rows that failed, as ``{row index: {field: [messages]}}``; nothing was written."""

    def __init__(self, rows: dict[int, dict[str, list[str]]]):
        self.rows = rows
        first = min(rows)
        super().__init__(
            _("%(count)s of the rows are invalid (first: row %(row)s); nothing was saved.")
            % {"count": len(rows), "row": first + 1},
            code="invalid_rows",
        )


class _New:
    """New instances of one model without ``Model.__init__``'s walk over its fields: the
    defaults are worked out once (callable ones called per instance). Only for models without
    ``pre_init`` / ``post_init`` receivers (which a plain ``__init__`` would call)."""

    def __init__(self, model: Any):
        self.model = model
        self.plain = not (signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model))
        self.static: dict[str, Any] = {}
        self.dynamic: list[tuple[str, models.Field]] = []
        for field in model._meta.concrete_fields:
            if field.has_default() and callable(field.default):
                self.dynamic.append((field.attname, field))
            else:
                self.static[field.attname] = field.get_default()

    def __call__(self, values: Mapping[str, Any] = {}) -> Any:  # noqa: B006 - read only
        if not self.plain:
            return self.model(**values)
        obj = self.model.__new__(self.model)
        obj._state = ModelState()
        data = obj.__dict__
        data.update(self.static)
        for attname, field in self.dynamic:
            data[attname] = field.get_default()
        data.update(values)
        return obj


@functools.cache
def new(model: type[models.Model]) -> _New:
    return _New(model)


class _Compiled:
    """The rules of one object type for one batch: which fields, how each is cleaned."""

    def __init__(self, actor, model: Any, names: Iterable[str]):
        self.actor, self.model = actor, model
        self.ot = registry.get_for_model(model)
        self.editable = set(self.ot.form_fields) | ({"owner"} if self.ot.is_owned else set())
        self.fields: dict[str, Any] = {
            name: model._meta.get_field(name) for name in names if name != "custom_fields"
        }
        self.definitions = self.ot.custom_fields()

    def check_names(self) -> None:
        unknown = sorted(set(self.fields) - self.editable)
        if unknown:
            raise ValidationError(
                {name: [_("This field cannot be set here.")] for name in unknown}, code="not_editable"
            )

    def resolve_relations(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, dict]:
        """``{field: {pk: instance}}`` of the related records the rows name, each relation read
        once through the actor's scope (a record one may not see is no valid choice)."""
        found: dict[str, dict] = {}
        for name, field in self.fields.items():
            if not isinstance(field, models.ForeignKey):
                continue
            wanted = {row[name] for row in rows if row.get(name) not in (None, "")}
            related = field.related_model
            manager: Any
            if related is get_user_model():
                manager = related._default_manager.filter(is_active=True)
            elif hasattr(related, "all_objects"):  # a business record: one the actor may see
                manager = access.restrict(
                    related.all_objects.filter(is_deleted=False), self.actor, Action.VIEW
                )
            else:
                manager = related._default_manager.all()
            keys = {key for key in (_key(field, value) for value in wanted) if key is not None}
            found[name] = {obj.pk: obj for obj in manager.filter(pk__in=keys)} if keys else {}
        return found

    def clean_row(self, index: int, row: Mapping[str, Any], related: dict, errors: dict, obj=None):
        """``row`` cleaned onto a new record, or onto ``obj`` (an update: only the fields the
        row names, custom fields merged key by key); the record's ``clean()`` last. Errors go to
        ``errors[index]``."""
        is_new = obj is None
        if obj is None:
            obj = new(self.model)()
        row_errors: dict[str, list[str]] = {}
        for name, value in row.items():
            if name == "custom_fields":
                continue
            field = self.fields[name]
            try:
                if isinstance(field, models.ForeignKey):
                    if value in (None, ""):
                        if not field.blank:
                            raise ValidationError(field.error_messages["blank"], code="required")
                        setattr(obj, field.attname, None)
                        continue
                    target = related[name].get(_key(field, value))
                    if target is None:
                        raise ValidationError(
                            _("No such record, or not one you may see."), code="does_not_exist"
                        )
                    setattr(obj, name, target)
                else:
                    value = field.clean(value, obj)
                    if isinstance(value, dt.datetime) and timezone.is_naive(value):
                        value = timezone.make_aware(value)  # local time, as a form reads it
                    setattr(obj, field.attname, value)
            except ValidationError as exc:
                row_errors.setdefault(name, []).extend(exc.messages)
        if is_new or "custom_fields" in row:
            try:
                obj.custom_data = clean_custom_data(
                    self.definitions,
                    row.get("custom_fields") or {},
                    existing=None if is_new else obj.custom_data,
                    partial=not is_new,
                )
            except ValidationError as exc:
                for key, messages in exc.message_dict.items():
                    row_errors.setdefault(key, []).extend(messages)
        if is_new:  # fields the row leaves out take their defaults; required ones without one fail
            for field in self.model._meta.concrete_fields:
                if field.name in row or field.name not in self.ot.form_fields:
                    continue
                if not field.blank and not field.has_default() and getattr(obj, field.attname) in (None, ""):
                    row_errors.setdefault(field.name, []).append(str(field.error_messages["blank"]))
        if not row_errors:
            try:
                obj.clean()
            except ValidationError as exc:
                for key, messages in exc.message_dict.items():
                    row_errors.setdefault(key, []).extend(messages)
        if row_errors:
            errors[index] = row_errors
        return obj

    def check_unique(self, objs: list, errors: dict, exclude_pks: Iterable[int] = ()) -> None:
        """Single-field unique values: against the stored rows (one query each, hidden rows too)
        and within the batch."""
        for name in self._unique_fields():
            attname = self.fields[name].attname
            values: dict[Any, list[int]] = {}
            for index, obj in enumerate(objs):
                value = getattr(obj, attname)
                if value not in (None, ""):
                    values.setdefault(value, []).append(index)
            if not values:
                continue
            taken = set(
                self.model.all_objects.filter(**{f"{attname}__in": list(values), "is_deleted": False})
                .exclude(pk__in=list(exclude_pks))
                .values_list(attname, flat=True)
            )
            for value, indexes in values.items():
                clash = indexes if value in taken else indexes[1:]
                for index in clash:
                    errors.setdefault(index, {}).setdefault(name, []).append(
                        _("Another record already has this value.")
                    )

    def _unique_fields(self) -> list[str]:
        names = [f.name for f in self.model._meta.concrete_fields if f.unique and not f.primary_key]
        for constraint in self.model._meta.constraints:
            if isinstance(constraint, models.UniqueConstraint) and len(constraint.fields) == 1:
                names.append(constraint.fields[0])
        return [n for n in dict.fromkeys(names) if n in self.fields]


def insert(objs: list) -> list:
    """Insert new records of one model, their primary keys set: PostgreSQL streams them with
    ``COPY`` (ids drawn from the table's sequence in one query), other databases use
    ``bulk_create``. Field ``pre_save`` runs as on a save (timestamps, derived phone digits)."""
    if not objs:
        return objs
    model = type(objs[0])
    if connection.vendor != "postgresql":
        return model._base_manager.bulk_create(objs, batch_size=CHUNK)
    opts = model._meta
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the proxy costs a lookup per value
    quote = db.ops.quote_name
    columns = _copy_columns(cast(type[models.Model], model))
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [opts.db_table, opts.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
        names = ", ".join(quote(c) for c in [opts.pk.column, *(f.column for f, _pre, _prep in columns)])
        with cursor.cursor.copy(f"COPY {quote(opts.db_table)} ({names}) FROM STDIN") as copy:
            for obj in objs:
                values = obj.__dict__
                row = [obj.pk]
                for field, pre, prep in columns:
                    value = field.pre_save(obj, True) if pre else values[field.attname]
                    if prep is _PREP or (prep is _PREP_NAIVE and value is not None and value.tzinfo is None):
                        value = field.get_db_prep_save(value, db)
                    row.append(value)
                copy.write_row(row)
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias
    return objs


# Field classes whose clean values PostgreSQL's driver takes as they are (``get_db_prep_save``
# would return them unchanged): the COPY skips the call. Subclasses (a phone field) are not
# assumed to be so and keep it.
_AS_IS = {
    models.CharField,
    models.TextField,
    models.EmailField,
    models.URLField,
    models.SlugField,
    models.IntegerField,
    models.BigIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SmallIntegerField,
    models.BooleanField,
    models.ForeignKey,
}


_AS_IS_VALUE, _PREP, _PREP_NAIVE = "as is", "prep", "prep naive"


@functools.cache
def _copy_columns(model: type[models.Model]) -> tuple[tuple[models.Field, bool, str], ...]:
    """``(field, calls pre_save, how its value is prepared)`` of each column but the key: a
    date-time is taken as it is when it is aware (a naive one is made aware the way a save
    does), a field of ``_AS_IS`` always, any other through ``get_db_prep_save``."""
    columns = []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if isinstance(field, models.DateField):  # and DateTimeField: pre_save only stamps
            pre = bool(field.auto_now or field.auto_now_add)
        else:
            pre = type(field).pre_save is not models.Field.pre_save
        if type(field) is models.DateTimeField:
            prep = _PREP_NAIVE
        else:
            prep = _AS_IS_VALUE if type(field) in _AS_IS else _PREP
        columns.append((field, pre, prep))
    return tuple(columns)


def _key(field: models.ForeignKey, value):
    try:
        return field.target_field.to_python(value)
    except ValidationError:
        return None


def _check_people(compiled: _Compiled, objs: list, action: str, errors: dict) -> None:
    """Owners and assignees: people the actor may give records to, checked once per person."""
    from .services import check_person

    names = [n for n in ("owner", *compiled.ot.assignment_fields) if n in compiled.fields or n == "owner"]
    for name in names:
        if name == "owner" and not compiled.ot.is_owned:
            continue
        attname = compiled.model._meta.get_field(name).attname
        verdict: dict[int, str | None] = {}
        for index, obj in enumerate(objs):
            user_id = getattr(obj, attname)
            if user_id is None:
                continue
            if user_id not in verdict:  # the single-record check, once per person
                try:
                    check_person(compiled.actor, compiled.model, action, name, user_id)
                    verdict[user_id] = None
                except ValidationError as exc:
                    verdict[user_id] = " ".join(exc.messages)
            if verdict[user_id]:
                errors.setdefault(index, {}).setdefault(name, []).append(verdict[user_id])


@transaction.atomic
def create_records(*, actor, model: Any, rows: Sequence[Mapping[str, Any]]) -> list:
    """Create one record per row (``{field: value, "custom_fields": {...}}``) as ``actor``:
    all or none. Returns the created records."""
    if not access.has_action(actor, model, Action.CREATE):
        raise PermissionDenied(_("You do not have permission to do this."))
    if not rows:
        return []
    compiled = _Compiled(actor, model, {name for row in rows for name in row})
    compiled.check_names()
    errors: dict[int, dict[str, list[str]]] = {}
    related = compiled.resolve_relations(rows)
    objs = [compiled.clean_row(i, row, related, errors) for i, row in enumerate(rows)]
    now = timezone.now()
    departments: dict[int, int | None] = {}
    if compiled.ot.is_owned:
        for obj in objs:
            if not obj.owner_id:
                obj.owner_id = actor.pk
        owner_ids = {obj.owner_id for obj in objs}
        departments = dict(
            get_user_model().objects.filter(pk__in=owner_ids).values_list("pk", "department_id")
        )
    _check_people(compiled, objs, Action.CREATE, errors)
    compiled.check_unique(objs, errors)
    owned = compiled.ot.is_owned
    for index, obj in enumerate(objs):
        obj.created_by_id = actor.pk
        obj.created_at = obj.updated_at = now
        obj.version = 1
        if owned:
            obj.department_id = departments.get(obj.owner_id)
        if index not in errors:
            try:
                events.check_rules(actor, obj, events.CREATE)
            except ValidationError as exc:
                errors[index] = (
                    exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
                )
    if errors:
        raise BatchError(errors)
    created = insert(objs)
    # One scope check for the batch: every new record lies within the actor's create scope.
    q = access.scope_q(actor, model, Action.CREATE)
    ids = [obj.pk for obj in created]
    inside = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        inside += model.all_objects.filter(q, pk__in=chunk).count() if q is not None else 0
    if inside != len(ids):
        raise PermissionDenied(_("This change would put records out of your reach."))
    history = new(ObjectChange)
    insert(
        [
            history(row)
            for row in audit.change_rows(
                A.CREATE, [(obj, None, audit.snapshot(obj)) for obj in created], actor=actor
            )
        ]
    )
    events.emit(events.CREATED, model, ids, actor=actor)
    return created


@transaction.atomic
def update_records(*, actor, model: Any, changes: Mapping[int, Mapping[str, Any]]) -> int:
    """Apply ``{pk: {field: value, "custom_fields": {...}}}`` as ``actor``: the rows are read
    locked, each changed only in what its entry names (custom fields key by key), validated as
    a whole, written with one bulk update; all or none. Returns how many records changed."""
    if not access.has_action(actor, model, Action.EDIT):
        raise PermissionDenied(_("You do not have permission to do this."))
    if not changes:
        return 0
    compiled = _Compiled(actor, model, {name for row in changes.values() for name in row})
    compiled.check_names()
    q = access.scope_q(actor, model, Action.EDIT)
    stored = {
        obj.pk: obj
        for obj in model.all_objects.select_for_update().filter(
            q if q is not None else models.Q(pk__in=[]), pk__in=list(changes), is_deleted=False
        )
    }
    missing = [pk for pk in changes if pk not in stored]
    if missing:
        raise PermissionDenied(
            _("%(count)s of the records do not exist or are not yours to change.") % {"count": len(missing)}
        )
    pks = list(changes)
    rows = [changes[pk] for pk in pks]
    errors: dict[int, dict[str, list[str]]] = {}
    related = compiled.resolve_relations(rows)
    before = {pk: audit.snapshot(stored[pk]) for pk in pks}
    objs = [compiled.clean_row(i, rows[i], related, errors, obj=stored[pk]) for i, pk in enumerate(pks)]
    _check_people(compiled, objs, Action.EDIT, errors)
    compiled.check_unique(objs, errors, exclude_pks=pks)
    now = timezone.now()
    entries, changed = [], []
    for index, obj in enumerate(objs):
        if index in errors:
            continue
        try:
            events.check_rules(actor, obj, events.EDIT, before[obj.pk])
        except ValidationError as exc:
            errors[index] = (
                exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
            )
            continue
        after = audit.snapshot(obj)
        if after != before[obj.pk]:
            obj.version += 1
            obj.updated_at = now
            after["version"] = obj.version
            entries.append((A.UPDATE, obj, before[obj.pk], after))
            changed.append(obj)
    if errors:
        raise BatchError(errors)
    if changed:
        columns = sorted(
            {
                "custom_data" if key.startswith("cf.") else key
                for _a, _o, b, a in entries
                for key in a
                if b.get(key) != a.get(key)
            }
            - {"version"}
        )
        from .fields import refresh_phone_digits

        columns += refresh_phone_digits(changed, columns)
        model.all_objects.bulk_update(changed, [*columns, "version", "updated_at"], batch_size=CHUNK)
        inside = model.all_objects.filter(q, pk__in=[o.pk for o in changed]).count() if q is not None else 0
        if inside != len(changed):
            raise PermissionDenied(_("This change would put records out of your reach."))
        audit.record_many(entries, actor=actor)
        from .services import _announce

        _announce(events.UPDATED, entries, actor)
    return len(changed)
