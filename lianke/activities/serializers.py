"""The activity API: a follow-up is logged on a record by naming it (``target_type`` — an object
type key such as ``customers.account`` — and ``target_id``), so a phone or an integration can
log a visit on a customer. The target must be a record the caller may read, of a type that
takes activities; it is fixed once logged."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied as DRFPermissionDenied

from lianke.core import context
from lianke.core.api.serializers import BusinessSerializer, django_errors_to_drf
from lianke.core.objecttypes.registry import registry
from lianke.org import access

from .models import Activity
from .services import log_activity


class ActivitySerializer(BusinessSerializer):
    # Null on an activity on no record (a task of one's own), in answers and in requests alike.
    target_type = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=100,
        help_text=_("Object type of the record, e.g. customers.account."),
    )
    target_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)

    def get_field_names(self, declared_fields, info):
        return [*super().get_field_names(declared_fields, info), "target_type", "target_id"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # From the content-type cache: ``instance.content_type`` would be a query per row.
        ct = ContentType.objects.get_for_id(instance.content_type_id) if instance.content_type_id else None
        data["target_type"] = f"{ct.app_label}.{ct.model}" if ct else None
        data["target_id"] = instance.object_id
        return data

    def validate(self, attrs):
        key, pk = attrs.pop("target_type", None), attrs.pop("target_id", None)
        attrs = super().validate(attrs)
        if self.instance is not None:
            if key is not None or pk is not None:
                raise serializers.ValidationError(
                    {"target_type": [_("The record an activity is on cannot be changed.")]},
                    code="target_fixed",
                )
            return attrs
        if key is None and pk is None:
            return attrs
        if key is None or pk is None:
            missing = "target_type" if key is None else "target_id"
            raise serializers.ValidationError(
                {missing: [_("Name both the record's type and its id.")]}, code="required"
            )
        ot = registry.get(key) if key in registry else None
        if ot is None or not ot.timeline:
            raise serializers.ValidationError(
                {"target_type": [_("Activities cannot be logged on this type of record.")]}, code="invalid"
            )
        target = access.readable_record(context.require().user, ot.model, pk)
        if target is None:
            raise serializers.ValidationError(
                {"target_id": [_("No such record, or not one you may see.")]}, code="does_not_exist"
            )
        attrs["_target"] = target
        return attrs

    def create(self, validated_data):
        target = validated_data.pop("_target", None)
        if target is None:
            return super().create(validated_data)
        activity = Activity(**validated_data)
        try:
            return log_activity(actor=context.require().user, target=target, activity=activity)
        except DjangoValidationError as exc:
            raise django_errors_to_drf(exc) from exc
        except PermissionDenied as exc:
            raise DRFPermissionDenied(str(exc)) from exc
