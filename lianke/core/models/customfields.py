"""Administrator-defined fields (C2, M3, S1…), stored in each record's ``custom_data`` JSON.

The definition owns the field's settings (label, options, limits, required, default); what its
type does with values (``clean_value`` — the one validation used by forms, the API and imports —,
``display``, ``form_initial``) is delegated to its kind, ``lianke.core.fieldtypes.kinds[type]``.
Values are stored exactly: integers as JSON numbers, decimals and money as decimal strings, dates and datetimes as
ISO strings (which sort and compare as text), multi-selects as arrays of option keys.
"""

import re
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from lianke.core.errors import CustomFieldCode, FieldCode
from lianke.core.fieldtypes import kinds
from lianke.core.fieldtypes.base import MAX_DIGITS
from lianke.core.fieldtypes.base import utc_iso as utc_iso  # re-exported for the filters
from lianke.core.objecttypes.registry import registry

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


class FieldType(models.TextChoices):
    """Names for the built-in kinds' stored values (code refers to ``FieldType.SELECT``). The
    choices an administrator picks from are the registry's (``type_choices``): a new kind
    needs no entry here."""

    TEXT = "text", _("Text")
    LONGTEXT = "longtext", _("Long text")
    INTEGER = "integer", _("Integer")
    DECIMAL = "decimal", _("Decimal")
    MONEY = "money", _("Money (CNY)")
    PERCENT = "percent", _("Percent")
    DATE = "date", _("Date")
    DATETIME = "datetime", _("Date and time")
    BOOLEAN = "boolean", _("Yes / no")
    SELECT = "select", _("Single select")
    MULTISELECT = "multiselect", _("Multiple select")
    USER = "user", _("User")
    LOOKUP = "lookup", _("Lookup to another object")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    URL = "url", _("URL")
    REGION = "region", _("Region (province / city / district)")


def type_choices() -> list[tuple[str, str]]:
    """The stored type's choices: every registered kind, in registration order."""
    return [(key, kind.label or key) for key, kind in kinds.items()]


class TypeField(models.CharField):
    """``CustomField.type``: its choices come from the kind registry at run time and are left
    out of the migration state, so registering a kind needs no migration."""

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        kwargs.pop("choices", None)
        return name, "django.db.models.CharField", args, kwargs


# Each index costs every write of the type: a few per object type (core.cfindexes).
MAX_INDEXED = 3


def _empty(value) -> bool:
    return (
        value is None
        or value == ""
        or value == []
        or value == {}
        or (isinstance(value, str) and not value.strip())
    )


# A custom value is a scalar, a list of option keys or a region object: a few levels at most.
# Deeper JSON is refused before anything walks it recursively (a RecursionError would be a 500).
MAX_VALUE_DEPTH = 8


_SCALARS = frozenset({str, int, float, bool, type(None), Decimal})


def too_deep(value, limit: int = MAX_VALUE_DEPTH) -> bool:
    """True if lists/objects in ``value`` nest more than ``limit`` levels (checked iteratively)."""
    if type(value) in _SCALARS:  # most values: nothing to walk
        return False
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, list | tuple | dict):
            if depth >= limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False


class CustomField(models.Model):
    object_type = models.CharField(_("object type"), max_length=100, db_index=True)
    name = models.CharField(
        _("name"),
        max_length=50,
        help_text=_(
            "Internal name: lower-case letters, digits and underscores; used in the API and filters."
        ),
    )
    label = models.CharField(_("label (Chinese)"), max_length=100)
    label_en = models.CharField(_("label (English)"), max_length=100, blank=True)
    type = TypeField(_("type"), max_length=20, choices=type_choices, default=FieldType.TEXT)
    required = models.BooleanField(_("required"), default=False)
    default = models.JSONField(_("default"), null=True, blank=True)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    options = models.JSONField(
        _("options"),
        default=list,
        blank=True,
        help_text=_("For select fields: a list of {key, label, label_en, is_active}, in display order."),
    )
    target_object_type = models.CharField(_("lookup target"), max_length=100, blank=True)
    depends_on = models.CharField(
        _("depends on"),
        max_length=50,
        blank=True,
        help_text=_(
            "Dependent selects: the name of the select or region field of the same object type "
            "whose value decides which options are offered."
        ),
    )
    formula = models.CharField(
        _("formula"),
        max_length=500,
        blank=True,
        help_text=_(
            "Formula fields: arithmetic over number fields of the same record, by name, e.g. "
            "amount * rate / 100 — + − × ÷ and parentheses. Roll-ups: count, or sum, min or "
            "max of a number field of the related type chosen as lookup target, e.g. sum(amount)."
        ),
    )
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    min_value = models.DecimalField(
        _("minimum value"), max_digits=MAX_DIGITS, decimal_places=4, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("maximum value"), max_digits=MAX_DIGITS, decimal_places=4, null=True, blank=True
    )
    decimal_places = models.PositiveSmallIntegerField(_("decimal places"), default=2)
    searchable = models.BooleanField(
        _("searchable"), default=False, help_text=_("Text fields only: include this field in search.")
    )
    indexed = models.BooleanField(
        _("indexed for sorting"),
        default=False,
        help_text=_(
            "Sort lists of every size by this field quickly. The index is built by an operator "
            "(lianke customfield_indexes --apply), at most three fields per object type."
        ),
    )
    section = models.CharField(_("form section"), max_length=100, blank=True)
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive fields keep their values but are hidden and not editable."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["object_type", "order", "id"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        constraints = [
            models.UniqueConstraint(fields=["object_type", "name"], name="core_customfield_unique_name")
        ]

    def __str__(self):
        return f"{self.display_label} ({self.object_type})"

    # ------------------------------------------------------------------ definition checks
    def clean(self):
        errors = {}
        if not NAME_RE.match(self.name or ""):
            errors["name"] = ValidationError(
                _("Use lower-case letters, digits and underscores, starting with a letter."),
                code=CustomFieldCode.INVALID_NAME,
            )
        if self.object_type not in registry:
            errors["object_type"] = ValidationError(
                _("Unknown object type."), code=CustomFieldCode.UNKNOWN_TYPE
            )
        kind = kinds.get(self.type)
        if kind is not None and kind.has_options:
            keys = [o.get("key") for o in self.options or [] if isinstance(o, dict)]
            if not keys or len(keys) != len(self.options) or any(not k for k in keys):
                errors["options"] = ValidationError(
                    _("A select field needs at least one option, each with a key and a label."),
                    code=CustomFieldCode.INVALID_OPTIONS,
                )
            elif len(set(keys)) != len(keys):
                errors["options"] = ValidationError(
                    _("Option keys must be unique."), code=CustomFieldCode.INVALID_OPTIONS
                )
        if self.type == FieldType.LOOKUP and self.target_object_type not in registry:
            errors["target_object_type"] = ValidationError(
                _("Choose the object type this field looks up."), code=CustomFieldCode.UNKNOWN_TYPE
            )
        if kind is not None and "object_type" not in errors:
            siblings = {
                d.name: d
                for d in CustomField.objects.filter(object_type=self.object_type).exclude(pk=self.pk)
            }
            errors.update(kind.check_definition(self, siblings))
        if self.decimal_places > 6:
            errors["decimal_places"] = ValidationError(
                _("At most 6 decimal places."), code=FieldCode.OUT_OF_RANGE
            )
        if self.indexed:
            if not getattr(kinds.get(self.type), "indexable", True):
                errors["indexed"] = ValidationError(
                    _("Long texts and multiple selections cannot be indexed for sorting."),
                    code=CustomFieldCode.NOT_INDEXABLE,
                )
            elif (
                CustomField.objects.filter(object_type=self.object_type, indexed=True)
                .exclude(pk=self.pk)
                .count()
                >= MAX_INDEXED
            ):
                errors["indexed"] = ValidationError(
                    _("At most %(max)d fields of an object type can be indexed for sorting."),
                    code=CustomFieldCode.TOO_MANY_INDEXED,
                    params={"max": MAX_INDEXED},
                )
        if errors:
            raise ValidationError(errors)  # each error carries its code
        if self.default is not None and not _empty(self.default):
            try:
                self.default = self.clean_value(self.default)
            except ValidationError as exc:
                raise ValidationError({"default": exc.error_list}) from exc

    # ------------------------------------------------------------------ labels & options
    @property
    def display_label(self) -> str:
        if self.label_en and (get_language() or "").startswith("en"):
            return self.label_en
        return self.label

    @property
    def filter_name(self) -> str:
        return f"cf_{self.name}"

    @property
    def searched_as_text(self) -> bool:
        """Its kind's values are matched as text by a search (if the field is searchable)."""
        return getattr(kinds.get(self.type), "searched_as_text", False)

    def sort_expression(self):
        """Expression to order by this field: its kind's (numbers numerically, the rest as stored
        text); the list, the export, the API and ``core.cfindexes`` use it alike."""
        return kinds[self.type].sort_expression(self)

    def option_label(self, key) -> str:
        english = (get_language() or "").startswith("en")
        for option in self.options or []:
            if option.get("key") == key:
                return (option.get("label_en") if english else None) or option.get("label") or key
        return str(key)

    def option_choices(self, include=()) -> list[tuple[str, str]]:
        """Active options, plus inactive ones still in use by the record being edited."""
        return [
            (o["key"], self.option_label(o["key"]))
            for o in self.options or []
            if o.get("is_active", True) or o["key"] in include
        ]

    def _match_option(self, raw) -> str:
        text = str(raw).strip()
        for option in self.options or []:
            if text in (option.get("key"), option.get("label"), option.get("label_en")):
                return option["key"]
        raise ValidationError(
            _("%(field)s: “%(value)s” is not one of the options."),
            code=FieldCode.INVALID_CHOICE,
            params={"field": self.display_label, "value": text},
        )

    # ------------------------------------------------------------------ validation
    def _error(self, message, code=FieldCode.INVALID, **params):
        """A value's error naming the field; its code (``core.errors``) ``invalid`` unless said."""
        return ValidationError(message, code=code, params={"field": self.display_label, **params})

    def clean_value(self, value, *, old=None):
        """Turn any accepted input (form value, JSON, import text) into the stored form.

        Raises ``ValidationError`` whose message names the field. ``old`` is the value already
        stored, so an option deactivated since may be kept but not newly chosen.
        """
        if too_deep(value):
            raise self._error(_("%(field)s: the value is nested too deeply."), code=FieldCode.TOO_DEEP)
        if _empty(value):
            return None
        if _has_nul(value):  # PostgreSQL cannot store NUL in text or jsonb (it would be a 500)
            raise self._error(_("%(field)s: null characters are not allowed."))
        kind = kinds.get(self.type)
        if kind is None:
            raise self._error(_("%(field)s: unsupported field type."))
        return kind.clean(self, value, old=old)

    def import_value(self, text, *, old=None):
        """A spreadsheet cell's text → the stored value: the kind's ``parse_import``, then the
        one validation (``clean_value``)."""
        kind = kinds.get(self.type)
        if kind is not None and isinstance(text, str) and not _empty(text):
            text = kind.parse_import(self, text)
        return self.clean_value(text, old=old)

    # ------------------------------------------------------------------ presentation
    def display(self, value, *, labels=None) -> str:
        """Human text for a stored value. ``labels`` maps ids to names for user/lookup fields."""
        if value is None or value == [] or value == "":
            return ""
        kind = kinds.get(self.type)
        return kind.display(self, value, labels=labels) if kind is not None else str(value)

    def to_form_field(self, *, initial=None, user=None):
        from lianke.core.fieldtypes import formfields

        return formfields.custom_form_field(self, initial=initial, user=user)

    def form_initial(self, value):
        """Stored value → what the form field shows."""
        if value is None:
            return self.default if self.default is not None else None
        kind = kinds.get(self.type)
        return kind.form_initial(self, value) if kind is not None else value


def clean_custom_data(
    definitions,
    incoming: dict,
    *,
    existing: dict | None = None,
    partial: bool = False,
    complete: bool = True,
    pending: Iterable[str] = (),
) -> dict:
    """Validate ``incoming`` values against ``definitions`` (custom fields, or a dict of them
    by name) and merge them onto ``existing``.

    The single validation used by forms, the API and imports. Unknown or inactive fields are
    errors; values of inactive fields already stored are kept untouched. Required fields are
    checked on the merged result (so PATCH may omit them). The record rules
    (``complete_custom_data``) run on the merged result unless ``complete`` is false (a bulk
    edit cleans one value for many records and runs them per record). ``pending`` names the
    fields given their value once the record is written (a form's file uploads, stored as the
    record's attachments): a required one of them counts as given. Raises ``ValidationError``
    keyed by ``cf_<name>``.
    """
    pending = set(pending)
    existing = dict(existing or {})
    # A batch passes the definitions by name once for all its rows.
    by_name = definitions if isinstance(definitions, dict) else {d.name: d for d in definitions}
    errors: dict[str, list] = {}
    merged = dict(existing)
    if not isinstance(incoming, dict):
        raise ValidationError(
            {
                "custom_fields": ValidationError(
                    _("Custom fields must be an object of name → value."), code=FieldCode.INVALID
                )
            }
        )
    for name, raw in incoming.items():
        definition = by_name.get(name)
        if definition is None or not definition.is_active:
            errors.setdefault(f"cf_{name}", []).append(
                ValidationError(
                    _("Unknown custom field “%(name)s”."), code=FieldCode.UNKNOWN_FIELD, params={"name": name}
                )
            )
            continue
        try:
            value = definition.clean_value(raw, old=existing.get(name))
        except ValidationError as exc:
            errors.setdefault(definition.filter_name, []).extend(exc.error_list)
            continue
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    if complete and not errors:
        try:
            complete_custom_data(by_name, merged, set(incoming))
        except ValidationError as exc:
            errors.update(exc.error_dict)
    for definition in by_name.values():
        if not definition.is_active:
            continue
        is_missing = definition.name not in incoming and definition.name not in existing
        if not partial and is_missing and definition.default is not None:
            merged[definition.name] = definition.default
        if (
            definition.required
            and _empty(merged.get(definition.name))
            and definition.name not in pending
            and definition.filter_name not in errors
        ):
            errors[definition.filter_name] = [
                ValidationError(
                    _("%(field)s is required."),
                    code=FieldCode.REQUIRED,
                    params={"field": definition.display_label},
                )
            ]
    if errors:
        raise ValidationError(errors)
    return merged


def complete_custom_data(definitions, data: dict, changed: set, *, record=None) -> dict:
    """The rules over a whole record once its custom values are merged (``data``, changed in
    place and returned): each kind's ``clean_record`` — a dependent option checked against its
    parent's value, a formula computed. ``changed`` names the fields the write sets. Every write
    path runs it: ``clean_custom_data`` (forms, API, batch) and the bulk edit, per record.
    Raises ``ValidationError`` keyed by ``cf_<name>``."""
    by_name = definitions if isinstance(definitions, dict) else {d.name: d for d in definitions}
    errors: dict[str, list] = {}
    for definition in by_name.values():
        kind = kinds.get(definition.type)
        if kind is None or not definition.is_active or not kind.has_record_rules:
            continue
        try:
            kind.clean_record(definition, data, by_name, changed, record=record)
        except ValidationError as exc:
            errors.setdefault(definition.filter_name, []).extend(exc.error_list)
    if errors:
        raise ValidationError(errors)
    return data


def definitions_for(object_type: str, *, active_only: bool = True):
    """The custom fields of an object type, cached for the request and kept across requests
    while the configuration is unchanged (``core.configcache``)."""
    from lianke.core import configcache, context

    ctx = context.current()
    key = ("customfields", object_type, active_only)
    if ctx is not None and key in ctx.cache:
        return ctx.cache[key]

    def load() -> list[CustomField]:
        query = CustomField.objects.filter(object_type=object_type)
        return list(query.filter(is_active=True) if active_only else query)

    result = configcache.cached(key, load)
    if ctx is not None:
        ctx.cache[key] = result
    return result


# The object types read their definitions through this (the declarations sit below the models).
registry.custom_field_source = definitions_for
