"""The one field-level permission resolver (Salesforce's field-level security, 字段权限).

``field_access(user, object_type) -> FieldAccess`` says, for every field of one object type,
whether the user sees it, sees it masked, may only read it, or may change it. Every channel asks
it and none re-implements the rule: list columns and cards, the detail page and related lists,
forms, the API (output, input, filters, sorting), bulk edit, search and lookups, exports,
history and the timeline, and the write services (the final guard for any path with an actor).

- **Rules.** ``FieldPermission`` rows: role × object type × field (a model field of the type's
  sections, or a custom field as ``cf_<name>``) → hidden / masked / read_only / editable.
- **Combination.** Only the roles that speak about the type count — those with a grant on it
  (for a child type, on its parent's type) or a field rule for it: across them the widest mode
  wins, a counting role without a rule for the field gives *editable*. A role that grants
  nothing on the type neither hides nor opens its fields. Superusers, inactive rule sets and
  system work (no actor) are unrestricted.
- **Meaning.** *Hidden*: absent everywhere — no column, no value, no filter, no sort, not
  searched, not in history. *Masked* (phones and e-mails only): shown as ``138****5678`` /
  ``z***@example.com``, read only, and — since a filter or a search by the full value would
  confirm it — neither filtered, sorted nor searched. *Read only*: shown, filtered, sorted;
  a change is refused with the code ``field_read_only``.

Resolved once per user and type per request (the access context's cache), so a list page asks
one query per type, never one per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from lianke.core import configcache, context
from lianke.core.errors import PermissionCode

from .choices import FieldMode

if TYPE_CHECKING:
    from .models import User

_RANK = {m.value: rank for rank, m in enumerate(FieldMode)}  # hidden < masked < read only < editable
READ_ONLY_CODE = PermissionCode.FIELD_READ_ONLY
NOT_READABLE_CODE = "field_not_readable"


@dataclass(frozen=True)
class FieldSpec:
    """One field a rule may name: its label, whether it can be masked (a phone or an e-mail)
    and whether a record needs it to be saved (then it must stay editable)."""

    name: str
    label: str
    maskable: bool
    required: bool


def configurable_fields(object_type: str) -> dict[str, FieldSpec] | None:
    """The fields of ``object_type`` rules may name (``None`` for an unknown type): the fields
    of its sections and its custom fields (``cf_<name>``, inactive ones too). The owner and the
    bookkeeping fields are not among them: who owns a record is the data scope's business."""
    from django.db import models

    from lianke.core.fields import PhoneField
    from lianke.core.fieldtypes import kinds
    from lianke.core.objecttypes.registry import registry

    if object_type not in registry:
        return None
    ot = registry.get(object_type)
    result: dict[str, FieldSpec] = {}
    for name in ot.detail_fields:
        field = ot.field(name)
        required = name == ot.title_field or (
            field.editable and not field.blank and not field.has_default() and not field.null
        )
        result[name] = FieldSpec(
            name,
            str(capfirst(field.verbose_name)),
            isinstance(field, PhoneField | models.EmailField),
            required,
        )
    for d in ot.custom_fields(active_only=False):
        result[d.filter_name] = FieldSpec(
            d.filter_name, d.display_label, getattr(kinds.get(d.type), "is_contact", False), d.required
        )
    return result


# ---------------------------------------------------------------------------------- masking
def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``: the first three and last four characters, four stars
    between (always four: the mask tells nothing about the length). Short values keep less."""
    text = str(value).strip()
    if len(text) >= 8:
        return f"{text[:3]}****{text[-4:]}"
    return f"{text[:1]}****" if text else ""


def mask_email(value: str) -> str:
    """``zhang.wei@example.com`` → ``z***@example.com``."""
    local, at, domain = str(value).strip().rpartition("@")
    if not at:
        return mask_phone(value)
    return f"{local[:1]}***@{domain}"


def mask(value: Any) -> str:
    """A phone number or an e-mail address masked (the value's shape decides)."""
    if value in (None, ""):
        return ""
    text = str(value)
    return mask_email(text) if "@" in text else mask_phone(text)


# ---------------------------------------------------------------------------------- resolver
class FieldAccess:
    """What one user may do with the fields of one object type. Fields are named as the lists,
    filters and sorting name them: model fields by name, custom fields as ``cf_<name>``; a
    lookup suffix (``amount__gte``) or a ``-`` prefix is read as its field."""

    def __init__(self, object_type: str, modes: dict[str, str] | None = None):
        self.object_type = object_type
        # Only the restricted fields (anything else is editable).
        self.modes = {k: v for k, v in (modes or {}).items() if v != FieldMode.EDITABLE}

    @staticmethod
    def key(name: str) -> str:
        name = name.lstrip("-")
        if name.startswith("cf."):  # a history snapshot's custom field
            return "cf_" + name[3:]
        return name.split("__")[0]

    @property
    def restricted(self) -> bool:
        return bool(self.modes)

    def mode(self, name: str) -> str:
        return self.modes.get(self.key(name), FieldMode.EDITABLE)

    def visible(self, name: str) -> bool:
        """Shown at all (masked counts as shown)."""
        return self.mode(name) != FieldMode.HIDDEN

    def masked(self, name: str) -> bool:
        return self.mode(name) == FieldMode.MASKED

    def readable(self, name: str) -> bool:
        """Its full value may be read: what filtering, sorting and searching need."""
        return self.mode(name) in (FieldMode.READ_ONLY, FieldMode.EDITABLE)

    def editable(self, name: str) -> bool:
        return self.mode(name) == FieldMode.EDITABLE

    def mask(self, name: str, value: Any) -> Any:
        """The value as this user may see it: as is, masked, or ``None`` when hidden."""
        mode = self.mode(name)
        if mode == FieldMode.EDITABLE or mode == FieldMode.READ_ONLY:
            return value
        if mode == FieldMode.MASKED:
            return mask(value) if value not in (None, "") else value
        return None

    def hidden_fields(self) -> set[str]:
        return {k for k, v in self.modes.items() if v == FieldMode.HIDDEN}

    @property
    def hidden(self) -> set[str]:
        """For templates: ``{% if "amount" not in fields.hidden %}``."""
        return self.hidden_fields()

    def unreadable_fields(self) -> set[str]:
        return {k for k, v in self.modes.items() if v in (FieldMode.HIDDEN, FieldMode.MASKED)}

    def locked_fields(self) -> set[str]:
        """Every field the user may not change (hidden, masked and read only)."""
        return set(self.modes)

    def refuse(self, names) -> None:
        """Refuse changes to ``names`` that the user may not edit: a ``ValidationError`` keyed by
        each field, code ``field_read_only`` (the forms, the API and the services show it)."""
        locked = [n for n in dict.fromkeys(names) if not self.editable(n)]
        if locked:
            raise ValidationError(
                {
                    name: ValidationError(_("You may not change this field."), code=READ_ONLY_CODE)
                    for name in locked
                }
            )


UNRESTRICTED = FieldAccess("")


def _grant_key(model: type[Model]) -> str:
    """The type whose grants a role gives for ``model``: its own, or for a child its parent's."""
    from . import access
    from .kinds import Child

    policy = access.policy_for(model)
    seen = 0
    while isinstance(policy, Child) and seen < 10:
        model = policy.parent_model
        policy = access.policy_for(model)
        seen += 1
    return access.object_type_key(model)


def field_access(user: User | None, model: type[Model] | Model | str) -> FieldAccess:
    """The user's field access to one object type (a model, a record or a type key). ``None``
    (system work), superusers and users without rules on the type: unrestricted."""
    from . import access

    if isinstance(model, str):
        from lianke.core.objecttypes.registry import registry

        if model not in registry:
            return UNRESTRICTED
        model = registry.get(model).model
    elif not isinstance(model, type):
        model = type(model)
    if user is None or not getattr(user, "is_authenticated", False) or user.is_superuser:
        return UNRESTRICTED
    key = access.object_type_key(model)
    cache = access._cache(user)
    if ("fields", key) not in cache:
        grant_key = _grant_key(model)
        cache["fields", key] = configcache.cached(
            ("fields", user.pk, key), lambda: _resolve(user, key, grant_key)
        )
    return cache["fields", key]


def _resolve(user: User, key: str, grant_key: str) -> FieldAccess:
    return FieldAccess(key, _computed_modes(user, key, _rule_modes(user, key, grant_key)))


def _rule_modes(user: User, key: str, grant_key: str) -> dict[str, str]:
    """The modes the user's roles give the fields of ``key`` (the widest of the roles)."""
    from .models import FieldPermission, RolePermission

    rules = list(
        FieldPermission.objects.filter(role__users=user, role__is_active=True, object_type=key).values_list(
            "role_id", "field", "mode"
        )
    )
    if not rules:
        return {}
    speaking = {role for role, _f, _m in rules} | set(
        RolePermission.objects.filter(
            role__users=user, role__is_active=True, object_type=grant_key
        ).values_list("role_id", flat=True)
    )
    by_role: dict[int, dict[str, str]] = {role: {} for role in speaking}
    for role, name, mode in rules:
        by_role[role][name] = mode
    modes: dict[str, str] = {}
    for name in {name for _r, name, _m in rules}:
        widest = max(
            (by_role[role].get(name, FieldMode.EDITABLE) for role in speaking), key=_RANK.__getitem__
        )
        modes[name] = widest
    return modes


def _computed_modes(user: User, key: str, modes: dict[str, str]) -> dict[str, str]:
    """A computed custom field (a formula, a roll-up) is hidden from whoever may not read one of
    its inputs in full: its value would tell them something about it. Followed through computed
    fields over computed fields of the same type until nothing changes; a roll-up's child field
    is judged by the rules of the child type."""
    from lianke.core.fieldtypes import kinds
    from lianke.core.models.customfields import definitions_for
    from lianke.core.objecttypes.registry import registry

    unreadable = {FieldMode.HIDDEN, FieldMode.MASKED}
    # The active definitions, as the request has them already (no query of its own).
    definitions = definitions_for(key)
    modes = dict(modes)
    for d in definitions:
        kind = kinds.get(d.type)
        for other, name in kind.foreign_inputs(d) if kind is not None else []:
            if other not in registry:
                continue
            other_model = registry.get(other).model
            other_modes = _rule_modes(user, other, _grant_key(other_model))
            if other_modes.get(name, FieldMode.EDITABLE) in unreadable:
                modes[d.filter_name] = FieldMode.HIDDEN
    if not any(mode in unreadable for mode in modes.values()):
        return modes
    by_name = {d.name for d in definitions}
    computed = {
        d.filter_name: [f"cf_{n}" if n in by_name else n for n in kinds[d.type].inputs(d)]
        for d in definitions
        if d.type in kinds and kinds[d.type].inputs(d)
    }
    changed = True
    while changed:
        changed = False
        for name, inputs in computed.items():
            if modes.get(name) != FieldMode.HIDDEN and any(modes.get(i) in unreadable for i in inputs):
                modes[name] = FieldMode.HIDDEN
                changed = True
    return modes


def current(model: type[Model] | Model | str) -> FieldAccess:
    """The field access of whoever the active context acts for (unrestricted for system work or
    outside a context): what display helpers, search and sorting ask without a user at hand."""
    ctx = context.current()
    if ctx is None or ctx.system:
        return UNRESTRICTED
    return field_access(ctx.user, model)
