"""The API's per-record and bulk endpoints, as mixins of the generated viewsets: a record's
history, the recycle bin, attachments, collaborators, activities, lifecycle moves and the bulk
actions. Each reaches the service the UI uses (``core.records.services``, ``core.records.attachments``,
``core.ui.history``, the stage path's ``move``) — no rule is decided here. ``build_viewset`` mixes
in only what a type has (collaborators for owned kinds, moves for a lifecycle…), so the schema
lists exactly the operations that exist."""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.db.models import F
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from lianke.core.errors import ALL as ERROR_CODES
from lianke.core.errors import BulkCode, FieldCode, PermissionCode, RecordCode, normalize
from lianke.core.models import Attachment
from lianke.core.objecttypes.registry import registry
from lianke.core.pagination import SortSpec
from lianke.core.records import audit, services
from lianke.core.records.attachments import add_attachment, delete_attachment
from lianke.core.ui import history
from lianke.org import access
from lianke.org.choices import Action, CollaboratorAccess
from lianke.org.models import Collaborator
from lianke.org.users import active_users

from .pagination import KeysetPagination
from .serializers import RFC3339DateTimeField, TransferSerializer, coded_messages, serializer_for

# At most this many ids in one bulk request (the list page's bulk bar has the same cap).
BULK_MAX = 1000
# A refused bulk request names at most this many rows (enough to fix the selection, and the
# probing stops there).
ROW_ERRORS_MAX = 100


# ---------------------------------------------------------------------------------- serializers
class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField(source="label", help_text="The field's label, in the reader's language.")
    old = serializers.CharField(help_text="The old value as the detail page shows it; empty when unset.")
    new = serializers.CharField(help_text="The new value as the detail page shows it; empty when unset.")


class HistoryEntrySerializer(serializers.Serializer):
    """One change as the history tab shows it (``core.ui.history.Entry``)."""

    id = serializers.IntegerField(source="change.id")
    time = RFC3339DateTimeField(source="change.time")
    user = serializers.IntegerField(source="change.user_id", allow_null=True)
    user_name = serializers.CharField(source="change.user_name")
    source = serializers.CharField(source="change.source")
    action = serializers.CharField(source="change.action")
    badge = serializers.CharField()
    headline = serializers.CharField()
    record_type = serializers.CharField(source="type")
    record_id = serializers.IntegerField(source="change.object_id")
    is_child = serializers.BooleanField(help_text="A change of a record hanging on this one (its contact…).")
    events = serializers.ListField(child=serializers.CharField())
    changes = FieldChangeSerializer(source="diff", many=True)
    withheld = serializers.BooleanField(help_text="Fields the reader may not see were left out.")


class HistoryPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    results = HistoryEntrySerializer(many=True)


class AttachmentSerializer(serializers.ModelSerializer):
    uploaded_at = RFC3339DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Attachment
        fields = ["id", "name", "size", "mime_type", "uploaded_by", "uploaded_at"]
        read_only_fields = fields


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class CollaboratorSerializer(serializers.ModelSerializer):
    user_name = serializers.CharField(source="user.__str__", read_only=True)
    access_level = serializers.ChoiceField(source="access", choices=CollaboratorAccess.choices)
    added_at = RFC3339DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Collaborator
        fields = ["user", "user_name", "access_level", "added_by", "added_at"]
        read_only_fields = ["user", "added_by"]


class ShareSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.none())
    access_level = serializers.ChoiceField(choices=CollaboratorAccess.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = active_users()


class MoveSerializer(serializers.Serializer):
    to = serializers.CharField(max_length=100, help_text="The state to move to (its key).")
    reason = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=1000),
        required=False,
        help_text="For a move to a lost state: the reason fields the lifecycle asks for.",
    )


def _ids_field():
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        allow_empty=False,
        max_length=BULK_MAX,
        error_messages={"max_length": gettext_lazy("At most {max_length} records at once.")},
    )


class BulkDeleteSerializer(serializers.Serializer):
    ids = _ids_field()


class BulkUpdateSerializer(BulkDeleteSerializer):
    field = serializers.CharField(
        max_length=100, help_text="A field editable in bulk, or a custom field as cf_<name>."
    )
    value = serializers.JSONField(allow_null=True)


class BulkTransferSerializer(BulkDeleteSerializer, TransferSerializer):
    pass


BULK_DONE = inline_serializer("BulkDone", {"count": serializers.IntegerField()})
BULK_ERRORS = inline_serializer(
    "BulkErrors",
    {
        "errors": inline_serializer(
            "BulkRowError",
            {
                "id": serializers.IntegerField(
                    allow_null=True, required=False, help_text="The record refused (null: all of them)."
                ),
                "field": serializers.CharField(
                    allow_null=True, required=False, help_text="The field concerned, if one."
                ),
                "code": serializers.ChoiceField(choices=sorted(ERROR_CODES)),
                "message": serializers.CharField(),
            },
            many=True,
            required=False,
        )
    },
)


PAGE_PARAMETERS = [
    OpenApiParameter(
        "cursor", str, description="Where the page starts: copy it from the previous page's next link."
    ),
    OpenApiParameter(
        "page_size",
        int,
        description=f"Entries per page (default {KeysetPagination.page_size}, at most {KeysetPagination.max_page_size}).",
    ),
]


# ---------------------------------------------------------------------------------- helpers
def _code(exc: Exception) -> str:
    """A refusal's stable word (``core.errors``): the validation error's own code where it has one."""
    if isinstance(exc, DjangoPermissionDenied):
        return PermissionCode.PERMISSION_DENIED
    if isinstance(exc, services.VersionConflict):
        return RecordCode.VERSION_CONFLICT
    if isinstance(exc, DjangoValidationError):
        errors = (
            [e for es in exc.error_dict.values() for e in es]
            if hasattr(exc, "error_dict")
            else exc.error_list
        )
        for error in errors:
            if error.code:
                return normalize(error.code)
    return FieldCode.INVALID


def _field(exc: Exception) -> str | None:
    """The field a refusal concerns, named as in the API's ``errors`` (``custom_fields.<name>``),
    if it concerns exactly one."""
    keys = list(getattr(exc, "error_dict", None) or ())
    if len(keys) != 1 or keys[0] == "__all__":
        return None
    return f"custom_fields.{keys[0][3:]}" if keys[0].startswith("cf_") else keys[0]


def _row(pk: int | None, exc: Exception) -> dict:
    return {"id": pk, "field": _field(exc), "code": _code(exc), "message": _message(exc)}


def _message(exc: Exception) -> str:
    return " ".join(str(m) for m in getattr(exc, "messages", None) or [str(exc)])


class _Rollback(Exception):
    pass


# ---------------------------------------------------------------------------------- mixins
class RecordEndpoints:
    """On every type: history, the recycle bin, restore, bulk update and bulk delete."""

    @extend_schema(responses=HistoryPageSerializer, parameters=PAGE_PARAMETERS, filters=False)
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request, pk=None):
        """The record's history, newest first: who, when, what, each field old → new — fields
        the caller may not see left out, as on its history tab."""
        obj = self.get_object()
        changes = audit.history_for(obj, user=request.user)
        pager = KeysetPagination()
        rows = pager.page(changes, request, SortSpec(F("time"), descending=True, nullable=False))
        entries = history.entries(rows, target=obj)
        return pager.get_paginated_response(HistoryEntrySerializer(entries, many=True).data)

    @action(detail=False, methods=["get"], required_action=Action.DELETE, filter_backends=[])
    def deleted(self, request):
        """The caller's records of this type in the recycle bin (those they could delete)."""
        queryset = services.deleted_queryset(request.user, self.object_type.model)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @action(detail=True, methods=["post"], required_action=Action.DELETE)
    def restore(self, request, pk=None):
        """Bring the record back from the recycle bin, with what was deleted with it."""
        obj = services.deleted_queryset(request.user, self.object_type.model).filter(pk=pk).first()
        if obj is None:
            raise Http404
        services.restore_records(actor=request.user, records=[obj])
        obj.refresh_from_db()
        return Response(self.get_serializer(obj).data)

    # ------------------------------------------------------------------ bulk
    def _bulk(self, ids: list[int], needed: str, apply) -> Response:
        """``apply`` (an ``*_in_bulk`` service) on the records named by ``ids``: on all of them
        or, if any is refused, on none — a 400 listing the rows refused and why. An id that is
        not a record the caller may ``needed`` is such a row (``not_found``: whether it exists is
        not revealed)."""
        ids = list(dict.fromkeys(ids))
        records = list(self.object_type.model.objects.restrict(self.request.user, needed).filter(pk__in=ids))
        found = {r.pk for r in records}
        errors = [
            {
                "id": pk,
                "field": None,
                "code": RecordCode.NOT_FOUND,
                "message": _("No such record, or not one you may change."),
            }
            for pk in ids
            if pk not in found
        ]
        if errors:
            return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        try:
            with transaction.atomic():  # all or nothing, whatever the chunk size
                result = apply(records)
                if not result.complete:
                    raise result.error
        except (DjangoValidationError, DjangoPermissionDenied, services.VersionConflict) as exc:
            errors = self._row_errors(records, apply, exc)
            return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"count": result.counted})

    def _row_errors(self, records: list, apply, exc: Exception) -> list[dict]:
        """Which rows a refused bulk action fails on: each record tried alone (all rolled back)."""
        errors: list[dict] = []
        try:
            with transaction.atomic():
                for record in records:
                    try:
                        with transaction.atomic():
                            result = apply([record])
                            if not result.complete:
                                raise result.error
                    except (DjangoValidationError, DjangoPermissionDenied, services.VersionConflict) as one:
                        errors.append(_row(record.pk, one))
                        if len(errors) >= ROW_ERRORS_MAX:
                            break
                raise _Rollback
        except _Rollback:
            pass
        # Refused as a whole (a unique value on several records), not for any one record.
        return errors or [_row(None, exc)]

    @extend_schema(request=BulkUpdateSerializer, responses={200: BULK_DONE, 400: BULK_ERRORS})
    @action(detail=False, methods=["post"], url_path="bulk-update", required_action=Action.EDIT)
    def bulk_update(self, request):
        """Set one field on many records: all of them or, if any is refused, none."""
        from lianke.core.ui.forms import clean_bulk_value

        data = self._valid(BulkUpdateSerializer, request)
        raw = data["value"]
        if isinstance(raw, dict | list) and not data["field"].startswith("cf_"):
            raise ValidationError({"value": [_("Enter a single value.")]}, code=FieldCode.INVALID)
        try:
            field, value, custom = clean_bulk_value(self.object_type, data["field"], raw)
        except (TypeError, ValueError):
            raise ValidationError({"value": [_("Enter a valid value.")]}, code=FieldCode.INVALID) from None
        except DjangoValidationError as exc:
            # A field that cannot be edited in bulk is refused on ``field``; a value its field
            # refuses on ``value``.
            code = _code(exc)
            key = "field" if code == BulkCode.NOT_EDITABLE else "value"
            raise ValidationError({key: coded_messages(exc), "code": code}) from None
        return self._bulk(
            data["ids"],
            Action.EDIT,
            lambda chunk: services.edit_in_bulk(
                actor=request.user, records=chunk, field=field, value=value, custom=custom
            ),
        )

    @extend_schema(request=BulkDeleteSerializer, responses={200: BULK_DONE, 400: BULK_ERRORS})
    @action(detail=False, methods=["post"], url_path="bulk-delete", required_action=Action.DELETE)
    def bulk_delete(self, request):
        """Move many records to the recycle bin: all of them or, if any is refused, none."""
        data = self._valid(BulkDeleteSerializer, request)
        return self._bulk(
            data["ids"],
            Action.DELETE,
            lambda chunk: services.delete_in_bulk(actor=request.user, records=chunk),
        )

    @staticmethod
    def _valid(serializer_class, request) -> dict:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class TransferInBulk:
    """Owned kinds: give many records to a new owner."""

    @extend_schema(request=BulkTransferSerializer, responses={200: BULK_DONE, 400: BULK_ERRORS})
    @action(detail=False, methods=["post"], url_path="bulk-transfer", required_action=Action.TRANSFER)
    def bulk_transfer(self, request):
        """Transfer many records (with their related records unless ``with_related`` is false):
        all of them or, if any is refused, none."""
        data = self._valid(BulkTransferSerializer, request)
        return self._bulk(
            data["ids"],
            Action.TRANSFER,
            lambda chunk: services.transfer_in_bulk(
                actor=request.user,
                records=chunk,
                new_owner=data["new_owner"],
                with_related=data["with_related"],
            ),
        )


class AttachmentEndpoints:
    """Types with attachments: list, upload, delete (``core.records.attachments``)."""

    def _attachments(self, obj):
        return Attachment.objects.filter(
            content_type=ContentType.objects.get_for_model(type(obj)), object_id=obj.pk
        ).order_by("-created_at", "-id")

    @extend_schema(methods=["get"], responses=AttachmentSerializer(many=True), filters=False)
    @extend_schema(
        methods=["post"],
        request={"multipart/form-data": UploadSerializer},
        responses={201: AttachmentSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        required_action={"POST": Action.EDIT},
        pagination_class=None,
        filter_backends=[],
    )
    def attachments(self, request, pk=None):
        """The record's files; POST (multipart, ``file``) adds one — the caller must be able to
        edit the record."""
        obj = self.get_object()
        if request.method == "GET":
            rows = self._attachments(obj).select_related(None)
            return Response(AttachmentSerializer(rows, many=True).data)
        serializer = UploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        stored = add_attachment(actor=request.user, obj=obj, upload=serializer.validated_data["file"])
        return Response(AttachmentSerializer(stored).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"attachments/(?P<attachment_id>[0-9]{1,18})",
        required_action={"DELETE": Action.EDIT},
    )
    def remove_attachment(self, request, pk=None, attachment_id=None):
        """Delete one of the record's files (its file leaves the storage after the commit)."""
        obj = self.get_object()
        if not self._attachments(obj).filter(pk=attachment_id).exists():
            raise Http404
        delete_attachment(actor=request.user, attachment=int(attachment_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CollaboratorEndpoints:
    """Owned kinds: who else may read or write the record (``services.share_record``)."""

    def _collaborators(self, obj):
        return (
            Collaborator.objects.filter(
                content_type=ContentType.objects.get_for_model(type(obj)), object_id=obj.pk
            )
            .select_related("user")
            .order_by("created_at", "id")
        )

    @extend_schema(methods=["get"], responses=CollaboratorSerializer(many=True), filters=False)
    @extend_schema(methods=["post"], request=ShareSerializer, responses={200: CollaboratorSerializer})
    @action(
        detail=True,
        methods=["get", "post"],
        required_action={"POST": Action.EDIT},
        pagination_class=None,
        filter_backends=[],
    )
    def collaborators(self, request, pk=None):
        """The record's collaborators; POST adds one (``user``, ``access_level``) or changes
        their access — the caller must be able to edit the record."""
        obj = self.get_object()
        if request.method == "GET":
            return Response(CollaboratorSerializer(self._collaborators(obj), many=True).data)
        serializer = ShareSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        services.share_record(
            actor=request.user, record=obj, user=user, access_level=serializer.validated_data["access_level"]
        )
        return Response(CollaboratorSerializer(self._collaborators(obj).get(user=user)).data)

    @extend_schema(responses={204: None})
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"collaborators/(?P<user_id>[0-9]{1,18})",
        required_action={"DELETE": Action.EDIT},
    )
    def remove_collaborator(self, request, pk=None, user_id=None):
        """Take a collaborator off the record."""
        obj = self.get_object()
        shared = self._collaborators(obj).filter(user_id=user_id).first()
        if shared is None:
            raise Http404
        services.share_record(actor=request.user, record=obj, user=shared.user, access_level="", remove=True)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ActivityEndpoints:
    """Types whose timeline holds activities: the activities on a record, as the activity type's
    own access lets the caller read them (in their scope, or through a parent they may read —
    an account's follow-ups for whoever may read the account)."""

    @action(detail=True, methods=["get"], filter_backends=[])
    def activities(self, request, pk=None):
        """The activities on the record, newest first (an account's include those on its
        contacts and opportunities)."""
        obj = self.get_object()
        activity_type = registry.timeline_type()
        model = activity_type.model
        on_record = models.Q(content_type=ContentType.objects.get_for_model(type(obj)), object_id=obj.pk)
        parents: dict[str, list[int]] = {}
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.ForeignKey):
                continue
            if field.related_model is type(obj):
                on_record |= models.Q(**{field.name: obj.pk})  # an account's: those on its records too
                parents[field.name] = [obj.pk]
            elif (parent := getattr(obj, field.attname, None)) is not None:
                parents[field.name] = [parent]
        readable = access.scope_q(request.user, model, Action.VIEW) or models.Q(pk__in=[])
        through_q = getattr(access.policy_for(model), "through_q", None)
        if through_q is not None:
            readable |= through_q(request.user, parents)
        rows = activity_type.list_queryset(model.all_objects.filter(on_record, readable, is_deleted=False))
        # What an activity names its record by: fetched with it, not once per row.
        rows = rows.select_related(
            *(f.name for f in model._meta.concrete_fields if f.is_relation and f.related_model is ContentType)
        )
        pager = KeysetPagination()
        page = pager.paginate_queryset(rows, request, SimpleNamespace(object_type=activity_type))
        data = serializer_for(activity_type)(page, many=True, context=self.get_serializer_context()).data
        return pager.get_paginated_response(data)


class MoveEndpoint:
    """Types with a lifecycle: one transition through the stage path's ``move``."""

    @extend_schema(request=MoveSerializer)
    @action(detail=True, methods=["post"], required_action=Action.EDIT)
    def move(self, request, pk=None):
        """Move the record to the state ``to`` (``reason`` for a lost state). A move the
        lifecycle does not allow is a 400 with ``code`` ``transition_not_allowed`` or
        ``transition_guarded``."""
        obj = self.get_object()
        serializer = MoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        path = self.object_type.stage_path
        try:
            record, _moved = path.move(
                actor=request.user,
                obj=obj,
                value=serializer.validated_data["to"],
                reason=serializer.validated_data.get("reason"),
            )
        except DjangoValidationError as exc:
            detail = {"to" if k == path.field else k: v for k, v in _by_field(exc).items()}
            raise ValidationError({**detail, "code": _code(exc)}, code=_code(exc)) from None
        return Response(self.get_serializer(record).data)


def _by_field(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {k: coded_messages(v) for k, v in exc.error_dict.items()}
    return {"non_field_errors": coded_messages(exc)}


# Per-record endpoints that platform apps add to the generated viewsets (core imports no such
# app): each factory, registered from the app's ``AppConfig.ready()`` (before the URLs are
# built), is asked for every type and returns a mixin of ``@action`` endpoints or ``None``. The
# approval engine adds ``POST <app>/<plural>/<id>/submit/`` this way.
_endpoint_factories: list = []


def register_endpoints(factory) -> None:
    """Add ``factory(object_type) -> mixin class | None`` to every generated viewset."""
    if factory not in _endpoint_factories:
        _endpoint_factories.append(factory)


def endpoint_mixins(object_type) -> list[type]:
    """The endpoint mixins a type gets, by what it has (and what platform apps add)."""
    mixins: list[type] = [
        mixin for factory in _endpoint_factories if (mixin := factory(object_type)) is not None
    ]
    mixins.append(RecordEndpoints)
    if object_type.is_owned:
        mixins += [TransferInBulk, CollaboratorEndpoints]
    if object_type.has_attachments:
        mixins.append(AttachmentEndpoints)
    if object_type.timeline and registry.timeline_type() is not None:
        mixins.append(ActivityEndpoints)
    if object_type.stage_path is not None:
        mixins.append(MoveEndpoint)
    return mixins


def document(viewset, object_type):
    """The schema of the endpoints whose bodies are the type's own records (or activities)."""
    records = serializer_for(object_type)
    views = {
        "deleted": extend_schema(responses=records(many=True), filters=False),
        "restore": extend_schema(request=None, responses=records),
    }
    if hasattr(viewset, "move"):
        views["move"] = extend_schema(request=MoveSerializer, responses=records)
    if hasattr(viewset, "activities"):
        views["activities"] = extend_schema(
            responses=serializer_for(registry.timeline_type())(many=True), filters=False
        )
    return extend_schema_view(**views)(viewset)
