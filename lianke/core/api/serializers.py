"""Serializers generated from the registry. ``custom_fields`` is one object of name → value,
validated by the same ``clean_custom_data`` as forms and imports; PATCH merges into it."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.choices import CallableChoiceIterator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject

from lianke.core import context
from lianke.core import errors as error_codes
from lianke.core.fieldtypes import kinds
from lianke.core.models.customfields import clean_custom_data
from lianke.core.records import services
from lianke.org import fieldaccess
from lianke.org.users import active_users


class CustomFieldsField(serializers.Field):
    """``custom_fields``: name → value, each value as its kind returns it (``api_value``); only
    the active fields the reader may see, masked where the reader may not read them in full."""

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "custom_data")
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_representation(self, value):
        active, fields = self._reading()
        result = {}
        for name, stored in (value or {}).items():
            definition = active.get(name)
            if definition is None or not fields.visible(definition.filter_name):
                continue
            if not fields.readable(definition.filter_name):
                result[name] = fields.mask(definition.filter_name, stored)
                continue
            kind = kinds.get(definition.type)
            result[name] = (
                kind.api_value(definition, stored) if kind is not None and stored is not None else stored
            )
        return result

    def _reading(self) -> tuple[dict, fieldaccess.FieldAccess]:
        """The active definitions by name and the reader's field access: read once per
        serializer (a list serializes its rows with one child, built per request)."""
        if "_read" not in self.__dict__:
            ot = self.parent.object_type
            self._read = ({d.name: d for d in ot.custom_fields()}, fieldaccess.current(ot.model))
        return self._read

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                _("Custom fields must be an object of name → value."), code=error_codes.FieldCode.INVALID
            )
        return data


def custom_fields_schema() -> dict:
    """The OpenAPI schema of ``custom_fields``: any of the registered kinds' value shapes (read
    when the schema is generated, so a kind registered anywhere is in it)."""
    shapes: list[dict] = []
    for kind in kinds.values():
        if kind.api_schema not in shapes:
            shapes.append(kind.api_schema)
    return {
        "type": "object",
        "description": "Custom field values by name; each value's shape follows its field's type.",
        "additionalProperties": {"anyOf": shapes, "nullable": True},
    }


class CustomFieldsSchema(OpenApiSerializerFieldExtension):
    target_class = CustomFieldsField

    def map_serializer_field(self, auto_schema, direction):
        return custom_fields_schema()


def rfc3339(value: dt.datetime, zone: dt.tzinfo | None = None) -> str:
    """A datetime as RFC 3339 in the server's time zone, four-digit year, whatever the year.

    Before a zone's standard time its offset is local mean time with seconds (Asia/Shanghai:
    +08:05:43), which RFC 3339 cannot write: such instants are given at the zone's present
    offset instead (the same instant: ``0999-01-01T00:00:00+08:00``)."""
    local = value.astimezone(zone or timezone.get_current_timezone())
    offset = local.utcoffset()
    if offset is not None and offset.seconds % 60:
        present = timezone.localtime().utcoffset() or dt.timedelta(0)
        local = value.astimezone(dt.timezone(present))
    text = local.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class RFC3339DateTimeField(serializers.DateTimeField):
    def to_representation(self, value):
        if not value:
            return None
        if isinstance(value, str):
            return value
        if not timezone.is_aware(value):
            return rfc3339(self.enforce_timezone(value))
        # A column's value (aware): in the zone of the request, looked up once per serializer
        # (a list writes 150 of them).
        if "_zone" not in self.__dict__:
            self._zone = timezone.get_current_timezone()
        try:
            return rfc3339(value, self._zone)
        except OverflowError:  # past the calendar's end there: as DRF refuses it
            return rfc3339(self.enforce_timezone(value))


_MISSING = object()

# Marks the ``code`` entry of field errors: DRF wraps every entry in a list, the handler
# (``core.api.exceptions``) gives it back as the one word it is.
ERROR_CODE = "error_code"


def coded_messages(errors) -> list[ErrorDetail]:
    """Django ``ValidationError``s' messages (a list of them, or one, by field or not), each
    keeping its code (``core.errors``)."""
    if isinstance(errors, DjangoValidationError):
        errors = (
            [e for es in errors.error_dict.values() for e in es]
            if hasattr(errors, "error_dict")
            else errors.error_list
        )
    return [ErrorDetail(m, code=error_codes.normalize(e.code)) for e in errors for m in e.messages]


def django_errors_to_drf(exc: DjangoValidationError) -> serializers.ValidationError:
    """A Django ``ValidationError`` as DRF's, by field (``cf_<name>`` nested under
    ``custom_fields``), every message keeping its code."""
    if hasattr(exc, "error_dict"):
        detail: dict[str, Any] = {}
        codes: set[str | None] = set()
        for key, errors in exc.error_dict.items():
            messages = coded_messages(errors)
            codes.update(e.code for e in errors)
            if key.startswith("cf_"):
                detail.setdefault("custom_fields", {})[key[3:]] = messages
            else:
                detail[key] = messages
        if codes == {fieldaccess.READ_ONLY_CODE}:
            # a client can tell this refusal apart
            detail["code"] = ErrorDetail(fieldaccess.READ_ONLY_CODE, code=ERROR_CODE)
        elif len(codes) == 1 and None not in codes and set(detail) == {"custom_fields"}:
            # one refusal of custom values with a stable code (a field kind's)
            detail["code"] = ErrorDetail(str(codes.pop()), code=ERROR_CODE)
        return serializers.ValidationError(detail)
    return serializers.ValidationError({"non_field_errors": coded_messages(exc.error_list)})


_FIELDS: dict[type, dict[str, serializers.Field]] = {}


def _reads_when_used(field: serializers.Field) -> bool:
    """A relation reads through a manager, which applies the access context when the field
    validates (DRF's default). A queryset built with the field (``limit_choices_to``, a
    declared one) would keep the scope of whoever built it: such a class is never kept."""
    relation = getattr(field, "child_relation", field)
    queryset = getattr(relation, "queryset", None)
    return not isinstance(queryset, QuerySet) or queryset.query.is_empty()


def _model_field(model, name: str | None):
    try:
        return model._meta.get_field(name) if name else None
    except FieldDoesNotExist:  # a serializer field that is no model field
        return None


def _copy_field(field: serializers.Field) -> serializers.Field:
    """A field as built, to bind to one serializer: its attributes copied one level deep (its
    validator list too, which DRF may extend per field), never re-built."""
    clone = copy.copy(field)
    if "_validators" in field.__dict__:
        clone._validators = list(field._validators)
    return clone


class BusinessSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: RFC3339DateTimeField,
    }
    object_type = None
    custom_fields = CustomFieldsField()
    owner = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.none(), required=False)

    def get_fields(self):
        """DRF builds each field from the model on every serializer — about 25 a type, 2–3 ms a
        request. They depend on the class alone, so they are built once per class; each
        serializer gets copies of them, which it binds and may adjust (the owner's queryset,
        read-only on update) without touching the class's."""
        cls = type(self)
        built = _FIELDS.get(cls)
        if built is None:
            built = super().get_fields()
            for name, field in built.items():
                if isinstance(field, serializers.ChoiceField):
                    model_field = _model_field(self.Meta.model, field.source or name)
                    if model_field is not None and isinstance(model_field.choices, CallableChoiceIterator):
                        field._configured_choices = model_field.choices  # type: ignore[attr-defined]
            if not all(_reads_when_used(field) for field in built.values()):
                return built  # never kept: built for this serializer, as DRF does
            _FIELDS[cls] = built
        fields = {name: _copy_field(field) for name, field in built.items()}
        for field in fields.values():
            if isinstance(field, serializers.ChoiceField) and isinstance(
                getattr(field, "_configured_choices", None), CallableChoiceIterator
            ):
                # Choices an administrator configures (a lead's statuses): read for this serializer.
                field.choices = field._configured_choices
        return fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "owner" in self.fields:
            self.fields["owner"].queryset = active_users()
            if self.instance is not None and not isinstance(self.instance, list | tuple):
                self.fields["owner"].read_only = True  # ownership changes through /transfer/

    def to_representation(self, instance):
        """The record as the caller may see it: hidden fields absent, masked ones masked."""
        data = self._represent(instance)
        if "_field_access" not in self.__dict__:  # once per serializer: a list has one child
            self._field_access = fieldaccess.current(self.object_type.model)
        fields = self._field_access
        if fields.restricted:
            for name in list(data):
                if name == "custom_fields":
                    continue
                if not fields.visible(name):
                    del data[name]
                elif fields.masked(name):
                    data[name] = fields.mask(name, data[name])
        return data

    def _represent(self, instance) -> dict:
        """DRF's ``to_representation``, reading each field the shortest way it can, decided
        once per serializer (a list's child reads 50 rows): a column by its attribute, a
        related record by the id in the row."""
        data: dict[str, Any] = {}
        for name, field, attribute in self._reading_plan():
            if field is None:  # a related record's id, as ``PrimaryKeyRelatedField`` gives it
                data[name] = getattr(instance, attribute)
                continue
            value = getattr(instance, attribute, _MISSING) if attribute is not None else _MISSING
            if value is _MISSING or callable(value):  # DRF's reading: defaults, skipping, calls
                try:
                    value = field.get_attribute(instance)
                except SkipField:
                    continue
                if isinstance(value, PKOnlyObject) and value.pk is None:
                    value = None
            data[name] = None if value is None else field.to_representation(value)
        return data

    def _reading_plan(self) -> list[tuple[str, serializers.Field | None, str | None]]:
        if "_plan" not in self.__dict__:
            plan: list[tuple[str, serializers.Field | None, str | None]] = []
            for field in self._readable_fields:
                attrs = field.source_attrs
                if (
                    isinstance(field, serializers.PrimaryKeyRelatedField)
                    and field.pk_field is None
                    and len(attrs) == 1
                ):
                    plan.append((field.field_name, None, self.Meta.model._meta.get_field(attrs[0]).attname))
                elif len(attrs) == 1 and type(field).get_attribute is serializers.Field.get_attribute:
                    plan.append((field.field_name, field, attrs[0]))
                else:  # anything else as DRF reads it
                    plan.append((field.field_name, field, None))
            self._plan = plan
        return self._plan

    def validate(self, attrs):
        attrs = super().validate(attrs)
        incoming = attrs.pop("custom_data", None)
        fields = fieldaccess.current(self.object_type.model)
        if fields.restricted:
            # What reaches here of a field the caller may not edit is what they were shown (the
            # view refused any change, ``locked_changes``): a round trip, never written back.
            for name in [n for n in attrs if not fields.editable(n)]:
                del attrs[name]
            if isinstance(incoming, dict):
                incoming = {k: v for k, v in incoming.items() if fields.editable(f"cf_{k}")}
        existing = getattr(self.instance, "custom_data", None) or {}
        try:
            attrs["custom_data"] = clean_custom_data(
                self.object_type.custom_fields(),
                incoming or {},
                existing=existing,
                partial=bool(self.partial),
            )
        except DjangoValidationError as exc:
            raise django_errors_to_drf(exc) from exc
        return attrs

    def _save(self, instance, validated_data):
        for key, value in validated_data.items():
            setattr(instance, key, value)
        actor = context.require().user
        try:
            if instance._state.adding:  # as the type creates new records (``create_service``)
                return services.create_record(actor=actor, instance=instance).record
            return services.save_record(
                actor=actor, instance=instance, expected_version=self.context.get("expected_version")
            )
        except DjangoValidationError as exc:
            raise django_errors_to_drf(exc) from exc
        except PermissionDenied as exc:
            from rest_framework.exceptions import PermissionDenied as DRFPermissionDenied

            raise DRFPermissionDenied(str(exc)) from exc

    def create(self, validated_data):
        return self._save(self.Meta.model(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)


def locked_changes(object_type, data, shown: dict | None) -> list[str]:
    """The fields a request body would change although the caller may not edit them: on create
    (``shown`` is ``None``) any restricted field given a value; on update one whose value
    differs from what the caller was shown (so a PUT of a record as read, masked values and
    all, goes through). Custom fields as ``cf_<name>``."""
    fields = fieldaccess.current(object_type.model)
    if not fields.restricted or not isinstance(data, dict):
        return []
    custom: dict = data["custom_fields"] if isinstance(data.get("custom_fields"), dict) else {}
    shown_custom = (shown or {}).get("custom_fields") or {}
    sent = [(k, v, (shown or {}).get(k)) for k, v in data.items() if k != "custom_fields"]
    sent += [(f"cf_{k}", v, shown_custom.get(k)) for k, v in custom.items()]
    locked = []
    for name, value, before in sent:
        if fields.editable(name):
            continue
        if shown is None:
            if value not in (None, "", []):
                locked.append(name)
        elif not fields.visible(name) or value != before:
            locked.append(name)
    return locked


_SERIALIZERS: dict[str, type] = {}


def serializer_for(object_type) -> type:
    """The type's API serializer, built once (the API owns it: the registry builds no API class)."""
    serializer = _SERIALIZERS.get(object_type.key)
    if serializer is None:
        serializer = _SERIALIZERS[object_type.key] = build_serializer(object_type)
    return serializer


def build_serializer(object_type):
    owned = ["owner", "department"] if object_type.is_owned else []
    fields = ["id", *object_type.form_fields, *owned, "version", "created_at", "updated_at", "custom_fields"]
    meta = type(
        "Meta",
        (),
        {
            "model": object_type.model,
            "fields": fields,
            "read_only_fields": [*owned[1:], "version", "created_at", "updated_at"],
            "validators": [],  # uniqueness is checked against every row by the model (hidden ones too)
        },
    )
    base = object_type.serializer_base or BusinessSerializer
    attrs = {"Meta": meta, "object_type": object_type}
    if not object_type.is_owned:
        attrs["owner"] = None  # no owner on this kind of record
    return type(f"{object_type.model.__name__}Serializer", (base,), attrs)


class TransferSerializer(serializers.Serializer):
    new_owner = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.none())
    with_related = serializers.BooleanField(default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_owner"].queryset = active_users()
