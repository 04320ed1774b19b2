"""The batch write path: many records of one type created or changed in one transaction by the
same rules as a form save — each model field's own validation (type, length, choices, required,
validators), custom-field ``clean``, the model's ``clean()``, uniqueness, the people one may
give records to, the apps' before-write rules — but compiled once per batch and applied to plain
values: relations are resolved with one query per field, uniqueness with one query per unique
field, owners with one query, then bulk inserts / updates, history in bulk, one event per batch
and one scope re-check per batch. All or nothing: any invalid row refuses the batch with the
errors of every row (``BatchError``). Imports, jobs and integrations build on it:
``create_in_batches`` splits many rows into such batches and, on PostgreSQL, runs two at once
on their own connections, so that the database writes one batch while Python checks the next.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.validators import EmailValidator, MaxLengthValidator
from django.db import IntegrityError, connection, connections, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianke.org import access
from lianke.org.choices import Action
from lianke.org.users import active_users

from ..errors import BulkCode
from ..fieldtypes import kinds
from ..models import ObjectChange
from ..models.customfields import _empty as _empty_custom
from ..models.customfields import clean_custom_data
from ..objecttypes.registry import registry
from . import audit, events
from .bulk import count_matching, insert, new

A = ObjectChange.ActionChoices


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


class _Compiled:
    """The rules of one object type for one batch: which fields, how each is cleaned."""

    def __init__(self, actor, model: Any, names: Iterable[str]):
        self.actor, self.model = actor, model
        self.ot = registry.get_for_model(model)
        self.editable = set(self.ot.form_fields) | ({"owner"} if self.ot.is_owned else set())
        self.fields: dict[str, Any] = {
            name: model._meta.get_field(name) for name in names if name != "custom_fields"
        }
        self.definitions = {d.name: d for d in self.ot.custom_fields()}
        # Computed fields (formulas) change with their inputs: only the inputs are checked.
        self.computed = {
            d.filter_name for d in self.definitions.values() if getattr(kinds.get(d.type), "computed", False)
        }
        # Rules over a whole record (formulas, dependent options): without any, a new row's
        # custom values are cleaned by ``_custom_cleaner`` and no computing step runs.
        self.record_rules = any(
            d.is_active and d.type in kinds and kinds[d.type].has_record_rules
            for d in self.definitions.values()
        )
        self.clean_new_custom = None if self.record_rules else _custom_cleaner(self.definitions)
        # Per field the row may name: (field, attname, is a relation, its cleaner).
        self.plan: dict[str, tuple[Any, str, bool, Any]] = {
            name: (field, field.attname, is_relation, None if is_relation else _cleaner(field))
            for name, field in self.fields.items()
            for is_relation in [isinstance(field, models.ForeignKey)]
        }
        # Form fields a new record must have a value in (required, without a default).
        self.required = tuple(
            field
            for field in model._meta.concrete_fields
            if field.name in self.ot.form_fields and not field.blank and not field.has_default()
        )
        from lianke.org.fieldaccess import field_access

        self.restricted = bool(field_access(actor, model).restricted)

    def check_names(self) -> None:
        unknown = sorted(set(self.fields) - self.editable)
        if unknown:
            raise ValidationError(
                {
                    name: ValidationError(_("This field cannot be set here."), code=BulkCode.NOT_EDITABLE)
                    for name in unknown
                }
            )

    def check_fields(self, index: int, names: list[str], errors: dict) -> None:
        """Changes to fields the actor may not edit (``org.fieldaccess``) are row errors."""
        from .services import check_fields

        if not self.restricted:  # no field rules for the actor on this type: nothing to refuse
            return
        try:
            check_fields(self.actor, self.model, names)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(index, {}).setdefault(key, []).extend(messages)

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
                manager = active_users()
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
        plan = self.plan
        for name, value in row.items():
            if name == "custom_fields":
                continue
            field, attname, is_relation, cleaner = plan[name]
            try:
                if is_relation:
                    if value in (None, ""):
                        if not field.blank:
                            raise ValidationError(field.error_messages["blank"], code="required")
                        setattr(obj, attname, None)
                        continue
                    target = related[name].get(_key(field, value))
                    if target is None:
                        raise ValidationError(
                            _("No such record, or not one you may see."), code="does_not_exist"
                        )
                    setattr(obj, name, target)
                else:
                    value = cleaner(value, obj)
                    if isinstance(value, dt.datetime) and timezone.is_naive(value):
                        value = timezone.make_aware(value)  # local time, as a form reads it
                    setattr(obj, attname, value)
            except ValidationError as exc:
                row_errors.setdefault(name, []).extend(exc.messages)
        if (
            is_new
            and self.clean_new_custom is not None
            and ((custom := self.clean_new_custom(row.get("custom_fields") or {})) is not None)
        ):
            obj.custom_data = custom
        elif is_new or "custom_fields" in row:
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
            for field in self.required:
                if field.name not in row and getattr(obj, field.attname) in (None, ""):
                    row_errors.setdefault(field.name, []).append(str(field.error_messages["blank"]))
        if not row_errors:
            if self.record_rules:
                from .services import compute_custom

                compute_custom(obj)  # formulas, from the row's values
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


def _cleaner(field: models.Field):
    """``clean(value, instance)`` for one model field, the same as ``field.clean`` but compiled
    for a batch: a text value that plainly passes — a non-empty string within the length, one
    of the choices — is checked only by the field's other validators (an e-mail's, a phone's);
    anything else, and any value a validator refuses, goes through ``field.clean`` itself, so
    the value stored and the error shown are exactly those of a form save."""
    if not isinstance(field, models.CharField | models.TextField):
        return field.clean
    to_python = type(field).to_python
    if to_python not in (models.CharField.to_python, models.TextField.to_python):
        return field.clean  # a field that converts its text keeps its own path
    limit = field.max_length
    keys = {key for key, _label in field.flatchoices} if field.choices else None
    others = tuple(
        _quick(v)
        for v in field.validators
        if not (isinstance(v, MaxLengthValidator) and v.limit_value == limit)
    )
    slow = field.clean

    def clean(value, instance):
        if (
            type(value) is str
            and value
            and (limit is None or len(value) <= limit)
            and (keys is None or value in keys)
        ):
            try:
                for validator in others:
                    validator(value)
                return value
            except ValidationError:
                pass  # the slow path raises it with the field's own messages
        return slow(value, instance)

    return clean


# Plain addresses, a strict subset of what Django's ``EmailValidator`` accepts (a dot-atom of
# letters, digits and ``._+-`` before the @, dot-separated host labels, a letters-only top-level
# domain; at most 254 characters): these pass without the validator's domain walk, anything else
# goes through the validator itself. A property test holds every match valid for Django.
_PLAIN_EMAIL_RE = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,63}"
)


def _quick(validator):
    """``validator``, or a faster check that accepts a subset of what it accepts and asks it
    about the rest."""
    if type(validator) is not EmailValidator:
        return validator

    def check(value):
        if len(value) > 254 or not _PLAIN_EMAIL_RE.fullmatch(value):
            validator(value)

    return check


def _custom_cleaner(definitions: Mapping[str, Any]):
    """``clean(incoming)`` for a new record's custom values when no kind of the type has record
    rules: the values ``clean_custom_data(definitions, incoming)`` returns, worked out with the
    definitions' defaults and required flags read once per batch — or ``None`` whenever that
    call would refuse anything (a value a field refuses, an unknown or inactive field, a missing
    required value, not an object), for the caller to run it and report its errors as they are.
    A property test holds the two equal."""
    active = [d for d in definitions.values() if d.is_active]
    defaults = tuple((d.name, d.default) for d in active if d.default is not None)
    required = tuple(d.name for d in active if d.required)
    known = {d.name: d for d in active}

    def clean(incoming):
        if type(incoming) is not dict:
            return None
        merged: dict[str, Any] = {}
        for name, raw in incoming.items():
            definition = known.get(name)
            if definition is None:
                return None
            try:
                value = definition.clean_value(raw, old=None)
            except ValidationError:
                return None
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = value
        for name, default in defaults:
            if name not in incoming:
                merged[name] = default
        for name in required:
            if _empty_custom(merged.get(name)):
                return None
        return merged

    return clean


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


def _check_rules(index: int, errors: dict, actor, obj, action: str, before: dict | None = None) -> None:
    """The before-write rules of row ``index``; a refusal becomes the row's errors."""
    try:
        events.check_rules(actor, obj, action, before)
    except ValidationError as exc:
        errors[index] = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}


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
    from .services import fields_set_on_create

    if compiled.restricted:  # field permissions: nothing set in a field one may not edit
        for index, obj in enumerate(objs):
            compiled.check_fields(index, fields_set_on_create(actor, obj), errors)
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
    ruled = bool(events.rules_for(model, events.CREATE))
    for index, obj in enumerate(objs):
        # straight into the instance: new, it caches no related record these would invalidate
        obj.__dict__.update(created_by_id=actor.pk, created_at=now, updated_at=now, version=1)
        if owned:
            obj.department_id = departments.get(obj.owner_id)
        if ruled and index not in errors:
            _check_rules(index, errors, actor, obj, events.CREATE)
    if errors:
        raise BatchError(errors)
    created = insert(objs)
    # One scope check for the batch: every new record lies within the actor's create scope.
    ids = [obj.pk for obj in created]
    if count_matching(model, access.scope_q(actor, model, Action.CREATE), ids) != len(ids):
        raise PermissionDenied(_("This change would put records out of your reach."))
    audit.record_many([(A.CREATE, obj, None, audit.snapshot(obj)) for obj in created], actor=actor)
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
            q if q is not None else models.Q(pk__in=[]), pk__any_of=list(changes), is_deleted=False
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
    for index, obj in enumerate(objs):  # field permissions: what a row changes must be editable
        after = audit.snapshot(obj)
        changed = [k for k in {*before[obj.pk], *after} if before[obj.pk].get(k) != after.get(k)]
        names = [f"cf_{k[3:]}" if k.startswith("cf.") else k for k in changed]
        compiled.check_fields(index, [n for n in names if n not in compiled.computed], errors)
    _check_people(compiled, objs, Action.EDIT, errors)
    compiled.check_unique(objs, errors, exclude_pks=pks)
    now = timezone.now()
    entries = []
    with events.checking_batch(model, pks):
        for index, obj in enumerate(objs):
            if index not in errors:
                _check_rules(index, errors, actor, obj, events.EDIT, before[obj.pk])
    for index, obj in enumerate(objs):
        if index in errors:
            continue
        after = audit.snapshot(obj)
        if after != before[obj.pk]:
            obj.version += 1
            obj.updated_at = now
            after["version"] = obj.version
            entries.append((A.UPDATE, obj, before[obj.pk], after))
    if errors:
        raise BatchError(errors)
    from .services import write_updates

    write_updates(actor, entries)
    return len(entries)


@dataclass
class BatchResult:
    """One batch of ``create_in_batches``: where it starts in the rows, the ids it created —
    or, refused, why (a ``BatchError`` numbering its rows in the whole input, or a
    ``PermissionDenied``)."""

    start: int
    size: int
    ids: list[int] = dataclass_field(default_factory=list)
    error: Exception | None = None


def create_in_batches(
    *,
    actor,
    model: Any,
    rows: Sequence[Mapping[str, Any]],
    size: int | None = None,
    workers: int | None = None,
) -> list[BatchResult]:
    """Create ``rows`` in batches of ``size`` (``LIANKE_BATCH_SIZE``), each one
    ``create_records`` transaction — all or nothing per batch, as a bulk API's batches are: a
    refused batch does not stop the others. Results in the order of the rows.

    On PostgreSQL, outside a transaction, ``workers`` batches (``LIANKE_BATCH_WORKERS``) run at
    once, each on its own connection in a thread carrying the caller's context: while one
    batch's rows are checked in Python, the server writes and indexes another's. Inside a
    transaction (whose rows other connections cannot see) and on SQLite (one writer) the
    batches run one after another on the caller's connection."""
    size = size or settings.LIANKE_BATCH_SIZE
    workers = settings.LIANKE_BATCH_WORKERS if workers is None else workers
    starts = range(0, len(rows), size)
    if workers <= 1 or len(starts) <= 1 or connection.vendor != "postgresql" or connection.in_atomic_block:
        return [_one_batch(actor, model, rows, start, size) for start in starts]
    # Each worker takes the next batch until none is left, on one connection of its own for all
    # of them: a new connection per batch cost a new server process, which reads the catalogs
    # of every table it writes before its first row.
    pending = iter(starts)
    lock = threading.Lock()
    done: dict[int, BatchResult] = {}

    def work() -> None:
        try:
            while True:
                with lock:
                    start = next(pending, None)
                if start is None:
                    return
                done[start] = _one_batch(actor, model, rows, start, size)
        finally:
            connections.close_all()  # this thread's connections only

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lianke-batch") as pool:
        futures = [
            pool.submit(contextvars.copy_context().run, work) for _ in range(min(workers, len(starts)))
        ]
        for future in futures:
            future.result()
    # Two batches at once may both pass the uniqueness check with the same value (neither sees
    # the other's rows before it commits); the database refuses the later one. Once the others
    # are done it runs again alone, and its check names the rows.
    return [
        _one_batch(actor, model, rows, start, size) if isinstance(done[start].error, _Clash) else done[start]
        for start in starts
    ]


class _Clash(ValidationError):
    """A batch the database refused for a unique value another transaction wrote meanwhile."""


def _one_batch(actor, model, rows, start: int, size: int) -> BatchResult:
    chunk = rows[start : start + size]
    result = BatchResult(start=start, size=len(chunk))
    try:
        result.ids = [obj.pk for obj in create_records(actor=actor, model=model, rows=chunk)]
    except BatchError as exc:
        result.error = BatchError({start + index: errors for index, errors in exc.rows.items()})
    except (PermissionDenied, ValidationError) as exc:
        result.error = exc
    except IntegrityError:
        result.error = _Clash(
            _(
                "Another import or user saved one of these unique values meanwhile; nothing of this "
                "batch was saved. Try it again."
            ),
            code="unique_conflict",
        )
    return result
