"""Every change the settings console makes, one function each, keyword-only with an explicit
``actor``: one transaction, the stored row read again under a lock, the settings object's config
kind asked (``org.access``: administrators, or the delegates a kind names), the model's own
validation (``full_clean``: a department under its own child, a superior loop, a custom field's
options…) and the change recorded as configuration history exactly as the admin's
``HistoryAdmin`` records it (``audit.config_snapshot`` before → after). A refusal is a
``PermissionDenied`` or a ``ValidationError`` carrying a code of ``core.errors``; nothing is
written then.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from lianke.core.errors import FieldCode, RecordCode, SettingsCode
from lianke.core.models import CustomField, ObjectChange
from lianke.core.objecttypes.registry import registry
from lianke.core.records import audit, ordering
from lianke.org import access
from lianke.org.choices import Action
from lianke.org.models import Department, FieldPermission, Role, RolePermission, User

#: The reverse relations recorded with a role (as ``org.admin.RoleAdmin`` records them).
ROLE_RELATED = ("permissions", "field_permissions")


def _refuse(actor, model: type[models.Model], action: str, obj: models.Model | None = None) -> None:
    allowed = access.can(actor, obj, action) if obj is not None else access.has_action(actor, model, action)
    if not allowed:
        raise PermissionDenied(_("Only administrators may change these settings."))


def _locked(model: type[models.Model], pk):
    return model._default_manager.select_for_update().get(pk=pk)


def _apply(obj: models.Model, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Set the concrete fields of ``changes`` on ``obj``; return the many-to-many ones (set once
    the row exists)."""
    later = {}
    m2m = {f.name for f in obj._meta.many_to_many}
    for name, value in changes.items():
        if name in m2m:
            later[name] = value
        else:
            field = obj._meta.get_field(name)  # an unknown name is a programming error, not input
            if isinstance(field, models.ForeignKey) and isinstance(value, models.Model):
                # By id: the instance a form chose was read before the lock, and checks that walk
                # it (a superior's own superior) must read what is stored now.
                setattr(obj, field.attname, value.pk)
            else:
                setattr(obj, name, value)
    return later


def state_of(obj: models.Model, related: tuple[str, ...] = ()) -> str:
    """A fingerprint of a settings record as stored (its history snapshot): a form carries the one
    it was opened with, so that a save over someone else's change since is refused rather than
    silently overwriting it (a role's grid and a user's roles are whole lists: the last save
    would win)."""
    return _fingerprint(audit.config_snapshot(obj, related))


def _fingerprint(snapshot: dict) -> str:
    data = json.dumps(snapshot, sort_keys=True, default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:32]


def _check_state(before: dict, expected: str | None) -> None:
    if expected and _fingerprint(before) != expected:
        raise ValidationError(
            _(
                "Someone changed this since you opened it. Reload the page to see the change, then make yours."
            ),
            code=RecordCode.VERSION_CONFLICT,
        )


def save_config(
    *,
    actor,
    model: type[models.Model],
    pk=None,
    changes: Mapping[str, Any],
    related: tuple[str, ...] = (),
    exclude: Iterable[str] = (),
    prepare=None,
    expected_state: str | None = None,
):
    """Create (``pk=None``) or change one settings record of ``model``; ``prepare(obj)`` may
    adjust it before validation; with ``expected_state`` (``state_of`` when the form was
    opened) only onto that state (``version_conflict`` otherwise). Returns the saved record."""
    with transaction.atomic():
        if pk is None:
            _refuse(actor, model, Action.CREATE)
            obj, before = model(), None
        else:
            obj = _locked(model, pk)
            _refuse(actor, model, Action.EDIT, obj)
            before = audit.config_snapshot(obj, related)
            _check_state(before, expected_state)
        many = _apply(obj, changes)
        if prepare is not None:
            prepare(obj)
        obj.full_clean(exclude=list(exclude) or None)
        obj.save()
        for name, value in many.items():
            getattr(obj, name).set(value)
        action = ObjectChange.ActionChoices.CREATE if before is None else ObjectChange.ActionChoices.UPDATE
        audit.record(action, obj, before, audit.config_snapshot(obj, related), actor=actor)
        return obj


# ---------------------------------------------------------------------------------- departments
DEPARTMENT_FIELDS = ("name", "code", "parent", "manager", "sort_order")


def _lock_tree() -> None:
    """Every department locked, in id order: two moves checked at the same moment (A under B, B
    under A) would each see no loop. An organisation has hundreds of departments, not more."""
    list(Department.objects.select_for_update().order_by("pk").values_list("pk", flat=True))


def save_department(
    *, actor, department: Department | None = None, expected_state: str | None = None, **changes
) -> Department:
    """Create a department or change its name, code, parent, manager or order."""
    unknown = set(changes) - set(DEPARTMENT_FIELDS)
    if unknown:
        raise ValueError(f"Not a department setting: {sorted(unknown)}")
    with transaction.atomic():
        if "parent" in changes:
            _lock_tree()
        return save_config(
            actor=actor,
            model=Department,
            pk=department.pk if department else None,
            changes=changes,
            expected_state=expected_state,
        )


def move_department(*, actor, department: Department, parent: Department | None) -> Department:
    """Place ``department`` under ``parent`` (``None``: at the top). Under itself or one of its
    own sub-departments is refused (``parent_loop``), nothing changed."""
    return save_department(actor=actor, department=department, parent=parent)


def set_department_active(*, actor, department: Department, active: bool) -> Department:
    """Deactivate (or activate again) a department. A department that still has active members
    or active sub-departments is refused (``department_in_use``): move them first."""
    with transaction.atomic():
        if not active:
            stored = _locked(Department, department.pk)
            _refuse(actor, Department, Action.EDIT, stored)
            if (
                User.objects.filter(department=stored, is_active=True).exists()
                or Department.objects.filter(parent=stored, is_active=True).exists()
            ):
                raise ValidationError(
                    _(
                        "“%(name)s” still has active people or sub-departments: move or deactivate them first."
                    ),
                    code=SettingsCode.DEPARTMENT_IN_USE,
                    params={"name": stored.name},
                )
        return save_config(actor=actor, model=Department, pk=department.pk, changes={"is_active": active})


# ---------------------------------------------------------------------------------------- users
USER_FIELDS = (
    "username",
    "name",
    "email",
    "department",
    "superior",
    "title",
    "mobile",
    "phone",
    "employee_no",
    "roles",
    "is_superuser",
)


def save_user(
    *,
    actor,
    user: User | None = None,
    password: str | None = None,
    expected_state: str | None = None,
    **changes,
) -> User:
    """Create a user (``password`` required) or change one's details, department, superior,
    roles or administrator flag. A reporting line that loops back onto the user is refused
    (``parent_loop``). An administrator cannot take his own administrator flag away."""
    unknown = set(changes) - set(USER_FIELDS)
    if unknown:
        raise ValueError(f"Not a user setting: {sorted(unknown)}")
    if user is not None and user.pk == actor.pk and changes.get("is_superuser") is False:
        raise ValidationError(
            {
                "is_superuser": ValidationError(
                    _("You cannot take away your own administrator rights."), code=SettingsCode.OWN_ACCOUNT
                )
            }
        )
    if user is None and not password:
        raise ValidationError(
            {"password": ValidationError(_("Give the new user a password."), code=FieldCode.REQUIRED)}
        )

    def prepare(obj: User) -> None:
        obj.is_staff = obj.is_superuser  # the advanced settings open to administrators only
        if password:
            try:
                validate_password(password, obj)
            except ValidationError as exc:
                refusals = {"password": [ValidationError(m, code=FieldCode.INVALID) for m in exc.messages]}
                raise ValidationError(refusals) from exc
            obj.set_password(password)

    with transaction.atomic():
        if "superior" in changes:
            # Two superiors changed at the same moment (A under B, B under A) would each see no
            # loop: every user locked in id order first (an organisation of hundreds).
            list(User.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
        # ``password`` is left to ``prepare``; ``last_login`` and the like are not the form's.
        return save_config(
            actor=actor,
            model=User,
            pk=user.pk if user else None,
            changes=changes,
            prepare=prepare,
            exclude=("password",),
            expected_state=expected_state,
        )


def set_user_active(*, actor, user: User, active: bool) -> User:
    """Deactivate a user (who can no longer sign in; his API tokens are revoked) or activate him
    again. Nobody deactivates himself."""
    if user.pk == actor.pk and not active:
        raise ValidationError(_("You cannot deactivate your own account."), code=SettingsCode.OWN_ACCOUNT)
    return save_config(actor=actor, model=User, pk=user.pk, changes={"is_active": active})


# ---------------------------------------------------------------------------------------- roles
def grantable_types():
    """The object types a role takes grants on (a child type follows its parent's)."""
    return [t for t in registry if t.kind != "child"]


def save_role(
    *,
    actor,
    role: Role | None = None,
    grants: Mapping[str, tuple[Iterable[str], str]],
    expected_state: str | None = None,
    **changes,
) -> Role:
    """Create a role or change its name, description, active flag and its grid of grants:
    ``grants`` maps each object type key to ``(actions, scope)``; a type with no actions loses
    its grant, a type left out of ``grants`` keeps its own. Each grant is checked by
    ``RolePermission.clean`` (a registered type, its own actions, a known scope); the first
    refusal rolls everything back. The role's users can do what it says with their next request
    (the configuration token follows any change of grants)."""
    unknown = set(changes) - {"name", "description", "is_active"}
    if unknown:
        raise ValueError(f"Not a role setting: {sorted(unknown)}")
    with transaction.atomic():
        if role is None:
            _refuse(actor, Role, Action.CREATE)
            stored, before = Role(), None
        else:
            stored = _locked(Role, role.pk)
            _refuse(actor, Role, Action.EDIT, stored)
            before = audit.config_snapshot(stored, ROLE_RELATED)
            _check_state(before, expected_state)
        _apply(stored, changes)
        stored.full_clean()
        stored.save()
        existing = {p.object_type: p for p in stored.permissions.all()}
        errors: dict[str, ValidationError] = {}
        for key, (actions, scope) in grants.items():
            actions = list(dict.fromkeys(actions))
            grant = existing.get(key)
            if not actions:
                if grant is not None:
                    grant.delete()
                continue
            grant = grant or RolePermission(role=stored, object_type=key)
            grant.actions, grant.scope = actions, scope
            try:
                grant.full_clean(exclude=["role"])
            except ValidationError as exc:
                errors[key] = exc
                continue
            grant.save()
        if errors:  # each message names the type it is about: "客户: …"
            labels = {t.key: t.label_plural for t in registry}
            refusals = {
                key: [
                    ValidationError(f"{labels.get(key, key)}: {message}", code=e.code or FieldCode.INVALID)
                    for listed in (
                        exc.error_dict.values() if hasattr(exc, "error_dict") else [exc.error_list]
                    )
                    for e in listed
                    for message in e
                ]
                for key, exc in errors.items()
            }
            raise ValidationError(refusals)
        action = ObjectChange.ActionChoices.CREATE if before is None else ObjectChange.ActionChoices.UPDATE
        audit.record(action, stored, before, audit.config_snapshot(stored, ROLE_RELATED), actor=actor)
        return stored


def save_field_rules(
    *,
    actor,
    role: Role,
    object_type: str,
    modes: Mapping[str, str | None],
    expected_state: str | None = None,
) -> Role:
    """Set ``role``'s field rules on ``object_type`` (field-level security, 字段权限): ``modes``
    maps a field (``fieldaccess.configurable_fields``) to a ``FieldMode`` or to ``None`` (no
    rule: the role leaves the field as its grant does). Fields left out keep their rule. Each
    rule is checked by ``FieldPermission.clean`` (a field of the type, masking only for phones
    and e-mails, a field a record needs stays editable); the refusals name their fields, and
    nothing is written then. The change is the role's history."""
    with transaction.atomic():
        stored = _locked(Role, role.pk)
        _refuse(actor, Role, Action.EDIT, stored)
        before = audit.config_snapshot(stored, ROLE_RELATED)
        _check_state(before, expected_state)
        existing = {r.field: r for r in stored.field_permissions.filter(object_type=object_type)}
        errors: dict[str, list[ValidationError]] = {}
        for name, mode in modes.items():
            rule = existing.get(name)
            if not mode:
                if rule is not None:
                    rule.delete()
                continue
            rule = rule or FieldPermission(role=stored, object_type=object_type, field=name)
            rule.mode = mode
            try:
                rule.full_clean(exclude=["role"])
            except ValidationError as exc:
                errors[name] = [e for listed in exc.error_dict.values() for e in listed]
                continue
            rule.save()
        if errors:
            raise ValidationError(errors)
        audit.record(
            ObjectChange.ActionChoices.UPDATE,
            stored,
            before,
            audit.config_snapshot(stored, ROLE_RELATED),
            actor=actor,
        )
        return stored


# -------------------------------------------------------------------------------- custom fields
#: What the console's field form sets; the object type is fixed when a field is created, the
#: order by :func:`reorder_custom_fields` and the active flag by :func:`set_custom_field_active`.
CUSTOM_FIELD_FIXED = ("object_type", "name", "type")


def save_custom_field(
    *, actor, field: CustomField | None = None, expected_state: str | None = None, **changes
) -> CustomField:
    """Create a custom field (``object_type``, ``name``, ``type``… given; placed last) or change
    one's settings (its type, name and object type stay: the stored values depend on them)."""
    if field is not None and set(changes) & set(CUSTOM_FIELD_FIXED):
        changes = {k: v for k, v in changes.items() if k not in CUSTOM_FIELD_FIXED}

    def place_last(obj: CustomField) -> None:
        if obj.pk is None and obj.object_type in registry:
            last = (
                CustomField.objects.filter(object_type=obj.object_type)
                .aggregate(m=models.Max("order"))
                .get("m")
            )
            obj.order = (last or 0) + 10

    return save_config(
        actor=actor,
        model=CustomField,
        pk=field.pk if field else None,
        changes=changes,
        prepare=place_last,
        expected_state=expected_state,
    )


def set_custom_field_active(*, actor, field: CustomField, active: bool) -> CustomField:
    """Deactivate a custom field (its values stay, hidden and not editable) or activate it again."""
    return save_config(actor=actor, model=CustomField, pk=field.pk, changes={"is_active": active})


def reorder_custom_fields(*, actor, object_type: str, ids: list[int]) -> list[CustomField]:
    """Put the custom fields of ``object_type`` in the order of ``ids`` (every field of the type,
    each once: a list made before someone added or removed a field is refused with
    ``version_conflict``); each field whose place changed gets a history row."""
    if object_type not in registry:
        raise ValidationError(_("Unknown object type."), code=RecordCode.NOT_FOUND)
    with transaction.atomic():
        _refuse(actor, CustomField, Action.EDIT)
        fields = {f.pk: f for f in CustomField.objects.select_for_update().filter(object_type=object_type)}
        changed = ordering.place(
            fields,
            ids,
            stale=_("The fields changed since you opened this page. Reload it and order them again."),
        )
        if not changed:
            return [fields[pk] for pk in ids]
        CustomField.objects.bulk_update([f for f, _before in changed], ["order"])
        audit.record_many(
            (
                (ObjectChange.ActionChoices.UPDATE, f, before, audit.config_snapshot(f))
                for f, before in changed
            ),
            actor=actor,
        )
        return [fields[pk] for pk in ids]


def move_custom_field(*, actor, field: CustomField, step: int) -> list[CustomField]:
    """Move one field up (``step=-1``) or down (``+1``) among its type's fields (the phone's
    buttons): the same reordering, one place."""
    ids = list(
        CustomField.objects.filter(object_type=field.object_type)
        .order_by("order", "id")
        .values_list("pk", flat=True)
    )
    ids = ordering.moved(
        ids, field.pk, step, missing=_("No such field."), at_end=_("The field is already at that end.")
    )
    return reorder_custom_fields(actor=actor, object_type=field.object_type, ids=ids)
