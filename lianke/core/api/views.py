"""API viewsets generated from the registry: the same scoped managers, FilterSets and services
as the UI."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from lianke.core.records import services
from lianke.core.ui.filtersets import filterset_for
from lianke.org import access, fieldaccess
from lianke.org.choices import Action

from .serializers import TransferSerializer, locked_changes, serializer_for

METHOD_ACTIONS = {
    "GET": Action.VIEW,
    "HEAD": Action.VIEW,
    "OPTIONS": Action.VIEW,
    "POST": Action.CREATE,
    "PUT": Action.EDIT,
    "PATCH": Action.EDIT,
    "DELETE": Action.DELETE,
}


class ObjectTypePermission(permissions.BasePermission):
    """Function permission by method (or the viewset action's own, e.g. ``transfer``)."""

    def has_permission(self, request, view):
        needed = view.function_action()
        return needed is not None and access.has_action(request.user, view.object_type.model, needed)


class BusinessViewSet(viewsets.ModelViewSet):
    object_type = None
    lookup_value_regex = "[0-9]+"  # a record's key: anything else is no route (404), never a 500
    required_action = None  # set per extra action (e.g. transfer)
    permission_classes = [permissions.IsAuthenticated, ObjectTypePermission]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no rows
            return self.object_type.model.all_objects.none()
        # No ``list_queryset``: its joins fetch what a page shows of related records (an owner's
        # name); a representation has their ids, read from the row.
        return self.object_type.model.objects.all()

    def get_serializer_class(self):
        return serializer_for(self.object_type)

    @property
    def filterset_class(self):
        return filterset_for(self.object_type)

    def function_action(self) -> str | None:
        """What this request does: the extra action's own (``transfer``; by method where one
        action reads and writes, e.g. ``attachments``), else by the HTTP method."""
        needed = getattr(self, "required_action", None)
        if isinstance(needed, dict):
            needed = needed.get(self.request.method)
        return needed or METHOD_ACTIONS.get(self.request.method)

    def get_object(self):
        """The record if the caller may read it (else 404), and may do what the request does
        to it (else 403)."""
        obj = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        needed = self.function_action()
        if needed and needed != Action.VIEW and not access.can(self.request.user, obj, needed):
            raise PermissionDenied()
        return obj

    def expected_version(self) -> int | None:
        """The version named by ``If-Match`` (the ``ETag`` a read returned): a write from a stale
        copy answers 412. Without the header, a PATCH merges into the stored record."""
        header = self.request.headers.get("If-Match", "").strip()
        if not header or header == "*":
            return None
        tag = header.split(",")[0].strip().removeprefix("W/").strip('"')
        return int(tag) if tag.isdigit() else 0  # an unknown tag matches no version

    def create(self, request, *args, **kwargs):
        self.refuse_locked_fields(request.data, None)
        return super().create(request, *args, **kwargs)

    def update(self, request, *args, **kwargs):
        self.refuse_locked_fields(request.data, self.get_serializer(self.get_object()).data)
        return super().update(request, *args, **kwargs)

    def refuse_locked_fields(self, data, shown) -> None:
        """A change to a field the caller may not edit (``org.fieldaccess``): 400, code
        ``field_read_only``, naming each field — before anything is validated or written (the
        service refuses it too, for every other path)."""
        locked = locked_changes(self.object_type, data, shown)
        if locked:
            message = _("You may not change this field.")
            detail: dict = {"code": fieldaccess.READ_ONLY_CODE}
            for name in locked:
                if name.startswith("cf_"):
                    detail.setdefault("custom_fields", {})[name[3:]] = [message]
                else:
                    detail[name] = [message]
            raise ValidationError(detail, code=fieldaccess.READ_ONLY_CODE)

    def filter_queryset(self, queryset):
        """A filter on a field the caller may not read in full (hidden or masked) is refused:
        400, code ``field_not_readable``, naming the parameter (never silently ignored)."""
        if self.action == "list" and fieldaccess.current(self.object_type.model).restricted:
            filterset = self.filterset_class(
                self.request.query_params, queryset=queryset.none(), request=self.request
            )
            if filterset.refused:
                detail: dict = {"code": fieldaccess.NOT_READABLE_CODE}
                for name in filterset.refused:
                    detail[name] = [_("You may not filter by this field.")]
                raise ValidationError(detail, code=fieldaccess.NOT_READABLE_CODE)
        return super().filter_queryset(queryset)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "expected_version": self.expected_version()}

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        data = getattr(response, "data", None)
        if response.status_code < 300 and isinstance(data, dict) and isinstance(data.get("version"), int):
            response["ETag"] = f'"{data["version"]}"'
        return response

    def perform_destroy(self, instance):
        services.delete_records(
            actor=self.request.user, records=[instance], expected_version=self.expected_version()
        )

    @extend_schema(request=TransferSerializer, responses={200: None})
    @action(detail=True, methods=["post"], required_action=Action.TRANSFER)
    def transfer(self, request, pk=None):
        obj = self.get_object()
        serializer = TransferSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        moved = services.transfer_records(
            actor=request.user,
            records=[obj],
            new_owner=serializer.validated_data["new_owner"],
            with_related=serializer.validated_data["with_related"],
        )
        return Response({"transferred": moved}, status=status.HTTP_200_OK)


def build_viewset(object_type):
    """The type's viewset: CRUD and transfer, with the per-record and bulk endpoints it has
    (``core.api.records``)."""
    from .records import document, endpoint_mixins

    name = f"{object_type.model.__name__}ViewSet"
    base = object_type.viewset_base or BusinessViewSet
    viewset = type(
        name,
        (*endpoint_mixins(object_type), base),
        {"object_type": object_type, "queryset": object_type.model.all_objects.none()},
    )
    return document(viewset, object_type)
