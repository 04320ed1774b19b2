"""The account API's own parts (``AccountObject.serializer_base`` / ``viewset_base``): an
account's registration state, read-only, and the approval a create submitted it to; and
``POST /api/customers/accounts/transfer-requests/``, a rep's request for an existing customer
he found through the duplicate check (``registration.request_transfer``)."""

from __future__ import annotations

import functools

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from lianke.core.api.serializers import BusinessSerializer, serializer_for
from lianke.core.api.views import BusinessViewSet
from lianke.core.objecttypes.registry import registry
from lianke.org.choices import Action

from . import registration
from .choices import Registration

REGISTRATION_FIELDS = ["registration", "registration_note"]


class AccountSerializer(BusinessSerializer):
    registration = serializers.ChoiceField(
        choices=Registration.choices,
        read_only=True,
        help_text=_(
            "Customer registration: pending until its approval decides, rejected with the reason in"
            " registration_note; registered otherwise."
        ),
    )
    registration_note = serializers.CharField(read_only=True)

    def get_field_names(self, declared_fields, info):
        return [*super().get_field_names(declared_fields, info), *REGISTRATION_FIELDS]


@functools.cache
def created_serializer() -> type:
    """The answer to ``POST /api/customers/accounts/``: the account and ``approval``, the id of
    the registration approval the create submitted it to (``null`` when none did)."""
    base = serializer_for(registry.get("customers.account"))
    meta = type("Meta", (base.Meta,), {"fields": [*base.Meta.fields, "approval"]})
    approval = serializers.IntegerField(
        source="registration_approval",
        read_only=True,
        allow_null=True,
        default=None,
        help_text=_("The registration's approval (only when the create submitted one)."),
    )
    return type("AccountCreatedSerializer", (base,), {"Meta": meta, "approval": approval})


class TransferRequestSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    credit_code = serializers.CharField(required=False, allow_blank=True, default="", max_length=18)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class AccountViewSet(BusinessViewSet):
    def get_serializer_class(self):
        if getattr(self, "action", None) == "create":
            return created_serializer()
        return super().get_serializer_class()

    @extend_schema(
        request=TransferRequestSerializer,
        responses={201: inline_serializer("TransferRequested", {"approval": serializers.IntegerField()})},
        description=(
            "Ask for an existing customer, named as the duplicate check found it (name, credit code"
            " or phone), to be transferred to you; the owner's superior decides. The answer names"
            " the approval only — never the account or its owner."
        ),
    )
    @action(detail=False, methods=["post"], url_path="transfer-requests", required_action=Action.CREATE)
    def transfer_requests(self, request):
        body = TransferRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        approval = registration.request_transfer(actor=request.user, **body.validated_data)
        return Response({"approval": approval.pk}, status=status.HTTP_201_CREATED)
